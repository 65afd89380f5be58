"""Authorization rules: action plans, GAP analysis, maturity, reminders, outbox, overview.

On the world's assessment: coordinator, unit lead/member and the reviewer of the unit's visit
read the plan (DESIGN §7: admin has no access to action plans); lead and member edit. Nobody
verifies the world's action: only a later visit's team verifies (see tests/actions).
"""

from tests.authz.table import NOBODY, SIGNED_IN, Rule

READERS = frozenset({"coordinator", "lead", "member", "reviewer"})
EDITORS = frozenset({"lead", "member"})
ADMIN_COORD = frozenset({"admin", "coordinator"})
A = "/actions/assessments/{assessment_id}"

RULES = {
    "actions.index": Rule("/actions/", allow=SIGNED_IN),
    "actions.unit_plan": Rule("/actions/units/{unit_id}", allow=READERS),
    "actions.unit_gap": Rule("/actions/units/{unit_id}/gap", allow=READERS),
    "actions.maturity": Rule("/actions/units/{unit_id}/maturity", allow=READERS),
    "actions.plan": [Rule(A, allow=READERS), Rule(A + "?group=domain", allow=READERS)],
    "actions.new_action": [
        Rule(A + "/new", allow=EDITORS),
        Rule(A + "/new", method="POST", allow=EDITORS, data={"title": "Nytt tiltak"}),
    ],
    "actions.from_observation": Rule(
        A + "/from-observation/{observation_id}", method="POST", allow=EDITORS
    ),
    "actions.from_standard": Rule(A + "/from-standard/{standard_id}", method="POST", allow=EDITORS),
    "actions.from_duty": Rule(A + "/from-duty/6a", method="POST", allow=EDITORS),
    "actions.edit_action": [
        Rule("/actions/{action_id}", allow=READERS),
        Rule(
            "/actions/{action_id}",
            method="POST",
            allow=EDITORS,
            data={"title": "Endret", "version": "1", "risk": "low", "pdsa_stage": "do"},
        ),
    ],
    "actions.move": Rule(
        "/actions/{action_id}/status",
        method="POST",
        allow=EDITORS,
        data={"to": "dropped", "reason": "Erstattet"},
    ),
    "actions.verify": Rule(
        "/actions/{action_id}/verify",
        method="POST",
        allow=NOBODY,
        data={"outcome": "verified", "comment": ""},
        note="only a later visit's team verifies; the world's reviewer is on this cycle's visit",
    ),
    "actions.export_xlsx": Rule(A + "/plan.xlsx", allow=READERS),
    "actions.export_pdf": Rule(A + "/plan.pdf", allow=READERS),
    "actions.gap": Rule(A + "/gap", allow=READERS),
    "actions.gap_pdf": Rule(A + "/gap.pdf", allow=READERS),
    "actions.gap_override": Rule(
        A + "/gap/6a", method="POST", allow=EDITORS, data={"status": "gap", "reason": "Tilsyn"}
    ),
    "actions.rate_maturity": Rule(
        A + "/maturity",
        method="POST",
        allow=EDITORS,
        data={
            "level-leadership": "2",
            "level-staff_involvement": "3",
            "level-user_involvement": "1",
        },
    ),
    "actions.next_visit": Rule(
        "/actions/visits/{visit_id}/previous-plan", allow=frozenset({"coordinator", "reviewer"})
    ),
    "actions.reminders": Rule("/actions/reminders", allow=SIGNED_IN),
    "actions.outbox": Rule("/actions/outbox", allow=frozenset({"admin"})),
    "actions.outbox_message": Rule(
        "/actions/outbox/999999", allow=NOBODY, note="admins only; an unknown message is 404"
    ),
    "actions.overview": Rule("/actions/networks/{network_id}", allow=ADMIN_COORD),
    "api.actions_list": Rule("/api/v1/assessments/{assessment_id}/actions", allow=READERS),
    "api.actions_create": Rule(
        "/api/v1/assessments/{assessment_id}/actions",
        method="POST",
        allow=EDITORS,
        json={"title": "Fra API"},
    ),
    "api.action_update": Rule(
        "/api/v1/actions/{action_id}",
        method="PUT",
        allow=EDITORS,
        json={"title": "Endret fra API", "version": 1},
        note="the second editor's version is stale: 409",
    ),
    "api.actions_gap": Rule("/api/v1/assessments/{assessment_id}/gap", allow=READERS),
    "api.visit_verification_put": Rule(
        "/api/v1/visits/{visit_id}/verifications/{action_id}",
        method="PUT",
        allow=NOBODY,
        json={"outcome": "verified", "comment": "", "op_id": "authz-verify-0001"},
        note="the visit mode's verify: only a later visit's team (the world's action is of "
        "this cycle); refused like actions.verify",
    ),
}

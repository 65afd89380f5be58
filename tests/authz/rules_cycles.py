"""Authorization rules: cycles, self-assessments, their API."""

from tests.authz.table import SIGNED_IN, Rule

ADMIN_COORD = frozenset({"admin", "coordinator"})
# Who may read the unit's self-assessment: admin, coordinator, the unit, the visiting reviewer.
READERS = frozenset({"admin", "coordinator", "lead", "member", "reviewer"})
# Who may read the other unit's: admin, coordinator and its own lead (the outsider).
OTHER_READERS = frozenset({"admin", "coordinator", "outsider"})
UNIT = frozenset({"lead", "member"})
A = "/cycles/assessments/{assessment_id}"
OTHER = "/cycles/assessments/{other_assessment_id}"

RULES = {
    "cycles.index": Rule("/cycles", allow=ADMIN_COORD),
    "cycles.new": [
        Rule("/cycles/new/{network_id}", allow=ADMIN_COORD),
        Rule(
            "/cycles/new/{network_id}",
            method="POST",
            allow=ADMIN_COORD,
            data={"year": "", "name": ""},
            note="invalid form: 422 for the allowed, nothing created",
        ),
    ],
    "cycles.edit": [
        Rule("/cycles/{cycle_id}/edit", allow=ADMIN_COORD),
        Rule("/cycles/{cycle_id}/edit", method="POST", allow=ADMIN_COORD, data={"name": ""}),
    ],
    "cycles.detail": Rule("/cycles/{cycle_id}", allow=ADMIN_COORD),
    "cycles.enrol": Rule(
        "/cycles/{cycle_id}/enrol",
        method="POST",
        allow=ADMIN_COORD,
        data={},
        note="no unit chosen: a message, nothing enrolled",
    ),
    "cycles.open_": Rule(
        "/cycles/{cycle_id}/open", method="POST", allow=ADMIN_COORD, note="already open: refused"
    ),
    "cycles.close": Rule(
        "/cycles/{cycle_id}/close", method="POST", allow=ADMIN_COORD, note="unconfirmed: no-op"
    ),
    "cycles.mine": Rule("/cycles/mine", allow=SIGNED_IN),
    "cycles.assessment": [
        Rule(A, allow=READERS),
        Rule(OTHER, allow=OTHER_READERS, note="nothing leaks across units"),
    ],
    "cycles.summary": [
        Rule(A + "/summary", allow=READERS),
        Rule(OTHER + "/summary", allow=OTHER_READERS),
    ],
    "cycles.rating_history": [
        Rule(A + "/standards/{standard_code}/history", allow=READERS),
        Rule(OTHER + "/standards/{standard_code}/history?fragment=1", allow=OTHER_READERS),
    ],
    "cycles.confirm_rating": Rule(
        A + "/standards/{standard_code}/confirm",
        method="POST",
        allow=UNIT,
        data={"version": "1"},
        note="not carried over: nothing changes",
    ),
    "cycles.confirm_domain": Rule(A + "/domains/{domain_code}/confirm", method="POST", allow=UNIT),
    "cycles.choose_start": [
        Rule(
            A + "/start",
            method="POST",
            allow=frozenset({"lead"}),
            data={"start": "blank"},
            note="already started: refused with a message",
        ),
        Rule(OTHER + "/start", method="POST", allow=frozenset({"outsider"}), data={"start": "x"}),
    ],
    "cycles.submit": [
        Rule(A + "/submit", method="POST", allow=frozenset({"lead"}), note="incomplete: refused"),
        Rule(OTHER + "/submit", method="POST", allow=frozenset({"outsider"})),
    ],
    "cycles.window_override": Rule(
        A + "/window-override",
        method="POST",
        allow=frozenset({"admin", "coordinator"}),
        data={"reason": "Avtalt forlengelse"},
    ),
    "cycles.reopen": Rule(
        A + "/reopen",
        method="POST",
        allow=frozenset({"coordinator"}),
        data={"reason": "x"},
        note="not submitted: refused with a message",
    ),
    "cycles.export": [
        Rule(A + "/export.xlsx", allow=READERS),
        Rule(OTHER + "/export.xlsx", allow=OTHER_READERS),
    ],
    "cycles.upload": [
        Rule(A + "/import", allow=UNIT),
        Rule(A + "/import", method="POST", allow=UNIT, data={}),
    ],
    "cycles.apply_import": Rule(
        A + "/import/apply", method="POST", allow=UNIT, data={"changes": "[]"}
    ),
    "api.list_cycles": Rule("/api/v1/cycles", allow=SIGNED_IN),
    "api.list_assessments": Rule("/api/v1/assessments", allow=SIGNED_IN),
    "api.get_assessment": [
        Rule("/api/v1/assessments/{assessment_id}", allow=READERS),
        Rule("/api/v1/assessments/{other_assessment_id}", allow=OTHER_READERS),
    ],
    "api.put_rating": [
        Rule(
            "/api/v1/assessments/{assessment_id}/ratings/{standard_code}",
            method="PUT",
            allow=UNIT,
            json={"value": "met", "version": 1},
            note="the stored value again: 200, nothing changes",
        ),
        Rule(
            "/api/v1/assessments/{other_assessment_id}/ratings/{standard_code}",
            method="PUT",
            allow=frozenset({"outsider"}),
            json={"value": "not_met", "version": 1},
        ),
    ],
    "api.create_cycle": Rule(
        "/api/v1/cycles",
        method="POST",
        allow=ADMIN_COORD,
        json={
            "network_id": "{network_id}",
            "edition": "{edition_slug}",
            "year": 2040,
            "name": "API-syklus",
            "self_assessment_opens": "2040-01-10",
            "self_assessment_closes": "2040-03-01",
        },
        note="the first allowed creates it; the second gets 422 (the year is taken)",
    ),
    "api.open_cycle": Rule(
        "/api/v1/cycles/{cycle_id}/open",
        method="POST",
        allow=ADMIN_COORD,
        note="already open: 409",
    ),
    "api.close_cycle": Rule(
        "/api/v1/cycles/{cycle_id}/close",
        method="POST",
        allow=ADMIN_COORD,
        note="the first allowed closes it; the second gets 409",
    ),
    "api.enrol_units": Rule(
        "/api/v1/cycles/{cycle_id}/enrolments",
        method="POST",
        allow=ADMIN_COORD,
        json={"unit_ids": ["{unit_id}"]},
        note="already enrolled: 200, nothing new",
    ),
    "api.submit_assessment": Rule(
        "/api/v1/assessments/{assessment_id}/submit",
        method="POST",
        allow=frozenset({"lead"}),
        note="standards not rated: 422",
    ),
    "api.reopen_assessment": Rule(
        "/api/v1/assessments/{assessment_id}/reopen",
        method="POST",
        allow=frozenset({"coordinator"}),
        json={"reason": "Mangler dokumentasjon"},
        note="not submitted: 409",
    ),
}

"""Authorization rules: visits, teams, visit mode, consolidation, reports, the visits API.

In the world, ``visit`` (of ``unit``) is scheduled with ``reviewer`` as lead reviewer and has a
draft report; ``other_visit`` has no team. Unit members may not see a draft report.
"""

from tests.authz.table import SIGNED_IN, Rule

ADMIN_COORD = frozenset({"admin", "coordinator"})
TEAM = frozenset({"reviewer"})
READERS = frozenset({"admin", "coordinator", "reviewer"})
SCHEDULE_READERS = READERS | {"lead", "member"}
OP = "authz-op-00000001"

RULES = {
    "visits.service_worker": Rule("/visits/sw.js", public=True),
    "visits.manifest": Rule("/visits/manifest.webmanifest", public=True),
    "visits.index": Rule("/visits/", allow=SIGNED_IN),
    "visits.network_visits": Rule("/visits/networks/{network_id}", allow=ADMIN_COORD),
    "visits.plan": Rule(
        "/visits/networks/{network_id}/plan",
        method="POST",
        data={"assessment_id": "{assessment_id}"},
        allow=ADMIN_COORD,
        note="the world's assessment is not submitted: refused with a message, nothing planned",
    ),
    "visits.reviewers": Rule("/visits/networks/{network_id}/reviewers", allow=ADMIN_COORD),
    "visits.overview": [
        Rule("/visits/{visit_id}", allow=READERS),
        Rule("/visits/{other_visit_id}", allow=ADMIN_COORD),
    ],
    "visits.team": Rule("/visits/{visit_id}/team", allow=ADMIN_COORD),
    "visits.team_add": Rule(
        "/visits/{visit_id}/team",
        method="POST",
        data={"user_id": "{user_id}", "role": "peer_reviewer"},
        allow=ADMIN_COORD,
        note="the member is not a reviewer: refused with a message",
    ),
    "visits.team_remove": Rule(
        "/visits/{visit_id}/team/999999/remove",
        method="POST",
        allow=frozenset(),
        note="unknown team member: 404 for managers, 403 for others",
    ),
    "visits.set_date": Rule(
        "/visits/{visit_id}/date", method="POST", data={"date": "2031-05-05"}, allow=ADMIN_COORD
    ),
    "visits.transition": [
        Rule("/visits/{visit_id}/state", method="POST", data={"action": "start"}, allow=TEAM),
        Rule(
            "/visits/{visit_id}/state",
            method="POST",
            data={"action": "schedule"},
            allow=ADMIN_COORD,
            note="already scheduled: refused with a message",
        ),
    ],
    "visits.date_override": Rule(
        "/visits/{visit_id}/date-override",
        method="POST",
        data={"reason": "Besøket flyttet fram"},
        allow=ADMIN_COORD,
    ),
    "visits.reopen": Rule(
        "/visits/{visit_id}/reopen",
        method="POST",
        data={"reason": "Feil i funnene"},
        allow=frozenset({"coordinator"}),
        note="coordinators only (not admin); the visit is scheduled: refused with a message",
    ),
    "visits.mode": [
        Rule("/visits/{visit_id}/mode", allow=TEAM),
        Rule("/visits/{other_visit_id}/mode", allow=frozenset()),
    ],
    "visits.consolidate": Rule("/visits/{visit_id}/consolidate", allow=READERS),
    "visits.resolve": Rule(
        "/visits/{visit_id}/consolidate/{standard_code}",
        method="POST",
        data={"value": "partly_met", "comment": "", "version": "1"},
        allow=TEAM,
    ),
    "visits.report": [
        Rule("/visits/{visit_id}/report", allow=READERS),
        Rule("/visits/{other_visit_id}/report", allow=frozenset(), note="no report: 404"),
    ],
    "visits.report_pdf": Rule("/visits/{visit_id}/report.pdf", allow=READERS),
    "visits.report_action": [
        Rule("/visits/{visit_id}/report/refresh", method="POST", allow=TEAM),
        Rule(
            "/visits/{visit_id}/report/no-comments",
            method="POST",
            allow=frozenset(),
            note="the unit lead only, on a shared report: the unit cannot see a draft",
        ),
        Rule(
            "/visits/{visit_id}/report/override",
            method="POST",
            data={"reason": "Avtalt med enheten"},
            allow=ADMIN_COORD,
            note="a draft has no comment period: refused with a message",
        ),
        Rule(
            "/visits/{visit_id}/report/finalise",
            method="POST",
            allow=TEAM,
            note="a draft cannot be finalised: refused with a message",
        ),
    ],
    "visits.report_comment": Rule(
        "/visits/{visit_id}/report/comments",
        method="POST",
        data={"section": "general", "text": "Feil antall senger"},
        allow=frozenset(),
        note="a draft is not shared: the unit may not see it, others may not comment",
    ),
    "visits.comment_respond": Rule(
        "/visits/{visit_id}/report/comments/999999/respond",
        method="POST",
        data={"response": "ok"},
        allow=frozenset(),
        note="unknown comment: 404 for readers",
    ),
    "visits.unit_reports": [
        Rule(
            "/visits/units/{unit_id}/reports",
            allow=frozenset({"admin", "coordinator", "lead", "member", "reviewer"}),
        ),
        Rule(
            "/visits/units/{other_unit_id}/reports",
            allow=frozenset({"admin", "coordinator", "outsider"}),
        ),
    ],
    "api.visits_list": Rule("/api/v1/visits", allow=SIGNED_IN),
    "api.visit_pack_get": [
        Rule("/api/v1/visits/{visit_id}", allow=READERS),
        Rule("/api/v1/visits/{other_visit_id}", allow=ADMIN_COORD),
    ],
    "api.visit_finding_put": Rule(
        "/api/v1/visits/{visit_id}/findings/{standard_code}",
        method="PUT",
        json={"value": "partly_met", "comment": "", "version": 1, "op_id": OP},
        allow=TEAM,
    ),
    "api.visit_observation_put": Rule(
        "/api/v1/visits/{visit_id}/observations/authz-obs-0001",
        method="PUT",
        json={"kind": "good_practice", "text": "God praksis", "version": 0, "op_id": OP + "b"},
        allow=TEAM,
    ),
    "api.visit_observation_delete": Rule(
        "/api/v1/visits/{visit_id}/observations/id-{observation_id}",
        method="DELETE",
        json={"version": 1, "op_id": OP + "c"},
        allow=TEAM,
    ),
    "api.visit_create": Rule(
        "/api/v1/visits",
        method="POST",
        allow=ADMIN_COORD,
        json={"assessment_id": "{other_assessment_id}"},
        note="it already has a visit: 422",
    ),
    "api.visit_team_add": Rule(
        "/api/v1/visits/{visit_id}/team",
        method="POST",
        allow=ADMIN_COORD,
        json={"user_id": "{user_id}", "role": "peer_reviewer"},
        note="the unit's own member: refused as a conflict of interest (422)",
    ),
    "api.visit_state_change": Rule(
        "/api/v1/visits/{visit_id}/state",
        method="POST",
        allow=TEAM,
        json={"state": "completed"},
        note="the lead reviewer; not in progress: 422",
    ),
    "api.report_state_change": Rule(
        "/api/v1/visits/{visit_id}/report/state",
        method="POST",
        allow=TEAM,
        json={"state": "final"},
        note="the lead reviewer; the visit is not completed: 422",
    ),
    # Scheduling: the unit's staff see the visit's date and invitation; its lead proposes dates.
    "visits.schedule": Rule("/visits/{visit_id}/schedule", allow=SCHEDULE_READERS),
    "visits.invitation": Rule("/visits/{visit_id}/invitation.ics", allow=SCHEDULE_READERS),
    "visits.propose": Rule(
        "/visits/{visit_id}/schedule/propose",
        method="POST",
        data={"date_1": "2031-05-05"},
        allow=frozenset({"admin", "coordinator", "lead"}),
        note="a date outside the visit window: refused with a message (422), nothing proposed",
    ),
    "visits.pick": Rule(
        "/visits/{visit_id}/schedule/pick",
        method="POST",
        data={"proposal_id": "999999", "date": "2031-05-05"},
        allow=frozenset(),
        note="unknown proposal: 404 for those who see the visit, 403 for others",
    ),
    "visits.calendar_view": [
        Rule("/visits/networks/{network_id}/calendar", allow=ADMIN_COORD),
        Rule("/visits/networks/{network_id}/calendar?month=bad", allow=ADMIN_COORD),
    ],
}

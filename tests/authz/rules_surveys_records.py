"""Authorization rules: record audits (the unit's before the visit, the visit team's during
it) and their counts in the API. No route shows one record's answers apart from the audit grid
itself, to those who fill it in."""

from tests.authz.table import Rule

READERS = frozenset({"admin", "coordinator", "lead", "member", "reviewer"})
STAFF = frozenset({"lead", "member"})
TEAM = frozenset({"reviewer"})

RULES = {
    "surveys.unit_records": [
        Rule("/surveys/assessments/{assessment_id}/records", allow=STAFF),
        Rule("/surveys/assessments/{other_assessment_id}/records", allow=frozenset({"outsider"})),
        Rule(
            "/surveys/assessments/{assessment_id}/records",
            method="POST",
            data={},
            allow=STAFF,
            note="the world's edition has no record audit: 422, nothing saved",
        ),
    ],
    "surveys.visit_records": [
        Rule("/surveys/visits/{visit_id}/records", allow=TEAM),
        Rule("/surveys/visits/{other_visit_id}/records", allow=frozenset()),
        Rule(
            "/surveys/visits/{visit_id}/records",
            method="POST",
            json={"entries": []},
            allow=TEAM,
            note="the world's edition has no record audit: 422, nothing saved",
        ),
    ],
    "api.assessment_record_audits": [
        Rule("/api/v1/assessments/{assessment_id}/record-audits", allow=READERS),
        Rule(
            "/api/v1/assessments/{other_assessment_id}/record-audits",
            allow=frozenset({"admin", "coordinator", "outsider"}),
        ),
    ],
}

RULES["surveys.export_results"] = [
    Rule("/surveys/assessments/{assessment_id}/results.csv", allow=READERS),
    Rule("/surveys/assessments/{assessment_id}/results.xlsx", allow=READERS),
    Rule(
        "/surveys/assessments/{other_assessment_id}/results.csv",
        allow=frozenset({"admin", "coordinator", "outsider"}),
    ),
]

"""Authorization rules: questionnaires (collections, codes, kiosk, the public answer pages).

The world's assessment has an open young people's collection. No route shows one
respondent's answers: there is none (tests/surveys/test_anonymity.py checks the url map).
"""

from tests.authz.table import Rule
from tests.factories import PASSWORD

READERS = frozenset({"admin", "coordinator", "lead", "member", "reviewer"})
LEAD = frozenset({"lead"})
STAFF = frozenset({"lead", "member"})
ADMIN_COORD = frozenset({"admin", "coordinator"})

RULES = {
    "surveys.assessment": [
        Rule("/surveys/assessments/{assessment_id}", allow=READERS),
        Rule(
            "/surveys/assessments/{other_assessment_id}",
            allow=frozenset({"admin", "coordinator", "outsider"}),
        ),
    ],
    "surveys.open_collection": Rule(
        "/surveys/assessments/{assessment_id}/collections",
        method="POST",
        data={"instruments": ["staff"], "opens": "2030-01-01", "closes": "2030-01-31"},
        allow=LEAD,
    ),
    "surveys.codes": Rule(
        "/surveys/assessments/{assessment_id}/codes",
        method="POST",
        data={"instrument": "{instrument_code}", "count": "2", "channel": "slip"},
        allow=LEAD,
    ),
    "surveys.kiosk_start": Rule(
        "/surveys/assessments/{assessment_id}/kiosk",
        method="POST",
        data={"instruments": ["{instrument_code}"], "password": PASSWORD},
        allow=STAFF,
        note="any staff member of the unit; they are signed out while the kiosk runs",
    ),
    "surveys.settings": [
        Rule("/surveys/networks/{network_id}/settings", allow=ADMIN_COORD),
        Rule(
            "/surveys/networks/{network_id}/settings",
            method="POST",
            data={"min_respondents": "6", "record_audit_sample": "10"},
            allow=ADMIN_COORD,
        ),
    ],
    "api.assessment_questionnaires": [
        Rule("/api/v1/assessments/{assessment_id}/questionnaires", allow=READERS),
        Rule(
            "/api/v1/assessments/{other_assessment_id}/questionnaires",
            allow=frozenset({"admin", "coordinator", "outsider"}),
        ),
    ],
    # Public: respondents never sign in.
    "surveys.enter_code": [
        Rule("/surveys/answer", public=True),
        Rule("/surveys/answer", method="POST", data={"code": "ABCD-EFGH"}, public=True),
    ],
    "surveys.respond": [
        Rule("/surveys/answer/ABCD-EFGH", public=True, note="unknown code: friendly 404"),
        Rule(
            "/surveys/answer/ABCD-EFGH",
            method="POST",
            data={"q-Y1": "agree", "submission_id": "authz-submission-0001"},
            public=True,
            note="unknown code: nothing stored",
        ),
    ],
    "surveys.thanks": Rule("/surveys/answer/thanks", public=True),
    "surveys.kiosk": Rule("/surveys/kiosk", public=True, note="no kiosk running: friendly 404"),
    "surveys.kiosk_submit": Rule(
        "/surveys/kiosk/responses",
        method="POST",
        json={"kiosk": 1, "instrument": "young_person", "submission_id": "a" * 24, "answers": {}},
        public=True,
        extra_ok=(403,),
        note="without a running kiosk on this browser: 403, nothing stored",
    ),
    "surveys.kiosk_close": Rule(
        "/surveys/kiosk/close",
        method="POST",
        json={"proof": "0" * 64},
        public=True,
        extra_ok=(403,),
        note="without a running kiosk on this browser (or a wrong key): 403, nothing ended",
    ),
    "surveys.kiosk_exit": [
        Rule("/surveys/kiosk/exit", public=True),
        Rule("/surveys/kiosk/exit", method="POST", data={"password": "x"}, public=True),
    ],
}

"""Anonymity by design: no one, in any role, can see one respondent's answers (UI, API, the
visit screens and the report); nothing about the respondent is stored."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from kvip.surveys.models import Answer, Response, ResponseCode
from tests.factories import ROLES, World

MARKER = "Sjokoladekaken på fredager"


def test_nothing_about_the_respondent_is_stored() -> None:
    assert {c.name for c in Response.__table__.columns} == {
        "id",
        "collection_id",
        "received_on",
        "submission_hash",
    }
    assert {c.name for c in Answer.__table__.columns} == {
        "id",
        "response_id",
        "question_id",
        "value",
        "text",
    }
    # A code says only whether it was used: no link to a response, no time of use.
    assert {c.name for c in ResponseCode.__table__.columns} == {
        "id",
        "collection_id",
        "code_hash",
        "channel",
        "created_on",
        "used",
    }
    assert Response.__table__.c.received_on.type.python_type.__name__ == "date"


def test_no_route_addresses_a_single_response(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        assert not {"response_id", "answer_id", "respondent_id"} & set(rule.arguments), rule.rule


def _pages(world: World) -> list[str]:
    a, v = world.assessment.id, world.visit.id
    return [
        f"/surveys/assessments/{a}",
        f"/api/v1/assessments/{a}/questionnaires",
        f"/cycles/assessments/{a}",
        f"/visits/{v}",
        f"/visits/{v}/mode",
        f"/visits/{v}/consolidate",
        f"/visits/{v}/report",
    ]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anon"])
def test_below_the_threshold_no_role_sees_answers(
    role: str, world: World, answer: Any, login_as: Any
) -> None:
    # Four young people, one of whom answered differently from the others.
    answer(3, Y1="agree", Y3=MARKER)
    answer(1, Y1="strongly_disagree", Y2="strongly_agree")
    client = login_as(role)
    for path in _pages(world):
        response = client.get(path)
        text = response.get_data(as_text=True)
        assert MARKER not in text, (role, path)
        assert "Strongly disagree</td>" not in text and "of 4 agree" not in text, (role, path)
        if path.startswith("/api/") and response.status_code == 200:
            (young,) = response.get_json()["instruments"]
            assert young == {
                "code": "young_person",
                "respondents": 4,
                "threshold": 5,
                "suppressed": True,
                "questions": [],
            }


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anon"])
def test_above_the_threshold_only_aggregates_and_free_text_to_lead_and_team(
    role: str, world: World, answer: Any, login_as: Any
) -> None:
    answer(5, Y1="agree", Y3=MARKER)
    client = login_as(role)
    page = client.get(f"/surveys/assessments/{world.assessment.id}")
    text = page.get_data(as_text=True)
    if role == "outsider":
        assert page.status_code == 403
        return
    assert page.status_code == 200
    assert "Too few answers yet" not in text
    assert (MARKER in text) == (role in ("lead", "reviewer")), role
    api = client.get(f"/api/v1/assessments/{world.assessment.id}/questionnaires").get_json()
    assert MARKER not in str(api)  # never in the API
    y1 = api["instruments"][0]["questions"][0]
    assert (y1["n"], y1["positive_pct"]) == (5, 100.0)

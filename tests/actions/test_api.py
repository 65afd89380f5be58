"""API: GET|POST /api/v1/assessments/<id>/actions and GET …/gap."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask

from kvip.accounts import services as accounts
from kvip.actions.models import Action
from kvip.core.models import AuditEvent
from kvip.extensions import db
from tests.actions.helpers import Previous
from tests.conftest import login
from tests.factories import World

SOON = (date.today() + timedelta(days=20)).isoformat()


def _url(assessment_id: int, tail: str = "actions") -> str:
    return f"/api/v1/assessments/{assessment_id}/{tail}"


def test_create_and_list(app: Flask, world: World, prev: Previous) -> None:
    client = login(app.test_client(), world.users["lead"])
    body = {
        "title": "Ettersamtale",
        "responsible": "Kari",
        "deadline": SOON,
        "risk": "high",
        "pdsa_stage": "plan",
        "standards": ["1.1", "2.1"],
        "duties": ["7C", "9b"],
        "success_measure": "Andel med ettersamtale",
    }
    response = client.post(_url(prev.assessment.id), json=body)
    assert response.status_code == 201, response.json
    data = response.json
    assert data["standards"] == ["1.1", "2.1"] and data["duties"] == ["7c", "9b"]
    assert data["status"] == "planned" and data["version"] == 1 and data["overdue"] is False
    assert response.headers["Location"].endswith(f"/actions/{data['id']}")
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity == "action", AuditEvent.entity_id == data["id"])
        )
        >= 5
    )
    listing = login(app.test_client(), world.users["coordinator"]).get(_url(prev.assessment.id))
    assert listing.status_code == 200
    assert [a["title"] for a in listing.json["actions"]] == ["Ettersamtale"]
    expected_due = (prev.report.finalised_at + timedelta(weeks=6)).date().isoformat()
    assert listing.json["plan_due"] == expected_due


def test_validation_answers_422_with_every_field(app: Flask, world: World, prev: Previous) -> None:
    client = login(app.test_client(), world.users["member"])
    client.post("/language", data={"locale": "en"})
    response = client.post(
        _url(prev.assessment.id),
        json={"title": "", "deadline": "tomorrow", "risk": "huge", "standards": ["9.9"]},
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"title", "deadline", "risk", "standards"}
    assert error["fields"]["title"] == "Give the action a short title."
    response = client.post(
        _url(prev.assessment.id), json={"title": "x", "status": "done", "duties": "7c"}
    )
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"status", "duties"}
    response = client.post(_url(prev.assessment.id), json={"title": 5})
    assert response.status_code == 422 and "title" in response.json["error"]["fields"]
    response = client.post(_url(prev.assessment.id), data="not json", content_type="text/plain")
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == 1  # world's own


def test_permissions(app: Flask, world: World, prev: Previous) -> None:
    for role, status in (
        ("reviewer", 403),
        ("coordinator", 403),
        ("outsider", 403),
        ("admin", 403),
    ):
        client = login(app.test_client(), world.users[role])
        assert client.post(_url(prev.assessment.id), json={"title": "x"}).status_code == status
    assert (
        login(app.test_client(), world.users["outsider"]).get(_url(prev.assessment.id)).status_code
        == 403
    )
    assert app.test_client().get(_url(prev.assessment.id)).status_code == 401
    assert login(app.test_client(), world.users["lead"]).get(_url(999999)).status_code == 404


def test_bearer_token_needs_no_csrf(app: Flask, world: World, prev: Previous) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        _token, secret = accounts.create_token(world.users["lead"], world.users["lead"], "script")
        client = app.test_client()
        response = client.post(
            _url(prev.assessment.id),
            json={"title": "Fra skript"},
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert response.status_code == 201
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_gap_api(app: Flask, world: World, prev: Previous) -> None:
    client = login(app.test_client(), world.users["lead"])
    client.post(
        _url(prev.assessment.id),
        json={"title": "Rutine", "duties": ["8a"], "deadline": SOON, "responsible": "Ola"},
    )
    response = client.get(_url(prev.assessment.id, "gap"))
    assert response.status_code == 200
    data = response.json
    assert data["source"] == "peer" and data["thresholds"] == {"in_place": 90.0, "partly": 60.0}
    duties = data["duties"]
    assert [d["duty"] for d in duties][:3] == ["6a", "6b", "6c"] and len(duties) == 21
    row = next(d for d in duties if d["duty"] == "8a")
    assert row["status"] == "gap" and row["risk"] == "high" and row["score"] == 0.0
    assert row["type1_not_met"] == ["1.1"] and row["standards"] == ["1.1"]
    assert [a["title"] for a in row["actions"]] == ["Rutine"]
    assert row["deadline"] == SOON and row["responsible"] == ["Ola"]
    assert next(d for d in duties if d["duty"] == "6a")["status"] == "not_covered"


def test_openapi_documents_the_routes(app: Flask, world: World) -> None:
    doc = login(app.test_client(), world.users["member"]).get("/api/v1/openapi.json").json
    ops = doc["paths"]["/assessments/{assessment_id}/actions"]
    assert {"get", "post"} <= set(ops) and "422" in ops["post"]["responses"]
    assert "get" in doc["paths"]["/assessments/{assessment_id}/gap"]
    assert {"Action", "NewAction", "GapDuty"} <= set(doc["components"]["schemas"])

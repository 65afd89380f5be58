"""The workflow writes of /api/v1 (DESIGN §8) and GET /units: each calls the UI's services, so
the allowed role succeeds, another gets 403, bad input gets 400/422 in the error envelope,
and a stale version gets 409 with the current state."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kvip.cycles.models import Assessment
from kvip.extensions import db
from tests.conftest import login
from tests.factories import World, create_unit


def _client(app: Flask, world: World, role: str) -> Any:
    return login(app.test_client(), world.users[role])


def _envelope(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert {"code", "message", "fields"} <= set(error)
    if code is not None:
        assert error["code"] == code
    return dict(error)


def test_units_are_those_the_caller_may_see(app: Flask, world: World) -> None:
    names = {
        u["name"]
        for u in _client(app, world, "coordinator").get("/api/v1/units").get_json()["units"]
    }
    assert names == {world.unit.name, world.other_unit.name}
    mine = _client(app, world, "member").get("/api/v1/units").get_json()["units"]
    assert [u["id"] for u in mine] == [world.unit.id]
    assert mine[0]["institution"] == world.inst_a.name
    _envelope(_client(app, world, "member").get("/api/v1/units?limit=0"), 400, "bad_parameter")


def test_a_coordinator_plans_enrols_opens_and_closes_a_cycle(app: Flask, world: World) -> None:
    body = {
        "network_id": world.network.id,
        "edition": world.edition.slug,
        "year": 2041,
        "name": "Syklus 2041",
        "self_assessment_opens": "2041-01-10",
        "self_assessment_closes": "2041-03-01",
    }
    _envelope(_client(app, world, "lead").post("/api/v1/cycles", json=body), 403, "forbidden")
    coordinator = _client(app, world, "coordinator")
    error = _envelope(coordinator.post("/api/v1/cycles", json={**body, "name": " "}), 422)
    assert set(error["fields"]) == {"name"}
    error = _envelope(coordinator.post("/api/v1/cycles", json={**body, "extra": 1}), 422)
    assert set(error["fields"]) == {"extra"}
    _envelope(coordinator.post("/api/v1/cycles", data="[1]", content_type="application/json"), 400)

    made = coordinator.post("/api/v1/cycles", json=body)
    assert made.status_code == 201 and made.headers["Location"]
    cycle = made.get_json()
    assert cycle["state"] == "planned" and cycle["edition"] == world.edition.slug
    again = _envelope(coordinator.post("/api/v1/cycles", json=body), 422)
    assert "year" in again["fields"]

    base = f"/api/v1/cycles/{cycle['id']}"
    _envelope(coordinator.post(base + "/open"), 422)  # nobody enrolled yet
    _envelope(
        _client(app, world, "member").post(
            base + "/enrolments", json={"unit_ids": [world.unit.id]}
        ),
        403,
    )
    _envelope(coordinator.post(base + "/enrolments", json={"unit_ids": []}), 422)
    enrolled = coordinator.post(base + "/enrolments", json={"unit_ids": [world.unit.id]})
    assert enrolled.status_code == 200
    assert [a["unit"]["id"] for a in enrolled.get_json()["enrolled"]] == [world.unit.id]
    assert coordinator.post(base + "/open").get_json()["state"] == "open"
    _envelope(_client(app, world, "reviewer").post(base + "/close"), 403)
    assert coordinator.post(base + "/close").get_json()["state"] == "closed"
    _envelope(coordinator.post(base + "/close"), 409, "invalid_state")


def test_submit_is_the_leads_and_reopen_the_coordinators(app: Flask, world: World) -> None:
    url = f"/api/v1/assessments/{world.assessment.id}"
    _envelope(_client(app, world, "member").post(url + "/submit"), 403)
    _envelope(_client(app, world, "lead").post(url + "/submit"), 422, "incomplete")
    coordinator = _client(app, world, "coordinator")
    _envelope(coordinator.post(url + "/reopen", json={"reason": "x"}), 409)  # not submitted
    world.assessment.state = "submitted"
    db.session.commit()
    _envelope(_client(app, world, "lead").post(url + "/reopen", json={"reason": "x"}), 403)
    error = _envelope(coordinator.post(url + "/reopen", json={"reason": ""}), 422)
    assert set(error["fields"]) == {"reason"}
    reopened = coordinator.post(url + "/reopen", json={"reason": "Mangler dokumentasjon"})
    assert reopened.status_code == 200 and reopened.get_json()["state"] == "in_progress"


def test_a_visit_is_planned_with_its_team_under_the_conflict_rules(
    app: Flask, world: World
) -> None:
    gamma = create_unit(world.inst_b, "Enhet Gamma")
    assessment = Assessment(cycle_id=world.cycle.id, unit_id=gamma.id, state="submitted")
    db.session.add(assessment)
    db.session.commit()
    body = {"assessment_id": assessment.id}
    _envelope(_client(app, world, "reviewer").post("/api/v1/visits", json=body), 403)
    coordinator = _client(app, world, "coordinator")
    _envelope(coordinator.post("/api/v1/visits", json={"assessment_id": "x"}), 422)
    made = coordinator.post("/api/v1/visits", json=body)
    assert made.status_code == 201, made.get_json()
    visit = made.get_json()
    assert visit["state"] == "planned" and visit["unit"]["id"] == gamma.id
    _envelope(coordinator.post("/api/v1/visits", json=body), 422)  # one visit per assessment

    team = f"/api/v1/visits/{visit['id']}/team"
    reviewer = {"user_id": world.users["reviewer"].id, "role": "peer_reviewer"}
    _envelope(_client(app, world, "lead").post(team, json=reviewer), 403)
    added = coordinator.post(team, json=reviewer)
    assert added.status_code == 200, added.get_json()
    assert [m["user_id"] for m in added.get_json()["team"]] == [world.users["reviewer"].id]
    # The outsider works at Institusjon B, like the visited unit: a conflict of interest.
    outsider = {"user_id": world.users["outsider"].id, "role": "peer_reviewer"}
    _envelope(coordinator.post(team, json=outsider), 422)
    _envelope(coordinator.post(team, json={**reviewer, "role": "boss"}), 422)


def test_the_visit_and_report_move_only_for_the_lead_reviewer(app: Flask, world: World) -> None:
    url = f"/api/v1/visits/{world.visit.id}"
    _envelope(
        _client(app, world, "member").post(url + "/state", json={"state": "in_progress"}), 403
    )
    reviewer = _client(app, world, "reviewer")
    started = reviewer.post(url + "/state", json={"state": "in_progress"})
    assert started.status_code == 200 and started.get_json()["state"] == "in_progress"
    _envelope(reviewer.post(url + "/state", json={"state": "completed"}), 422)  # findings missing
    error = _envelope(reviewer.post(url + "/report/state", json={"state": "draft"}), 422)
    assert set(error["fields"]) == {"state"}
    _envelope(
        _client(app, world, "coordinator").post(url + "/report/state", json={"state": "final"}), 403
    )
    # The visit is not completed: the report waits.
    _envelope(reviewer.post(url + "/report/state", json={"state": "shared_with_unit"}), 422)


def test_an_action_is_updated_with_its_version(app: Flask, world: World) -> None:
    url = f"/api/v1/actions/{world.action.id}"
    version = world.action.version
    _envelope(
        _client(app, world, "reviewer").put(url, json={"title": "X", "version": version}), 403
    )
    member = _client(app, world, "member")
    error = _envelope(member.put(url, json={"title": "x" * 201, "version": version}), 422)
    assert set(error["fields"]) == {"title"}
    _envelope(member.put(url, json={"title": "Uten versjon"}), 422)
    saved = member.put(url, json={"title": "Ny tittel", "risk": "high", "version": version})
    assert saved.status_code == 200, saved.get_json()
    action = saved.get_json()
    assert action["title"] == "Ny tittel" and action["risk"] == "high"
    assert action["version"] == version + 1
    assert action["description"] == world.action.description  # left out: kept
    stale = _envelope(member.put(url, json={"title": "Gammel", "version": version}), 409)
    assert stale["current"]["version"] == version + 1
    assert stale["current"]["title"] == "Ny tittel"

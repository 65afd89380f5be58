"""The JSON API of the cycles module: listing, the assessment document, saving a rating."""

from __future__ import annotations

import re

from flask import Flask

from kvip.cycles.models import Rating
from kvip.extensions import db
from tests.conftest import login
from tests.cycles.conftest import rate_all
from tests.factories import World


def test_cycles_are_listed_for_people_of_the_network(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    for role in ("coordinator", "member", "reviewer", "outsider"):
        body = as_role(role).get("/api/v1/cycles").get_json()
        assert [c["id"] for c in body["cycles"]] == [world.cycle.id], role
        assert body["cycles"][0]["edition"] == world.edition.slug
        assert body["cycles"][0]["state"] == "open"


def test_assessments_listed_only_where_visible(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    def ids(role: str) -> set[int]:
        listing = as_role(role).get("/api/v1/assessments").get_json()
        return {a["id"] for a in listing["assessments"]}

    both = {world.assessment.id, world.other_assessment.id}
    assert ids("coordinator") == both
    assert ids("admin") == both
    assert ids("member") == {world.assessment.id}
    assert ids("reviewer") == {world.assessment.id}
    assert ids("outsider") == {world.other_assessment.id}
    page = as_role("coordinator").get("/api/v1/assessments?limit=1").get_json()
    assert len(page["assessments"]) == 1 and page["next_offset"] == 1
    assert page["assessments"][0]["completeness"] is not None
    assert as_role("coordinator").get("/api/v1/assessments?limit=0").status_code == 400
    assert (
        as_role("coordinator").get(f"/api/v1/assessments?cycle_id={world.cycle.id}").status_code
        == 200
    )


def test_assessment_lists_every_standard_rated_or_not_with_scores(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    rate_all(world.assessment, ["met", "partly_met", None, "not_applicable"])
    body = as_role("member").get(f"/api/v1/assessments/{world.assessment.id}").get_json()
    assert body["unit"]["name"] == "Enhet Alfa" and body["state"] == "in_progress"
    codes = [r["code"] for r in body["ratings"]]
    assert codes == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3"]
    unrated = body["ratings"][2]
    assert unrated["value"] is None and unrated["version"] == 0 and unrated["domain"] == "1"
    d1 = body["scores"]["domains"]["1"]
    # Domain 1: met, partly, unrated → score (1 + 0.5) / 2 = 75, completeness 2/3.
    assert d1["score"] == 75.0 and round(d1["completeness"], 1) == 66.7
    assert body["scores"]["domains"]["2"]["score"] is None  # only N/A rated: "–"
    assert body["completeness"] == 50.0


def test_put_rating_200_409_422_403_404(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/v1/assessments/{world.assessment.id}/ratings/1.2"
    member, lead = as_role("member"), as_role("lead")
    ok = member.put(url, json={"value": "met", "comment": "Rutine finnes", "version": 0})
    assert ok.status_code == 200 and ok.get_json()["version"] == 1
    theirs = lead.put(url, json={"value": "not_met", "version": 1})
    assert theirs.status_code == 200
    stale = member.put(url, json={"value": "partly_met", "version": 1})
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["code"] == "conflict"
    assert error["current"]["value"] == "not_met" and error["current"]["version"] == 2
    assert error["current"]["updated_by"] == "Lead"
    bad = member.put(url, json={"value": "super", "version": 2})
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"value"}
    assert member.put(url, data="not json", content_type="application/json").status_code == 400
    assert as_role("coordinator").put(url, json={"value": "met", "version": 2}).status_code == 403
    assert as_role("outsider").put(url, json={"value": "met", "version": 2}).status_code == 403
    assert (
        member.put(url.replace("1.2", "7.77"), json={"value": "met", "version": 0}).status_code
        == 404
    )
    assert (
        member.put("/api/v1/assessments/999999/ratings/1.2", json={"version": 0}).status_code == 404
    )
    rating = db.session.scalar(
        db.select(Rating)
        .where(Rating.assessment_id == world.assessment.id)
        .order_by(Rating.id.desc())
    )
    assert rating.value == "not_met" and rating.version == 2


def test_put_needs_csrf_with_a_session_cookie_and_accepts_the_header(
    app: Flask, world: World
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = login(app.test_client(), world.users["member"])
        page = client.get(f"/cycles/assessments/{world.assessment.id}").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        url = f"/api/v1/assessments/{world.assessment.id}/ratings/1.2"
        refused = client.put(url, json={"value": "met", "version": 0})
        assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf"
        accepted = client.put(
            url, json={"value": "met", "version": 0}, headers={"X-CSRFToken": token}
        )
        assert accepted.status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_bearer_token_scripts_can_save(app: Flask, world: World) -> None:
    from kvip.accounts.services import create_token

    _token, secret = create_token(world.users["member"], world.users["member"], "script")
    client = app.test_client()
    response = client.put(
        f"/api/v1/assessments/{world.assessment.id}/ratings/2.1",
        json={"value": "not_applicable", "version": 0},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200


def test_openapi_documents_the_cycle_endpoints(as_role) -> None:  # type: ignore[no-untyped-def]
    spec = as_role("member").get("/api/v1/openapi.json").get_json()
    put = spec["paths"]["/assessments/{assessment_id}/ratings/{code}"]["put"]
    assert {"200", "409", "422", "403", "404"} <= set(put["responses"])
    assert "version" in spec["components"]["schemas"]["RatingUpdate"]["required"]
    for path in ("/cycles", "/assessments", "/assessments/{assessment_id}"):
        assert "get" in spec["paths"][path]

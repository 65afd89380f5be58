"""An op_id names one change (issue 12 item 8), and a change made on a tablet by one person is
never applied as another (item 14, server side)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from kvip.extensions import db
from kvip.visits import services
from kvip.visits.models import AppliedOperation, Observation
from tests.conftest import login
from tests.factories import World, standards_of
from tests.visits.conftest import add_to_team, create_reviewer, finding_of, op, put_finding


def _ops() -> int:
    return db.session.scalar(sa.select(sa.func.count(AppliedOperation.id))) or 0


def test_a_reused_op_id_with_another_body_or_target_is_refused_and_saves_nothing(
    app: Flask, world: World
) -> None:
    client = login(app.test_client(), world.users["reviewer"])
    stds = standards_of(world.edition)
    code, other = stds[1].code, stds[2].code
    shared = op()
    first = put_finding(client, world.visit, code, value="met", comment="Sett", op_id=shared)
    assert first.status_code == 200
    # The same op_id with a different body (a later edit of the same standard) …
    changed = put_finding(
        client, world.visit, code, value="not_met", comment="Sett", version=1, op_id=shared
    )
    assert changed.status_code == 422, changed.json
    assert changed.json["error"]["code"] == "op_id_reused"
    assert "op_id" in changed.json["error"]["fields"]
    # … or to another standard, is refused, not answered with the first answer.
    elsewhere = put_finding(client, world.visit, other, value="met", op_id=shared)
    assert elsewhere.status_code == 422 and elsewhere.json["error"]["code"] == "op_id_reused"
    found = finding_of(world, code)
    assert found is not None and (found.value, found.version) == ("met", 1)
    assert finding_of(world, other) is None
    # The same op_id with the same body and target is still answered as the first time.
    again = put_finding(client, world.visit, code, value="met", comment="Sett", op_id=shared)
    assert again.status_code == 200 and again.json == first.json
    assert _ops() == 1


def test_a_reused_op_id_for_a_closed_visit_is_refused_not_answered_200(
    app: Flask, world: World
) -> None:
    lead_user = world.users["reviewer"]
    lead = login(app.test_client(), lead_user)
    stds = standards_of(world.edition)
    shared = op()
    assert put_finding(lead, world.visit, stds[1].code, op_id=shared).status_code == 200
    for std in stds[2:]:
        assert put_finding(lead, world.visit, std.code).status_code == 200
    services.complete_visit(lead_user, world.visit)
    from kvip.visits import reports

    reports.share_report(lead_user, world.report)
    world.report.shared_at -= timedelta(days=15)  # the unit's comment period has passed
    reports.finalise_report(lead_user, world.report)
    late = put_finding(lead, world.visit, stds[1].code, value="not_met", version=1, op_id=shared)
    assert late.status_code == 422 and late.json["error"]["code"] == "op_id_reused"
    found = finding_of(world, stds[1].code)
    assert found is not None and found.value == "met"


def test_observation_ops_are_bound_to_their_change(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["reviewer"])
    url = f"/api/v1/visits/{world.visit.id}/observations/tablet-obs-0042"
    body = {"kind": "good_practice", "text": "Faste kontaktpersoner", "version": 0, "op_id": op()}
    first = client.put(url, json=body)
    assert first.status_code == 200
    other_text = client.put(url, json={**body, "text": "Noe annet", "version": 1})
    assert other_text.status_code == 422 and other_text.json["error"]["code"] == "op_id_reused"
    other_key = client.put(
        f"/api/v1/visits/{world.visit.id}/observations/tablet-obs-0043", json=body
    )
    assert other_key.status_code == 422 and other_key.json["error"]["code"] == "op_id_reused"
    # A delete under an op_id that created the observation is another change too.
    delete = client.delete(url, json={"version": 1, "op_id": body["op_id"]})
    assert delete.status_code == 422 and delete.json["error"]["code"] == "op_id_reused"
    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(Observation).where(Observation.client_id.like("tablet-obs-004%"))
    ).all()
    assert [(o.client_id, o.text, o.version) for o in rows] == [
        ("tablet-obs-0042", "Faste kontaktpersoner", 1)
    ]
    assert client.put(url, json=body).json == first.json


def test_a_change_made_by_someone_else_is_never_applied_as_the_caller(
    app: Flask, world: World
) -> None:
    peer = create_reviewer(world, world.inst_b, name="Petter Fagfelle")
    add_to_team(world.visit, peer)
    db.session.commit()
    lead_user = world.users["reviewer"]
    code = standards_of(world.edition)[3].code
    # A change queued on the tablet by the lead, sent while the peer is signed in.
    as_peer = login(app.test_client(), peer)
    sent = put_finding(as_peer, world.visit, code, value="not_met", author_id=lead_user.id)
    assert sent.status_code == 403 and sent.json["error"]["code"] == "wrong_author"
    assert "author_id" in sent.json["error"]["fields"]
    url = f"/api/v1/visits/{world.visit.id}/observations/tablet-obs-0077"
    observation = {"kind": "improvement", "text": "Lenas notat", "version": 0, "op_id": op()}
    refused = as_peer.put(url, json={**observation, "author_id": lead_user.id})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "wrong_author"
    gone = as_peer.delete(
        f"/api/v1/visits/{world.visit.id}/observations/id-{world.observation.id}",
        json={"version": 1, "op_id": op(), "author_id": lead_user.id},
    )
    assert gone.status_code == 403
    assert finding_of(world, code) is None
    assert db.session.get(Observation, world.observation.id) is not None
    assert _ops() == 0
    # Malformed author ids are refused as input errors.
    for bad in ("1", True, 1.5):
        response = put_finding(as_peer, world.visit, code, author_id=bad)
        assert response.status_code == 422 and "author_id" in response.json["error"]["fields"]
    # The author themselves sends it: applied, once.
    as_lead = login(app.test_client(), lead_user)
    mine = put_finding(as_lead, world.visit, code, value="not_met", author_id=lead_user.id)
    assert mine.status_code == 200
    found = finding_of(world, code)
    assert found is not None and found.updated_by_id == lead_user.id


def test_openapi_documents_op_id_reuse_and_the_author(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["reviewer"])
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path, method in (
        ("/visits/{visit_id}/findings/{code}", "put"),
        ("/visits/{visit_id}/observations/{key}", "put"),
        ("/visits/{visit_id}/observations/{key}", "delete"),
        ("/visits/{visit_id}/verifications/{action_id}", "put"),
    ):
        spec = paths[path][method]
        body = spec["requestBody"]["content"]["application/json"]["schema"]
        assert "author_id" in body["properties"], path
        assert "op_id_reused" in spec["responses"]["422"]["description"], path
        assert "wrong_author" in spec["responses"]["403"]["description"], path

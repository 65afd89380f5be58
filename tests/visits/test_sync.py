"""The offline-safe writes: findings and observations by version and op_id, the visit pack."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from kvip.core.models import AuditEvent
from kvip.extensions import db
from kvip.visits import services
from kvip.visits.models import AppliedOperation, Observation
from tests.conftest import login
from tests.factories import World, standards_of
from tests.visits.conftest import add_to_team, create_reviewer, finding_of, op, put_finding


def _audit_count(entity: str, entity_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.entity == entity, AuditEvent.entity_id == entity_id
            )
        )
        or 0
    )


def test_a_replayed_op_id_is_answered_as_the_first_time_and_applied_once(
    app: Flask, world: World
) -> None:
    client = login(app.test_client(), world.users["reviewer"])
    code = standards_of(world.edition)[1].code
    body = {"value": "partly_met", "comment": "Mangler rutine", "version": 0, "op_id": op()}
    first = client.put(f"/api/v1/visits/{world.visit.id}/findings/{code}", json=body)
    assert first.status_code == 200
    assert first.json["finding"]["version"] == 1 and first.json["finding"]["value"] == "partly_met"
    for _ in range(3):
        again = client.put(f"/api/v1/visits/{world.visit.id}/findings/{code}", json=body)
        assert again.status_code == 200 and again.json == first.json
    finding = finding_of(world, code)
    assert finding is not None and finding.version == 1 and finding.comment == "Mangler rutine"
    assert _audit_count("finding", finding.id) == 2  # value + comment of the one create
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AppliedOperation.id)).where(
                AppliedOperation.op_id == body["op_id"]
            )
        )
        == 1
    )
    # The replay wins even after later changes: it is the answer the tablet never got.
    second = put_finding(client, world.visit, code, value="met", version=1)
    assert second.status_code == 200 and second.json["finding"]["version"] == 2
    replay = client.put(f"/api/v1/visits/{world.visit.id}/findings/{code}", json=body)
    assert replay.json["finding"]["version"] == 1
    assert finding_of(world, code).value == "met"  # type: ignore[union-attr]


def test_a_stale_version_gets_409_with_the_current_state_and_changes_nothing(
    app: Flask, world: World
) -> None:
    client = login(app.test_client(), world.users["reviewer"])
    code = standards_of(world.edition)[0].code  # the world has a finding, version 1
    stale = put_finding(client, world.visit, code, value="not_met", comment="x", version=0)
    assert stale.status_code == 409
    error = stale.json["error"]
    assert error["code"] == "conflict"
    assert error["current"]["version"] == 1 and error["current"]["value"] == "met"
    finding = finding_of(world, code)
    assert finding is not None and finding.value == "met" and finding.version == 1
    assert _audit_count("finding", finding.id) == 0
    ahead = put_finding(client, world.visit, code, value="not_met", version=7)
    assert ahead.status_code == 409
    ok = put_finding(client, world.visit, code, value="not_met", version=1)
    assert ok.status_code == 200 and ok.json["finding"]["version"] == 2


def test_bad_input_is_422_unknown_standard_404_and_outsiders_403(app: Flask, world: World) -> None:
    reviewer = login(app.test_client(), world.users["reviewer"])
    code = standards_of(world.edition)[2].code
    bad_value = put_finding(reviewer, world.visit, code, value="excellent")
    assert bad_value.status_code == 422 and "value" in bad_value.json["error"]["fields"]
    no_op = put_finding(reviewer, world.visit, code, op_id="")
    assert no_op.status_code == 422 and "op_id" in no_op.json["error"]["fields"]
    bad_version = put_finding(reviewer, world.visit, code, version="one")
    assert bad_version.status_code == 422
    not_json = reviewer.put(f"/api/v1/visits/{world.visit.id}/findings/{code}", data="value=met")
    assert not_json.status_code == 400
    assert put_finding(reviewer, world.visit, "9.99").status_code == 404
    for role in ("coordinator", "admin", "lead", "member", "outsider"):
        client = login(app.test_client(), world.users[role])
        assert put_finding(client, world.visit, code).status_code == 403, role
    assert put_finding(reviewer, world.other_visit, code).status_code == 403
    assert finding_of(world, code) is None


def test_an_op_id_cannot_be_reused_by_someone_else(app: Flask, world: World) -> None:
    peer = create_reviewer(world, world.inst_b)
    add_to_team(world.visit, peer)
    db.session.commit()
    shared = op()
    code = standards_of(world.edition)[3].code
    mine = login(app.test_client(), world.users["reviewer"])
    assert put_finding(mine, world.visit, code, op_id=shared).status_code == 200
    theirs = login(app.test_client(), peer)
    response = put_finding(theirs, world.visit, code, op_id=shared, version=1)
    assert response.status_code == 422 and "op_id" in response.json["error"]["fields"]


def test_overwriting_another_members_rating_opens_a_conflict_the_lead_resolves(
    app: Flask, world: World
) -> None:
    peer = create_reviewer(world, world.inst_b, name="Petter Fagfelle")
    add_to_team(world.visit, peer)
    db.session.commit()
    code = standards_of(world.edition)[4].code
    lead = login(app.test_client(), world.users["reviewer"])
    other = login(app.test_client(), peer)
    assert put_finding(lead, world.visit, code, value="met").status_code == 200
    # The same member changing their own rating is no conflict.
    assert (
        put_finding(lead, world.visit, code, value="partly_met", version=1).json["finding"][
            "disputed"
        ]
        is False
    )
    changed = put_finding(other, world.visit, code, value="not_met", version=2)
    assert changed.json["finding"]["disputed"] is True
    page = lead.get(f"/visits/{world.visit.id}/consolidate").get_data(as_text=True)
    assert "konflikt" in page and "Petter Fagfelle" in page
    response = lead.post(
        f"/visits/{world.visit.id}/consolidate/{code}",
        data={"value": "partly_met", "comment": "Avklart i teamet", "version": "3"},
    )
    assert response.status_code == 302
    finding = finding_of(world, code)
    assert finding is not None
    assert finding.disputed is False and finding.value == "partly_met" and finding.version == 4
    # A stale form from the consolidation page is refused, nothing changes.
    lead.post(
        f"/visits/{world.visit.id}/consolidate/{code}",
        data={"value": "met", "comment": "", "version": "3"},
    )
    assert finding_of(world, code).value == "partly_met"  # type: ignore[union-attr]


def test_observations_are_idempotent_by_key_and_op_id(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["reviewer"])
    std = standards_of(world.edition)[0]
    url = f"/api/v1/visits/{world.visit.id}/observations/tablet-obs-0001"
    body = {
        "kind": "good_practice",
        "text": "Faste kontaktpersoner",
        "standards": [std.code],
        "version": 0,
        "op_id": op(),
    }
    first = client.put(url, json=body)
    assert first.status_code == 200
    observation = first.json["observation"]
    assert observation["version"] == 1 and observation["domain"] == "1"
    assert observation["standards"] == [std.code]
    assert client.put(url, json=body).json == first.json
    # The same key created again by another op (a second tablet): 409, one row.
    again = client.put(url, json={**body, "op_id": op()})
    assert again.status_code == 409 and again.json["error"]["current"]["version"] == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Observation.id)).where(
                Observation.client_id == "tablet-obs-0001"
            )
        )
        == 1
    )
    changed = client.put(url, json={**body, "kind": "recommendation", "version": 1, "op_id": op()})
    assert changed.status_code == 200 and changed.json["observation"]["kind"] == "recommendation"
    for bad, field in (
        ({"kind": "praise"}, "kind"),
        ({"text": "  "}, "text"),
        ({"standards": ["9.9"]}, "standards"),
        ({"domain": "42"}, "domain"),
    ):
        response = client.put(url, json={**body, **bad, "version": 2, "op_id": op()})
        assert response.status_code == 422 and field in response.json["error"]["fields"]
    delete = {"version": 2, "op_id": op()}
    gone = client.delete(url, json=delete)
    assert gone.status_code == 200 and gone.json["deleted"] is True
    assert client.delete(url, json=delete).json == gone.json
    assert client.delete(url, json={"version": 2, "op_id": op()}).status_code == 404
    # A server-made observation is addressed as id-<n>.
    server_made = f"/api/v1/visits/{world.visit.id}/observations/id-{world.observation.id}"
    edit = client.put(
        server_made,
        json={"kind": "improvement", "text": "Skriftlige rutiner", "version": 1, "op_id": op()},
    )
    assert (
        edit.status_code == 200 and edit.json["observation"]["key"] == f"id-{world.observation.id}"
    )


def test_after_completion_only_the_lead_corrects_until_the_report_is_final(
    app: Flask, world: World
) -> None:
    from kvip.visits import reports

    peer = create_reviewer(world, world.inst_b)
    add_to_team(world.visit, peer)
    db.session.commit()
    lead_user = world.users["reviewer"]
    lead = login(app.test_client(), lead_user)
    stds = standards_of(world.edition)
    for std in stds[1:]:
        assert put_finding(lead, world.visit, std.code).status_code == 200
    services.complete_visit(lead_user, world.visit)
    code = stds[1].code
    peer_client = login(app.test_client(), peer)
    closed = put_finding(peer_client, world.visit, code, value="not_met", version=1)
    assert closed.status_code == 422 and closed.json["error"]["code"] == "visit_closed"
    assert put_finding(lead, world.visit, code, value="partly_met", version=1).status_code == 200
    report = world.report
    reports.share_report(lead_user, report)
    report.shared_at -= timedelta(days=15)  # the unit's comment period has passed
    reports.finalise_report(lead_user, report)
    final = put_finding(lead, world.visit, code, value="met", version=2)
    assert final.status_code == 422


def test_the_visit_pack_has_every_standard_with_self_rating_and_finding_version(
    app: Flask, world: World
) -> None:
    client = login(app.test_client(), world.users["reviewer"])
    response = client.get(f"/api/v1/visits/{world.visit.id}")
    assert response.status_code == 200
    pack = response.json
    codes = [s["code"] for d in pack["domains"] for s in d["standards"]]
    assert codes == [s.code for s in standards_of(world.edition)]
    first = pack["domains"][0]["standards"][0]
    assert first["self"]["value"] == "met"
    assert first["finding"]["value"] == "met" and first["finding"]["version"] == 1
    assert pack["domains"][0]["standards"][1]["finding"]["version"] == 0
    assert pack["unit"]["name"] == "Enhet Alfa" and pack["writable"] is True
    assert pack["me"]["role"] == "lead_reviewer"
    assert [o["key"] for o in pack["observations"]] == [f"id-{world.observation.id}"]
    coordinator = login(app.test_client(), world.users["coordinator"])
    assert coordinator.get(f"/api/v1/visits/{world.visit.id}").json["writable"] is False


def test_visit_lists_follow_the_callers_role(app: Flask, world: World) -> None:
    def ids(role: str) -> list[int]:
        client = login(app.test_client(), world.users[role])
        return [v["id"] for v in client.get("/api/v1/visits").json["visits"]]

    assert ids("reviewer") == [world.visit.id]
    assert sorted(ids("coordinator")) == sorted([world.visit.id, world.other_visit.id])
    assert ids("outsider") == [] and ids("member") == []
    client = login(app.test_client(), world.users["coordinator"])
    page = client.get("/api/v1/visits?limit=1").json
    assert len(page["visits"]) == 1 and page["next_offset"] == 1


def test_openapi_documents_the_visit_endpoints(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["reviewer"])
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    assert "get" in paths["/visits"] and "get" in paths["/visits/{visit_id}"]
    put = paths["/visits/{visit_id}/findings/{code}"]["put"]
    assert {"200", "403", "409", "422"} <= set(put["responses"])
    assert {"put", "delete"} <= set(paths["/visits/{visit_id}/observations/{key}"])
    assert "VisitPack" in spec["components"]["schemas"]

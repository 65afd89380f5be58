"""The visit team verifies actions through the API the visit mode's outbox uses (issue 12 item
13): the plain form's rules, idempotent by op_id, bound to the author, 409 on a stale version."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from kvip.actions import services
from kvip.actions.models import Action
from kvip.core.models import AuditEvent
from kvip.extensions import db
from kvip.visits.models import AppliedOperation
from tests.actions.helpers import Previous
from tests.conftest import login
from tests.factories import World

SOON = (date.today() + timedelta(days=30)).isoformat()
_ops = iter(range(1, 10**6))


def _op() -> str:
    return f"verify-op-{next(_ops):06d}"


def _done_action(world: World, prev: Previous, title: str = "Ferdig tiltak") -> Action:
    action = services.create_action(
        world.users["lead"], prev.assessment, {"title": title, "responsible": "R", "deadline": SOON}
    )
    services.change_status(world.users["lead"], action, "in_progress")
    services.change_status(world.users["lead"], action, "done")
    return action


def _put(client: Any, world: World, action: Action, **body: Any) -> Any:
    payload = {"outcome": "verified", "comment": "", "op_id": _op()}
    payload.update(body)
    return client.put(f"/api/v1/visits/{world.visit.id}/verifications/{action.id}", json=payload)


def _verify_events(action: Action) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.entity == "action",
                AuditEvent.entity_id == action.id,
                AuditEvent.field == "verification_outcome",
            )
        )
        or 0
    )


def test_the_team_verifies_once_per_op_and_a_stale_version_is_a_conflict(
    app: Flask, world: World, prev: Previous
) -> None:
    action = _done_action(world, prev)
    reviewer = world.users["reviewer"]
    client = login(app.test_client(), reviewer)
    body = {
        "outcome": "verified",
        "comment": "Sett i journal",
        "version": action.version,
        "op_id": _op(),
        "author_id": reviewer.id,
    }
    first = _put(client, world, action, **body)
    assert first.status_code == 200, first.json
    answer = first.json["verification"]
    assert answer["status"] == "verified" and answer["outcome"] == "verified"
    assert answer["comment"] == "Sett i journal" and answer["version"] == body["version"] + 1
    assert answer["verified_by"] == {"id": reviewer.id, "name": reviewer.name}
    for _ in range(2):  # the tablet never got the answer and sends again
        assert _put(client, world, action, **body).json == first.json
    db.session.expire_all()
    assert _verify_events(action) == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AppliedOperation.id)).where(
                AppliedOperation.op_id == body["op_id"]
            )
        )
        == 1
    )
    # The same op_id with another verdict is refused.
    reused = _put(client, world, action, **{**body, "outcome": "not_verified", "comment": "x"})
    assert reused.status_code == 422 and reused.json["error"]["code"] == "op_id_reused"
    # A stale version (the unit or another team member changed it): 409 with the current state.
    stale = _put(
        client, world, action, outcome="not_verified", comment="Mangler", version=body["version"]
    )
    assert stale.status_code == 409
    assert stale.json["error"]["current"]["version"] == answer["version"]
    assert stale.json["error"]["current"]["outcome"] == "verified"
    db.session.expire_all()
    assert db.session.get(Action, action.id).status == "verified"  # type: ignore[union-attr]
    # With the current version the verdict changes (a verified action returns to done).
    again = _put(
        client, world, action, outcome="not_verified", comment="Mangler", version=answer["version"]
    )
    assert again.status_code == 200 and again.json["verification"]["status"] == "done"


def test_verification_keeps_the_forms_rules(app: Flask, world: World, prev: Previous) -> None:
    action = _done_action(world, prev)
    planned = services.create_action(world.users["lead"], prev.assessment, {"title": "Planlagt"})
    reviewer = login(app.test_client(), world.users["reviewer"])
    missing = _put(reviewer, world, action, outcome="not_verified", comment=" ")
    assert missing.status_code == 422 and "comment" in missing.json["error"]["fields"]
    wrong = _put(reviewer, world, action, outcome="maybe")
    assert wrong.status_code == 422 and "outcome" in wrong.json["error"]["fields"]
    not_done = _put(reviewer, world, planned)
    assert not_done.status_code == 409
    assert not_done.json["error"]["current"]["status"] == "planned"
    # Only a later visit's team: not the unit, not the coordinator, not an outsider.
    for role in ("lead", "member", "coordinator", "outsider", "admin"):
        client = login(app.test_client(), world.users[role])
        assert _put(client, world, action).status_code in (403, 404), role
    # Someone else's change queued on the tablet is not applied as the reviewer's.
    foreign = _put(reviewer, world, action, author_id=world.users["lead"].id)
    assert foreign.status_code == 403 and foreign.json["error"]["code"] == "wrong_author"
    assert (
        reviewer.put(
            f"/api/v1/visits/{world.visit.id}/verifications/999999",
            json={"outcome": "verified", "op_id": _op()},
        ).status_code
        == 404
    )
    db.session.expire_all()
    fresh = db.session.get(Action, action.id)
    assert fresh is not None and fresh.status == "done" and fresh.verification_outcome is None
    assert _verify_events(action) == 0

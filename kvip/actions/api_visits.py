"""API: the visit team verifies actions of the unit's previous plan from the visit mode's
outbox (``PUT /api/v1/visits/<id>/verifications/<action_id>``), offline-safe like findings."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_login import current_user

from kvip.actions import verification
from kvip.actions.models import ActionStatus
from kvip.api import bp, json_body
from kvip.api.spec import (
    DATETIME,
    ID,
    INTEGER,
    STRING,
    enum,
    error_schema,
    nullable,
    obj,
    operation,
    path_id,
    schema,
)
from kvip.visits.api import AUTHOR_ID_SCHEMA, OP_ID_SCHEMA, visit_or_404


@bp.put("/visits/<int:visit_id>/verifications/<int:action_id>")
def visit_verification_put(visit_id: int, action_id: int) -> Any:
    visit = visit_or_404(visit_id)
    data = json_body()  # the service checks "actions.verify" first
    body = verification.record_verification(
        current_user,
        visit,
        action_id,
        outcome=data.get("outcome"),
        comment=data.get("comment", ""),
        version=data.get("version"),
        op_id=data.get("op_id"),
        author_id=data.get("author_id"),
    )
    return jsonify(body)


_OUTCOME = enum(["verified", "not_verified"])
_VERIFICATION = schema(
    "Verification",
    obj(
        {
            "action_id": ID,
            "status": enum(ActionStatus),
            "outcome": nullable(_OUTCOME),
            "comment": STRING,
            "version": {**INTEGER, "minimum": 1},
            "verified_at": nullable(DATETIME),
            "verified_by": nullable(obj({"id": ID, "name": STRING})),
        },
        description="The visit team's verdict on an action of the unit's previous plan.",
    ),
)
operation(
    "/visits/{id}/verifications/{action_id}",
    "put",
    summary="Verify an action of the unit's previous plan (the visit's team)",
    description="`verified` moves a done action to verified; `not_verified` needs a comment "
    "and keeps the status (a verified action returns to done). `version` (optional) is the "
    "action's version the tablet saw: another answers 409 with `error.current`, and so does an "
    "action that cannot be verified now (not done, dropped). `op_id` and `author_id` work as "
    "for findings.",
    tags=["visits", "actions"],
    parameters=[
        path_id(what="The visit (of a later cycle, with the caller on its team)"),
        path_id("action_id", "An action of the visited unit's earlier plan"),
    ],
    body=obj(
        {
            "outcome": _OUTCOME,
            "comment": nullable({**STRING, "description": "Required for not_verified"}),
            "version": nullable({**INTEGER, "minimum": 1}),
            "op_id": OP_ID_SCHEMA,
            "author_id": AUTHOR_ID_SCHEMA,
        },
        optional=["comment", "version", "author_id"],
        open_ended=True,
    ),
    response=obj({"verification": _VERIFICATION, "op_id": STRING}),
    response_description="Recorded (or the replay of an op applied before)",
    errors={
        403: "Not on the team of a later visit to the action's unit, or author_id names "
        "someone else (code wrong_author): nothing saved",
        404: "No such visit or action",
        409: (
            "Stale version, or the action cannot be verified now: error.current is the "
            "server's state",
            error_schema(_VERIFICATION),
        ),
        422: "Invalid input (error.fields names each field; not_verified needs a comment), or "
        "the op_id was already used for a different change (code op_id_reused)",
    },
)

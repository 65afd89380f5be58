"""API: the visit team verifies actions of the unit's previous plan from the visit mode's
outbox (``PUT /api/v1/visits/<id>/verifications/<action_id>``), offline-safe like findings."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from marshmallow import fields, validate

from kvip.actions import verification
from kvip.actions.models import ActionStatus
from kvip.core.api import (
    Id,
    IsoDateTime,
    OneOf,
    OpenBodySchema,
    OutSchema,
    StrictInt,
    UserRefSchema,
    bp,
    conflict_schema,
    errors,
)
from kvip.visits.api import AuthorId, OpId, visit_or_404

_OUTCOMES = ["verified", "not_verified"]


class VerificationSchema(OutSchema):
    """The visit team's verdict on an action of the unit's previous plan."""

    action_id = Id()
    status = OneOf(ActionStatus)
    outcome = OneOf(_OUTCOMES, allow_none=True)
    comment = fields.String()
    version = fields.Integer(validate=validate.Range(min=1))
    verified_at = IsoDateTime(allow_none=True)
    verified_by = fields.Nested(UserRefSchema, allow_none=True)


class VerificationUpdateSchema(OpenBodySchema):
    INLINE = True  # the offline writes' bodies are written out at their operation

    outcome = OneOf(_OUTCOMES, required=True)
    comment = fields.String(allow_none=True, metadata={"description": "Required for not_verified"})
    version = StrictInt(allow_none=True, validate=validate.Range(min=1))
    op_id = OpId()
    author_id = AuthorId()


class VerificationAnswerSchema(OutSchema):
    verification = fields.Nested(VerificationSchema)
    op_id = fields.String()


@bp.put("/visits/<int:visit_id>/verifications/<int:action_id>")
@bp.arguments(VerificationUpdateSchema)
@bp.response(
    200, VerificationAnswerSchema, description="Recorded (or the replay of an op applied before)"
)
@errors(
    {
        403: "Not on the team of a later visit to the action's unit, or author_id names "
        "someone else (code wrong_author): nothing saved",
        404: "No such visit or action",
        409: (
            "Stale version, or the action cannot be verified now: error.current is the "
            "server's state",
            conflict_schema("Verification", VerificationSchema),
        ),
        422: "Invalid input (error.fields names each field; not_verified needs a comment), or "
        "the op_id was already used for a different change (code op_id_reused)",
    }
)
def visit_verification_put(data: dict[str, Any], visit_id: int, action_id: int) -> Any:
    """Verify an action of the unit's previous plan (the visit's team)

    `verified` moves a done action to verified; `not_verified` needs a comment and keeps the
    status (a verified action returns to done). `version` (optional) is the action's version
    the tablet saw: another answers 409 with `error.current`, and so does an action that cannot
    be verified now (not done, dropped). `op_id` and `author_id` work as for findings.
    """
    visit = visit_or_404(visit_id)  # the service checks "actions.verify" first
    return verification.record_verification(
        current_user,
        visit,
        action_id,
        outcome=data.get("outcome"),
        comment=data.get("comment", ""),
        version=data.get("version"),
        op_id=data.get("op_id"),
        author_id=data.get("author_id"),
    )

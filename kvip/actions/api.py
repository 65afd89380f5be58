"""API: an assessment's actions (list, create, update) and its GAP analysis (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import fields, validate

from kvip.actions import gap, queries, services
from kvip.actions.models import Action, ActionStatus, PdsaStage, Risk
from kvip.core.api import (
    BodySchema,
    Count,
    Id,
    IsoDate,
    IsoDateTime,
    OneOf,
    OutSchema,
    StrictInt,
    bp,
    conflict_schema,
    errors,
)
from kvip.core.db import iso
from kvip.core.errors import ServiceError
from kvip.core.permissions import require
from kvip.core.versioning import EditConflict
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.standards.duties import DUTY_CODES

WRITABLE = (
    "title",
    "description",
    "responsible",
    "deadline",
    "risk",
    "pdsa_stage",
    "success_measure",
    "standards",
    "duties",
)

# --- schemas --------------------------------------------------------------------------------


class ActionSourceSchema(OutSchema):
    kind = OneOf(services.SOURCE_KINDS)
    id = Id(allow_none=True)


class VerificationOutcomeSchema(OutSchema):
    outcome = OneOf(["verified", "not_verified"], allow_none=True)
    comment = fields.String()
    at = IsoDateTime(allow_none=True)


class ActionSchema(OutSchema):
    id = Id()
    assessment_id = Id()
    title = fields.String()
    description = fields.String()
    responsible = fields.String()
    deadline = IsoDate(allow_none=True)
    status = OneOf(ActionStatus)
    overdue = fields.Boolean()
    dropped_reason = fields.String()
    risk = OneOf(Risk)
    pdsa_stage = OneOf(PdsaStage)
    success_measure = fields.String()
    standards = fields.List(fields.String())
    duties = fields.List(OneOf(DUTY_CODES))
    source = fields.Nested(ActionSourceSchema)
    done_at = IsoDateTime(allow_none=True)
    verification = fields.Nested(VerificationOutcomeSchema)
    version = fields.Integer(validate=validate.Range(min=1))
    created_at = IsoDateTime()
    updated_at = IsoDateTime()


class ActionPlanSchema(OutSchema):
    assessment_id = Id()
    plan_due = IsoDate(allow_none=True)
    actions = fields.List(fields.Nested(ActionSchema))


class _DeadlineField(fields.String):
    """YYYY-MM-DD or "" (no deadline); the service checks the date itself."""


def _checked_by_service(**schema: Any) -> dict[str, Any]:
    """Documentation of a rule the service checks (with its own message, every field at
    once): the schema checks only the type."""
    return {"metadata": schema}


class NewActionSchema(BodySchema):
    """Types are checked here; the limits and codes by :func:`services.create_action`, which
    names every field that is wrong in one answer."""

    title = fields.String(
        required=True,
        **_checked_by_service(pattern="\\S", maxLength=services.TITLE_MAX),
    )
    description = fields.String(allow_none=True, **_checked_by_service(maxLength=services.TEXT_MAX))
    responsible = fields.String(
        allow_none=True, **_checked_by_service(maxLength=services.RESPONSIBLE_MAX)
    )
    deadline = fields.String(
        allow_none=True,
        **_checked_by_service(
            anyOf=[{"type": "string", "format": "date"}, {"type": "string", "enum": [""]}],
            description="YYYY-MM-DD, today or later, within five years; empty: none",
        ),
    )
    risk = fields.String(
        allow_none=True,
        **_checked_by_service(
            enum=[*(r.value for r in Risk), "", None], description="empty: medium"
        ),
    )
    pdsa_stage = fields.String(
        allow_none=True,
        **_checked_by_service(
            enum=[*(p.value for p in PdsaStage), "", None], description="empty: plan"
        ),
    )
    success_measure = fields.String(
        allow_none=True, **_checked_by_service(maxLength=services.TEXT_MAX)
    )
    standards = fields.List(
        fields.String(),
        allow_none=True,
        metadata={"description": "standard codes of the edition, e.g. 7.3"},
    )
    duties = fields.List(
        fields.String(), allow_none=True, metadata={"description": "duty codes 6a…9c"}
    )


class ActionUpdateSchema(NewActionSchema):
    """Fields left out keep their value; the status moves on the action's page."""

    title = fields.String(**_checked_by_service(pattern="\\S", maxLength=services.TITLE_MAX))
    version = StrictInt(
        required=True,
        validate=validate.Range(min=1),
        metadata={"description": "The action's version the change is based on"},
    )


class GapOverrideSchema(OutSchema):
    status = OneOf(gap.OVERRIDE_STATUSES, allow_none=True)
    risk = OneOf(Risk, allow_none=True)
    reason = fields.String()


class GapActionSchema(OutSchema):
    id = Id()
    title = fields.String()
    status = OneOf(ActionStatus)
    deadline = IsoDate(allow_none=True)
    responsible = fields.String()
    assessment_id = Id()


class GapDutySchema(OutSchema):
    duty = OneOf(DUTY_CODES)
    section = OneOf(["6", "7", "8", "9"])
    title = fields.String()
    status = OneOf(gap.STATUSES, metadata={"description": "the unit's override where it set one"})
    derived_status = OneOf(gap.STATUSES)
    risk = OneOf(Risk, allow_none=True)
    derived_risk = OneOf(Risk, allow_none=True)
    score = fields.Float(allow_none=True, validate=validate.Range(0, 100))
    score_shown = fields.Integer(
        allow_none=True,
        validate=validate.Range(0, 100),
        metadata={
            "description": "The score as the page and PDF show it (a whole number, halves "
            "rounded up); the derived status follows this number."
        },
    )
    standards = fields.List(fields.String())
    type1_not_met = fields.List(fields.String())
    applicable = Count()
    override = fields.Nested(GapOverrideSchema, allow_none=True)
    actions = fields.List(fields.Nested(GapActionSchema))
    deadline = IsoDate(allow_none=True)
    responsible = fields.List(fields.String())


class GapThresholdsSchema(OutSchema):
    in_place = fields.Float()
    partly = fields.Float()


class GapSchema(OutSchema):
    assessment_id = Id()
    source = OneOf(["peer", "self"])
    thresholds = fields.Nested(GapThresholdsSchema)
    duties = fields.List(
        fields.Nested(GapDutySchema),
        validate=validate.Length(len(DUTY_CODES), len(DUTY_CODES)),
    )


_NOT_FOUND = {404: "No such assessment"}


# --- routes ---------------------------------------------------------------------------------


def action_json(action: Action) -> dict[str, Any]:
    return {
        "id": action.id,
        "assessment_id": action.assessment_id,
        "title": action.title,
        "description": action.description,
        "responsible": action.responsible,
        "deadline": iso(action.deadline),
        "status": action.status,
        "overdue": queries.is_overdue(action),
        "dropped_reason": action.dropped_reason,
        "risk": action.risk,
        "pdsa_stage": action.pdsa_stage,
        "success_measure": action.success_measure,
        "standards": [s.code for s in action.standards],
        "duties": action.duties,
        "source": {"kind": action.source_kind, "id": action.source_id},
        "done_at": iso(action.done_at),
        "verification": {
            "outcome": action.verification_outcome,
            "comment": action.verification_comment,
            "at": iso(action.verified_at),
        },
        "version": action.version,
        "created_at": iso(action.created_at),
        "updated_at": iso(action.updated_at),
    }


def _assessment(assessment_id: int, permission: str) -> Assessment:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise ServiceError(_("No such assessment."), status=404, code="not_found")
    require(current_user, permission, assessment)
    return assessment


@bp.get("/assessments/<int:assessment_id>/actions")
@bp.response(
    200,
    ActionPlanSchema,
    description="The actions and the plan's due date (6 weeks after the final report)",
)
@errors({403: "Not the caller's to read", **_NOT_FOUND})
def actions_list(assessment_id: int) -> Any:
    """The assessment's action plan"""
    assessment = _assessment(assessment_id, "actions.read")
    due = queries.plan_due(assessment.id)
    return {
        "assessment_id": assessment.id,
        "plan_due": iso(due),
        "actions": [action_json(a) for a in queries.actions_of(assessment.id)],
    }


def _service_data(body: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in body.items() if k not in ("standards", "duties", "version")}
    data["standard_codes"] = body.get("standards") or []
    data["duties"] = body.get("duties") or []
    return data


@bp.post("/assessments/<int:assessment_id>/actions")
@bp.arguments(NewActionSchema)
@bp.response(
    201,
    ActionSchema,
    description="Created",
    headers={
        "Location": {
            "description": "The action's page",
            "schema": {"type": "string"},
            "required": True,
        }
    },
)
@errors(
    {
        403: "Not the caller's unit",
        **_NOT_FOUND,
        422: "Invalid fields (unknown ones too), each named in error.fields",
    }
)
def actions_create(body: dict[str, Any], assessment_id: int) -> Any:
    """Add an action to the plan (unit lead and members)"""
    assessment = _assessment(assessment_id, "actions.edit")
    action = services.create_action(current_user, assessment, _service_data(body))
    headers = {"Location": url_for("actions.edit_action", action_id=action.id)}
    return action_json(action), 201, headers


def _current_values(action: Action) -> dict[str, Any]:
    return {
        "title": action.title,
        "description": action.description,
        "responsible": action.responsible,
        "deadline": iso(action.deadline) or "",
        "risk": action.risk,
        "pdsa_stage": action.pdsa_stage,
        "success_measure": action.success_measure,
        "standards": [s.code for s in action.standards],
        "duties": list(action.duties),
    }


@bp.put("/actions/<int:action_id>")
@bp.arguments(ActionUpdateSchema)
@bp.response(200, ActionSchema, description="Saved (or nothing to change)")
@errors(
    {
        403: "Not the caller's unit",
        404: "No such action",
        409: (
            "Stale version (code conflict; error.current is the action as stored now), or the "
            "action is verified or dropped (no error.current)",
            conflict_schema("Action", ActionSchema),
        ),
        422: "Invalid fields (unknown ones too), each named in error.fields",
    }
)
def action_update(body: dict[str, Any], action_id: int) -> Any:
    """Change an action's fields (optimistic locking by version)

    Send the version the change is based on; a stale one answers 409 with the action as it
    is now in error.current and changes nothing.
    """
    action = db.session.get(Action, action_id)
    if action is None:
        raise ServiceError(_("No such action."), status=404, code="not_found")
    data = {**_current_values(action), **body}
    try:
        saved = services.update_action(
            current_user, action, _service_data(data), version=body["version"]
        )
    except EditConflict as exc:
        db.session.rollback()
        fresh = db.session.get(Action, action_id)
        if fresh is not None:
            exc.payload = {"current": action_json(fresh)}
        raise
    return action_json(saved)


@bp.get("/assessments/<int:assessment_id>/gap")
@bp.response(200, GapSchema, description="21 duties in regulation order")
@errors({403: "Not the caller's to read", **_NOT_FOUND})
def actions_gap(assessment_id: int) -> Any:
    """GAP analysis: the 21 duties of §§ 6–9 with status, risk and actions

    Status from the score of the standards serving each duty, as shown (score_shown, a whole
    number with halves rounded up): in_place, partly or gap by the thresholds given; a type 1
    standard not met caps it at partly; no_data when none is rated; not_covered when no
    standard serves the duty. The unit's override wins.
    """
    assessment = _assessment(assessment_id, "actions.read")
    result = gap.gap_of(assessment)
    return {
        "assessment_id": assessment.id,
        "source": result.source,
        "thresholds": {"in_place": gap.IN_PLACE_FROM, "partly": gap.PARTLY_FROM},
        "duties": [gap.row_json(row) for row in result.rows],
    }


from kvip.actions import api_visits  # noqa: E402,F401  (the visit team's verification endpoint)

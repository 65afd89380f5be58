"""API: an assessment's actions (list, create) and its GAP analysis (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kvip.actions import gap, queries, services
from kvip.actions.models import Action, ActionStatus, PdsaStage, Risk
from kvip.api import bp, json_body
from kvip.api.spec import (
    BOOLEAN,
    COUNT,
    DATE,
    DATETIME,
    ID,
    INTEGER,
    STRING,
    array,
    enum,
    nullable,
    obj,
    operation,
    path_id,
    schema,
)
from kvip.core.db import iso
from kvip.core.errors import ServiceError
from kvip.core.permissions import require
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.standards.duties import DUTY_CODES

WRITABLE = {
    "title",
    "description",
    "responsible",
    "deadline",
    "risk",
    "pdsa_stage",
    "success_measure",
    "standards",
    "duties",
}


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
def actions_list(assessment_id: int) -> Any:
    assessment = _assessment(assessment_id, "actions.read")
    due = queries.plan_due(assessment.id)
    return jsonify(
        {
            "assessment_id": assessment.id,
            "plan_due": iso(due),
            "actions": [action_json(a) for a in queries.actions_of(assessment.id)],
        }
    )


@bp.post("/assessments/<int:assessment_id>/actions")
def actions_create(assessment_id: int) -> Any:
    assessment = _assessment(assessment_id, "actions.edit")
    body = json_body()
    errors: dict[str, str] = {}
    unknown = sorted(set(body) - WRITABLE)
    for name in unknown:
        errors[name] = _("Unknown field.")
    for name in ("standards", "duties"):
        value = body.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors[name] = _("Give a list of codes.")
    for name in WRITABLE - {"standards", "duties"}:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            errors[name] = _("Give a text value.")
    if errors:
        raise ServiceError(
            _("The action was not saved. Please correct the marked fields."), fields=errors
        )
    data = {k: v for k, v in body.items() if k not in ("standards", "duties")}
    data["standard_codes"] = body.get("standards", [])
    data["duties"] = body.get("duties", [])
    action = services.create_action(current_user, assessment, data)
    response = jsonify(action_json(action))
    response.status_code = 201
    response.headers["Location"] = url_for("actions.edit_action", action_id=action.id)
    return response


@bp.get("/assessments/<int:assessment_id>/gap")
def actions_gap(assessment_id: int) -> Any:
    assessment = _assessment(assessment_id, "actions.read")
    result = gap.gap_of(assessment)
    return jsonify(
        {
            "assessment_id": assessment.id,
            "source": result.source,
            "thresholds": {"in_place": gap.IN_PLACE_FROM, "partly": gap.PARTLY_FROM},
            "duties": [gap.row_json(row) for row in result.rows],
        }
    )


# --- OpenAPI ------------------------------------------------------------------------------

_ID = path_id("assessment_id", "The self-assessment")
_STATUS = enum(ActionStatus)
_RISK = enum(Risk)
_STAGE = enum(PdsaStage)
_ACTION = schema(
    "Action",
    obj(
        {
            "id": ID,
            "assessment_id": ID,
            "title": STRING,
            "description": STRING,
            "responsible": STRING,
            "deadline": nullable(DATE),
            "status": _STATUS,
            "overdue": BOOLEAN,
            "dropped_reason": STRING,
            "risk": _RISK,
            "pdsa_stage": _STAGE,
            "success_measure": STRING,
            "standards": array(STRING),
            "duties": array(enum(DUTY_CODES)),
            "source": obj({"kind": enum(services.SOURCE_KINDS), "id": nullable(ID)}),
            "done_at": nullable(DATETIME),
            "verification": obj(
                {
                    "outcome": nullable(enum(["verified", "not_verified"])),
                    "comment": STRING,
                    "at": nullable(DATETIME),
                }
            ),
            "version": {**INTEGER, "minimum": 1},
            "created_at": DATETIME,
            "updated_at": DATETIME,
        }
    ),
)


def _text(limit: int, description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = nullable({**STRING, "maxLength": limit})
    if description:
        schema["description"] = description
    return schema


_CODES = nullable(array(STRING))
_NEW_ACTION = schema(
    "NewAction",
    obj(
        {
            "title": {**STRING, "pattern": "\\S", "maxLength": services.TITLE_MAX},
            "description": _text(services.TEXT_MAX),
            "responsible": _text(services.RESPONSIBLE_MAX),
            "deadline": nullable(
                {
                    "anyOf": [DATE, {**STRING, "enum": [""]}],
                    "description": "YYYY-MM-DD, today or later, within five years; empty: none",
                }
            ),
            "risk": nullable(enum([*(r.value for r in Risk), ""], description="empty: medium")),
            "pdsa_stage": nullable(
                enum([*(p.value for p in PdsaStage), ""], description="empty: plan")
            ),
            "success_measure": _text(services.TEXT_MAX),
            "standards": {**_CODES, "description": "standard codes of the edition, e.g. 7.3"},
            "duties": {**_CODES, "description": "duty codes 6a…9c"},
        },
        optional=WRITABLE - {"title"},
    ),
)
_GAP_STATUS = enum(gap.STATUSES)
_GAP_DUTY = schema(
    "GapDuty",
    obj(
        {
            "duty": enum(DUTY_CODES),
            "section": enum(["6", "7", "8", "9"]),
            "title": STRING,
            "status": {**_GAP_STATUS, "description": "the unit's override where it set one"},
            "derived_status": _GAP_STATUS,
            "risk": nullable(_RISK),
            "derived_risk": nullable(_RISK),
            "score": {"type": "number", "minimum": 0, "maximum": 100, "nullable": True},
            "score_shown": {
                "type": "integer",
                "minimum": 0,
                "maximum": 100,
                "nullable": True,
                "description": "The score as the page and PDF show it (a whole number, halves "
                "rounded up); the derived status follows this number.",
            },
            "standards": array(STRING),
            "type1_not_met": array(STRING),
            "applicable": COUNT,
            "override": nullable(
                obj(
                    {
                        "status": nullable(enum(gap.OVERRIDE_STATUSES)),
                        "risk": nullable(_RISK),
                        "reason": STRING,
                    }
                )
            ),
            "actions": array(
                obj(
                    {
                        "id": ID,
                        "title": STRING,
                        "status": _STATUS,
                        "deadline": nullable(DATE),
                        "responsible": STRING,
                        "assessment_id": ID,
                    }
                )
            ),
            "deadline": nullable(DATE),
            "responsible": array(STRING),
        }
    ),
)
_NOT_FOUND = {404: "No such assessment"}
operation(
    "/assessments/{assessment_id}/actions",
    "get",
    summary="The assessment's action plan",
    tags=["actions"],
    parameters=[_ID],
    response=obj(
        {
            "assessment_id": ID,
            "plan_due": nullable(DATE),
            "actions": array(_ACTION),
        }
    ),
    response_description="The actions and the plan's due date (6 weeks after the final report)",
    errors={403: "Not the caller's to read", **_NOT_FOUND},
)
operation(
    "/assessments/{assessment_id}/actions",
    "post",
    summary="Add an action to the plan (unit lead and members)",
    tags=["actions"],
    parameters=[_ID],
    body=_NEW_ACTION,
    status=201,
    response=_ACTION,
    response_description="Created",
    response_headers={"Location": {**STRING, "description": "The action's page"}},
    errors={
        403: "Not the caller's unit",
        **_NOT_FOUND,
        422: "Invalid fields (unknown ones too), each named in error.fields",
    },
)
operation(
    "/assessments/{assessment_id}/gap",
    "get",
    summary="GAP analysis: the 21 duties of §§ 6–9 with status, risk and actions",
    description=(
        "Status from the score of the standards serving each duty, as shown (score_shown, a "
        f"whole number with halves rounded up): ≥ {gap.IN_PLACE_FROM} in_place, "
        f"{gap.PARTLY_FROM}–{gap.IN_PLACE_FROM - 1} partly, < {gap.PARTLY_FROM} gap; a type 1 "
        "standard not met caps it at partly; no_data when none is rated; not_covered when no "
        "standard serves the duty. The unit's override wins."
    ),
    tags=["actions"],
    parameters=[_ID],
    response=obj(
        {
            "assessment_id": ID,
            "source": enum(["peer", "self"]),
            "thresholds": obj({"in_place": {"type": "number"}, "partly": {"type": "number"}}),
            "duties": array(_GAP_DUTY, minItems=len(DUTY_CODES), maxItems=len(DUTY_CODES)),
        }
    ),
    response_description="21 duties in regulation order",
    errors={403: "Not the caller's to read", **_NOT_FOUND},
)


from kvip.actions import api_visits  # noqa: E402,F401  (the visit team's verification endpoint)

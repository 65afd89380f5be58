"""API: an assessment's actions (list, create) and its GAP analysis (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kvip.actions import gap, queries, services
from kvip.actions.models import Action
from kvip.api import bp, document, json_body, schema
from kvip.core.errors import ServiceError
from kvip.core.permissions import require
from kvip.cycles.models import Assessment
from kvip.extensions import db

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
        "deadline": action.deadline.isoformat() if action.deadline else None,
        "status": action.status,
        "overdue": queries.is_overdue(action),
        "dropped_reason": action.dropped_reason,
        "risk": action.risk,
        "pdsa_stage": action.pdsa_stage,
        "success_measure": action.success_measure,
        "standards": [s.code for s in action.standards],
        "duties": action.duties,
        "source": {"kind": action.source_kind, "id": action.source_id},
        "done_at": action.done_at.isoformat() if action.done_at else None,
        "verification": {
            "outcome": action.verification_outcome,
            "comment": action.verification_comment,
            "at": action.verified_at.isoformat() if action.verified_at else None,
        },
        "version": action.version,
        "created_at": action.created_at.isoformat(),
        "updated_at": action.updated_at.isoformat(),
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
            "plan_due": due.isoformat() if due else None,
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

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_ID = {"name": "assessment_id", "in": "path", "required": True, "schema": {"type": "integer"}}

schema(
    "Action",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "assessment_id": {"type": "integer"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "responsible": {"type": "string"},
            "deadline": {"type": "string", "format": "date", "nullable": True},
            "status": {
                "type": "string",
                "enum": ["planned", "in_progress", "done", "verified", "dropped"],
            },
            "overdue": {"type": "boolean"},
            "dropped_reason": {"type": "string"},
            "risk": {"type": "string", "enum": ["low", "medium", "high"]},
            "pdsa_stage": {"type": "string", "enum": ["plan", "do", "study", "act"]},
            "success_measure": {"type": "string"},
            "standards": {"type": "array", "items": {"type": "string"}},
            "duties": {"type": "array", "items": {"type": "string"}},
            "source": {"type": "object"},
            "done_at": {"type": "string", "format": "date-time", "nullable": True},
            "verification": {"type": "object"},
            "version": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
)
schema(
    "NewAction",
    {
        "type": "object",
        "required": ["title"],
        "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "maxLength": 200},
            "description": {"type": "string", "maxLength": 5000},
            "responsible": {"type": "string", "maxLength": 200},
            "deadline": {"type": "string", "format": "date", "description": "not in the past"},
            "risk": {"type": "string", "enum": ["low", "medium", "high"], "default": "medium"},
            "pdsa_stage": {
                "type": "string",
                "enum": ["plan", "do", "study", "act"],
                "default": "plan",
            },
            "success_measure": {"type": "string", "maxLength": 5000},
            "standards": {
                "type": "array",
                "items": {"type": "string"},
                "description": "standard codes of the cycle's edition, e.g. 7.3",
            },
            "duties": {
                "type": "array",
                "items": {"type": "string"},
                "description": "duty codes 6a…9c",
            },
        },
    },
)
schema(
    "GapDuty",
    {
        "type": "object",
        "properties": {
            "duty": {"type": "string"},
            "section": {"type": "string"},
            "title": {"type": "string"},
            "status": {
                "type": "string",
                "enum": ["in_place", "partly", "gap", "no_data", "not_covered"],
            },
            "derived_status": {"type": "string"},
            "risk": {"type": "string", "nullable": True},
            "derived_risk": {"type": "string", "nullable": True},
            "score": {"type": "number", "nullable": True},
            "standards": {"type": "array", "items": {"type": "string"}},
            "type1_not_met": {"type": "array", "items": {"type": "string"}},
            "applicable": {"type": "integer"},
            "override": {"type": "object", "nullable": True},
            "actions": {"type": "array", "items": {"type": "object"}},
            "deadline": {"type": "string", "format": "date", "nullable": True},
            "responsible": {"type": "array", "items": {"type": "string"}},
        },
    },
)
document(
    "/assessments/{assessment_id}/actions",
    "get",
    {
        "summary": "The assessment's action plan",
        "parameters": [_ID],
        "responses": {
            "200": {
                "description": "The actions and the plan's due date (6 weeks after the final report)",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "assessment_id": {"type": "integer"},
                                "plan_due": {"type": "string", "format": "date", "nullable": True},
                                "actions": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Action"},
                                },
                            },
                        }
                    }
                },
            },
            "404": {"description": "No such assessment", "content": _ERROR},
        },
    },
)
document(
    "/assessments/{assessment_id}/actions",
    "post",
    {
        "summary": "Add an action to the plan (unit lead and members)",
        "parameters": [_ID],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewAction"}}},
        },
        "responses": {
            "201": {
                "description": "Created; Location is the action's page",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Action"}}
                },
            },
            "400": {"description": "The body is not a JSON object", "content": _ERROR},
            "404": {"description": "No such assessment", "content": _ERROR},
            "422": {"description": "Invalid fields, each named in error.fields", "content": _ERROR},
        },
    },
)
document(
    "/assessments/{assessment_id}/gap",
    "get",
    {
        "summary": "GAP analysis: the 21 duties of §§ 6–9 with status, risk and actions",
        "description": (
            "Status from the score of the standards serving each duty: ≥ 90 in_place, 60–90 "
            "partly, < 60 gap; a type 1 standard not met caps it at partly; no_data when none "
            "is rated; not_covered when no standard serves the duty. The unit's override wins."
        ),
        "parameters": [_ID],
        "responses": {
            "200": {
                "description": "21 duties in regulation order",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "assessment_id": {"type": "integer"},
                                "source": {"type": "string", "enum": ["peer", "self"]},
                                "thresholds": {"type": "object"},
                                "duties": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/GapDuty"},
                                },
                            },
                        }
                    }
                },
            },
            "404": {"description": "No such assessment", "content": _ERROR},
        },
    },
)

"""/api/v1/visits: the caller's visits, the visit pack, and the offline-safe writes of findings
and observations (optimistic locking by ``version``, idempotent by ``op_id``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from kvip.api import bp, document, json_body, schema
from kvip.core.errors import NotFound
from kvip.core.permissions import require, visits_visible_to
from kvip.core.setup import MAX_ID
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.visits import sync
from kvip.visits.models import Visit
from kvip.visits.pack import visit_pack, visit_summary


def _visit(visit_id: int) -> Visit:
    visit = db.session.get(
        Visit, visit_id, options=[joinedload(Visit.assessment).joinedload(Assessment.cycle)]
    )
    if visit is None:
        raise NotFound(_("No such visit."))
    return visit


@bp.get("/visits")
def visits_list() -> Any:
    """The caller's visits (all of their networks' for coordinators), newest first."""
    limit = min(max(request.args.get("limit", 100, type=int) or 100, 1), 500)
    offset = min(max(request.args.get("offset", 0, type=int) or 0, 0), MAX_ID)
    query = (
        sa.select(Visit)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .options(
            joinedload(Visit.assessment).joinedload(Assessment.unit).joinedload(Unit.institution),
            joinedload(Visit.assessment).joinedload(Assessment.cycle),
        )
        .where(visits_visible_to(current_user))
        .order_by(Visit.date.desc().nulls_last(), Visit.id.desc())
    )
    cycle_id = request.args.get("cycle_id", type=int)
    if cycle_id is not None and not 0 < cycle_id <= MAX_ID:
        cycle_id = -1  # no such cycle: an empty list, not a database overflow
    if cycle_id:
        query = query.where(Assessment.cycle_id == cycle_id)
    state = request.args.get("state")
    if state:
        query = query.where(Visit.state == state)
    rows = db.session.scalars(query.limit(limit + 1).offset(offset)).unique().all()
    more = len(rows) > limit
    return jsonify(
        {
            "visits": [visit_summary(v) for v in rows[:limit]],
            "next_offset": offset + limit if more else None,
        }
    )


@bp.get("/visits/<int:visit_id>")
def visit_pack_get(visit_id: int) -> Any:
    visit = _visit(visit_id)
    require(current_user, "visit.read", visit)
    response = jsonify(visit_pack(visit, current_user))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.put("/visits/<int:visit_id>/findings/<code>")
def visit_finding_put(visit_id: int, code: str) -> Any:
    visit = _visit(visit_id)
    data = json_body()  # the service checks "visit.record" first
    body = sync.record_finding(
        current_user,
        visit,
        code,
        value=data.get("value"),
        comment=data.get("comment", ""),
        version=data.get("version"),
        op_id=data.get("op_id"),
    )
    return jsonify(body)


@bp.put("/visits/<int:visit_id>/observations/<key>")
def visit_observation_put(visit_id: int, key: str) -> Any:
    visit = _visit(visit_id)
    data = json_body()  # the service checks "visit.record" first
    body = sync.save_observation(
        current_user,
        visit,
        key,
        kind=data.get("kind"),
        text=data.get("text"),
        domain=data.get("domain"),
        standards=data.get("standards"),
        version=data.get("version"),
        op_id=data.get("op_id"),
    )
    return jsonify(body)


@bp.delete("/visits/<int:visit_id>/observations/<key>")
def visit_observation_delete(visit_id: int, key: str) -> Any:
    visit = _visit(visit_id)
    data = json_body()  # the service checks "visit.record" first
    body = sync.delete_observation(
        current_user, visit, key, version=data.get("version"), op_id=data.get("op_id")
    )
    return jsonify(body)


# --- OpenAPI ----------------------------------------------------------------------------------

_USER_REF = {
    "type": "object",
    "nullable": True,
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
}
_VALUE = {
    "type": "string",
    "nullable": True,
    "enum": ["met", "partly_met", "not_met", "not_applicable", None],
}
schema(
    "Finding",
    {
        "type": "object",
        "description": "The team's rating of one standard; version 0 means none recorded yet.",
        "properties": {
            "code": {"type": "string"},
            "value": _VALUE,
            "comment": {"type": "string"},
            "version": {"type": "integer"},
            "disputed": {
                "type": "boolean",
                "description": "A member overwrote another member's different rating; "
                "the lead reviewer resolves it.",
            },
            "updated_at": {"type": "string", "format": "date-time", "nullable": True},
            "updated_by": _USER_REF,
        },
    },
)
schema(
    "Observation",
    {
        "type": "object",
        "properties": {
            "key": {"type": "string", "description": "client-made id (or id-<n>)"},
            "kind": {"type": "string", "enum": ["good_practice", "improvement", "recommendation"]},
            "text": {"type": "string"},
            "domain": {"type": "string", "nullable": True},
            "standards": {"type": "array", "items": {"type": "string"}},
            "version": {"type": "integer"},
            "created_by": _USER_REF,
            "updated_at": {"type": "string", "format": "date-time", "nullable": True},
        },
    },
)
schema(
    "VisitSummary",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "state": {
                "type": "string",
                "enum": ["planned", "scheduled", "in_progress", "completed"],
            },
            "date": {"type": "string", "format": "date", "nullable": True},
            "unit": {"type": "object"},
            "institution": {"type": "string"},
            "cycle": {"type": "object"},
            "assessment_id": {"type": "integer"},
        },
    },
)
schema(
    "VisitPack",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "state": {"type": "string"},
            "date": {"type": "string", "format": "date", "nullable": True},
            "writable": {"type": "boolean"},
            "unit": {"type": "object"},
            "cycle": {"type": "object"},
            "assessment": {"type": "object"},
            "team": {"type": "array", "items": {"type": "object"}},
            "me": {"type": "object"},
            "domains": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "title": {"type": "string"},
                        "standards": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "code": {"type": "string"},
                                    "type": {"type": "integer"},
                                    "text": {"type": "string"},
                                    "guidance": {"type": "string"},
                                    "duties": {"type": "array", "items": {"type": "string"}},
                                    "self": {
                                        "type": "object",
                                        "nullable": True,
                                        "description": "the unit's self rating with comment "
                                        "and evidence",
                                    },
                                    "finding": {"$ref": "#/components/schemas/Finding"},
                                },
                            },
                        },
                    },
                },
            },
            "observations": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Observation"},
            },
        },
    },
)


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


_ERR = {"description": "Refused", "content": _json("Error")}
_VISIT_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}

document(
    "/visits",
    "get",
    {
        "summary": "The caller's visits (every visit of their networks for coordinators)",
        "parameters": [
            {"name": "cycle_id", "in": "query", "schema": {"type": "integer"}},
            {"name": "state", "in": "query", "schema": {"type": "string"}},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 500}},
            {"name": "offset", "in": "query", "schema": {"type": "integer"}},
        ],
        "responses": {
            "200": {
                "description": "One page of visits",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "visits": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/VisitSummary"},
                                },
                                "next_offset": {"type": "integer", "nullable": True},
                            },
                        }
                    }
                },
            }
        },
    },
)
document(
    "/visits/{id}",
    "get",
    {
        "summary": "The visit pack: unit, team, every standard with self rating and team "
        "finding (with its version), observations",
        "parameters": [_VISIT_ID],
        "responses": {
            "200": {"description": "The visit pack", "content": _json("VisitPack")},
            "404": _ERR,
        },
    },
)
document(
    "/visits/{id}/findings/{code}",
    "put",
    {
        "summary": "Record the team's finding for one standard",
        "description": "`version` is the finding's current version (0 when none exists). "
        "A stale version answers 409 with `error.current` and changes nothing. `op_id` is "
        "made by the client; a repeated op_id is answered as the first time and applied once.",
        "parameters": [
            _VISIT_ID,
            {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["version", "op_id"],
                        "properties": {
                            "value": _VALUE,
                            "comment": {"type": "string"},
                            "version": {"type": "integer"},
                            "op_id": {"type": "string", "minLength": 8, "maxLength": 64},
                        },
                    }
                }
            },
        },
        "responses": {
            "200": {
                "description": "Applied (or the replay of an op applied before)",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "finding": {"$ref": "#/components/schemas/Finding"},
                                "visit_state": {"type": "string"},
                                "op_id": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "404": _ERR,
            "409": {
                "description": "Stale version: `error.current` holds the server's finding",
                "content": _json("Error"),
            },
            "422": _ERR,
        },
    },
)
_OBS_BODY = {
    "type": "object",
    "required": ["kind", "text", "version", "op_id"],
    "properties": {
        "kind": {"type": "string", "enum": ["good_practice", "improvement", "recommendation"]},
        "text": {"type": "string"},
        "domain": {"type": "string", "nullable": True},
        "standards": {"type": "array", "items": {"type": "string"}},
        "version": {"type": "integer", "description": "0 to create"},
        "op_id": {"type": "string"},
    },
}
_KEY = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}
document(
    "/visits/{id}/observations/{key}",
    "put",
    {
        "summary": "Create (version 0) or change an observation under its client-made key",
        "description": "Idempotent: the key makes an offline-created observation exist once, "
        "and a repeated op_id is answered as the first time. A stale version answers 409.",
        "parameters": [_VISIT_ID, _KEY],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _OBS_BODY}}},
        "responses": {
            "200": {
                "description": "Saved",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "observation": {"$ref": "#/components/schemas/Observation"},
                                "op_id": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "404": _ERR,
            "409": {"description": "Stale version", "content": _json("Error")},
            "422": _ERR,
        },
    },
)
document(
    "/visits/{id}/observations/{key}",
    "delete",
    {
        "summary": "Remove an observation",
        "parameters": [_VISIT_ID, _KEY],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["version", "op_id"],
                        "properties": {
                            "version": {"type": "integer"},
                            "op_id": {"type": "string"},
                        },
                    }
                }
            },
        },
        "responses": {
            "200": {"description": "Removed (or the replay of the removal)"},
            "404": _ERR,
            "409": {"description": "Stale version", "content": _json("Error")},
        },
    },
)

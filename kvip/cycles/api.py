"""The cycles part of the JSON API (DESIGN §8): cycles, assessments, saving a rating."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from kvip.api import bp, document, json_body, schema
from kvip.core.errors import NotFound, ServiceError
from kvip.core.permissions import assessments_visible_to, cycles_visible_to, require
from kvip.cycles import queries, services
from kvip.cycles.models import Assessment, Cycle
from kvip.cycles.vocabulary import EVIDENCE_KINDS, RATING_VALUES
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.standards.models import Edition

MAX_PAGE = 500


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _cycle_json(cycle: Cycle, edition_slug: str) -> dict[str, Any]:
    return {
        "id": cycle.id,
        "network_id": cycle.network_id,
        "edition": edition_slug,
        "year": cycle.year,
        "name": cycle.name,
        "state": cycle.state,
        "self_assessment_opens": _iso(cycle.self_assessment_opens),
        "self_assessment_closes": _iso(cycle.self_assessment_closes),
        "visit_window_start": _iso(cycle.visit_window_start),
        "visit_window_end": _iso(cycle.visit_window_end),
    }


@bp.get("/cycles")
def list_cycles() -> Any:
    rows = db.session.execute(
        sa.select(Cycle, Edition.slug)
        .join(Edition, Edition.id == Cycle.edition_id)
        .where(cycles_visible_to(current_user))
        .order_by(Cycle.year.desc(), Cycle.id)
    ).all()
    return jsonify({"cycles": [_cycle_json(c, slug) for c, slug in rows]})


def _page_args() -> tuple[int, int]:
    try:
        limit = int(request.args.get("limit", 100))
        offset = int(request.args.get("offset", 0))
    except ValueError:
        raise ServiceError(_("limit and offset must be whole numbers."), status=400) from None
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise ServiceError(
            _("limit must be 1–%(max)d and offset 0 or more.", max=MAX_PAGE), status=400
        )
    return limit, offset


@bp.get("/assessments")
def list_assessments() -> Any:
    limit, offset = _page_args()
    query = (
        sa.select(Assessment)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .where(assessments_visible_to(current_user))
        .options(sa.orm.contains_eager(Assessment.unit), sa.orm.contains_eager(Assessment.cycle))
        .order_by(Cycle.year.desc(), Unit.name, Assessment.id)
    )
    cycle_id = request.args.get("cycle_id")
    if cycle_id:
        if not cycle_id.isdigit():
            raise ServiceError(_("cycle_id must be a number."), status=400)
        query = query.where(Assessment.cycle_id == int(cycle_id))
    items = db.session.scalars(query.limit(limit + 1).offset(offset)).all()
    more = len(items) > limit
    items = items[:limit]
    progress = queries.progress_of(items)
    return jsonify(
        {
            "assessments": [
                {
                    "id": a.id,
                    "cycle_id": a.cycle_id,
                    "year": a.cycle.year,
                    "unit": {"id": a.unit.id, "name": a.unit.name},
                    "state": a.state,
                    "submitted_at": _iso(a.submitted_at),
                    "completeness": progress[a.id][0].completeness,
                    "carried_over": progress[a.id][1],
                }
                for a in items
            ],
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if more else None,
        }
    )


def _visible_assessment(assessment_id: int) -> Assessment:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(_("No such self-assessment."))
    require(current_user, "assessment.read", assessment)
    return assessment


@bp.get("/assessments/<int:assessment_id>")
def get_assessment(assessment_id: int) -> Any:
    a = _visible_assessment(assessment_id)
    data = queries.load_assessment(a, with_previous=False)
    return jsonify(
        {
            "id": a.id,
            "unit": {"id": a.unit.id, "name": a.unit.name},
            "cycle": {
                "id": a.cycle.id,
                "year": a.cycle.year,
                "name": a.cycle.name,
                "state": a.cycle.state,
            },
            "state": a.state,
            "submitted_at": _iso(a.submitted_at),
            "completeness": data.progress.completeness,
            "carried_over": data.carried_over,
            "scores": {
                "overall": data.summary.as_dict(),
                "domains": {d.code: d.summary.as_dict() for d in data.domains if d.summary},
                "types": {str(t): s.as_dict() for t, s in data.by_type.items()},
            },
            "ratings": [
                {
                    "code": s.code,
                    "domain": s.domain_code,
                    "type": s.type,
                    "value": s.value,
                    "comment": s.comment,
                    "evidence": s.evidence,
                    "evidence_links": s.links,
                    "evidence_kinds": s.kinds,
                    "carried_over": s.carried_over,
                    "version": s.version,
                    "updated_at": _iso(s.updated_at),
                }
                for s in data.standards
            ],
        }
    )


@bp.put("/assessments/<int:assessment_id>/ratings/<code>")
def put_rating(assessment_id: int, code: str) -> Any:
    # The service checks "assessment.edit", which only the unit holds (it implies read).
    a = db.session.get(Assessment, assessment_id)
    if a is None:
        raise NotFound(_("No such self-assessment."))
    body = json_body()
    return jsonify(services.save_rating(current_user, a, code, body))


# --- OpenAPI ---------------------------------------------------------------------------------

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

schema(
    "Cycle",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "network_id": {"type": "integer"},
            "edition": {"type": "string", "description": "edition slug"},
            "year": {"type": "integer"},
            "name": {"type": "string"},
            "state": {"type": "string", "enum": ["planned", "open", "closed"]},
            "self_assessment_opens": {"type": "string", "format": "date", "nullable": True},
            "self_assessment_closes": {"type": "string", "format": "date", "nullable": True},
            "visit_window_start": {"type": "string", "format": "date", "nullable": True},
            "visit_window_end": {"type": "string", "format": "date", "nullable": True},
        },
    },
)
schema(
    "Summary",
    {
        "type": "object",
        "description": "DESIGN §5: score and met % are null when nothing is applicable.",
        "properties": {
            k: {"type": "number", "nullable": True} for k in ("score", "met_pct", "completeness")
        }
        | {
            k: {"type": "integer"}
            for k in (
                "met",
                "partly_met",
                "not_met",
                "not_applicable",
                "applicable",
                "rated",
                "total",
            )
        },
    },
)
_RATING_PROPS = {
    "value": {"type": "string", "enum": list(RATING_VALUES), "nullable": True},
    "comment": {"type": "string", "maxLength": services.MAX_TEXT},
    "evidence": {"type": "string", "maxLength": services.MAX_TEXT},
    "evidence_links": {
        "type": "array",
        "items": {"type": "string", "format": "uri", "pattern": "^https?://"},
        "maxItems": services.MAX_LINKS,
    },
    "evidence_kinds": {"type": "array", "items": {"type": "string", "enum": list(EVIDENCE_KINDS)}},
}
schema(
    "RatingState",
    {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            **_RATING_PROPS,
            "carried_over": {"type": "boolean"},
            "version": {"type": "integer", "description": "0 for a standard not rated yet"},
            "updated_at": {"type": "string", "format": "date-time", "nullable": True},
            "updated_by": {"type": "string", "nullable": True},
        },
    },
)
schema(
    "RatingUpdate",
    {
        "type": "object",
        "required": ["version"],
        "properties": {
            **_RATING_PROPS,
            "version": {
                "type": "integer",
                "minimum": 0,
                "description": "The version the change is based on (0 when not rated yet).",
            },
            "confirm": {
                "type": "boolean",
                "description": "Confirm a carried-over rating without changing it.",
            },
        },
        "description": "Fields left out keep their value; any save clears carried_over.",
    },
)
schema(
    "Assessment",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "unit": {"type": "object"},
            "cycle": {"type": "object"},
            "state": {"type": "string", "enum": ["not_started", "in_progress", "submitted"]},
            "submitted_at": {"type": "string", "format": "date-time", "nullable": True},
            "completeness": {
                "type": "number",
                "nullable": True,
                "description": "Percent of standards freshly rated (carried-over ratings not counted).",
            },
            "carried_over": {"type": "integer"},
            "scores": {
                "type": "object",
                "properties": {
                    "overall": {"$ref": "#/components/schemas/Summary"},
                    "domains": {
                        "type": "object",
                        "additionalProperties": {"$ref": "#/components/schemas/Summary"},
                    },
                    "types": {
                        "type": "object",
                        "additionalProperties": {"$ref": "#/components/schemas/Summary"},
                    },
                },
            },
            "ratings": {
                "type": "array",
                "description": "Every standard of the edition, rated or not.",
                "items": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "domain": {"type": "string"},
                        "type": {"type": "integer"},
                        **_RATING_PROPS,
                        "carried_over": {"type": "boolean"},
                        "version": {"type": "integer"},
                        "updated_at": {"type": "string", "nullable": True},
                    },
                },
            },
        },
    },
)

document(
    "/cycles",
    "get",
    {
        "summary": "Cycles of the networks the caller works in",
        "tags": ["cycles"],
        "responses": {
            "200": {
                "description": "The cycles, newest first",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "cycles": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Cycle"},
                                }
                            },
                        }
                    }
                },
            }
        },
    },
)
document(
    "/assessments",
    "get",
    {
        "summary": "Self-assessments the caller may read",
        "tags": ["cycles"],
        "parameters": [
            {"name": "cycle_id", "in": "query", "schema": {"type": "integer"}},
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "default": 100, "maximum": MAX_PAGE},
            },
            {"name": "offset", "in": "query", "schema": {"type": "integer", "default": 0}},
        ],
        "responses": {
            "200": {"description": "A page of assessments; next_offset is null on the last page"},
            "400": {"description": "Bad paging parameters", "content": _ERROR},
        },
    },
)
document(
    "/assessments/{id}",
    "get",
    {
        "summary": "One self-assessment: every standard with its rating, scores per domain",
        "tags": ["cycles"],
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "responses": {
            "200": {
                "description": "The assessment",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Assessment"}}
                },
            },
            "404": {"description": "No such assessment", "content": _ERROR},
        },
    },
)
document(
    "/assessments/{id}/ratings/{code}",
    "put",
    {
        "summary": "Save one standard's rating (optimistic locking by version)",
        "description": (
            "Send the version the change is based on. A stale version answers 409 with the "
            "current state in error.current and changes nothing (an exact repeat of the stored "
            "state answers 200). Browsers send the session cookie and X-CSRFToken."
        ),
        "tags": ["cycles"],
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
            {
                "name": "code",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "example": "4.12",
            },
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/RatingUpdate"}}
            },
        },
        "responses": {
            "200": {
                "description": "Saved; the stored state with its new version",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/RatingState"}}
                },
            },
            "400": {"description": "The body is not a JSON object", "content": _ERROR},
            "404": {"description": "No such assessment or standard code", "content": _ERROR},
            "409": {
                "description": (
                    "Stale version (error.code = conflict, error.current = the current "
                    "RatingState) or a locked assessment (error.code = locked)"
                ),
                "content": _ERROR,
            },
            "422": {
                "description": "Invalid input; error.fields names each field",
                "content": _ERROR,
            },
        },
    },
)

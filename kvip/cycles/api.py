"""The cycles part of the JSON API (DESIGN §8): cycles, assessments, saving a rating."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from kvip.api import bp, int_arg, json_body
from kvip.api.spec import (
    BOOLEAN,
    COUNT,
    DATE,
    DATETIME,
    ID,
    INTEGER,
    PERCENT,
    STRING,
    SUMMARY,
    array,
    enum,
    error_schema,
    nullable,
    obj,
    operation,
    paging,
    path_id,
    path_text,
    query,
    schema,
)
from kvip.core.db import iso
from kvip.core.errors import NotFound
from kvip.core.permissions import require
from kvip.cycles import queries, services
from kvip.cycles.models import Assessment, AssessmentState, Cycle, CycleState
from kvip.cycles.permissions import assessments_visible_to, cycles_visible_to
from kvip.cycles.vocabulary import EVIDENCE_KINDS, RATING_VALUES
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.standards.models import Edition

MAX_PAGE = 500


def _cycle_json(cycle: Cycle, edition_slug: str) -> dict[str, Any]:
    return {
        "id": cycle.id,
        "network_id": cycle.network_id,
        "edition": edition_slug,
        "year": cycle.year,
        "name": cycle.name,
        "state": cycle.state,
        "self_assessment_opens": iso(cycle.self_assessment_opens),
        "self_assessment_closes": iso(cycle.self_assessment_closes),
        "visit_window_start": iso(cycle.visit_window_start),
        "visit_window_end": iso(cycle.visit_window_end),
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


@bp.get("/assessments")
def list_assessments() -> Any:
    limit = int_arg("limit", 100, high=MAX_PAGE) or 100
    offset = int_arg("offset", 0, low=0) or 0
    query = (
        sa.select(Assessment)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .where(assessments_visible_to(current_user))
        .options(sa.orm.contains_eager(Assessment.unit), sa.orm.contains_eager(Assessment.cycle))
        .order_by(Cycle.year.desc(), Unit.name, Assessment.id)
    )
    cycle_id = int_arg("cycle_id", None)
    if cycle_id is not None:
        query = query.where(Assessment.cycle_id == cycle_id)
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
                    "submitted_at": iso(a.submitted_at),
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
            "submitted_at": iso(a.submitted_at),
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
                    "updated_at": iso(s.updated_at),
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

_CYCLE = schema(
    "Cycle",
    obj(
        {
            "id": ID,
            "network_id": ID,
            "edition": {**STRING, "description": "edition slug"},
            "year": INTEGER,
            "name": STRING,
            "state": enum(CycleState),
            "self_assessment_opens": nullable(DATE),
            "self_assessment_closes": nullable(DATE),
            "visit_window_start": nullable(DATE),
            "visit_window_end": nullable(DATE),
        }
    ),
)
_LINK = {
    **STRING,
    "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://\\S+$",
    "maxLength": services.MAX_LINK_LENGTH,
}
_RATING_FIELDS = {
    "value": nullable(enum(RATING_VALUES)),
    "comment": {**STRING, "maxLength": services.MAX_TEXT},
    "evidence": {**STRING, "maxLength": services.MAX_TEXT},
    "evidence_links": array(_LINK, maxItems=services.MAX_LINKS),
    "evidence_kinds": array(enum(EVIDENCE_KINDS), uniqueItems=True),
}
# What a save accepts is a little wider than what is stored: "" or null clears, links and
# kinds may come as the text of a form field, blank links are skipped.
_TEXT_IN = nullable({**STRING, "maxLength": services.MAX_TEXT})
_RATING_INPUT = {
    "value": nullable(enum([*RATING_VALUES, ""], description='"" or null: not rated')),
    "comment": _TEXT_IN,
    "evidence": _TEXT_IN,
    "evidence_links": nullable(
        {
            "anyOf": [
                array(STRING, description="web addresses (http:// or https://); blanks skipped"),
                {**STRING, "description": "one web address a line"},
            ]
        }
    ),
    "evidence_kinds": nullable(
        {"anyOf": [array(enum(EVIDENCE_KINDS)), {**STRING, "description": "comma-separated"}]}
    ),
}
_RATING_STATE = schema(
    "RatingState",
    obj(
        {
            "code": STRING,
            **_RATING_FIELDS,
            "carried_over": BOOLEAN,
            "version": {**COUNT, "description": "0 for a standard not rated yet"},
            "updated_at": nullable(DATETIME),
            "updated_by": nullable({**STRING, "description": "the name of who saved it last"}),
        }
    ),
)
_RATING_UPDATE = schema(
    "RatingUpdate",
    obj(
        {
            **_RATING_INPUT,
            "version": {
                **COUNT,
                "description": "The version the change is based on (0 when not rated yet).",
            },
            "confirm": {
                **BOOLEAN,
                "description": "Confirm a carried-over rating without changing it.",
            },
        },
        optional=[*_RATING_INPUT, "confirm"],
        open_ended=True,
        description="Fields left out keep their value; any save clears carried_over. "
        "Other properties are ignored.",
    ),
)
_UNIT_REF = obj({"id": ID, "name": STRING})
_ASSESSMENT_STATE = enum(AssessmentState)
_COMPLETENESS = {
    **PERCENT,
    "nullable": False,
    "description": "Percent of standards freshly rated (carried-over ratings not counted).",
}
_ASSESSMENT = schema(
    "Assessment",
    obj(
        {
            "id": ID,
            "unit": _UNIT_REF,
            "cycle": obj({"id": ID, "year": INTEGER, "name": STRING, "state": enum(CycleState)}),
            "state": _ASSESSMENT_STATE,
            "submitted_at": nullable(DATETIME),
            "completeness": _COMPLETENESS,
            "carried_over": {**COUNT, "description": "Ratings carried over, not yet confirmed"},
            "scores": obj(
                {
                    "overall": SUMMARY,
                    "domains": {
                        "type": "object",
                        "description": "domain code → summary (domains with standards)",
                        "additionalProperties": SUMMARY,
                    },
                    "types": {
                        "type": "object",
                        "description": "standard type (1, 2, 3) → summary",
                        "additionalProperties": SUMMARY,
                    },
                }
            ),
            "ratings": array(
                obj(
                    {
                        "code": STRING,
                        "domain": STRING,
                        "type": enum([1, 2, 3]),
                        **_RATING_FIELDS,
                        "carried_over": BOOLEAN,
                        "version": COUNT,
                        "updated_at": nullable(DATETIME),
                    }
                ),
                description="Every standard of the edition, rated or not.",
            ),
        }
    ),
)
_ASSESSMENT_ITEM = schema(
    "AssessmentItem",
    obj(
        {
            "id": ID,
            "cycle_id": ID,
            "year": INTEGER,
            "unit": _UNIT_REF,
            "state": _ASSESSMENT_STATE,
            "submitted_at": nullable(DATETIME),
            "completeness": _COMPLETENESS,
            "carried_over": COUNT,
        }
    ),
)

operation(
    "/cycles",
    "get",
    summary="Cycles of the networks the caller works in",
    tags=["cycles"],
    response=obj({"cycles": array(_CYCLE)}),
    response_description="The cycles, newest first",
)
operation(
    "/assessments",
    "get",
    summary="Self-assessments the caller may read",
    tags=["cycles"],
    parameters=[query("cycle_id", ID, "Only this cycle's"), *paging(MAX_PAGE)],
    response=obj(
        {
            "assessments": array(_ASSESSMENT_ITEM),
            "limit": {**INTEGER, "minimum": 1, "maximum": MAX_PAGE},
            "offset": COUNT,
            "next_offset": nullable(COUNT),
        }
    ),
    response_description="A page of assessments; next_offset is null on the last page",
    errors={400: "A parameter is not a whole number in its range (code bad_parameter)"},
)
operation(
    "/assessments/{id}",
    "get",
    summary="One self-assessment: every standard with its rating, scores per domain",
    tags=["cycles"],
    parameters=[path_id()],
    response=_ASSESSMENT,
    response_description="The assessment",
    errors={403: "Not the caller's to read", 404: "No such assessment"},
)
operation(
    "/assessments/{id}/ratings/{code}",
    "put",
    summary="Save one standard's rating (optimistic locking by version)",
    description=(
        "Send the version the change is based on. A stale version answers 409 with the "
        "current state in error.current and changes nothing (an exact repeat of the stored "
        "state answers 200). Browsers send the session cookie and X-CSRFToken."
    ),
    tags=["cycles"],
    parameters=[path_id(), path_text("code", "A standard's code, e.g. 4.12")],
    body=_RATING_UPDATE,
    response=_RATING_STATE,
    response_description="Saved (or nothing to change); the stored state with its version",
    errors={
        403: "Not the caller's unit",
        404: "No such assessment or standard code",
        409: (
            "Stale version (error.code conflict, error.current = the current RatingState) or "
            "the assessment is submitted, its cycle not open, or today outside the cycle's "
            "self-assessment window (error.code rule_blocked; no error.current)",
            error_schema(current=_RATING_STATE),
        ),
        422: "Invalid input; error.fields names each field",
    },
)

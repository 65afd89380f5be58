"""The cycles part of the JSON API (DESIGN §8): cycles, assessments, saving a rating."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import fields, validate

from kvip.core.api import (
    BodySchema,
    Count,
    Id,
    IsoDate,
    IsoDateTime,
    OneOf,
    OpenBodySchema,
    OutSchema,
    PageArgsSchema,
    Percent,
    QueryInt,
    StrictBool,
    StrictInt,
    SummarySchema,
    Text,
    UnitRefSchema,
    bp,
    conflict_schema,
    errors,
)
from kvip.core.db import iso
from kvip.core.errors import NotFound, ServiceError
from kvip.core.permissions import require
from kvip.core.setup import MAX_ID
from kvip.cycles import queries, services
from kvip.cycles.models import Assessment, AssessmentState, Cycle, CycleState
from kvip.cycles.permissions import assessments_visible_to, cycles_visible_to
from kvip.cycles.services import cycles as cycle_services
from kvip.cycles.vocabulary import EVIDENCE_KINDS, RATING_VALUES
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.standards.models import Edition

MAX_PAGE = PageArgsSchema.MAX_PAGE


# --- schemas ------------------------------------------------------------------------------

_LINK_PATTERN = "^[Hh][Tt][Tt][Pp][Ss]?://\\S+$"


class CycleSchema(OutSchema):
    id = Id()
    network_id = Id()
    edition = fields.String(metadata={"description": "edition slug"})
    year = fields.Integer()
    name = fields.String()
    state = OneOf(CycleState)
    self_assessment_opens = IsoDate(allow_none=True)
    self_assessment_closes = IsoDate(allow_none=True)
    visit_window_start = IsoDate(allow_none=True)
    visit_window_end = IsoDate(allow_none=True)


class CyclesSchema(OutSchema):
    cycles = fields.List(fields.Nested(CycleSchema))


class RatingStateSchema(OutSchema):
    code = fields.String()
    value = OneOf(RATING_VALUES, allow_none=True)
    comment = fields.String(validate=validate.Length(max=services.MAX_TEXT))
    evidence = fields.String(validate=validate.Length(max=services.MAX_TEXT))
    evidence_links = fields.List(
        fields.String(
            validate=[
                validate.Regexp(_LINK_PATTERN),
                validate.Length(max=services.MAX_LINK_LENGTH),
            ]
        ),
        validate=validate.Length(max=services.MAX_LINKS),
    )
    evidence_kinds = fields.List(OneOf(EVIDENCE_KINDS), metadata={"uniqueItems": True})
    carried_over = fields.Boolean()
    version = Count(metadata={"description": "0 for a standard not rated yet"})
    updated_at = IsoDateTime(allow_none=True)
    updated_by = fields.String(
        allow_none=True, metadata={"description": "the name of who saved it last"}
    )


class _TextOrList(fields.Field):
    """A list of strings, or one string (the text of a form field); validated by the service."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            return value
        raise self.make_error("invalid")

    default_error_messages = {"invalid": "Not a valid list."}


class RatingUpdateSchema(OpenBodySchema):
    """Fields left out keep their value; any save clears carried_over. Other properties are
    ignored. What a save accepts is a little wider than what is stored: "" or null clears,
    links and kinds may come as the text of a form field, blank links are skipped."""

    value = OneOf(
        [*RATING_VALUES, ""], allow_none=True, metadata={"description": '"" or null: not rated'}
    )
    comment = Text(services.MAX_TEXT, allow_none=True)
    evidence = Text(services.MAX_TEXT, allow_none=True)
    evidence_links = _TextOrList(
        allow_none=True,
        metadata={
            "anyOf": [
                {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "web addresses (http:// or https://); blanks skipped",
                },
                {"type": "string", "description": "one web address a line"},
            ]
        },
    )
    evidence_kinds = _TextOrList(
        allow_none=True,
        metadata={
            "anyOf": [
                {"type": "array", "items": {"type": "string", "enum": list(EVIDENCE_KINDS)}},
                {"type": "string", "description": "comma-separated"},
            ]
        },
    )
    version = StrictInt(
        required=True,
        validate=validate.Range(min=0),
        metadata={"description": "The version the change is based on (0 when not rated yet)."},
    )
    confirm = StrictBool(
        metadata={"description": "Confirm a carried-over rating without changing it."}
    )


class CycleRefSchema(OutSchema):
    id = Id()
    year = fields.Integer()
    name = fields.String()
    state = OneOf(CycleState)


_COMPLETENESS = {
    "description": "Percent of standards freshly rated (carried-over ratings not counted)."
}


class ScoresSchema(OutSchema):
    overall = fields.Nested(SummarySchema)
    domains = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(SummarySchema),
        metadata={"description": "domain code → summary (domains with standards)"},
    )
    types = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(SummarySchema),
        metadata={"description": "standard type (1, 2, 3) → summary"},
    )


class AssessmentRatingSchema(OutSchema):
    code = fields.String()
    domain = fields.String()
    type = OneOf([1, 2, 3])
    value = RatingStateSchema._declared_fields["value"]
    comment = RatingStateSchema._declared_fields["comment"]
    evidence = RatingStateSchema._declared_fields["evidence"]
    evidence_links = RatingStateSchema._declared_fields["evidence_links"]
    evidence_kinds = RatingStateSchema._declared_fields["evidence_kinds"]
    carried_over = fields.Boolean()
    version = Count()
    updated_at = IsoDateTime(allow_none=True)


class AssessmentSchema(OutSchema):
    id = Id()
    unit = fields.Nested(UnitRefSchema)
    cycle = fields.Nested(CycleRefSchema)
    state = OneOf(AssessmentState)
    submitted_at = IsoDateTime(allow_none=True)
    completeness = Percent(allow_none=False, metadata=_COMPLETENESS)
    carried_over = Count(metadata={"description": "Ratings carried over, not yet confirmed"})
    scores = fields.Nested(ScoresSchema)
    ratings = fields.List(
        fields.Nested(AssessmentRatingSchema),
        metadata={"description": "Every standard of the edition, rated or not."},
    )


class AssessmentItemSchema(OutSchema):
    id = Id()
    cycle_id = Id()
    year = fields.Integer()
    unit = fields.Nested(UnitRefSchema)
    state = OneOf(AssessmentState)
    submitted_at = IsoDateTime(allow_none=True)
    completeness = Percent(allow_none=False, metadata=_COMPLETENESS)
    carried_over = Count()


class AssessmentPageSchema(OutSchema):
    assessments = fields.List(fields.Nested(AssessmentItemSchema))
    limit = fields.Integer(validate=validate.Range(1, MAX_PAGE))
    offset = Count()
    next_offset = Count(allow_none=True)


class AssessmentArgsSchema(PageArgsSchema):
    cycle_id = QueryInt(
        validate=validate.Range(1, MAX_ID), metadata={"description": "Only this cycle's"}
    )


class NewCycleSchema(BodySchema):
    network_id = Id(required=True, metadata={"description": "A network the caller coordinates"})
    edition = fields.String(
        required=True, metadata={"description": "The slug of the edition of standards it uses"}
    )
    year = StrictInt(required=True, validate=validate.Range(2000, 2100))
    name = Text(cycle_services.NAME_MAX, blank=False, required=True)
    self_assessment_opens = IsoDate(required=True)
    self_assessment_closes = IsoDate(required=True)
    visit_window_start = IsoDate(allow_none=True)
    visit_window_end = IsoDate(allow_none=True)


class EnrolmentSchema(BodySchema):
    unit_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=10_000))
    carry_over = StrictBool(
        load_default=False,
        metadata={"description": "Start from each unit's previous ratings (marked carried over)"},
    )


class EnrolledSchema(OutSchema):
    enrolled = fields.List(
        fields.Nested(AssessmentItemSchema),
        metadata={"description": "The assessments made now (units already enrolled: none)"},
    )


class ReopenSchema(BodySchema):
    reason = Text(2000, blank=False, required=True)


_NOT_MANAGER = "Not a coordinator of the cycle's network"
_RULE_BLOCKED = "The cycle's state does not allow it (code invalid_state, nothing changed)"


# --- routes ---------------------------------------------------------------------------------


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


def _item_json(a: Assessment, completeness: float | None, carried_over: int) -> dict[str, Any]:
    return {
        "id": a.id,
        "cycle_id": a.cycle_id,
        "year": a.cycle.year,
        "unit": {"id": a.unit.id, "name": a.unit.name},
        "state": a.state,
        "submitted_at": iso(a.submitted_at),
        "completeness": completeness,
        "carried_over": carried_over,
    }


@bp.get("/cycles")
@bp.response(200, CyclesSchema, description="The cycles, newest first")
def list_cycles() -> Any:
    """Cycles of the networks the caller works in"""
    rows = db.session.execute(
        sa.select(Cycle, Edition.slug)
        .join(Edition, Edition.id == Cycle.edition_id)
        .where(cycles_visible_to(current_user))
        .order_by(Cycle.year.desc(), Cycle.id)
    ).all()
    return {"cycles": [_cycle_json(c, slug) for c, slug in rows]}


@bp.post("/cycles")
@bp.arguments(NewCycleSchema)
@bp.response(201, CycleSchema, description="Planned (state planned); its edition is frozen")
@errors(
    {403: "Not a coordinator of that network", 422: "Invalid input; error.fields names each field"}
)
def create_cycle(data: dict[str, Any]) -> Any:
    """Plan a new cycle for a network (coordinators)"""
    slug = data.pop("edition")
    edition_id = db.session.scalar(sa.select(Edition.id).where(Edition.slug == slug))
    try:
        cycle = services.create_cycle(
            current_user, data.pop("network_id"), edition_id=edition_id, **data
        )
    except ServiceError as exc:
        if "edition_id" in exc.fields:
            exc.fields["edition"] = exc.fields.pop("edition_id")
        raise
    headers = {"Location": url_for("cycles.detail", cycle_id=cycle.id)}
    return _cycle_json(cycle, cycle.edition.slug), 201, headers


def _cycle_or_404(cycle_id: int) -> Cycle:
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound(_("No such cycle."))
    return cycle


@bp.post("/cycles/<int:cycle_id>/open")
@bp.response(200, CycleSchema, description="Opened: enrolled units can rate themselves")
@errors(
    {
        403: _NOT_MANAGER,
        404: "No such cycle",
        409: _RULE_BLOCKED,
        422: "No unit is enrolled yet",
    }
)
def open_cycle(cycle_id: int) -> Any:
    """Open a planned cycle (coordinators)"""
    cycle = services.open_cycle(current_user, _cycle_or_404(cycle_id))
    return _cycle_json(cycle, cycle.edition.slug)


@bp.post("/cycles/<int:cycle_id>/close")
@bp.response(200, CycleSchema, description="Closed: every self-assessment is locked")
@errors({403: _NOT_MANAGER, 404: "No such cycle", 409: _RULE_BLOCKED})
def close_cycle(cycle_id: int) -> Any:
    """Close an open cycle (coordinators)"""
    cycle = services.close_cycle(current_user, _cycle_or_404(cycle_id))
    return _cycle_json(cycle, cycle.edition.slug)


@bp.post("/cycles/<int:cycle_id>/enrolments")
@bp.arguments(EnrolmentSchema)
@bp.response(200, EnrolledSchema, description="Enrolled")
@errors(
    {
        403: _NOT_MANAGER,
        404: "No such cycle",
        409: "The cycle is closed",
        422: "No units, or a unit not of the cycle's network (error.fields.unit_ids)",
    }
)
def enrol_units(data: dict[str, Any], cycle_id: int) -> Any:
    """Enrol units of the network in a cycle, one self-assessment each (coordinators)"""
    cycle = _cycle_or_404(cycle_id)
    made = services.enrol_units(
        current_user, cycle, data["unit_ids"], carry_over=data["carry_over"]
    )
    progress = queries.progress_of(made)
    return {
        "enrolled": [_item_json(a, progress[a.id][0].completeness, progress[a.id][1]) for a in made]
    }


@bp.get("/assessments")
@bp.arguments(AssessmentArgsSchema, location="query", as_kwargs=True)
@bp.response(
    200,
    AssessmentPageSchema,
    description="A page of assessments; next_offset is null on the last page",
)
def list_assessments(limit: int, offset: int, cycle_id: int | None = None) -> Any:
    """Self-assessments the caller may read"""
    query = (
        sa.select(Assessment)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .where(assessments_visible_to(current_user))
        .options(sa.orm.contains_eager(Assessment.unit), sa.orm.contains_eager(Assessment.cycle))
        .order_by(Cycle.year.desc(), Unit.name, Assessment.id)
    )
    if cycle_id is not None:
        query = query.where(Assessment.cycle_id == cycle_id)
    items = db.session.scalars(query.limit(limit + 1).offset(offset)).all()
    more = len(items) > limit
    items = items[:limit]
    progress = queries.progress_of(items)
    return {
        "assessments": [
            _item_json(a, progress[a.id][0].completeness, progress[a.id][1]) for a in items
        ],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if more else None,
    }


def _visible_assessment(assessment_id: int) -> Assessment:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(_("No such self-assessment."))
    require(current_user, "assessment.read", assessment)
    return assessment


@bp.get("/assessments/<int:assessment_id>")
@bp.response(200, AssessmentSchema, description="The assessment")
@errors({403: "Not the caller's to read", 404: "No such assessment"})
def get_assessment(assessment_id: int) -> Any:
    """One self-assessment: every standard with its rating, scores per domain"""
    a = _visible_assessment(assessment_id)
    data = queries.load_assessment(a, with_previous=False)
    return {
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


@bp.put("/assessments/<int:assessment_id>/ratings/<code>")
@bp.arguments(RatingUpdateSchema)
@bp.response(200, RatingStateSchema, description="Saved (or nothing to change); the stored state")
@errors(
    {
        403: "Not the caller's unit",
        404: "No such assessment or standard code",
        409: (
            "Stale version (error.code conflict, error.current = the current RatingState) or "
            "the assessment is submitted, its cycle not open, or today outside the cycle's "
            "self-assessment window (error.code rule_blocked; no error.current)",
            conflict_schema("RatingState", RatingStateSchema),
        ),
        422: "Invalid input; error.fields names each field",
    }
)
def put_rating(data: dict[str, Any], assessment_id: int, code: str) -> Any:
    """Save one standard's rating (optimistic locking by version)

    Send the version the change is based on. A stale version answers 409 with the current
    state in error.current and changes nothing (an exact repeat of the stored state answers
    200). Browsers send the session cookie and X-CSRFToken.
    """
    # The service checks "assessment.edit", which only the unit holds (it implies read).
    a = db.session.get(Assessment, assessment_id)
    if a is None:
        raise NotFound(_("No such self-assessment."))
    return services.save_rating(current_user, a, code, data)


def _assessment_or_404(assessment_id: int) -> Assessment:
    a = db.session.get(Assessment, assessment_id)
    if a is None:
        raise NotFound(_("No such self-assessment."))
    return a


def _assessment_item(a: Assessment) -> dict[str, Any]:
    progress = queries.progress_of([a])
    return _item_json(a, progress[a.id][0].completeness, progress[a.id][1])


@bp.post("/assessments/<int:assessment_id>/submit")
@bp.response(200, AssessmentItemSchema, description="Submitted: the assessment is locked")
@errors(
    {
        403: "Not the unit's lead",
        404: "No such assessment",
        409: "Already submitted, the cycle not open, or outside its window (code rule_blocked)",
        422: "Standards not rated yet (code incomplete) or carried-over ratings not confirmed "
        "(code unconfirmed)",
    }
)
def submit_assessment(assessment_id: int) -> Any:
    """Submit a self-assessment (the unit lead)"""
    a = services.submit_assessment(current_user, _assessment_or_404(assessment_id))
    return _assessment_item(a)


@bp.post("/assessments/<int:assessment_id>/reopen")
@bp.arguments(ReopenSchema)
@bp.response(200, AssessmentItemSchema, description="Reopened (state in_progress)")
@errors(
    {
        403: "Not a coordinator of the assessment's network",
        404: "No such assessment",
        409: "Not submitted, or the cycle is closed",
        422: "No reason, or one too long (error.fields.reason)",
    }
)
def reopen_assessment(data: dict[str, Any], assessment_id: int) -> Any:
    """Reopen a submitted self-assessment, giving the unit a reason (coordinators)"""
    a = services.reopen_assessment(current_user, _assessment_or_404(assessment_id), data["reason"])
    return _assessment_item(a)

"""/api/v1/visits: the caller's visits, the visit pack, the offline-safe writes of findings
and observations (optimistic locking by ``version``, idempotent by ``op_id``), and the
coordinator's and lead reviewer's workflow: plan a visit, its team, its states, its report's."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy.orm import joinedload

from kvip.accounts.models import User
from kvip.core.api import (
    BodySchema,
    Id,
    IsoDate,
    IsoDateTime,
    OneOf,
    OpenBodySchema,
    OutSchema,
    PageArgsSchema,
    QueryInt,
    StrictInt,
    Text,
    UnitRefSchema,
    UserRefSchema,
    bp,
    conflict_schema,
    errors,
)
from kvip.core.errors import NotFound
from kvip.core.permissions import require
from kvip.core.setup import MAX_ID
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.scoring import VALUES
from kvip.standards.duties import METHOD_CODES
from kvip.visits import reports, services, sync
from kvip.visits.models import (
    ObservationKind,
    Report,
    ReportState,
    TeamRole,
    Visit,
    VisitState,
)
from kvip.visits.pack import visit_pack, visit_summary
from kvip.visits.permissions import visits_visible_to

MAX_PAGE = PageArgsSchema.MAX_PAGE
VISIT_STATES = tuple(s.value for s in VisitState)

# --- schemas --------------------------------------------------------------------------------

_VERSION: dict[str, Any] = {"validate": validate.Range(min=0)}


class FindingSchema(OutSchema):
    """The team's rating of one standard."""

    code = fields.String()
    value = OneOf(VALUES, allow_none=True)
    comment = fields.String(validate=validate.Length(max=sync.MAX_COMMENT))
    version = fields.Integer(**_VERSION, metadata={"description": "0: no finding recorded yet"})
    disputed = fields.Boolean(
        metadata={
            "description": "A member overwrote another member's different rating; the lead "
            "reviewer resolves it."
        }
    )
    updated_at = IsoDateTime(allow_none=True)
    updated_by = fields.Nested(UserRefSchema, allow_none=True)


class ObservationSchema(OutSchema):
    key = fields.String(
        validate=validate.Regexp(sync.OBSERVATION_KEY.pattern),
        metadata={"description": "client-made id or id-<n>"},
    )
    kind = OneOf(ObservationKind)
    text = fields.String()
    domain = fields.String(allow_none=True)
    standards = fields.List(fields.String())
    version = fields.Integer(**_VERSION)
    created_by = fields.Nested(UserRefSchema, allow_none=True)
    updated_at = IsoDateTime(allow_none=True)


class CycleNameSchema(OutSchema):
    id = Id()
    name = fields.String()


class VisitSummarySchema(OutSchema):
    id = Id()
    state = OneOf(VisitState)
    date = IsoDate(allow_none=True)
    unit = fields.Nested(UnitRefSchema)
    institution = fields.String()
    cycle = fields.Nested(CycleNameSchema)
    assessment_id = Id()


class VisitPageSchema(OutSchema):
    visits = fields.List(fields.Nested(VisitSummarySchema))
    next_offset = fields.Integer(allow_none=True, **_VERSION)


class VisitArgsSchema(PageArgsSchema):
    cycle_id = QueryInt(
        validate=validate.Range(1, MAX_ID), metadata={"description": "Only this cycle's"}
    )
    state = OneOf(VisitState)


class SelfRatingSchema(OutSchema):
    """The unit's self rating with comment and evidence (null: not rated)"""

    value = OneOf(VALUES, allow_none=True)
    comment = fields.String()
    evidence = fields.String()
    evidence_links = fields.List(fields.String())
    evidence_kinds = fields.List(fields.String())
    carried_over = fields.Boolean()


class PackUnitSchema(OutSchema):
    id = Id()
    name = fields.String()
    institution = fields.String()
    kind = fields.String()
    beds = fields.Integer(validate=validate.Range(min=0))
    region = fields.String()


class PackCycleSchema(OutSchema):
    id = Id()
    name = fields.String()
    year = fields.Integer()


class PackAssessmentSchema(OutSchema):
    id = Id()
    state = OneOf(["not_started", "in_progress", "submitted"])
    submitted_at = IsoDateTime(allow_none=True)


class TeamMemberSchema(OutSchema):
    user_id = Id()
    name = fields.String()
    role = OneOf(TeamRole)
    home_institution = fields.String(allow_none=True)


class PackMeSchema(OutSchema):
    id = Id()
    name = fields.String()
    role = OneOf(TeamRole, allow_none=True)


class EvidenceLineSchema(OutSchema):
    """What an instrument mapped to the standard says: evidence, never a rating"""

    source = fields.String(metadata={"description": "e.g. Ungdom, Journalgjennomgang"})
    summary = fields.String(metadata={"description": "e.g. 7 av 9 enige"})
    detail = fields.String(metadata={"description": "The question or criterion"})
    muted = fields.Boolean(metadata={"description": "Too few answers yet: a count, no result"})


class PackStandardSchema(OutSchema):
    code = fields.String()
    type = OneOf([1, 2, 3])
    text = fields.String()
    guidance = fields.String()
    methods = fields.List(
        OneOf(list(METHOD_CODES)),
        metadata={
            "description": "How a reviewer checks it: codes of the methods vocabulary (the "
            "guidance starts with their names)"
        },
    )
    duties = fields.List(fields.String())
    self = fields.Nested(SelfRatingSchema, allow_none=True)
    finding = fields.Nested(FindingSchema)
    evidence = fields.List(
        fields.Nested(EvidenceLineSchema),
        metadata={"description": "Questionnaires and record audits, above their thresholds"},
    )


class PackDomainSchema(OutSchema):
    code = fields.String()
    title = fields.String()
    standards = fields.List(fields.Nested(PackStandardSchema))


class VisitPackSchema(OutSchema):
    id = Id()
    state = OneOf(VisitState)
    date = IsoDate(allow_none=True)
    generated_at = IsoDateTime()
    writable = fields.Boolean(metadata={"description": "Whether the caller may record now"})
    unit = fields.Nested(PackUnitSchema)
    cycle = fields.Nested(PackCycleSchema)
    assessment = fields.Nested(PackAssessmentSchema)
    team = fields.List(fields.Nested(TeamMemberSchema))
    me = fields.Nested(PackMeSchema)
    domains = fields.List(fields.Nested(PackDomainSchema))
    observations = fields.List(fields.Nested(ObservationSchema))


def OpId() -> fields.String:  # noqa: N802
    return fields.String(
        required=True,
        validate=validate.Regexp(sync.OP_ID.pattern),
        metadata={
            "description": "Made by the client for one change; a repeat with the same body "
            "and target is answered as the first time and applied once; the same op_id with "
            "another body or target answers 422 (code op_id_reused) and saves nothing"
        },
    )


def AuthorId() -> fields.Integer:  # noqa: N802
    return Id(
        metadata={
            "description": "Who made the change on the device; when given it must be the "
            "caller (else 403, code wrong_author, nothing saved)"
        }
    )


class FindingUpdateSchema(OpenBodySchema):
    INLINE = True  # the offline writes' bodies are written out at their operation

    value = OneOf(VALUES, allow_none=True)
    comment = Text(sync.MAX_COMMENT, allow_none=True)
    version = StrictInt(allow_none=True, **_VERSION, metadata={"description": "absent or null: 0"})
    op_id = OpId()
    author_id = AuthorId()


class ObservationUpdateSchema(OpenBodySchema):
    INLINE = True  # the offline writes' bodies are written out at their operation

    kind = OneOf(ObservationKind, required=True)
    text = Text(sync.MAX_TEXT, blank=False, required=True)
    domain = fields.String(allow_none=True)
    standards = fields.List(fields.String(), allow_none=True)
    version = StrictInt(
        allow_none=True, **_VERSION, metadata={"description": "0 (or absent) to create"}
    )
    op_id = OpId()
    author_id = AuthorId()


class ObservationDeleteSchema(OpenBodySchema):
    INLINE = True  # the offline writes' bodies are written out at their operation

    version = StrictInt(allow_none=True, **_VERSION, metadata={"description": "absent or null: 0"})
    op_id = OpId()
    author_id = AuthorId()


class FindingAnswerSchema(OutSchema):
    finding = fields.Nested(FindingSchema)
    visit_state = OneOf(VisitState)
    op_id = fields.String()


class ObservationAnswerSchema(OutSchema):
    observation = fields.Nested(ObservationSchema)
    op_id = fields.String()


class DeletedSchema(OutSchema):
    deleted = fields.Boolean(validate=validate.Equal(True))
    key = fields.String()
    op_id = fields.String()


class ObservationConflictErrorBodySchema(OutSchema):
    code = fields.String()
    message = fields.String()
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.String())
    current = fields.Raw(
        metadata={
            "optional": True,
            "anyOf": [
                {"$ref": "#/components/schemas/Observation"},
                {
                    "type": "object",
                    "required": ["key", "version"],
                    "properties": {
                        "key": {"type": "string"},
                        "version": {"type": "integer", "enum": [0]},
                    },
                    "additionalProperties": False,
                },
            ],
        }
    )


class ObservationConflictSchema(OutSchema):
    error = fields.Nested(ObservationConflictErrorBodySchema)


class NewVisitSchema(BodySchema):
    assessment_id = Id(required=True, metadata={"description": "A submitted self-assessment"})
    date = IsoDate(allow_none=True)


class NewTeamMemberSchema(BodySchema):
    user_id = Id(required=True)
    role = OneOf(TeamRole, required=True)


class TeamAnswerSchema(OutSchema):
    team = fields.List(fields.Nested(TeamMemberSchema))
    warnings = fields.List(
        fields.String(), metadata={"description": "e.g. a reciprocal pair in the cycle"}
    )


VISIT_STEPS = {
    VisitState.scheduled.value: services.schedule_visit,
    VisitState.in_progress.value: services.start_visit,
    VisitState.completed.value: services.complete_visit,
}


class VisitStateChangeSchema(BodySchema):
    state = OneOf(list(VISIT_STEPS), required=True)


REPORT_STEPS = {
    ReportState.shared_with_unit.value: reports.share_report,
    ReportState.final.value: reports.finalise_report,
}


class ReportStateChangeSchema(BodySchema):
    state = OneOf(list(REPORT_STEPS), required=True)


class ReportStateSchema(OutSchema):
    visit_id = Id()
    state = OneOf(ReportState)
    shared_at = IsoDateTime(allow_none=True)
    finalised_at = IsoDateTime(allow_none=True)


_OP_CONFLICT_FINDING = conflict_schema("Finding", FindingSchema)
NOT_RECORDING = (
    "Not on the visit's team, or author_id names someone else (code wrong_author): nothing saved"
)
REFUSED = (
    "Invalid input (error.fields names each field), the op_id was already used for a "
    "different change (code op_id_reused), or the visit takes no records now "
    "(code visit_not_open or visit_closed)"
)
_NOT_MANAGER = "Not a coordinator of the visit's network"


# --- routes ---------------------------------------------------------------------------------


def visit_or_404(visit_id: int) -> Visit:
    """The visit with its assessment and cycle loaded, or a 404."""
    visit = db.session.get(
        Visit, visit_id, options=[joinedload(Visit.assessment).joinedload(Assessment.cycle)]
    )
    if visit is None:
        raise NotFound(_("No such visit."))
    return visit


@bp.get("/visits")
@bp.arguments(VisitArgsSchema, location="query", as_kwargs=True)
@bp.response(200, VisitPageSchema, description="One page of visits, newest first")
def visits_list(
    limit: int, offset: int, cycle_id: int | None = None, state: str | None = None
) -> Any:
    """The caller's visits (every visit of their networks for coordinators)"""
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
    if cycle_id is not None:
        query = query.where(Assessment.cycle_id == cycle_id)
    if state is not None:
        query = query.where(Visit.state == state)
    rows = db.session.scalars(query.limit(limit + 1).offset(offset)).unique().all()
    more = len(rows) > limit
    return {
        "visits": [visit_summary(v) for v in rows[:limit]],
        "next_offset": offset + limit if more else None,
    }


@bp.post("/visits")
@bp.arguments(NewVisitSchema)
@bp.response(201, VisitSummarySchema, description="Planned (state planned)")
@errors(
    {
        403: "Not a coordinator of the assessment's network",
        404: "No such assessment",
        422: "Not submitted yet, already has a visit, or a date out of range (error.fields)",
    }
)
def visit_create(data: dict[str, Any]) -> Any:
    """Plan a visit for a submitted self-assessment (coordinators); add its team next"""
    assessment = db.session.get(Assessment, data["assessment_id"])
    if assessment is None:
        raise NotFound(_("No such self-assessment."))
    visit = services.plan_visit(current_user, assessment, data.get("date"))
    return visit_summary(visit_or_404(visit.id)), 201


@bp.post("/visits/<int:visit_id>/team")
@bp.arguments(NewTeamMemberSchema)
@bp.response(200, TeamAnswerSchema, description="Added; the whole team and any warnings")
@errors(
    {
        403: _NOT_MANAGER,
        404: "No such visit",
        422: "A conflict of interest (the reviewer works at the visited unit's institution), "
        "not in the network's reviewer pool, a second lead, an untrained lead, already on "
        "the team, or the visit is completed: error.message says which, nothing saved",
    }
)
def visit_team_add(data: dict[str, Any], visit_id: int) -> Any:
    """Add a reviewer to the visit's team in a role (coordinators)

    The conflict-of-interest rules of the team page apply: no one reviews a unit of their own
    institution; a reciprocal pair in the cycle is allowed with a warning.
    """
    visit = visit_or_404(visit_id)
    user = db.session.get(User, data["user_id"])
    if user is None:
        require(current_user, "network.manage", visit.assessment.cycle.network_id)
        raise NotFound(_("No such user."))
    warnings = services.add_team_member(current_user, visit, user, data["role"])
    pack_team = visit_pack(visit_or_404(visit_id), current_user)["team"]
    return {"team": pack_team, "warnings": list(warnings)}


@bp.post("/visits/<int:visit_id>/state")
@bp.arguments(VisitStateChangeSchema)
@bp.response(200, VisitSummarySchema, description="Moved")
@errors(
    {
        403: "Not allowed: scheduling is the coordinator's, starting and completing the lead "
        "reviewer's",
        404: "No such visit",
        422: "The visit cannot move there now (error.message says why)",
        409: "Someone else changed the visit in the meantime",
    }
)
def visit_state_change(data: dict[str, Any], visit_id: int) -> Any:
    """Move a visit: planned → scheduled → in_progress → completed

    Completing it makes the draft report.
    """
    visit = visit_or_404(visit_id)
    VISIT_STEPS[data["state"]](current_user, visit)
    return visit_summary(visit_or_404(visit_id))


@bp.post("/visits/<int:visit_id>/report/state")
@bp.arguments(ReportStateChangeSchema)
@bp.response(200, ReportStateSchema, description="Moved")
@errors(
    {
        403: "Not the visit's lead reviewer",
        404: "No such visit, or no report yet",
        409: "Someone else changed the report in the meantime",
        422: "The report cannot move there now, e.g. the unit's comment period is still open "
        "(error.message says why)",
    }
)
def report_state_change(data: dict[str, Any], visit_id: int) -> Any:
    """Move a visit's report: draft → shared_with_unit → final (the lead reviewer)"""
    visit = visit_or_404(visit_id)
    report = db.session.scalar(sa.select(Report).where(Report.visit_id == visit.id))
    if report is None:
        require(current_user, "visit.read", visit)
        raise NotFound(_("The visit has no report yet."))
    report = REPORT_STEPS[data["state"]](current_user, report)
    return {
        "visit_id": visit.id,
        "state": report.state,
        "shared_at": report.shared_at,
        "finalised_at": report.finalised_at,
    }


@bp.get("/visits/<int:visit_id>")
@bp.response(200, VisitPackSchema, description="The visit pack")
@errors({403: "Not the caller's visit", 404: "No such visit"})
def visit_pack_get(visit_id: int) -> Any:
    """The visit pack: unit, team, every standard with self rating and team finding (with its
    version), observations"""
    visit = visit_or_404(visit_id)
    require(current_user, "visit.read", visit)
    return visit_pack(visit, current_user), 200, {"Cache-Control": "no-store"}


@bp.put("/visits/<int:visit_id>/findings/<code>")
@bp.arguments(FindingUpdateSchema)
@bp.response(
    200, FindingAnswerSchema, description="Applied (or the replay of an op applied before)"
)
@errors(
    {
        403: NOT_RECORDING,
        404: "No such visit, or no such standard in its edition",
        409: (
            "Stale version: error.current is the server's finding; or the visit is scheduled "
            "and its first day (date − the network's tolerance) has not come (error.code "
            "rule_blocked, no error.current: keep the finding and send it again later)",
            _OP_CONFLICT_FINDING,
        ),
        422: REFUSED,
    }
)
def visit_finding_put(data: dict[str, Any], visit_id: int, code: str) -> Any:
    """Record the team's finding for one standard

    `version` is the finding's current version (0 when none exists). A stale version answers
    409 with `error.current` and changes nothing. `op_id` is made by the client for this one
    change; a repeat with the same body is answered as the first time and applied once, the
    same op_id with another body or standard answers 422 (code op_id_reused). `author_id`
    (optional) is who made the change on the tablet; it must be the caller.
    """
    visit = visit_or_404(visit_id)
    # The service checks "visit.record" first.
    return sync.record_finding(
        current_user,
        visit,
        code,
        value=data.get("value"),
        comment=data.get("comment", ""),
        version=data.get("version"),
        op_id=data.get("op_id"),
        author_id=data.get("author_id"),
    )


_OBSERVATION_ERRORS: dict[int, Any] = {
    403: NOT_RECORDING,
    409: ("Stale version: error.current is the server's observation", ObservationConflictSchema),
    422: REFUSED,
}


@bp.put("/visits/<int:visit_id>/observations/<key>")
@bp.arguments(ObservationUpdateSchema)
@bp.response(
    200, ObservationAnswerSchema, description="Saved (or the replay of an op applied before)"
)
@errors({**_OBSERVATION_ERRORS, 404: "No such visit"})
def visit_observation_put(data: dict[str, Any], visit_id: int, key: str) -> Any:
    """Create (version 0) or change an observation under its client-made key

    Idempotent: the key makes an offline-created observation exist once, and a repeated op_id
    is answered as the first time. A stale version answers 409.
    """
    visit = visit_or_404(visit_id)
    return sync.save_observation(
        current_user,
        visit,
        key,
        kind=data.get("kind"),
        text=data.get("text"),
        domain=data.get("domain"),
        standards=data.get("standards"),
        version=data.get("version"),
        op_id=data.get("op_id"),
        author_id=data.get("author_id"),
    )


@bp.delete("/visits/<int:visit_id>/observations/<key>")
@bp.arguments(ObservationDeleteSchema)
@bp.response(200, DeletedSchema, description="Removed (or the replay of the removal)")
@errors({**_OBSERVATION_ERRORS, 404: "No such visit or observation"})
def visit_observation_delete(data: dict[str, Any], visit_id: int, key: str) -> Any:
    """Remove an observation"""
    visit = visit_or_404(visit_id)
    return sync.delete_observation(
        current_user,
        visit,
        key,
        version=data.get("version"),
        op_id=data.get("op_id"),
        author_id=data.get("author_id"),
    )

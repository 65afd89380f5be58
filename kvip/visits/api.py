"""/api/v1/visits: the caller's visits, the visit pack, and the offline-safe writes of findings
and observations (optimistic locking by ``version``, idempotent by ``op_id``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from kvip.api import bp, int_arg, json_body
from kvip.api.spec import (
    BOOLEAN,
    DATE,
    DATETIME,
    ID,
    INTEGER,
    STRING,
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
from kvip.core.errors import NotFound, ServiceError
from kvip.core.permissions import require
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.scoring import VALUES
from kvip.standards.duties import METHOD_CODES
from kvip.visits import sync
from kvip.visits.models import ObservationKind, TeamRole, Visit, VisitState
from kvip.visits.pack import visit_pack, visit_summary
from kvip.visits.permissions import visits_visible_to

MAX_PAGE = 500
VISIT_STATES = tuple(s.value for s in VisitState)


def visit_or_404(visit_id: int) -> Visit:
    """The visit with its assessment and cycle loaded, or a 404."""
    visit = db.session.get(
        Visit, visit_id, options=[joinedload(Visit.assessment).joinedload(Assessment.cycle)]
    )
    if visit is None:
        raise NotFound(_("No such visit."))
    return visit


@bp.get("/visits")
def visits_list() -> Any:
    """The caller's visits (all of their networks' for coordinators), newest first."""
    limit = int_arg("limit", 100, high=MAX_PAGE) or 100
    offset = int_arg("offset", 0, low=0) or 0
    cycle_id = int_arg("cycle_id", None)
    state = request.args.get("state")
    if state is not None and state not in VISIT_STATES:
        raise ServiceError(
            _("Unknown visit state."),
            status=400,
            code="bad_parameter",
            fields={"state": ", ".join(VISIT_STATES)},
        )
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
    return jsonify(
        {
            "visits": [visit_summary(v) for v in rows[:limit]],
            "next_offset": offset + limit if more else None,
        }
    )


@bp.get("/visits/<int:visit_id>")
def visit_pack_get(visit_id: int) -> Any:
    visit = visit_or_404(visit_id)
    require(current_user, "visit.read", visit)
    response = jsonify(visit_pack(visit, current_user))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.put("/visits/<int:visit_id>/findings/<code>")
def visit_finding_put(visit_id: int, code: str) -> Any:
    visit = visit_or_404(visit_id)
    data = json_body()  # the service checks "visit.record" first
    body = sync.record_finding(
        current_user,
        visit,
        code,
        value=data.get("value"),
        comment=data.get("comment", ""),
        version=data.get("version"),
        op_id=data.get("op_id"),
        author_id=data.get("author_id"),
    )
    return jsonify(body)


@bp.put("/visits/<int:visit_id>/observations/<key>")
def visit_observation_put(visit_id: int, key: str) -> Any:
    visit = visit_or_404(visit_id)
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
        author_id=data.get("author_id"),
    )
    return jsonify(body)


@bp.delete("/visits/<int:visit_id>/observations/<key>")
def visit_observation_delete(visit_id: int, key: str) -> Any:
    visit = visit_or_404(visit_id)
    data = json_body()  # the service checks "visit.record" first
    body = sync.delete_observation(
        current_user,
        visit,
        key,
        version=data.get("version"),
        op_id=data.get("op_id"),
        author_id=data.get("author_id"),
    )
    return jsonify(body)


# --- OpenAPI ----------------------------------------------------------------------------------

_USER_REF = nullable(obj({"id": ID, "name": STRING}))
_VALUE = nullable(enum(VALUES))
_VERSION = {**INTEGER, "minimum": 0}
_FINDING = schema(
    "Finding",
    obj(
        {
            "code": STRING,
            "value": _VALUE,
            "comment": {**STRING, "maxLength": sync.MAX_COMMENT},
            "version": {**_VERSION, "description": "0: no finding recorded yet"},
            "disputed": {
                **BOOLEAN,
                "description": "A member overwrote another member's different rating; "
                "the lead reviewer resolves it.",
            },
            "updated_at": nullable(DATETIME),
            "updated_by": _USER_REF,
        },
        description="The team's rating of one standard.",
    ),
)
_KEY_PATTERN = sync.OBSERVATION_KEY.pattern
_OBSERVATION = schema(
    "Observation",
    obj(
        {
            "key": {**STRING, "pattern": _KEY_PATTERN, "description": "client-made id or id-<n>"},
            "kind": enum(ObservationKind),
            "text": STRING,
            "domain": nullable(STRING),
            "standards": array(STRING),
            "version": _VERSION,
            "created_by": _USER_REF,
            "updated_at": nullable(DATETIME),
        }
    ),
)
_VISIT_STATE = enum(VisitState)
_VISIT_SUMMARY = schema(
    "VisitSummary",
    obj(
        {
            "id": ID,
            "state": _VISIT_STATE,
            "date": nullable(DATE),
            "unit": obj({"id": ID, "name": STRING}),
            "institution": STRING,
            "cycle": obj({"id": ID, "name": STRING}),
            "assessment_id": ID,
        }
    ),
)
_SELF_RATING = nullable(
    obj(
        {
            "value": _VALUE,
            "comment": STRING,
            "evidence": STRING,
            "evidence_links": array(STRING),
            "evidence_kinds": array(STRING),
            "carried_over": BOOLEAN,
        },
        description="The unit's self rating with comment and evidence (null: not rated)",
    )
)
_TEAM_ROLE = enum(TeamRole)
_VISIT_PACK = schema(
    "VisitPack",
    obj(
        {
            "id": ID,
            "state": _VISIT_STATE,
            "date": nullable(DATE),
            "generated_at": DATETIME,
            "writable": {**BOOLEAN, "description": "Whether the caller may record now"},
            "unit": obj(
                {
                    "id": ID,
                    "name": STRING,
                    "institution": STRING,
                    "kind": STRING,
                    "beds": {**INTEGER, "minimum": 0},
                    "region": STRING,
                }
            ),
            "cycle": obj({"id": ID, "name": STRING, "year": INTEGER}),
            "assessment": obj(
                {
                    "id": ID,
                    "state": enum(["not_started", "in_progress", "submitted"]),
                    "submitted_at": nullable(DATETIME),
                }
            ),
            "team": array(
                obj(
                    {
                        "user_id": ID,
                        "name": STRING,
                        "role": _TEAM_ROLE,
                        "home_institution": nullable(STRING),
                    }
                )
            ),
            "me": obj({"id": ID, "name": STRING, "role": nullable(_TEAM_ROLE)}),
            "domains": array(
                obj(
                    {
                        "code": STRING,
                        "title": STRING,
                        "standards": array(
                            obj(
                                {
                                    "code": STRING,
                                    "type": enum([1, 2, 3]),
                                    "text": STRING,
                                    "guidance": STRING,
                                    "methods": array(
                                        enum(list(METHOD_CODES)),
                                        description="How a reviewer checks it: codes of the "
                                        "methods vocabulary (the guidance starts with their "
                                        "names)",
                                    ),
                                    "duties": array(STRING),
                                    "self": _SELF_RATING,
                                    "finding": _FINDING,
                                }
                            )
                        ),
                    }
                )
            ),
            "observations": array(_OBSERVATION),
        }
    ),
)

_ID = path_id(what="The visit")
_KEY = path_text("key", "The observation's client-made key (or id-<n>)")
OP_ID_SCHEMA = {
    **STRING,
    "pattern": sync.OP_ID.pattern,
    "description": "Made by the client for one change; a repeat with the same body and target "
    "is answered as the first time and applied once; the same op_id with another body or "
    "target answers 422 (code op_id_reused) and saves nothing",
}
AUTHOR_ID_SCHEMA = {
    **ID,
    "description": "Who made the change on the device; when given it must be the caller "
    "(else 403, code wrong_author, nothing saved)",
}
NOT_RECORDING = (
    "Not on the visit's team, or author_id names someone else (code wrong_author): nothing saved"
)
REFUSED = (
    "Invalid input (error.fields names each field), the op_id was already used for a "
    "different change (code op_id_reused), or the visit takes no records now "
    "(code visit_not_open or visit_closed)"
)

operation(
    "/visits",
    "get",
    summary="The caller's visits (every visit of their networks for coordinators)",
    tags=["visits"],
    parameters=[
        query("cycle_id", ID, "Only this cycle's"),
        query("state", _VISIT_STATE),
        *paging(MAX_PAGE),
    ],
    response=obj({"visits": array(_VISIT_SUMMARY), "next_offset": nullable(_VERSION)}),
    response_description="One page of visits, newest first",
    errors={400: "A parameter is out of range or unknown (code bad_parameter)"},
)
operation(
    "/visits/{id}",
    "get",
    summary="The visit pack: unit, team, every standard with self rating and team "
    "finding (with its version), observations",
    tags=["visits"],
    parameters=[_ID],
    response=_VISIT_PACK,
    response_description="The visit pack",
    errors={403: "Not the caller's visit", 404: "No such visit"},
)
operation(
    "/visits/{id}/findings/{code}",
    "put",
    summary="Record the team's finding for one standard",
    description="`version` is the finding's current version (0 when none exists). "
    "A stale version answers 409 with `error.current` and changes nothing. `op_id` is "
    "made by the client for this one change; a repeat with the same body is answered as the "
    "first time and applied once, the same op_id with another body or standard answers 422 "
    "(code op_id_reused). `author_id` (optional) is who made the change on the tablet; it "
    "must be the caller.",
    tags=["visits"],
    parameters=[_ID, path_text("code", "A standard's code, e.g. 4.12")],
    body=obj(
        {
            "value": _VALUE,
            "comment": nullable({**STRING, "maxLength": sync.MAX_COMMENT}),
            "version": {**_VERSION, "description": "absent or null: 0"},
            "op_id": OP_ID_SCHEMA,
            "author_id": AUTHOR_ID_SCHEMA,
        },
        optional=["value", "comment", "version", "author_id"],
        open_ended=True,
    ),
    response=obj({"finding": _FINDING, "visit_state": _VISIT_STATE, "op_id": STRING}),
    response_description="Applied (or the replay of an op applied before)",
    errors={
        403: NOT_RECORDING,
        404: "No such visit, or no such standard in its edition",
        409: (
            "Stale version: error.current is the server's finding; or the visit is scheduled "
            "and its first day (date − the network's tolerance) has not come (error.code "
            "rule_blocked, no error.current: keep the finding and send it again later)",
            error_schema(_FINDING),
        ),
        422: REFUSED,
    },
)
_OBSERVATION_CONFLICT = error_schema(
    {"anyOf": [_OBSERVATION, obj({"key": STRING, "version": {**INTEGER, "enum": [0]}})]}
)
operation(
    "/visits/{id}/observations/{key}",
    "put",
    summary="Create (version 0) or change an observation under its client-made key",
    description="Idempotent: the key makes an offline-created observation exist once, "
    "and a repeated op_id is answered as the first time. A stale version answers 409.",
    tags=["visits"],
    parameters=[_ID, _KEY],
    body=obj(
        {
            "kind": enum(ObservationKind),
            "text": {**STRING, "pattern": "\\S", "maxLength": sync.MAX_TEXT},
            "domain": nullable(STRING),
            "standards": nullable(array(STRING)),
            "version": {**_VERSION, "description": "0 (or absent) to create"},
            "op_id": OP_ID_SCHEMA,
            "author_id": AUTHOR_ID_SCHEMA,
        },
        optional=["domain", "standards", "version", "author_id"],
        open_ended=True,
    ),
    response=obj({"observation": _OBSERVATION, "op_id": STRING}),
    response_description="Saved (or the replay of an op applied before)",
    errors={
        403: NOT_RECORDING,
        404: "No such visit",
        409: ("Stale version: error.current is the server's observation", _OBSERVATION_CONFLICT),
        422: REFUSED,
    },
)
operation(
    "/visits/{id}/observations/{key}",
    "delete",
    summary="Remove an observation",
    tags=["visits"],
    parameters=[_ID, _KEY],
    body=obj(
        {
            "version": {**_VERSION, "description": "absent or null: 0"},
            "op_id": OP_ID_SCHEMA,
            "author_id": AUTHOR_ID_SCHEMA,
        },
        optional=["version", "author_id"],
        open_ended=True,
    ),
    response=obj({"deleted": {**BOOLEAN, "enum": [True]}, "key": STRING, "op_id": STRING}),
    response_description="Removed (or the replay of the removal)",
    errors={
        403: NOT_RECORDING,
        404: "No such visit or observation",
        409: ("Stale version: error.current is the server's observation", _OBSERVATION_CONFLICT),
        422: REFUSED,
    },
)

"""Writes of the annual cycle: cycles and their states, enrolment with carry-over, ratings with
optimistic locking, confirming carried-over ratings, submit and reopen.

Every function takes the acting user explicitly, checks the permission, validates, writes,
records the change in the audit log and commits (DESIGN §3, §7).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from kvip.accounts.models import User
from kvip.core import audit
from kvip.core.db import utcnow
from kvip.core.errors import Conflict, NotFound, ServiceError
from kvip.core.models import AuditEvent
from kvip.core.permissions import require
from kvip.cycles.models import Assessment, AssessmentState, Cycle, CycleState, Rating
from kvip.cycles.vocabulary import EVIDENCE_KINDS, RATING_VALUES
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.standards.models import Domain, Edition, Standard

CYCLE_FIELDS = (
    "name",
    "year",
    "edition_id",
    "self_assessment_opens",
    "self_assessment_closes",
    "visit_window_start",
    "visit_window_end",
)
# The fields of a rating a person edits, and what the audit log follows.
RATING_FIELDS = ("value", "comment", "evidence", "evidence_links", "evidence_kinds")
AUDITED_RATING_FIELDS = (*RATING_FIELDS, "carried_over")
MAX_TEXT = 10_000
MAX_LINKS = 20
MAX_LINK_LENGTH = 500
LINK_RE = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)


# --- cycles --------------------------------------------------------------------------------


def _check_cycle(
    network_id: int,
    cycle_id: int | None,
    *,
    year: int | None,
    name: str,
    self_assessment_opens: date | None,
    self_assessment_closes: date | None,
    visit_window_start: date | None,
    visit_window_end: date | None,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if year is None or not 2000 <= year <= 2100:
        errors["year"] = _("Enter a year between 2000 and 2100.")
    else:
        taken = db.session.scalar(
            sa.select(Cycle.id).where(
                Cycle.network_id == network_id, Cycle.year == year, Cycle.id != (cycle_id or 0)
            )
        )
        if taken:
            errors["year"] = _("The network already has a cycle for %(year)d.", year=year)
    if not name.strip():
        errors["name"] = _("Enter a name.")
    elif len(name) > 200:
        errors["name"] = _("At most %(n)d characters.", n=200)
    if self_assessment_opens is None:
        errors["self_assessment_opens"] = _("Enter the date the self-assessment opens.")
    if self_assessment_closes is None:
        errors["self_assessment_closes"] = _("Enter the self-assessment deadline.")
    if (
        self_assessment_opens
        and self_assessment_closes
        and self_assessment_closes < self_assessment_opens
    ):
        errors["self_assessment_closes"] = _("The deadline must be on or after the opening date.")
    if visit_window_start and visit_window_end and visit_window_end < visit_window_start:
        errors["visit_window_end"] = _("The visit window must end on or after its start.")
    if (
        visit_window_start
        and self_assessment_closes
        and not errors.get("self_assessment_closes")
        and visit_window_start < self_assessment_closes
    ):
        errors["visit_window_start"] = _("Visits start after the self-assessment deadline.")
    return errors


def create_cycle(
    actor: Any,
    network_id: int,
    *,
    edition_id: int | None,
    year: int | None,
    name: str,
    self_assessment_opens: date | None,
    self_assessment_closes: date | None,
    visit_window_start: date | None = None,
    visit_window_end: date | None = None,
) -> Cycle:
    """Plan a new cycle for a network; the edition it uses is frozen from now on."""
    require(actor, "network.manage", network_id)
    errors = _check_cycle(
        network_id,
        None,
        year=year,
        name=name,
        self_assessment_opens=self_assessment_opens,
        self_assessment_closes=self_assessment_closes,
        visit_window_start=visit_window_start,
        visit_window_end=visit_window_end,
    )
    edition = db.session.get(Edition, edition_id) if edition_id else None
    if edition is None:
        errors["edition_id"] = _("Choose an edition of the standards.")
    elif not db.session.scalar(sa.select(sa.exists().where(Standard.edition_id == edition.id))):
        errors["edition_id"] = _("This edition has no standards.")
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors)
    assert edition is not None and year is not None
    cycle = Cycle(
        network_id=network_id,
        edition_id=edition.id,
        year=year,
        name=name.strip(),
        state=CycleState.planned.value,
        self_assessment_opens=self_assessment_opens,
        self_assessment_closes=self_assessment_closes,
        visit_window_start=visit_window_start,
        visit_window_end=visit_window_end,
    )
    db.session.add(cycle)
    db.session.flush()
    audit.record(
        actor,
        "cycle",
        cycle.id,
        action="create",
        changes={f: (None, getattr(cycle, f)) for f in CYCLE_FIELDS},
        network_id=network_id,
    )
    if not edition.frozen:
        edition.frozen = True
        audit.record(
            actor,
            "edition",
            edition.id,
            action="freeze",
            changes={"frozen": (False, True)},
            network_id=network_id,
            note=cycle.name,
        )
    db.session.commit()
    return cycle


def update_cycle(
    actor: Any,
    cycle: Cycle,
    *,
    name: str,
    self_assessment_opens: date | None,
    self_assessment_closes: date | None,
    visit_window_start: date | None,
    visit_window_end: date | None,
) -> Cycle:
    """Rename a cycle or move its windows (e.g. extend the deadline); not once it is closed."""
    require(actor, "network.manage", cycle.network_id)
    if cycle.state == CycleState.closed.value:
        raise ServiceError(_("The cycle is closed and can no longer change."), status=409)
    errors = _check_cycle(
        cycle.network_id,
        cycle.id,
        year=cycle.year,
        name=name,
        self_assessment_opens=self_assessment_opens,
        self_assessment_closes=self_assessment_closes,
        visit_window_start=visit_window_start,
        visit_window_end=visit_window_end,
    )
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors)
    before = audit.snapshot(cycle, CYCLE_FIELDS)
    cycle.name = name.strip()
    cycle.self_assessment_opens = self_assessment_opens
    cycle.self_assessment_closes = self_assessment_closes
    cycle.visit_window_start = visit_window_start
    cycle.visit_window_end = visit_window_end
    audit.record_diff(actor, "cycle", cycle, before, network_id=cycle.network_id)
    db.session.commit()
    return cycle


def _transition(actor: Any, cycle: Cycle, source: str, target: str) -> Cycle:
    require(actor, "network.manage", cycle.network_id)
    if cycle.state != source:
        raise ServiceError(
            _("This cannot be done while the cycle is %(state)s.", state=_state_word(cycle.state)),
            status=409,
            code="invalid_state",
        )
    old = cycle.state
    cycle.state = target
    audit.record(
        actor,
        "cycle",
        cycle.id,
        action=target,
        changes={"state": (old, target)},
        network_id=cycle.network_id,
    )
    db.session.commit()
    return cycle


def _state_word(state: str) -> str:
    from kvip.cycles.vocabulary import cycle_state_labels

    return cycle_state_labels().get(state, state).lower()


def open_cycle(actor: Any, cycle: Cycle) -> Cycle:
    """planned → open: enrolled units can now rate themselves."""
    enrolled = db.session.scalar(
        sa.select(sa.func.count()).select_from(Assessment).where(Assessment.cycle_id == cycle.id)
    )
    if cycle.state == CycleState.planned.value and not enrolled:
        require(actor, "network.manage", cycle.network_id)
        raise ServiceError(_("Enrol at least one unit before opening the cycle."), status=422)
    return _transition(actor, cycle, CycleState.planned.value, CycleState.open.value)


def close_cycle(actor: Any, cycle: Cycle) -> Cycle:
    """open → closed: every self-assessment of the cycle is locked."""
    return _transition(actor, cycle, CycleState.open.value, CycleState.closed.value)


def previous_assessments(network_id: int, year: int, unit_ids: Iterable[int]) -> dict[int, int]:
    """unit id → id of the unit's latest assessment in an earlier cycle of the network."""
    ids = list(unit_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Assessment.unit_id, Assessment.id)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .where(Cycle.network_id == network_id, Cycle.year < year, Assessment.unit_id.in_(ids))
        .order_by(Assessment.unit_id, Cycle.year.desc())
    )
    found: dict[int, int] = {}
    for unit_id, assessment_id in rows:
        found.setdefault(unit_id, assessment_id)
    return found


def enrol_units(
    actor: Any, cycle: Cycle, unit_ids: Sequence[int], *, carry_over: bool
) -> list[Assessment]:
    """Enrol units in a cycle (one assessment each); with ``carry_over`` each starts from the
    unit's previous ratings, matched by standard code and marked carried over."""
    require(actor, "network.manage", cycle.network_id)
    if cycle.state == CycleState.closed.value:
        raise ServiceError(_("The cycle is closed and can no longer change."), status=409)
    wanted = sorted(set(unit_ids))
    if not wanted:
        raise ServiceError(_("Choose at least one unit."), fields={"unit_ids": _("Choose a unit.")})
    units = db.session.scalars(
        sa.select(Unit).where(Unit.id.in_(wanted), Unit.network_id == cycle.network_id)
    ).all()
    if len(units) != len(wanted):
        raise ServiceError(
            _("Only units of this network can be enrolled."),
            fields={"unit_ids": _("Unknown unit.")},
        )
    already = set(
        db.session.scalars(
            sa.select(Assessment.unit_id).where(
                Assessment.cycle_id == cycle.id, Assessment.unit_id.in_(wanted)
            )
        )
    )
    new_units = [u for u in units if u.id not in already]
    assessments = [Assessment(cycle_id=cycle.id, unit_id=u.id) for u in new_units]
    db.session.add_all(assessments)
    db.session.flush()
    copied: dict[int, int] = {}
    if carry_over:
        copied = _carry_over(actor, cycle, assessments)
    for a in assessments:
        changes: dict[str, tuple[Any, Any]] = {"state": (None, a.state)}
        if carry_over:
            changes["carried_over"] = (None, copied.get(a.id, 0))
        audit.record(
            actor,
            "assessment",
            a.id,
            action="enrol",
            changes=changes,
            network_id=cycle.network_id,
            unit_id=a.unit_id,
        )
    db.session.commit()
    return assessments


def _carry_over(actor: Any, cycle: Cycle, assessments: list[Assessment]) -> dict[int, int]:
    """Copy each unit's previous ratings into its new assessment (bulk insert); returns the
    number copied per new assessment id."""
    by_unit = {a.unit_id: a for a in assessments}
    previous = previous_assessments(cycle.network_id, cycle.year, by_unit)
    if not previous:
        return {}
    target_ids = dict(
        db.session.execute(
            sa.select(Standard.code, Standard.id).where(Standard.edition_id == cycle.edition_id)
        ).all()
    )
    new_of_previous = {prev: by_unit[unit].id for unit, prev in previous.items()}
    rows = db.session.execute(
        sa.select(
            Rating.assessment_id,
            Standard.code,
            Rating.value,
            Rating.comment,
            Rating.evidence,
            Rating.evidence_links,
            Rating.evidence_kinds,
        )
        .join(Standard, Standard.id == Rating.standard_id)
        .where(Rating.assessment_id.in_(list(new_of_previous)), Rating.value.is_not(None))
    )
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    for prev_id, code, value, comment, evidence, links, kinds in rows:
        standard_id = target_ids.get(code)
        if standard_id is None:  # the standard is not in this cycle's edition
            continue
        inserts.append(
            {
                "assessment_id": new_of_previous[prev_id],
                "standard_id": standard_id,
                "value": value,
                "comment": comment,
                "evidence": evidence,
                "evidence_links": links,
                "evidence_kinds": kinds,
                "carried_over": True,
                "version": 1,
                "updated_at": now,
                "updated_by_id": getattr(actor, "id", None),
            }
        )
    if not inserts:
        return {}
    db.session.execute(sa.insert(Rating), inserts)
    unit_of = {a.id: a.unit_id for a in assessments}
    created = db.session.execute(
        sa.select(Rating.id, Rating.assessment_id, Rating.value).where(
            Rating.assessment_id.in_(list(unit_of))
        )
    ).all()
    events = [
        {
            "at": now,
            "user_id": getattr(actor, "id", None),
            "network_id": cycle.network_id,
            "unit_id": unit_of[assessment_id],
            "entity": "rating",
            "entity_id": rating_id,
            "action": "carry_over",
            "field": "value",
            "old": None,
            "new": value,
            "note": None,
        }
        for rating_id, assessment_id, value in created
    ]
    db.session.execute(sa.insert(AuditEvent), events)
    counts: dict[int, int] = {}
    for _rid, assessment_id, _v in created:
        counts[assessment_id] = counts.get(assessment_id, 0) + 1
    return counts


# --- ratings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingInput:
    """A validated save: the fields sent (only those), the version it is based on, confirm flag."""

    values: dict[str, Any]
    version: int
    confirm: bool = False


def _text_field(data: Mapping[str, Any], name: str, errors: dict[str, str]) -> str | None:
    raw = data.get(name)
    if raw is None:
        return ""
    if not isinstance(raw, str):
        errors[name] = _("Must be text.")
        return None
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_TEXT:
        errors[name] = _("At most %(n)d characters.", n=MAX_TEXT)
        return None
    return text


def _links(raw: Any, errors: dict[str, str]) -> str | None:
    if raw is None:
        return ""
    if isinstance(raw, str):
        items = raw.splitlines()
    elif isinstance(raw, list) and all(isinstance(i, str) for i in raw):
        items = list(raw)
    else:
        errors["evidence_links"] = _("Give the links as a list of addresses.")
        return None
    links = [i.strip() for i in items if i.strip()]
    if len(links) > MAX_LINKS:
        errors["evidence_links"] = _("At most %(n)d links.", n=MAX_LINKS)
        return None
    for link in links:
        if len(link) > MAX_LINK_LENGTH or not LINK_RE.match(link):
            errors["evidence_links"] = _(
                "“%(link)s” is not a web address (it must start with https:// or http://).",
                link=link[:80],
            )
            return None
    return "\n".join(links)


def _kinds(raw: Any, errors: dict[str, str]) -> str | None:
    if raw is None:
        return ""
    if isinstance(raw, str):
        items = [i.strip() for i in raw.split(",") if i.strip()]
    elif isinstance(raw, list) and all(isinstance(i, str) for i in raw):
        items = list(raw)
    else:
        errors["evidence_kinds"] = _("Give the kinds of evidence as a list.")
        return None
    unknown = [i for i in items if i not in EVIDENCE_KINDS]
    if unknown:
        errors["evidence_kinds"] = _(
            "Unknown kind of evidence: %(kind)s. Choose from: %(choices)s.",
            kind=unknown[0][:40],
            choices=", ".join(EVIDENCE_KINDS),
        )
        return None
    return ",".join(k for k in EVIDENCE_KINDS if k in items)


def parse_rating_input(data: Mapping[str, Any]) -> RatingInput:
    """Validate a save request body; 422 with an error per field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "value" in data:
        value = data["value"]
        if value in (None, ""):
            values["value"] = None
        elif isinstance(value, str) and value in RATING_VALUES:
            values["value"] = value
        else:
            errors["value"] = _("Choose one of: %(choices)s.", choices=", ".join(RATING_VALUES))
    for name in ("comment", "evidence"):
        if name in data:
            text = _text_field(data, name, errors)
            if text is not None:
                values[name] = text
    if "evidence_links" in data:
        links = _links(data["evidence_links"], errors)
        if links is not None:
            values["evidence_links"] = links
    if "evidence_kinds" in data:
        kinds = _kinds(data["evidence_kinds"], errors)
        if kinds is not None:
            values["evidence_kinds"] = kinds
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        errors["version"] = _(
            "Send the version the change is based on (0 for a standard not rated yet)."
        )
        version = -1
    confirm = data.get("confirm", False)
    if not isinstance(confirm, bool):
        errors["confirm"] = _("Must be true or false.")
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors, status=422)
    return RatingInput(values=values, version=int(version), confirm=bool(confirm))


def rating_state(rating: Rating | None, code: str, actor: Any = None) -> dict[str, Any]:
    """The JSON form of a standard's rating (an unrated standard has version 0); ``actor``
    saves a query when they are the one who saved it last."""
    if rating is None:
        return {
            "code": code,
            "value": None,
            "comment": "",
            "evidence": "",
            "evidence_links": [],
            "evidence_kinds": [],
            "carried_over": False,
            "version": 0,
            "updated_at": None,
            "updated_by": None,
        }
    name = None
    if actor is not None and rating.updated_by_id == getattr(actor, "id", None):
        name = actor.name
    elif rating.updated_by_id:
        name = db.session.scalar(sa.select(User.name).where(User.id == rating.updated_by_id))
    return {
        "code": code,
        "value": rating.value,
        "comment": rating.comment or "",
        "evidence": rating.evidence or "",
        "evidence_links": split_links(rating.evidence_links),
        "evidence_kinds": split_kinds(rating.evidence_kinds),
        "carried_over": rating.carried_over,
        "version": rating.version,
        "updated_at": rating.updated_at.isoformat() + "Z" if rating.updated_at else None,
        "updated_by": name,
    }


def split_links(text: str | None) -> list[str]:
    return [line for line in (text or "").split("\n") if line]


def split_kinds(text: str | None) -> list[str]:
    return [k for k in (text or "").split(",") if k]


def require_editable(assessment: Assessment) -> None:
    """Ratings change only while the cycle is open and the assessment not submitted (409)."""
    if assessment.cycle.state != CycleState.open.value:
        raise ServiceError(
            _("The cycle is not open: the self-assessment cannot be changed."),
            status=409,
            code="locked",
        )
    if assessment.state == AssessmentState.submitted.value:
        raise ServiceError(
            _("The self-assessment is submitted and locked. A coordinator can reopen it."),
            status=409,
            code="locked",
        )


def standard_for(assessment: Assessment, code: str) -> Standard:
    """The standard with ``code`` in the assessment's edition, or 404."""
    standard = db.session.scalar(
        sa.select(Standard)
        .where(Standard.edition_id == assessment.cycle.edition_id, Standard.code == code)
        .options(sa.orm.lazyload("*"))  # duties and dimensions are not needed to save
    )
    if standard is None:
        raise NotFound(_("No standard %(code)s in this edition.", code=code[:20]))
    return standard


def _same(rating: Rating, values: Mapping[str, Any]) -> bool:
    return all((getattr(rating, k) or "") == (v or "") for k, v in values.items())


def _mark_started(actor: Any, assessment: Assessment) -> None:
    if assessment.state == AssessmentState.not_started.value:
        assessment.state = AssessmentState.in_progress.value
        audit.record(
            actor,
            "assessment",
            assessment.id,
            action="start",
            changes={"state": (AssessmentState.not_started.value, assessment.state)},
            network_id=assessment.cycle.network_id,
            unit_id=assessment.unit_id,
        )


def write_rating(
    actor: Any,
    assessment: Assessment,
    standard: Standard,
    data: RatingInput,
    *,
    note: str | None = None,
) -> tuple[Rating | None, bool]:
    """Apply one validated save without committing; (rating, changed).

    A save based on another version than the current one is refused with 409 and the current
    state, except an exact repeat of what is stored (a retry whose first answer was lost).
    Any save clears the carried-over mark: the rating is now confirmed or changed.
    """
    rating = db.session.scalar(
        sa.select(Rating).where(
            Rating.assessment_id == assessment.id, Rating.standard_id == standard.id
        )
    )
    current = rating.version if rating is not None else 0
    if data.version != current:
        if rating is not None and not rating.carried_over and _same(rating, data.values):
            return rating, False
        raise Conflict(
            _("Someone else saved this standard in the meantime. Choose which version to keep."),
            payload={"current": rating_state(rating, standard.code)},
        )
    values = dict(data.values)
    if rating is None:
        if not any(values.get(k) for k in RATING_FIELDS):
            return None, False  # nothing to store for an unrated standard
        rating = Rating(
            assessment_id=assessment.id,
            standard_id=standard.id,
            value=None,
            comment="",
            evidence="",
            evidence_links="",
            evidence_kinds="",
            carried_over=False,
        )
        db.session.add(rating)
        before: dict[str, Any] = {f: None if f == "value" else "" for f in RATING_FIELDS}
        before["carried_over"] = False
        action = "create"
    else:
        before = audit.snapshot(rating, AUDITED_RATING_FIELDS)
        action = "update"
    for key, value in values.items():
        setattr(rating, key, value if key == "value" else (value or ""))
    changed_fields = any((before.get(k) or "") != (getattr(rating, k) or "") for k in RATING_FIELDS)
    if rating.carried_over and (changed_fields or data.confirm or values):
        rating.carried_over = False
        if not changed_fields:
            action = "confirm"
    if not changed_fields and rating.carried_over == before["carried_over"]:
        return rating, False
    rating.updated_at = utcnow()
    rating.updated_by_id = getattr(actor, "id", None)
    db.session.flush()  # the version check happens here (StaleDataError on a lost race)
    audit.record_diff(
        actor,
        "rating",
        rating,
        before,
        action=action,
        network_id=assessment.cycle.network_id,
        unit_id=assessment.unit_id,
        note=note,
    )
    _mark_started(actor, assessment)
    return rating, True


def _race_conflict(assessment: Assessment, standard: Standard) -> Conflict:
    db.session.rollback()
    rating = db.session.scalar(
        sa.select(Rating).where(
            Rating.assessment_id == assessment.id, Rating.standard_id == standard.id
        )
    )
    return Conflict(
        _("Someone else saved this standard in the meantime. Choose which version to keep."),
        payload={"current": rating_state(rating, standard.code)},
    )


def save_rating(
    actor: Any, assessment: Assessment, code: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Save one standard's rating (value, comment, evidence) with optimistic locking; returns
    the stored state. 409 on a stale version, 422 on invalid input, 404 for an unknown code."""
    require(actor, "assessment.edit", assessment)
    require_editable(assessment)
    standard = standard_for(assessment, code)
    parsed = parse_rating_input(data)
    try:
        rating, _changed = write_rating(actor, assessment, standard, parsed)
        db.session.flush()
        # Read the answer before commit expires the objects (saves reloading them).
        state = rating_state(rating, standard.code, actor)
        db.session.commit()
    except (StaleDataError, IntegrityError):
        raise _race_conflict(assessment, standard) from None
    return state


def confirm_domain(actor: Any, assessment: Assessment, domain_code: str) -> int:
    """Confirm every carried-over rating of one domain as still true; returns how many."""
    require(actor, "assessment.edit", assessment)
    require_editable(assessment)
    domain = db.session.scalar(
        sa.select(Domain).where(
            Domain.edition_id == assessment.cycle.edition_id, Domain.code == domain_code
        )
    )
    if domain is None:
        raise NotFound(_("No such domain."))
    ratings = db.session.scalars(
        sa.select(Rating)
        .join(Standard, Standard.id == Rating.standard_id)
        .where(
            Rating.assessment_id == assessment.id,
            Rating.carried_over.is_(True),
            Standard.domain_id == domain.id,
        )
    ).all()
    now = utcnow()
    for rating in ratings:
        rating.carried_over = False
        rating.updated_at = now
        rating.updated_by_id = actor.id
        audit.record(
            actor,
            "rating",
            rating.id,
            action="confirm",
            changes={"carried_over": (True, False)},
            network_id=assessment.cycle.network_id,
            unit_id=assessment.unit_id,
        )
    if ratings:
        _mark_started(actor, assessment)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(
            _("Someone else changed these ratings in the meantime. Reload and try again.")
        ) from None
    return len(ratings)


MAX_IMPORT_ROWS = 2000
# Audit note of changes made by a spreadsheet upload (translated when shown).
IMPORT_NOTE = "xlsx"


def apply_import(actor: Any, assessment: Assessment, changes: Any) -> int:
    """Apply the changes previewed from an uploaded spreadsheet: all of them or none.

    Each item is ``{code, version, value?, comment?, evidence?}``; a version that is no longer
    current (someone saved meanwhile) refuses the whole import with 409.
    """
    require(actor, "assessment.edit", assessment)
    require_editable(assessment)
    if not isinstance(changes, list) or len(changes) > MAX_IMPORT_ROWS:
        raise ServiceError(_("The list of changes is not valid. Upload the file again."))
    codes = [c.get("code") for c in changes if isinstance(c, dict)]
    if len(codes) != len(changes) or not all(isinstance(c, str) for c in codes):
        raise ServiceError(_("The list of changes is not valid. Upload the file again."))
    standards = {
        s.code: s
        for s in db.session.scalars(
            sa.select(Standard)
            .where(Standard.edition_id == assessment.cycle.edition_id, Standard.code.in_(codes))
            .options(sa.orm.lazyload("*"))
        )
    }
    parsed = []
    for item in changes:
        standard = standards.get(item["code"])
        if standard is None:
            raise ServiceError(_("No standard %(code)s in this edition.", code=item["code"][:20]))
        body = {k: v for k, v in item.items() if k in (*RATING_FIELDS, "version")}
        parsed.append((standard, parse_rating_input(body)))
    stale: list[str] = []
    applied = 0
    try:
        for standard, data in parsed:
            try:
                _rating, changed = write_rating(actor, assessment, standard, data, note=IMPORT_NOTE)
            except Conflict:
                stale.append(standard.code)
                continue
            applied += int(changed)
        if stale:
            raise Conflict(
                _(
                    "Nothing was applied: someone saved %(codes)s after your preview. Upload the file again to see the conflicts.",
                    codes=", ".join(stale[:10]),
                )
            )
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise Conflict(
            _("Nothing was applied: someone saved meanwhile. Upload the file again.")
        ) from None
    except ServiceError:
        db.session.rollback()
        raise
    return applied


# --- submit and reopen -----------------------------------------------------------------------


def open_work(assessment: Assessment) -> tuple[int, int]:
    """(standards not rated, ratings still carried over unconfirmed) of an assessment."""
    total = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Standard)
        .where(Standard.edition_id == assessment.cycle.edition_id)
    )
    rated, carried = db.session.execute(
        sa.select(
            sa.func.count(Rating.value),
            sa.func.coalesce(sa.func.sum(sa.case((Rating.carried_over.is_(True), 1), else_=0)), 0),
        ).where(Rating.assessment_id == assessment.id)
    ).one()
    return int(total or 0) - int(rated or 0), int(carried or 0)


def submit_assessment(actor: Any, assessment: Assessment) -> Assessment:
    """The unit lead submits when every standard is rated (N/A counts) and confirmed; it locks."""
    require(actor, "assessment.submit", assessment)
    require_editable(assessment)
    unrated, carried = open_work(assessment)
    if unrated:
        raise ServiceError(
            ngettext(
                "%(num)d standard is not rated yet. Every standard needs a rating before you submit (Not applicable counts).",
                "%(num)d standards are not rated yet. Every standard needs a rating before you submit (Not applicable counts).",
                unrated,
            ),
            code="incomplete",
        )
    if carried:
        raise ServiceError(
            ngettext(
                "%(num)d rating carried over from the last cycle is not confirmed yet. Confirm or change it before you submit.",
                "%(num)d ratings carried over from the last cycle are not confirmed yet. Confirm or change them before you submit.",
                carried,
            ),
            code="unconfirmed",
        )
    old = assessment.state
    assessment.state = AssessmentState.submitted.value
    assessment.submitted_at = utcnow()
    assessment.submitted_by_id = actor.id
    audit.record(
        actor,
        "assessment",
        assessment.id,
        action="submit",
        changes={"state": (old, assessment.state)},
        network_id=assessment.cycle.network_id,
        unit_id=assessment.unit_id,
    )
    db.session.commit()
    return assessment


def reopen_assessment(actor: Any, assessment: Assessment, reason: str) -> Assessment:
    """A coordinator reopens a submitted self-assessment, giving the unit a reason."""
    require(actor, "assessment.reopen", assessment)
    if assessment.state != AssessmentState.submitted.value:
        raise ServiceError(_("Only a submitted self-assessment can be reopened."), status=409)
    if assessment.cycle.state != CycleState.open.value:
        raise ServiceError(_("The cycle is closed: the self-assessment stays locked."), status=409)
    reason = reason.strip()
    if not reason:
        raise ServiceError(
            _("Give the unit a reason for reopening."),
            fields={"reason": _("Enter a reason.")},
        )
    if len(reason) > 2000:
        raise ServiceError(
            _("At most %(n)d characters.", n=2000),
            fields={"reason": _("At most %(n)d characters.", n=2000)},
        )
    old = assessment.state
    assessment.state = AssessmentState.in_progress.value
    assessment.submitted_at = None
    assessment.submitted_by_id = None
    audit.record(
        actor,
        "assessment",
        assessment.id,
        action="reopen",
        changes={"state": (old, assessment.state)},
        network_id=assessment.cycle.network_id,
        unit_id=assessment.unit_id,
        note=reason,
    )
    db.session.commit()
    return assessment

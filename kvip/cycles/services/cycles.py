"""Cycles and their states (planned → open → closed), enrolment with carry-over
(:mod:`kvip.cycles.services.carry_over`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from kvip.core import audit, versioning
from kvip.core.dates import date_problem
from kvip.core.errors import ServiceError
from kvip.core.permissions import require
from kvip.core.setup import MAX_ID
from kvip.core.text import clean_line, line_problem
from kvip.cycles.models import Assessment, Cycle, CycleState
from kvip.cycles.services.carry_over import carry_over_ratings
from kvip.cycles.vocabulary import cycle_state_labels
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.standards.models import Edition, Standard

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


# The longest name a cycle may have (form, API schema and this check).
NAME_MAX = 200


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
    elif len(name) > NAME_MAX:
        errors["name"] = _("At most %(n)d characters.", n=NAME_MAX)
    elif problem := line_problem(name):
        errors["name"] = problem
    dates = {
        "self_assessment_opens": self_assessment_opens,
        "self_assessment_closes": self_assessment_closes,
        "visit_window_start": visit_window_start,
        "visit_window_end": visit_window_end,
    }
    for field, value in dates.items():
        problem = date_problem(value)
        if problem:
            errors[field] = problem
    if errors.keys() & dates.keys():
        return errors
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
        name=clean_line(name).strip(),
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
    version: Any = None,
) -> Cycle:
    """Rename a cycle or move its windows (e.g. extend the deadline); not once it is closed.
    ``version`` is the one the person saw: an older one or a lost race raises EditConflict."""
    require(actor, "network.manage", cycle.network_id)
    versioning.check_version("cycle", cycle, version)
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
    with versioning.guarded("cycle", cycle):
        before = audit.snapshot(cycle, CYCLE_FIELDS)
        cycle.name = clean_line(name).strip()
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
    network_id = cycle.network_id
    with versioning.guarded("cycle", cycle):
        cycle.state = target
        audit.record(
            actor,
            "cycle",
            cycle.id,
            action=target,
            changes={"state": (old, target)},
            network_id=network_id,
        )
        db.session.commit()
    return cycle


def _state_word(state: str) -> str:
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
    # An id no INTEGER column can hold is no unit (and PostgreSQL refuses it in the query).
    units = db.session.scalars(
        sa.select(Unit).where(
            Unit.id.in_([u for u in wanted if 0 < u <= MAX_ID]),
            Unit.network_id == cycle.network_id,
        )
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
        copied = carry_over_ratings(actor, cycle, assessments)
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

"""Reads of the actions module: a unit's plans, the plan's due date, the earlier cycles.

Every query is bounded by one assessment or one unit, never by the size of the instance.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from kvip.actions.models import Action, ActionStatus, action_standards
from kvip.core import dates
from kvip.cycles.models import Assessment, Cycle

# One meaning of "the previous assessment" everywhere (carry-over, visit pack, reminders).
from kvip.cycles.services.carry_over import earlier_assessments
from kvip.cycles.services.carry_over import previous_assessment as previous_assessment
from kvip.extensions import db
from kvip.standards.models import Standard
from kvip.visits.models import Observation, Report, ReportState, Visit, VisitState

# DESIGN §3: the action plan is due 6 weeks after the final report.
PLAN_DUE_AFTER = timedelta(weeks=6)
OPEN = (ActionStatus.planned.value, ActionStatus.in_progress.value)
STATUS_ORDER = ("planned", "in_progress", "done", "verified", "dropped")


def today() -> date:
    return dates.today()


def is_overdue(action: Action, on: date | None = None) -> bool:
    """An open (planned or in progress) action whose deadline has passed (for one loaded
    action; :func:`deadlines` is the same rule in SQL)."""
    on = on or today()
    return action.status in OPEN and action.deadline is not None and action.deadline < on


def deadlines(on: date, *, until: date | None = None) -> sa.Select[*tuple[Any, ...]]:
    """The one deadlines query: open (planned or in progress) actions whose deadline is before
    ``on`` (overdue), or on or before ``until`` when given (overdue and due soon), with their
    unit, cycle and network and whether they are overdue on ``on``.

    Callers narrow it (a user's units, a coordinator's networks, one cycle) and group it; the
    "Due soon" page (Frister), the reminder e-mails and the network action overview all start
    here, so they always count the same actions."""
    last = Action.deadline < on if until is None else Action.deadline <= until
    return (
        sa.select(
            Action.id.label("action_id"),
            Action.title,
            Action.deadline,
            Action.assessment_id,
            Assessment.unit_id,
            Assessment.cycle_id,
            Cycle.network_id,
            (Action.deadline < on).label("overdue"),
        )
        .join(Assessment, Assessment.id == Action.assessment_id)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .where(Action.status.in_(OPEN), Action.deadline.is_not(None), last)
    )


def actions_of(assessment_id: int) -> list[Action]:
    """The assessment's actions with their standards (and domains) loaded, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Action)
            .where(Action.assessment_id == assessment_id)
            .options(
                selectinload(Action.standards).selectinload(Standard.domain),
                selectinload(Action.verified_by),
            )
            .order_by(Action.id)
        )
    )


def final_report(assessment_id: int) -> Report | None:
    """The assessment's latest final report, if any."""
    return db.session.scalar(
        sa.select(Report)
        .join(Visit, Visit.id == Report.visit_id)
        .where(Visit.assessment_id == assessment_id, Report.state == ReportState.final.value)
        .order_by(Report.finalised_at.desc())
        .limit(1)
    )


def plan_due(assessment_id: int) -> date | None:
    """The date the action plan is due: six weeks after the final report (None before it)."""
    report = final_report(assessment_id)
    if report is None or report.finalised_at is None:
        return None
    finalised: datetime = report.finalised_at
    return dates.local_date(finalised + PLAN_DUE_AFTER)


def visits_of(assessment_id: int) -> list[Visit]:
    return list(
        db.session.scalars(
            sa.select(Visit).where(Visit.assessment_id == assessment_id).order_by(Visit.id)
        )
    )


def completed_visit(assessment_id: int) -> Visit | None:
    """The assessment's latest completed visit: its team's findings are the peer source."""
    return db.session.scalar(
        sa.select(Visit)
        .where(Visit.assessment_id == assessment_id, Visit.state == VisitState.completed.value)
        .order_by(Visit.completed_at.desc(), Visit.id.desc())
        .limit(1)
    )


def shared_observations(assessment_id: int, kinds: tuple[str, ...]) -> list[Observation]:
    """Observations of the assessment's visits whose report the unit may read (shared or final)."""
    visible = sa.select(Report.visit_id).where(
        Report.state.in_([ReportState.shared_with_unit.value, ReportState.final.value])
    )
    return list(
        db.session.scalars(
            sa.select(Observation)
            .join(Visit, Visit.id == Observation.visit_id)
            .where(
                Visit.assessment_id == assessment_id,
                Observation.kind.in_(kinds),
                Observation.visit_id.in_(visible),
            )
            .options(selectinload(Observation.standards))
            .order_by(Observation.kind, Observation.id)
        )
    )


def assessments_of_unit(unit_id: int) -> list[Assessment]:
    """The unit's assessments, newest cycle first."""
    return list(
        db.session.scalars(
            sa.select(Assessment)
            .join(Cycle, Cycle.id == Assessment.cycle_id)
            .where(Assessment.unit_id == unit_id)
            .options(selectinload(Assessment.cycle))
            .order_by(Cycle.year.desc(), Cycle.id.desc())
        )
    )


def verification_groups(
    assessment: Assessment, skip: int | None = None, visit_id: int | None = None
) -> list[tuple[Cycle, list[Action]]]:
    """The actions of the unit's earlier cycles (same network) a visit to ``assessment`` checks:
    done but not verified, or overdue (and those this visit already judged), grouped by cycle,
    latest first; ``skip`` leaves out one assessment (the previous plan, shown whole)."""
    on = today()
    groups: list[tuple[Cycle, list[Action]]] = []
    for earlier in earlier_assessments(assessment):
        if earlier.id == skip:
            continue
        waiting = [
            a
            for a in actions_of(earlier.id)
            if a.status == ActionStatus.done.value
            or is_overdue(a, on)
            or (visit_id is not None and a.verification_visit_id == visit_id)
        ]
        if waiting:
            groups.append((earlier.cycle, waiting))
    return groups


def plan_assessment(unit_id: int) -> Assessment | None:
    """The assessment whose action plan matters now: the newest one with actions or a final
    report (last year's plan while this year's self-assessment runs), else the newest."""
    rows = assessments_of_unit(unit_id)
    for assessment in rows:
        has_actions = db.session.scalar(
            sa.select(sa.exists().where(Action.assessment_id == assessment.id))
        )
        if has_actions or final_report(assessment.id) is not None:
            return assessment
    return rows[0] if rows else None


def action_for_source(assessment_id: int, kind: str, source_id: int) -> Action | None:
    return db.session.scalar(
        sa.select(Action)
        .where(
            Action.assessment_id == assessment_id,
            Action.source_kind == kind,
            Action.source_id == source_id,
        )
        .limit(1)
    )


def _preferred(actions: list[Action], standard_id: int) -> Action | None:
    """Of the actions for one standard: a live one before a dropped one, one made from the
    standard before one that only links it, then the oldest."""

    def key(action: Action) -> tuple[bool, bool, int]:
        from_it = action.source_kind == "standard" and action.source_id == standard_id
        return (action.status == ActionStatus.dropped.value, not from_it, action.id)

    return min(actions, key=key) if actions else None


def action_for_standard(assessment_id: int, standard_id: int) -> Action | None:
    """The assessment's action for a standard: made from it in one tap, or linked to it."""
    linked = sa.select(action_standards.c.action_id).where(
        action_standards.c.standard_id == standard_id
    )
    found = list(
        db.session.scalars(
            sa.select(Action).where(
                Action.assessment_id == assessment_id,
                sa.or_(
                    sa.and_(Action.source_kind == "standard", Action.source_id == standard_id),
                    Action.id.in_(linked),
                ),
            )
        )
    )
    return _preferred(found, standard_id)


def actions_by_standard(actions: list[Action]) -> dict[int, Action]:
    """standard id → the action for it (as :func:`action_for_standard`), over loaded actions."""
    candidates: dict[int, list[Action]] = {}
    for action in actions:
        ids = {s.id for s in action.standards}
        if action.source_kind == "standard" and action.source_id is not None:
            ids.add(action.source_id)
        for standard_id in ids:
            candidates.setdefault(standard_id, []).append(action)
    return {
        sid: chosen
        for sid, group in candidates.items()
        if (chosen := _preferred(group, sid)) is not None
    }


def sources_taken(assessment_id: int) -> dict[tuple[str, int], int]:
    """(source kind, source id) → action id for actions made from a finding or standard."""
    rows = db.session.execute(
        sa.select(Action.source_kind, Action.source_id, Action.id).where(
            Action.assessment_id == assessment_id, Action.source_id.is_not(None)
        )
    )
    return {(kind, sid): aid for kind, sid, aid in rows if sid is not None}


def counts_by_status(actions: list[Action], on: date | None = None) -> dict[str, Any]:
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for action in actions:
        counts[action.status] = counts.get(action.status, 0) + 1
    counts["overdue"] = sum(1 for a in actions if is_overdue(a, on))
    counts["total"] = len(actions)
    return counts

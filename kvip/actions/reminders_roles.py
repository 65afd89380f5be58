"""Reminders for reviewers and coordinators, and the thresholds at which each kind is told
by e-mail (each item once per threshold: :class:`kvip.actions.models.SentReminder`).

- reviewers: a visit of theirs within 7 days (``visit_soon``). "Tablet not prepared" is not
  reminded: the offline pack lives in the tablet's browser and the server cannot know.
- coordinators: units that have not started or not submitted their self-assessment 14 and 3
  days before it closes (``units_not_submitted``); visits within 30 days without a complete
  team, a lead reviewer and at least one more (``team_incomplete``); reports not shared 4 weeks
  after the visit (``report_share_late``) or not final after 8 weeks (``report_final_late``).
  Action plans past 6 weeks are ``plans_overdue`` in kvip.actions.reminders.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from kvip.accounts.models import User
from kvip.accounts.permissions import coordinated_network_ids
from kvip.actions.reminder_items import Reminder, first_url
from kvip.actions.reminder_items import as_date as _day
from kvip.cycles.models import Assessment, AssessmentState, Cycle, CycleState
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.visits.models import Report, ReportState, TeamMember, TeamRole, Visit, VisitState

# Days before the due date at which an item is told by e-mail (and once more when overdue).
THRESHOLDS: dict[str, tuple[int, ...]] = {
    "self_assessment": (14, 3),
    "units_not_submitted": (14, 3),
    "visit_soon": (7,),
    "team_incomplete": (30, 7),
    "action_deadline": (7,),
    "report_comments": (7,),
    "plan_due": (7,),
    "verify_actions": (7,),
    "report_share_late": (0,),
    "report_final_late": (0,),
    "plans_overdue": (0,),
}
TEAM_LOOKAHEAD_DAYS = 30
REPORT_SHARE_AFTER = timedelta(weeks=4)
REPORT_FINAL_AFTER = timedelta(weeks=8)


def threshold(kind: str, due: date, on: date) -> str | None:
    """The threshold ``on`` falls in for an item due ``due``: ``overdue``, ``3d``, ``14d`` …;
    None while it is not yet time to tell."""
    if due < on:
        return "overdue"
    left = (due - on).days
    passed = [t for t in THRESHOLDS.get(kind, (7,)) if left <= t]
    return f"{min(passed)}d" if passed else None


def visits_soon(user: User, on: date) -> list[Reminder]:
    """The user's visits (any team role) within 7 days."""
    rows = db.session.execute(
        sa.select(Visit, Unit.name)
        .join(TeamMember, TeamMember.visit_id == Visit.id)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .where(
            TeamMember.user_id == user.id,
            Visit.state.in_([VisitState.planned.value, VisitState.scheduled.value]),
            Visit.date.is_not(None),
            Visit.date.between(on, on + timedelta(days=7)),
        )
    )
    return [
        Reminder(
            "visit_soon",
            _("Peer-review visit"),
            unit_name,
            _day(visit.date),
            first_url([("visits.overview", {"visit_id": visit.id})]),
            item=f"visit:{visit.id}",
        )
        for visit, unit_name in rows
    ]


def coordinator_items(user: User, on: date, until: date) -> list[Reminder]:
    """What the coordinator's networks need from them."""
    networks = coordinated_network_ids(user)
    return (
        _units_not_submitted(networks, on, until)
        + _teams_incomplete(networks, on)
        + _reports_late(networks, on, until)
    )


def _units_not_submitted(networks: Any, on: date, until: date) -> list[Reminder]:
    items = []
    cycles = db.session.scalars(
        sa.select(Cycle).where(
            Cycle.network_id.in_(networks),
            Cycle.state == CycleState.open.value,
            Cycle.self_assessment_closes.is_not(None),
            Cycle.self_assessment_closes.between(on, until),
        )
    )
    for cycle in cycles:
        units = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Unit)
            .where(Unit.network_id == cycle.network_id, Unit.active.is_(True))
        )
        states = dict(
            db.session.execute(
                sa.select(Assessment.state, sa.func.count())
                .join(Unit, Unit.id == Assessment.unit_id)
                .where(Assessment.cycle_id == cycle.id, Unit.active.is_(True))
                .group_by(Assessment.state)
            ).all()
        )
        started = states.get(AssessmentState.in_progress.value, 0)
        submitted = states.get(AssessmentState.submitted.value, 0)
        not_started = max(0, int(units or 0) - started - submitted)
        if not_started + started == 0:
            continue
        items.append(
            Reminder(
                "units_not_submitted",
                _(
                    "Self-assessment: %(none)d units not started, %(open)d not submitted",
                    none=not_started,
                    open=started,
                ),
                cycle.name,
                _day(cycle.self_assessment_closes),
                first_url([("cycles.detail", {"cycle_id": cycle.id})]),
                item=f"units_not_submitted:{cycle.id}",
            )
        )
    return items


def _teams_incomplete(networks: Any, on: date) -> list[Reminder]:
    leads = (
        sa.select(sa.func.count())
        .where(TeamMember.visit_id == Visit.id, TeamMember.role == TeamRole.lead_reviewer.value)
        .scalar_subquery()
    )
    members = sa.select(sa.func.count()).where(TeamMember.visit_id == Visit.id).scalar_subquery()
    rows = db.session.execute(
        sa.select(Visit, Unit.name)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .where(
            Cycle.network_id.in_(networks),
            Visit.state.in_([VisitState.planned.value, VisitState.scheduled.value]),
            Visit.date.is_not(None),
            Visit.date.between(on, on + timedelta(days=TEAM_LOOKAHEAD_DAYS)),
            sa.or_(leads == 0, members < 2),
        )
    )
    return [
        Reminder(
            "team_incomplete",
            _("The visit has no complete team (a lead reviewer and at least one more)"),
            unit_name,
            _day(visit.date),
            first_url([("visits.team", {"visit_id": visit.id})]),
            item=f"team:{visit.id}",
        )
        for visit, unit_name in rows
    ]


def _reports_late(networks: Any, on: date, until: date) -> list[Reminder]:
    earliest = until - REPORT_FINAL_AFTER - timedelta(weeks=26)  # not forever
    rows = db.session.execute(
        sa.select(Visit, Report.state, Unit.name)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .outerjoin(Report, Report.visit_id == Visit.id)
        .where(
            Cycle.network_id.in_(networks),
            Visit.state == VisitState.completed.value,
            Visit.date.is_not(None),
            Visit.date.between(earliest, until - REPORT_SHARE_AFTER),
            sa.or_(Report.id.is_(None), Report.state != ReportState.final.value),
        )
    )
    items = []
    for visit, state, unit_name in rows:
        visit_day = _day(visit.date)
        target = first_url([("visits.report", {"visit_id": visit.id})])
        if state in (None, ReportState.draft.value):
            items.append(
                Reminder(
                    "report_share_late",
                    _("The draft report is due to the unit (4 weeks after the visit)"),
                    unit_name,
                    visit_day + REPORT_SHARE_AFTER,
                    target,
                    item=f"report_share:{visit.id}",
                )
            )
        if visit_day + REPORT_FINAL_AFTER <= until:
            items.append(
                Reminder(
                    "report_final_late",
                    _("The final report is due (8 weeks after the visit)"),
                    unit_name,
                    visit_day + REPORT_FINAL_AFTER,
                    target,
                    item=f"report_final:{visit.id}",
                )
            )
    return items

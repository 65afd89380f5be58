"""What each role should do now: the reads behind the home page.

Every read is bounded by the signed-in user (their units, their visits, the networks they
coordinate) and is a handful of aggregate queries, never one query per row shown and never a
Python set of everything the user may see (DESIGN §10).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from kvip.accounts.models import Membership, NetworkRole, User
from kvip.accounts.permissions import coordinated_network_ids, member_unit_ids
from kvip.actions.models import Action
from kvip.actions.queries import OPEN as OPEN_ACTION_STATES
from kvip.core.models import AuditEvent, OutboxEmail
from kvip.cycles import queries as cycle_queries
from kvip.cycles.models import Assessment, AssessmentState, Cycle, CycleState
from kvip.cycles.progress import Progress
from kvip.extensions import db
from kvip.network.models import Institution, Network, Unit
from kvip.visits.models import Report, ReportComment, ReportState, TeamMember, Visit, VisitState

# The pipeline of one cycle, in order: where each enrolled unit has got to.
STEPS = (
    "not_started",
    "in_progress",
    "submitted",
    "visit_planned",
    "visited",
    "report_shared",
    "final",
    "action_plan",
)


# --- unit member / unit lead -------------------------------------------------------------------


@dataclass
class UnitHome:
    """One of the user's units: its current self-assessment and the report waiting for it."""

    unit: Unit
    role: str
    assessment: Assessment | None = None
    counts: Progress | None = None
    days_left: int | None = None  # to the self-assessment deadline, while it can still be edited
    reports_to_comment: list[tuple[int, datetime | None]] = field(default_factory=list)

    @property
    def editable(self) -> bool:
        a = self.assessment
        return (
            a is not None
            and a.cycle.state == CycleState.open.value
            and a.state != AssessmentState.submitted.value
        )


def unit_homes(user: User) -> list[UnitHome]:
    """The user's units with the current self-assessment's counts, deadline and shared reports."""
    rows = db.session.execute(
        sa.select(Membership.role, Unit)
        .join(Unit, Unit.id == Membership.unit_id)
        .where(Membership.user_id == user.id)
        .order_by(Unit.name)
    ).all()
    homes = [UnitHome(unit=unit, role=role) for role, unit in rows]
    if not homes:
        return []
    current: dict[int, Assessment] = {}
    # The same choice as cycles.queries.current_assessment, for all the user's units at once.
    for a in db.session.scalars(
        sa.select(Assessment)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .where(
            Assessment.unit_id.in_(member_unit_ids(user)),
            Cycle.state != CycleState.planned.value,
        )
        .options(sa.orm.contains_eager(Assessment.cycle))
        .order_by((Cycle.state == CycleState.open.value).desc(), Cycle.year.desc())
    ):
        current.setdefault(a.unit_id, a)
    for home in homes:
        home.assessment = current.get(home.unit.id)
    assessments = [h.assessment for h in homes if h.assessment is not None]
    counts = cycle_queries.counts_of(assessments)
    for home in homes:
        if home.assessment is None:
            continue
        home.counts = counts.get(home.assessment.id)
        if home.editable:
            home.days_left = cycle_queries.days_left(home.assessment.cycle)
    by_unit = {h.unit.id: h for h in homes}
    for unit_id, visit_id, shared_at in db.session.execute(
        sa.select(Assessment.unit_id, Visit.id, Report.shared_at)
        .join(Visit, Visit.assessment_id == Assessment.id)
        .join(Report, Report.visit_id == Visit.id)
        .where(
            Assessment.unit_id.in_(member_unit_ids(user)),
            Report.state == ReportState.shared_with_unit.value,
        )
        .order_by(Report.shared_at)
    ):
        by_unit[unit_id].reports_to_comment.append((visit_id, shared_at))
    return homes


# --- reviewer ---------------------------------------------------------------------------------


@dataclass
class VisitItem:
    """A visit of the user's: when, where, with whom, and what the user should do next."""

    visit_id: int
    date: date | None
    state: str
    unit: str
    institution: str
    my_role: str
    team: list[tuple[str, str]] = field(default_factory=list)
    report_state: str | None = None
    open_comments: int = 0


def _my_visits(user: User, upcoming: bool) -> list[VisitItem]:
    completed = Visit.state == VisitState.completed.value
    query = (
        sa.select(
            Visit.id,
            Visit.date,
            Visit.state,
            Unit.name,
            Institution.name,
            TeamMember.role,
            Report.state,
        )
        .join(TeamMember, TeamMember.visit_id == Visit.id)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .join(Institution, Institution.id == Unit.institution_id)
        .outerjoin(Report, Report.visit_id == Visit.id)
        .where(TeamMember.user_id == user.id)
    )
    if upcoming:
        query = query.where(~completed).order_by(Visit.date.is_(None), Visit.date, Visit.id)
    else:
        # Completed visits whose report is not final yet: the reviewers still have work on it.
        query = query.where(
            completed,
            sa.or_(Report.id.is_(None), Report.state != ReportState.final.value),
        ).order_by(Visit.date, Visit.id)
    return [
        VisitItem(
            visit_id=vid,
            date=day,
            state=state,
            unit=unit,
            institution=inst,
            my_role=role,
            report_state=report_state,
        )
        for vid, day, state, unit, inst, role, report_state in db.session.execute(query)
    ]


def reviewer_visits(user: User) -> tuple[list[VisitItem], list[VisitItem]]:
    """(upcoming visits with their team, completed visits whose report waits) of the user."""
    upcoming = _my_visits(user, upcoming=True)
    waiting = _my_visits(user, upcoming=False)
    by_id = {v.visit_id: v for v in upcoming}
    if by_id:
        for visit_id, name, role in db.session.execute(
            sa.select(TeamMember.visit_id, User.name, TeamMember.role)
            .join(User, User.id == TeamMember.user_id)
            .where(TeamMember.visit_id.in_(list(by_id)))
            .order_by(TeamMember.visit_id, TeamMember.role, User.name)
        ):
            by_id[visit_id].team.append((name, role))
    shared = {v.visit_id: v for v in waiting if v.report_state == ReportState.shared_with_unit}
    if shared:
        for visit_id, n in db.session.execute(
            sa.select(Report.visit_id, sa.func.count(ReportComment.id))
            .join(ReportComment, ReportComment.report_id == Report.id)
            .where(Report.visit_id.in_(list(shared)), ReportComment.responded_at.is_(None))
            .group_by(Report.visit_id)
        ):
            shared[visit_id].open_comments = n
    return upcoming, waiting


# --- coordinator ------------------------------------------------------------------------------


@dataclass
class Pipeline:
    """One network's current cycle as a pipeline: how many units are at each step."""

    network: Network
    cycle: Cycle | None
    steps: dict[str, int] = field(default_factory=dict)
    overdue_actions: int = 0

    @property
    def enrolled(self) -> int:
        return sum(self.steps.values())


def step_of() -> sa.ColumnElement[str]:
    """SQL: the furthest step an assessment has reached (one of ``STEPS``)."""
    visit_rank = (
        sa.select(sa.func.max(sa.case((Visit.state == VisitState.completed.value, 2), else_=1)))
        .where(Visit.assessment_id == Assessment.id)
        .scalar_subquery()
    )
    report_rank = (
        sa.select(
            sa.func.max(
                sa.case(
                    (Report.state == ReportState.final.value, 2),
                    (Report.state == ReportState.shared_with_unit.value, 1),
                    else_=0,
                )
            )
        )
        .join(Visit, Visit.id == Report.visit_id)
        .where(Visit.assessment_id == Assessment.id)
        .scalar_subquery()
    )
    has_action = sa.exists().where(Action.assessment_id == Assessment.id)
    return sa.case(
        (has_action, "action_plan"),
        (report_rank == 2, "final"),
        (report_rank == 1, "report_shared"),
        (visit_rank == 2, "visited"),
        (visit_rank == 1, "visit_planned"),
        else_=Assessment.state,
    )


def current_cycles(network_ids: list[int]) -> dict[int, Cycle]:
    """network id → its current cycle: the newest open one, else the newest that has started."""
    if not network_ids:
        return {}
    chosen: dict[int, Cycle] = {}
    for cycle in db.session.scalars(
        sa.select(Cycle)
        .where(Cycle.network_id.in_(network_ids), Cycle.state != CycleState.planned.value)
        .order_by((Cycle.state == CycleState.open.value).desc(), Cycle.year.desc(), Cycle.id)
    ):
        chosen.setdefault(cycle.network_id, cycle)
    return chosen


def pipelines(user: User, on: date) -> list[Pipeline]:
    """The current cycle of every network the user coordinates, counted per step, with the
    number of open actions past their deadline across the network."""
    networks = list(
        db.session.scalars(
            sa.select(Network)
            .where(Network.id.in_(coordinated_network_ids(user)))
            .order_by(Network.name)
        )
    )
    if not networks:
        return []
    cycles = current_cycles([n.id for n in networks])
    result = {n.id: Pipeline(network=n, cycle=cycles.get(n.id)) for n in networks}
    for p in result.values():
        if p.cycle is not None:
            p.steps = dict.fromkeys(STEPS, 0)
    cycle_ids = [c.id for c in cycles.values()]
    if cycle_ids:
        step = step_of().label("step")
        inner = (
            sa.select(Cycle.network_id, step)
            .select_from(Assessment)
            .join(Cycle, Cycle.id == Assessment.cycle_id)
            .where(Assessment.cycle_id.in_(cycle_ids))
            .subquery()
        )
        for network_id, key, n in db.session.execute(
            sa.select(inner.c.network_id, inner.c.step, sa.func.count()).group_by(
                inner.c.network_id, inner.c.step
            )
        ):
            result[network_id].steps[key] = n
    for network_id, n in db.session.execute(
        sa.select(Cycle.network_id, sa.func.count(Action.id))
        .select_from(Action)
        .join(Assessment, Assessment.id == Action.assessment_id)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .where(
            Cycle.network_id.in_([n.id for n in networks]),
            Action.status.in_(OPEN_ACTION_STATES),
            Action.deadline.is_not(None),
            Action.deadline < on,
        )
        .group_by(Cycle.network_id)
    ):
        result[network_id].overdue_actions = n
    return list(result.values())


def units_at_step(cycle: Cycle, step: str) -> list[tuple[Assessment, Any]]:
    """The enrolled units of a cycle at one pipeline step, with their latest visit id."""
    latest_visit = (
        sa.select(sa.func.max(Visit.id))
        .where(Visit.assessment_id == Assessment.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Assessment, latest_visit)
        .join(Unit, Unit.id == Assessment.unit_id)
        .where(Assessment.cycle_id == cycle.id, step_of() == step)
        .options(sa.orm.contains_eager(Assessment.unit))
        .order_by(Unit.name)
    ).all()
    return [(a, visit_id) for a, visit_id in rows]


# --- admin ------------------------------------------------------------------------------------


@dataclass
class Health:
    held: int
    failed: int
    last_backup: datetime | None
    users_without_role: int


def health() -> Health:
    """The mail outbox by status, the last recorded backup and users without any role."""
    by_status = dict(
        db.session.execute(
            sa.select(OutboxEmail.status, sa.func.count())
            .where(OutboxEmail.status.in_(("held", "failed")))
            .group_by(OutboxEmail.status)
        ).all()
    )
    last_backup = db.session.scalar(
        sa.select(sa.func.max(AuditEvent.at)).where(
            AuditEvent.entity == "platform", AuditEvent.action == "backup"
        )
    )
    without_role = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .where(
            User.active.is_(True),
            User.is_admin.is_(False),
            ~sa.exists().where(Membership.user_id == User.id),
            ~sa.exists().where(NetworkRole.user_id == User.id),
        )
    )
    return Health(
        held=int(by_status.get("held", 0)),
        failed=int(by_status.get("failed", 0)),
        last_backup=last_backup,
        users_without_role=int(without_role or 0),
    )

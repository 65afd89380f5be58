"""Visits and their teams: planning, conflict-of-interest rules, the visit state machine.

Every write takes the acting user explicitly, checks the permission, validates, writes, audits
and commits. Findings and observations are in :mod:`kvip.visits.sync`, reports in
:mod:`kvip.visits.reports`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypedDict

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from kvip.accounts.models import Membership, NetworkRole, NetworkRoleKind, User
from kvip.core import audit, dates
from kvip.core.dates import date_problem
from kvip.core.db import utcnow
from kvip.core.errors import ServiceError
from kvip.core.permissions import require
from kvip.cycles.models import Assessment, AssessmentState, Cycle
from kvip.extensions import db
from kvip.network.models import Institution, Unit
from kvip.network.overrides import RuleBlocked, is_overridden
from kvip.standards.models import Standard
from kvip.visits import invitations
from kvip.visits.labels import team_roles
from kvip.visits.models import Finding, Report, ReportState, TeamMember, TeamRole, Visit, VisitState

# --- where a visit lives (for audit entries and look-ups) -------------------------------------


class AuditScope(TypedDict):
    network_id: int
    unit_id: int


def audit_scope(visit: Visit) -> AuditScope:
    """``network_id``/``unit_id`` for the visit's audit entries."""
    return {
        "network_id": visit.assessment.cycle.network_id,
        "unit_id": visit.assessment.unit_id,
    }


def visit_for_assessment(assessment_id: int) -> Visit | None:
    return db.session.scalar(sa.select(Visit).where(Visit.assessment_id == assessment_id))


def lead_of(visit: Visit) -> TeamMember | None:
    return next((m for m in visit.team if m.role == TeamRole.lead_reviewer.value), None)


# --- the reviewer pool ------------------------------------------------------------------------


def load_in_cycle(cycle_id: int) -> sa.Subquery:
    """SQL: per user, how many visits of the cycle they are on (``user_id``, ``visits``)."""
    return (
        sa.select(TeamMember.user_id, sa.func.count(TeamMember.id).label("visits"))
        .join(Visit, Visit.id == TeamMember.visit_id)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .where(Assessment.cycle_id == cycle_id)
        .group_by(TeamMember.user_id)
        .subquery()
    )


@dataclass(frozen=True)
class PoolEntry:
    user: User
    institution: str
    trained_lead: bool
    visits: int


@dataclass(frozen=True)
class PoolPage:
    """One page of the reviewer pool (the shape the pager in templates expects)."""

    items: list[PoolEntry]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def reviewer_pool(
    network_id: int, cycle_id: int | None, *, page: int = 1, per_page: int = 50
) -> PoolPage:
    """One page of a network's reviewers: home institution, lead training, visits this cycle."""
    in_pool = sa.and_(
        NetworkRole.network_id == network_id,
        NetworkRole.role == NetworkRoleKind.reviewer.value,
    )
    total = db.session.scalar(sa.select(sa.func.count(NetworkRole.id)).where(in_pool)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    load = load_in_cycle(cycle_id or 0)
    rows = db.session.execute(
        sa.select(
            User,
            Institution.name,
            NetworkRole.trained_lead,
            sa.func.coalesce(load.c.visits, 0),
        )
        .join(NetworkRole, NetworkRole.user_id == User.id)
        .outerjoin(Institution, Institution.id == User.home_institution_id)
        .outerjoin(load, load.c.user_id == User.id)
        .where(in_pool)
        .order_by(User.name, User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = [PoolEntry(u, inst or "", bool(t), int(n)) for u, inst, t, n in rows]
    return PoolPage(items, page, pages, total)


# --- conflict of interest ---------------------------------------------------------------------


def _visited_institution_id(visit: Visit) -> int:
    return int(visit.assessment.unit.institution_id)


def conflict_of_interest(visit: Visit, user: User) -> str | None:
    """Why ``user`` may not review this visit's unit (None if they may): no one reviews a unit
    of their own institution, whether it is their home institution or one they work in."""
    unit = visit.assessment.unit
    if user.home_institution_id == unit.institution_id:
        return _(
            "%(name)s works at %(institution)s, the institution of the visited unit.",
            name=user.name,
            institution=unit.institution.name,
        )
    works_there = db.session.scalar(
        sa.select(
            sa.exists()
            .where(Membership.user_id == user.id)
            .where(Membership.unit_id == Unit.id)
            .where(Unit.institution_id == unit.institution_id)
        )
    )
    if works_there:
        return _(
            "%(name)s is a member of a unit at %(institution)s, the institution of the "
            "visited unit.",
            name=user.name,
            institution=unit.institution.name,
        )
    return None


def reciprocal_visits(visit: Visit, user: User) -> list[tuple[Visit, User]]:
    """The reciprocal pairs ``user`` would form on this visit: in the same cycle a reviewer from
    institution Y (the visited unit's) is on a team visiting a unit of institution X (``user``'s
    home institution) while ``user`` from X visits a unit of Y. Returns (that visit, that reviewer)."""
    home = user.home_institution_id
    visited = _visited_institution_id(visit)
    if home is None:
        return []
    other_user = aliased(User)
    rows = db.session.execute(
        sa.select(Visit, other_user)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .join(TeamMember, TeamMember.visit_id == Visit.id)
        .join(other_user, other_user.id == TeamMember.user_id)
        .where(
            Assessment.cycle_id == visit.assessment.cycle_id,
            Unit.institution_id == home,
            other_user.home_institution_id == visited,
            Visit.id != visit.id,
        )
        .order_by(Visit.id)
        .limit(5)
    ).all()
    return [(v, u) for v, u in rows]


def reciprocal_warning(visit: Visit, user: User) -> str | None:
    """A readable warning if ``user`` forms a reciprocal pair on this visit (None otherwise)."""
    pairs = reciprocal_visits(visit, user)
    if not pairs:
        return None
    other_visit, other = pairs[0]
    return _(
        "Reciprocal review: %(name)s (%(home)s) would review %(visited)s, while %(other)s "
        "(%(visited)s) reviews %(unit)s at %(home)s in this cycle.",
        name=user.name,
        home=user.home_institution.name if user.home_institution else "",
        visited=visit.assessment.unit.institution.name,
        other=other.name,
        unit=other_visit.assessment.unit.name,
    )


def team_warnings(visit: Visit) -> dict[int, str]:
    """team member id → reciprocal-pair warning, for the current team."""
    warnings = {}
    for member in visit.team:
        text = reciprocal_warning(visit, member.user)
        if text:
            warnings[member.id] = text
    return warnings


@dataclass(frozen=True)
class Suggestion:
    user: User
    institution: str
    trained_lead: bool
    visits: int
    reciprocal: bool


def suggest_reviewers(visit: Visit, limit: int = 8) -> list[Suggestion]:
    """Eligible reviewers for the visit, lightest load in the cycle first; those who would form
    a reciprocal pair come after the others. Never anyone with a conflict of interest."""
    unit = visit.assessment.unit
    cycle_id = visit.assessment.cycle_id
    load = load_in_cycle(cycle_id)
    on_team = sa.select(TeamMember.user_id).where(TeamMember.visit_id == visit.id)
    works_at_visited = (
        sa.select(Membership.user_id)
        .join(Unit, Unit.id == Membership.unit_id)
        .where(Unit.institution_id == unit.institution_id)
    )
    # Institutions X whose units are visited in this cycle by someone from the visited
    # unit's institution: a reviewer from X here would form a reciprocal pair.
    other_user = aliased(User)
    reciprocal_homes = (
        sa.select(Unit.institution_id)
        .join(Assessment, Assessment.unit_id == Unit.id)
        .join(Visit, Visit.assessment_id == Assessment.id)
        .join(TeamMember, TeamMember.visit_id == Visit.id)
        .join(other_user, other_user.id == TeamMember.user_id)
        .where(
            Assessment.cycle_id == cycle_id,
            other_user.home_institution_id == unit.institution_id,
            Visit.id != visit.id,
        )
    )
    reciprocal = sa.case((User.home_institution_id.in_(reciprocal_homes), 1), else_=0).label(
        "reciprocal"
    )
    visits = sa.func.coalesce(load.c.visits, 0).label("visits")
    rows = db.session.execute(
        sa.select(User, Institution.name, NetworkRole.trained_lead, visits, reciprocal)
        .join(NetworkRole, NetworkRole.user_id == User.id)
        .outerjoin(Institution, Institution.id == User.home_institution_id)
        .outerjoin(load, load.c.user_id == User.id)
        .where(
            NetworkRole.network_id == unit.network_id,
            NetworkRole.role == NetworkRoleKind.reviewer.value,
            User.active.is_(True),
            User.id.not_in(on_team),
            User.id.not_in(works_at_visited),
            sa.or_(
                User.home_institution_id.is_(None),
                User.home_institution_id != unit.institution_id,
            ),
        )
        .order_by(reciprocal, visits, User.name, User.id)
        .limit(limit)
    ).all()
    return [
        Suggestion(u, inst or "", bool(trained), int(n), bool(rec))
        for u, inst, trained, n, rec in rows
    ]


# --- planning and the team --------------------------------------------------------------------


def _require_manage(actor: Any, visit: Visit) -> None:
    require(actor, "visit.manage", visit)


def _not_completed(visit: Visit) -> None:
    if visit.state == VisitState.completed.value:
        raise ServiceError(_("The visit is completed; its team and date can no longer change."))


def plan_visit(actor: Any, assessment: Assessment, visit_date: date | None = None) -> Visit:
    """Plan a visit for a submitted self-assessment (state ``planned``)."""
    require(actor, "network.manage", assessment.cycle.network_id)
    if assessment.state != AssessmentState.submitted.value:
        raise ServiceError(
            _("A visit can be planned only once the unit has submitted its self-assessment."),
            fields={"assessment_id": _("Not submitted yet.")},
        )
    if visit_for_assessment(assessment.id) is not None:
        raise ServiceError(
            _("This self-assessment already has a visit."),
            fields={"assessment_id": _("Already planned.")},
        )
    _check_date(visit_date)
    visit = Visit(assessment_id=assessment.id, date=visit_date, state=VisitState.planned.value)
    db.session.add(visit)
    db.session.flush()
    audit.record(
        actor,
        "visit",
        visit.id,
        action="create",
        changes={"state": (None, visit.state), "date": (None, visit_date)},
        network_id=assessment.cycle.network_id,
        unit_id=assessment.unit_id,
    )
    db.session.commit()
    return visit


def _check_date(visit_date: date | None) -> None:
    problem = date_problem(visit_date)
    if problem:
        raise ServiceError(problem, fields={"date": problem})


def set_visit_date(actor: Any, visit: Visit, visit_date: date | None) -> Visit:
    """Set or change the day of the visit."""
    _require_manage(actor, visit)
    _not_completed(visit)
    if visit_date is None:
        raise ServiceError(_("Enter the date of the visit."), fields={"date": _("Required.")})
    _check_date(visit_date)
    cycle: Cycle = visit.assessment.cycle
    before = audit.snapshot(visit, ("date", "ics_sequence"))
    old_date = visit.date
    visit.date = visit_date
    # A new or changed date: everyone gets the (updated) calendar invitation.
    messages = invitations.date_changed(actor, visit, old_date)
    note = None
    if (cycle.visit_window_start and visit_date < cycle.visit_window_start) or (
        cycle.visit_window_end and visit_date > cycle.visit_window_end
    ):
        note = "outside the cycle's visit window"
    audit.record_diff(actor, "visit", visit, before, note=note, **audit_scope(visit))
    db.session.commit()
    invitations.deliver(messages)
    return visit


def outside_window(visit: Visit) -> bool:
    """True if the visit's date lies outside its cycle's visit window."""
    cycle = visit.assessment.cycle
    if visit.date is None:
        return False
    return bool(
        (cycle.visit_window_start and visit.date < cycle.visit_window_start)
        or (cycle.visit_window_end and visit.date > cycle.visit_window_end)
    )


def add_team_member(actor: Any, visit: Visit, user: User, role: str) -> list[str]:
    """Add a reviewer to the team in a role. Refuses a conflict of interest (with the reason),
    a second lead reviewer and an untrained lead; returns warnings (reciprocal pairs)."""
    _require_manage(actor, visit)
    _not_completed(visit)
    if role not in {r.value for r in TeamRole}:
        raise ServiceError(_("Choose a team role."), fields={"role": _("Unknown role.")})
    network_id = visit.assessment.cycle.network_id
    pool_role = db.session.scalar(
        sa.select(NetworkRole).where(
            NetworkRole.user_id == user.id,
            NetworkRole.network_id == network_id,
            NetworkRole.role == NetworkRoleKind.reviewer.value,
        )
    )
    if pool_role is None or not user.active:
        raise ServiceError(
            _("%(name)s is not in the network's reviewer pool.", name=user.name),
            fields={"user_id": _("Not a reviewer of this network.")},
        )
    reason = conflict_of_interest(visit, user)
    if reason:
        raise ServiceError(
            _("Conflict of interest: %(reason)s", reason=reason),
            fields={"user_id": reason},
            code="conflict_of_interest",
        )
    if any(m.user_id == user.id for m in visit.team):
        raise ServiceError(
            _("%(name)s is already on the team.", name=user.name),
            fields={"user_id": _("Already on the team.")},
        )
    if role == TeamRole.lead_reviewer.value:
        current = lead_of(visit)
        if current is not None:
            raise ServiceError(
                _(
                    "The team already has a lead reviewer (%(name)s). Remove them first.",
                    name=current.user.name,
                ),
                fields={"role": _("Only one lead reviewer.")},
            )
        if not pool_role.trained_lead:
            raise ServiceError(
                _("%(name)s is not trained as a lead reviewer.", name=user.name),
                fields={"role": _("Choose a trained lead reviewer.")},
            )
    warning = reciprocal_warning(visit, user)
    member = TeamMember(visit_id=visit.id, user_id=user.id, role=role)
    db.session.add(member)
    db.session.flush()
    audit.record(
        actor,
        "team_member",
        member.id,
        action="create",
        changes={"user": (None, user.email), "role": (None, role)},
        note=f"visit {visit.id}" + ("; reciprocal pair warned" if warning else ""),
        **audit_scope(visit),
    )
    invitation = invitations.member_added(actor, visit, user)
    db.session.commit()
    if invitation is not None:
        invitations.deliver([invitation])
    db.session.refresh(visit)
    return [warning] if warning else []


def remove_team_member(actor: Any, visit: Visit, member: TeamMember) -> None:
    """Take a reviewer off the team (the lead only while the visit has not started)."""
    _require_manage(actor, visit)
    _not_completed(visit)
    if member.visit_id != visit.id:
        raise ServiceError(_("Not a member of this team."), status=404, code="not_found")
    if member.role == TeamRole.lead_reviewer.value and visit.state == VisitState.in_progress.value:
        raise ServiceError(_("The lead reviewer cannot be removed while the visit is under way."))
    audit.record(
        actor,
        "team_member",
        member.id,
        action="delete",
        changes={"user": (member.user.email, None), "role": (member.role, None)},
        note=f"visit {visit.id}",
        **audit_scope(visit),
    )
    db.session.delete(member)
    db.session.commit()
    db.session.refresh(visit)


# --- the state machine: planned → scheduled → in_progress → completed --------------------------


def _transition(actor: Any, visit: Visit, new_state: str, note: str | None = None) -> None:
    before = audit.snapshot(visit, ("state",))
    visit.state = new_state
    if new_state == VisitState.completed.value:
        visit.completed_at = utcnow()
    audit.record_diff(actor, "visit", visit, before, note=note, **audit_scope(visit))


def schedule_problems(visit: Visit) -> list[str]:
    """What keeps a planned visit from being scheduled (empty when it can be)."""
    problems = []
    if visit.date is None:
        problems.append(_("Set the date of the visit."))
    if lead_of(visit) is None:
        problems.append(_("Add a lead reviewer to the team."))
    return problems


def team_advice(visit: Visit) -> list[str]:
    """What the network expects of a team but does not enforce (shown on the team screen)."""
    advice = []
    if not any(m.role == TeamRole.expert_by_experience.value for m in visit.team):
        advice.append(_("The team has no expert by experience yet."))
    if len(visit.team) < 3:
        advice.append(_("A review team usually has 3 to 5 members."))
    if outside_window(visit):
        advice.append(_("The date lies outside the cycle's visit window."))
    return advice


def schedule_visit(actor: Any, visit: Visit) -> Visit:
    """planned → scheduled: the date is set and the team has a lead reviewer."""
    _require_manage(actor, visit)
    if visit.state != VisitState.planned.value:
        raise ServiceError(_("Only a planned visit can be scheduled."))
    problems = schedule_problems(visit)
    if problems:
        raise ServiceError(" ".join(problems))
    _transition(actor, visit, VisitState.scheduled.value)
    db.session.commit()
    return visit


def start_days(visit: Visit) -> tuple[date, date] | None:
    """The first and last day the visit may start: its date ± the network's tolerance."""
    if visit.date is None:
        return None
    tolerance = timedelta(
        days=max(int(visit.assessment.cycle.network.visit_date_tolerance_days or 0), 0)
    )
    return visit.date - tolerance, visit.date + tolerance


def start_problem(visit: Visit, today: date | None = None, *, late_ok: bool = False) -> str | None:
    """Why the visit cannot start today (None when it can): a visit starts on its date (± the
    network's tolerance) unless a coordinator made an exception. ``late_ok``: only the first
    day counts (findings recorded offline on the day may reach the server days later)."""
    days = start_days(visit)
    if days is None or is_overridden("visit_date", visit.id):
        return None
    today = today or dates.today()
    first, last = days
    if today < first:
        return _("The visit can be started from %(date)s.", date=dates.long_date(first))
    if today > last and not late_ok:
        return _(
            "The visit could be started until %(date)s. Change its date, or ask a coordinator to make an exception.",
            date=dates.long_date(last),
        )
    return None


def require_start_day(visit: Visit, *, late_ok: bool = False) -> None:
    """Raise :class:`RuleBlocked` (409) unless the visit may start today."""
    problem = start_problem(visit, late_ok=late_ok)
    if problem:
        raise RuleBlocked(
            problem,
            rule="visit_date",
            entity_id=visit.id,
            network_id=visit.assessment.cycle.network_id,
        )


def start_visit(actor: Any, visit: Visit, *, note: str | None = None) -> Visit:
    """scheduled → in_progress: the lead reviewer starts the visit on its day (the first
    recorded finding also starts it, see :mod:`kvip.visits.sync`)."""
    require(actor, "visit.lead", visit)
    if visit.state != VisitState.scheduled.value:
        raise ServiceError(_("Only a scheduled visit can be started."))
    require_start_day(visit)
    _transition(actor, visit, VisitState.in_progress.value, note=note)
    db.session.commit()
    return visit


def completion_problems(visit: Visit) -> list[str]:
    """What keeps the visit from being completed: unrated standards and open conflicts."""
    problems = []
    total = db.session.scalar(
        sa.select(sa.func.count(Standard.id)).where(
            Standard.edition_id == visit.assessment.cycle.edition_id
        )
    )
    rated = db.session.scalar(
        sa.select(sa.func.count(Finding.id)).where(
            Finding.visit_id == visit.id, Finding.value.is_not(None)
        )
    )
    if (total or 0) > (rated or 0):
        problems.append(
            _(
                "%(n)s of %(total)s standards have no team rating yet.",
                n=(total or 0) - (rated or 0),
                total=total,
            )
        )
    disputed = db.session.scalar(
        sa.select(sa.func.count(Finding.id)).where(
            Finding.visit_id == visit.id, Finding.disputed.is_(True)
        )
    )
    if disputed:
        problems.append(_("%(n)s findings have an open conflict between team members.", n=disputed))
    return problems


def complete_visit(actor: Any, visit: Visit) -> Visit:
    """in_progress → completed: every standard has a team rating and no conflict is open.
    Generates the draft report."""
    from kvip.visits import reports  # cycle: reports imports audit_scope from this module

    require(actor, "visit.lead", visit)
    if visit.state != VisitState.in_progress.value:
        raise ServiceError(_("Only a visit in progress can be completed."))
    problems = completion_problems(visit)
    if problems:
        raise ServiceError(" ".join(problems), code="incomplete")
    _transition(actor, visit, VisitState.completed.value)
    report = db.session.scalar(sa.select(Report).where(Report.visit_id == visit.id))
    if report is not None and report.state != ReportState.draft.value:
        # Completed again after a reopening: the unit has seen this report, so it keeps its
        # content (a shared draft is refreshed by the lead reviewer on purpose; a final report
        # never changes).
        db.session.commit()
        return visit
    if report is None:
        report = Report(visit_id=visit.id, state=ReportState.draft.value)
        db.session.add(report)
        db.session.flush()
        audit.record(
            actor,
            "report",
            report.id,
            action="create",
            changes={"state": (None, report.state)},
            **audit_scope(visit),
        )
    reports.regenerate(report)
    db.session.commit()
    return visit


REOPEN_REASON_MAX = 2000


def reopen_visit(actor: Any, visit: Visit, reason: str | None) -> Visit:
    """completed → in_progress: a coordinator reopens a visit so its team can record findings
    again, giving a reason (kept in the audit entry). The report is not touched: a draft is
    regenerated when the visit is completed again; a report shared with the unit or final
    keeps the content the unit has read."""
    require(actor, "visit.reopen", visit)
    if visit.state != VisitState.completed.value:
        raise ServiceError(_("Only a completed visit can be reopened."))
    reason = (reason or "").strip()
    if not reason:
        message = _("Say why the visit is reopened.")
        raise ServiceError(message, fields={"reason": message})
    if len(reason) > REOPEN_REASON_MAX:
        message = _("Keep the reason under %(n)d characters.", n=REOPEN_REASON_MAX)
        raise ServiceError(message, fields={"reason": message})
    before = audit.snapshot(visit, ("state",))
    visit.state = VisitState.in_progress.value
    audit.record_diff(
        actor, "visit", visit, before, action="reopen", note=reason, **audit_scope(visit)
    )
    db.session.commit()
    return visit


def role_label(role: str) -> str:
    return team_roles().get(role, role)

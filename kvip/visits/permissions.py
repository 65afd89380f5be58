"""Rules for visits and their reports (DESIGN §7), the visits a user may see, and what a visit's
team may see of the units and assessments of their visits."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from kvip.accounts.models import UnitRole, User
from kvip.accounts.permissions import coordinated_network_ids, coordinates, unit_role
from kvip.core.permissions import AnyUser, real_user, rule, visible
from kvip.cycles.models import Assessment, Cycle
from kvip.cycles.permissions import network_of_assessment
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.visits.models import TeamMember, TeamRole, Visit


def team_role(user: AnyUser, visit_id: int | None) -> str | None:
    """The user's role on a visit's team, or None."""
    real = real_user(user)
    if real is None or visit_id is None:
        return None
    return db.session.scalar(
        sa.select(TeamMember.role).where(
            TeamMember.visit_id == visit_id, TeamMember.user_id == real.id
        )
    )


def visits_visible_to(user: User) -> ColumnElement[bool]:
    """SQL condition on ``Visit``: the user's own visits; all of their networks for coordinators."""
    if user.is_admin:
        return sa.true()
    return sa.or_(
        Visit.id.in_(sa.select(TeamMember.visit_id).where(TeamMember.user_id == user.id)),
        Visit.assessment_id.in_(
            sa.select(Assessment.id)
            .join(Cycle, Cycle.id == Assessment.cycle_id)
            .where(Cycle.network_id.in_(coordinated_network_ids(user)))
        ),
    )


@visible("unit")
def _units_of_my_visits(user: User) -> ColumnElement[bool]:
    """Reviewers see the units of the visits they are on (``network.units_visible_to``)."""
    visited = (
        sa.select(Assessment.unit_id)
        .join(Visit, Visit.assessment_id == Assessment.id)
        .join(TeamMember, TeamMember.visit_id == Visit.id)
        .where(TeamMember.user_id == user.id)
    )
    return Unit.id.in_(visited)


@visible("assessment")
def _assessments_of_my_visits(user: User) -> ColumnElement[bool]:
    """Reviewers read the assessments of the visits they are on (``assessment.read``)."""
    return Assessment.id.in_(
        sa.select(Visit.assessment_id)
        .join(TeamMember, TeamMember.visit_id == Visit.id)
        .where(TeamMember.user_id == user.id)
    )


@rule("visit.read")
def _visit_read(user: User, visit: Any) -> bool:
    return (
        user.is_admin
        or team_role(user, visit.id) is not None
        or coordinates(user, network_of_assessment(visit.assessment))
    )


@rule("visit.record")
def _visit_record(user: User, visit: Any) -> bool:
    """Record findings and observations: any member of the visit's team."""
    return team_role(user, visit.id) is not None


@rule("visit.lead")
def _visit_lead(user: User, visit: Any) -> bool:
    """Consolidate, complete the visit, draft and finalise the report: the lead reviewer."""
    return team_role(user, visit.id) == TeamRole.lead_reviewer.value


@rule("visit.manage")
def _visit_manage(user: User, visit: Any) -> bool:
    return user.is_admin or coordinates(user, network_of_assessment(visit.assessment))


@rule("visit.propose_dates")
def _visit_propose_dates(user: User, visit: Any) -> bool:
    """Propose dates for the visit and pick from the coordinator's: the visited unit's lead."""
    return unit_role(user, visit.assessment.unit_id) == UnitRole.unit_lead.value


@rule("visit.schedule")
def _visit_schedule(user: User, visit: Any) -> bool:
    """See the visit's date, its proposals and calendar invitation: those who read the visit
    and the visited unit's staff."""
    return _visit_read(user, visit) or unit_role(user, visit.assessment.unit_id) is not None


@rule("visit.reopen")
def _visit_reopen(user: User, visit: Any) -> bool:
    """Reopen a completed visit: the network's coordinators only (as reopening an assessment)."""
    return coordinates(user, network_of_assessment(visit.assessment))


@rule("report.read")
def _report_read(user: User, visit: Any) -> bool:
    """Reports: admin, coordinator, the unit, the visit's team (state checked by the service)."""
    return _visit_read(user, visit) or unit_role(user, visit.assessment.unit_id) is not None


@rule("report.comment")
def _report_comment(user: User, visit: Any) -> bool:
    return unit_role(user, visit.assessment.unit_id) is not None


@rule("report.view")
def _report_view(user: User, report: Any) -> bool:
    """Read one visit report: admin, coordinator and the visit's team in every state; the
    visited unit's members only once it is shared with them (``shared_with_unit``/``final``)."""
    visit = report.visit
    if _visit_read(user, visit):
        return True
    return (
        report.state in ("shared_with_unit", "final")
        and unit_role(user, visit.assessment.unit_id) is not None
    )

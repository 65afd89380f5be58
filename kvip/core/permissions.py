"""The one permission vocabulary (DESIGN §7): who may do what, denied by default.

Object rules answer ``can(user, "<name>", obj)``; services call ``require`` before any write.
Query filters (``*_visible_to``) turn the same rules into SQL conditions so that a request's
cost never grows with the number of objects a user may see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from kvip.accounts.models import Membership, NetworkRole, NetworkRoleKind, UnitRole, User
from kvip.extensions import db


class PermissionDenied(Exception):
    """Raised by :func:`require`; answered with 403 (HTML page or JSON error)."""

    def __init__(self, permission: str, message: str | None = None) -> None:
        super().__init__(message or permission)
        self.permission = permission
        self.message = message


AnyUser = Any  # User, an anonymous user or None
_RULES: dict[str, Callable[[User, Any], bool]] = {}


def rule(name: str) -> Callable[[Callable[[User, Any], bool]], Callable[[User, Any], bool]]:
    """Register the check behind a permission name."""

    def register(fn: Callable[[User, Any], bool]) -> Callable[[User, Any], bool]:
        _RULES[name] = fn
        return fn

    return register


def _real(user: AnyUser) -> User | None:
    if isinstance(user, User) and user.is_authenticated and user.active:
        return user
    return None


def can(user: AnyUser, permission: str, obj: Any = None) -> bool:
    """True if ``user`` holds ``permission`` on ``obj``; unknown names and anonymous users: False."""
    real = _real(user)
    check = _RULES.get(permission)
    if real is None or check is None:
        return False
    return bool(check(real, obj))


def require(user: AnyUser, permission: str, obj: Any = None) -> None:
    """Raise :class:`PermissionDenied` unless ``can(user, permission, obj)``."""
    if not can(user, permission, obj):
        raise PermissionDenied(permission)


# --- role look-ups (each one small indexed query) -------------------------------------------


def is_admin(user: AnyUser) -> bool:
    real = _real(user)
    return bool(real and real.is_admin)


def network_roles(user: User, network_id: int) -> set[str]:
    """The user's roles in one network."""
    rows = db.session.scalars(
        sa.select(NetworkRole.role).where(
            NetworkRole.user_id == user.id, NetworkRole.network_id == network_id
        )
    )
    return set(rows)


def coordinates(user: AnyUser, network_id: int | None) -> bool:
    real = _real(user)
    if real is None or network_id is None:
        return False
    return NetworkRoleKind.coordinator.value in network_roles(real, network_id)


def coordinated_network_ids(user: User) -> sa.Select[Any]:
    """SQL: the ids of networks the user coordinates."""
    return sa.select(NetworkRole.network_id).where(
        NetworkRole.user_id == user.id, NetworkRole.role == NetworkRoleKind.coordinator.value
    )


def any_coordinator(user: AnyUser) -> bool:
    real = _real(user)
    if real is None:
        return False
    return db.session.scalar(sa.select(sa.exists(coordinated_network_ids(real)))) or False


def unit_role(user: AnyUser, unit_id: int | None) -> str | None:
    """``unit_lead``, ``unit_member`` or None."""
    real = _real(user)
    if real is None or unit_id is None:
        return None
    return db.session.scalar(
        sa.select(Membership.role).where(
            Membership.user_id == real.id, Membership.unit_id == unit_id
        )
    )


def member_unit_ids(user: User) -> sa.Select[Any]:
    """SQL: the ids of units the user belongs to."""
    return sa.select(Membership.unit_id).where(Membership.user_id == user.id)


def team_role(user: AnyUser, visit_id: int | None) -> str | None:
    """The user's role on a visit's team, or None."""
    from kvip.visits.models import TeamMember

    real = _real(user)
    if real is None or visit_id is None:
        return None
    return db.session.scalar(
        sa.select(TeamMember.role).where(
            TeamMember.visit_id == visit_id, TeamMember.user_id == real.id
        )
    )


# --- SQL visibility filters ------------------------------------------------------------------


def units_visible_to(user: User) -> ColumnElement[bool]:
    """SQL condition on ``Unit``: units the user may see (admin all; coordinator their networks;
    members their own units; reviewers the units of visits they are on)."""
    from kvip.cycles.models import Assessment
    from kvip.network.models import Unit
    from kvip.visits.models import TeamMember, Visit

    if user.is_admin:
        return sa.true()
    visited = (
        sa.select(Assessment.unit_id)
        .join(Visit, Visit.assessment_id == Assessment.id)
        .join(TeamMember, TeamMember.visit_id == Visit.id)
        .where(TeamMember.user_id == user.id)
    )
    return sa.or_(
        Unit.network_id.in_(coordinated_network_ids(user)),
        Unit.id.in_(member_unit_ids(user)),
        Unit.id.in_(visited),
    )


def assessments_visible_to(user: User) -> ColumnElement[bool]:
    """SQL condition on ``Assessment`` matching the ``assessment.read`` rule."""
    from kvip.cycles.models import Assessment, Cycle
    from kvip.visits.models import TeamMember, Visit

    if user.is_admin:
        return sa.true()
    return sa.or_(
        Assessment.cycle_id.in_(
            sa.select(Cycle.id).where(Cycle.network_id.in_(coordinated_network_ids(user)))
        ),
        Assessment.unit_id.in_(member_unit_ids(user)),
        Assessment.id.in_(
            sa.select(Visit.assessment_id)
            .join(TeamMember, TeamMember.visit_id == Visit.id)
            .where(TeamMember.user_id == user.id)
        ),
    )


def visits_visible_to(user: User) -> ColumnElement[bool]:
    """SQL condition on ``Visit``: the user's own visits; all of their networks for coordinators."""
    from kvip.cycles.models import Assessment, Cycle
    from kvip.visits.models import TeamMember, Visit

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


# --- the rules of DESIGN §7 ------------------------------------------------------------------


def _network_of_assessment(assessment: Any) -> int:
    return int(assessment.cycle.network_id)


@rule("network.manage")
def _network_manage(user: User, network: Any) -> bool:
    """Manage cycles, units, teams, users of a network: admin or its coordinator."""
    network_id = network if isinstance(network, int) else getattr(network, "id", None)
    return user.is_admin or coordinates(user, network_id)


@rule("platform.admin")
def _platform_admin(user: User, _obj: Any) -> bool:
    return user.is_admin


@rule("editions.manage")
def _editions_manage(user: User, _obj: Any) -> bool:
    """Editions are shared by networks: admins and any coordinator manage them."""
    return user.is_admin or any_coordinator(user)


@rule("standards.read")
def _standards_read(user: User, _obj: Any) -> bool:
    return True


@rule("unit.read")
def _unit_read(user: User, unit: Any) -> bool:
    from kvip.network.models import Unit

    return bool(
        db.session.scalar(sa.select(sa.exists().where(Unit.id == unit.id, units_visible_to(user))))
    )


@rule("assessment.read")
def _assessment_read(user: User, assessment: Any) -> bool:
    from kvip.cycles.models import Assessment

    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(Assessment.id == assessment.id, assessments_visible_to(user))
            )
        )
    )


@rule("assessment.edit")
def _assessment_edit(user: User, assessment: Any) -> bool:
    """Rate standards: the unit's members and lead (state is checked by the service)."""
    return unit_role(user, assessment.unit_id) is not None


@rule("assessment.submit")
def _assessment_submit(user: User, assessment: Any) -> bool:
    return unit_role(user, assessment.unit_id) == UnitRole.unit_lead.value


@rule("assessment.reopen")
def _assessment_reopen(user: User, assessment: Any) -> bool:
    return coordinates(user, _network_of_assessment(assessment))


@rule("visit.read")
def _visit_read(user: User, visit: Any) -> bool:
    return (
        user.is_admin
        or team_role(user, visit.id) is not None
        or coordinates(user, _network_of_assessment(visit.assessment))
    )


@rule("visit.record")
def _visit_record(user: User, visit: Any) -> bool:
    """Record findings and observations: any member of the visit's team."""
    return team_role(user, visit.id) is not None


@rule("visit.lead")
def _visit_lead(user: User, visit: Any) -> bool:
    """Consolidate, complete the visit, draft and finalise the report: the lead reviewer."""
    from kvip.visits.models import TeamRole

    return team_role(user, visit.id) == TeamRole.lead_reviewer.value


@rule("visit.manage")
def _visit_manage(user: User, visit: Any) -> bool:
    return user.is_admin or coordinates(user, _network_of_assessment(visit.assessment))


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
    return coordinates(user, _network_of_assessment(visit.assessment))


@rule("report.read")
def _report_read(user: User, visit: Any) -> bool:
    """Reports: admin, coordinator, the unit, the visit's team (state checked by the service)."""
    return _visit_read(user, visit) or unit_role(user, visit.assessment.unit_id) is not None


@rule("report.comment")
def _report_comment(user: User, visit: Any) -> bool:
    return unit_role(user, visit.assessment.unit_id) is not None


@rule("actions.read")
def _actions_read(user: User, assessment: Any) -> bool:
    """Action plan: coordinator reads, the unit edits, reviewers of the unit's visits read."""
    from kvip.cycles.models import Assessment
    from kvip.visits.models import TeamMember, Visit

    if coordinates(user, _network_of_assessment(assessment)):
        return True
    if unit_role(user, assessment.unit_id) is not None:
        return True
    on_team = sa.select(
        sa.exists()
        .where(TeamMember.user_id == user.id)
        .where(TeamMember.visit_id == Visit.id)
        .where(Visit.assessment_id == Assessment.id)
        .where(Assessment.unit_id == assessment.unit_id)
    )
    return bool(db.session.scalar(on_team))


@rule("actions.edit")
def _actions_edit(user: User, assessment: Any) -> bool:
    return unit_role(user, assessment.unit_id) is not None


@rule("actions.verify")
def _actions_verify(user: User, assessment: Any) -> bool:
    """Verify actions: a team member of a later visit to the same unit."""
    from kvip.cycles.models import Assessment
    from kvip.visits.models import TeamMember, Visit

    return bool(
        db.session.scalar(
            sa.select(
                sa.exists()
                .where(TeamMember.user_id == user.id)
                .where(TeamMember.visit_id == Visit.id)
                .where(Visit.assessment_id == Assessment.id)
                .where(Assessment.unit_id == assessment.unit_id)
                .where(Assessment.id != assessment.id)
            )
        )
    )


@rule("benchmark.read")
def _benchmark_read(user: User, network: Any) -> bool:
    """Benchmarks of a network: admin, coordinators, members of its units."""
    from kvip.network.models import Unit

    network_id = network if isinstance(network, int) else network.id
    if user.is_admin or coordinates(user, network_id):
        return True
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists()
                .where(Membership.user_id == user.id)
                .where(Membership.unit_id == Unit.id)
                .where(Unit.network_id == network_id)
            )
        )
    )


@rule("benchmark.named")
def _benchmark_named(user: User, network: Any) -> bool:
    """See other units' names: admin, coordinator, or everyone where the network shows names."""
    network_id = network if isinstance(network, int) else network.id
    if user.is_admin or coordinates(user, network_id):
        return True
    from kvip.network.models import Network

    net = db.session.get(Network, network_id)
    return bool(net and net.benchmark_visibility == "named" and _benchmark_read(user, network_id))


@rule("audit.read")
def _audit_read(user: User, network: Any) -> bool:
    network_id = network if isinstance(network, int) else getattr(network, "id", None)
    return user.is_admin or coordinates(user, network_id)


# --- visits rules ---


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


# --- actions rules ---------------------------------------------------------------------------


@rule("actions.overview")
def _actions_overview(user: User, network: Any) -> bool:
    """Action plans across a network's units (counts, overdue, verified): admin or coordinator."""
    network_id = network if isinstance(network, int) else getattr(network, "id", None)
    return user.is_admin or coordinates(user, network_id)


# --- cycles rules ---


def cycles_visible_to(user: User) -> ColumnElement[bool]:
    """SQL condition on ``Cycle``: cycles of the networks the user works in (as coordinator,
    reviewer or through a unit); admins see all. Cycles hold no unit data, only dates."""
    from kvip.cycles.models import Cycle
    from kvip.network.models import Unit

    if user.is_admin:
        return sa.true()
    return sa.or_(
        Cycle.network_id.in_(
            sa.select(NetworkRole.network_id).where(NetworkRole.user_id == user.id)
        ),
        Cycle.network_id.in_(sa.select(Unit.network_id).where(Unit.id.in_(member_unit_ids(user)))),
    )


# --- benchmarks rules ---------------------------------------------------------------------------


@rule("benchmark.unit")
def _benchmark_unit(user: User, unit: Any) -> bool:
    """A unit's own benchmark dashboard: its members and lead, the network's coordinators, admins."""
    return (
        user.is_admin or coordinates(user, unit.network_id) or unit_role(user, unit.id) is not None
    )


@rule("benchmark.network")
def _benchmark_network(user: User, network: Any) -> bool:
    """The network-wide (named) dashboards: funnel plots, heatmap, agreement: coordinators, admins."""
    network_id = network if isinstance(network, int) else network.id
    return user.is_admin or coordinates(user, network_id)

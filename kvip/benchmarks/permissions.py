"""Rules for benchmarks (DESIGN §7)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kvip.accounts.models import Membership, UnitRole, User
from kvip.accounts.permissions import coordinates, unit_role
from kvip.core.permissions import rule
from kvip.extensions import db
from kvip.network.models import Network, Unit


@rule("benchmark.read")
def _benchmark_read(user: User, network: Any) -> bool:
    """Benchmarks of a network: admin, coordinators, members of its units."""
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
    net = db.session.get(Network, network_id)
    return bool(net and net.benchmark_visibility == "named" and _benchmark_read(user, network_id))


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


# --- ask to learn (kvip.benchmarks.learning) ---------------------------------------------------


@rule("learning.send")
def _can_send(user: User, unit: Any) -> bool:
    """Send a request on behalf of a unit: that unit's lead only."""
    return unit is not None and unit_role(user, unit.id) == UnitRole.unit_lead.value


@rule("learning.read")
def _can_read(user: User, req: Any) -> bool:
    """See a request: the network's coordinators and admins, the requesting unit's staff, and
    the other unit's staff once the coordinator has passed it on (never before)."""
    if req is None:
        return False
    if user.is_admin or coordinates(user, req.network_id):
        return True
    if unit_role(user, req.from_unit_id) is not None:
        return True
    return (
        req.state != "sent"
        and req.state != "refused"
        and unit_role(user, req.to_unit_id) is not None
    )


@rule("learning.forward")
def _can_forward(user: User, req: Any) -> bool:
    """Pass a request on or decline it: a coordinator of the request's network only."""
    return req is not None and coordinates(user, req.network_id)


@rule("learning.answer")
def can_answer_learning(user: User, req: Any) -> bool:
    """Accept or decline: the lead of the unit asked, once the request has been passed on."""
    return (
        req is not None
        and req.state != "sent"
        and req.state != "refused"
        and unit_role(user, req.to_unit_id) == UnitRole.unit_lead.value
    )

"""Rules for benchmarks (DESIGN §7)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kvip.accounts.models import Membership, User
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

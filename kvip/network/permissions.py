"""Rules for networks and units (DESIGN §7) and the units a user may see."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from kvip.accounts.models import User
from kvip.accounts.permissions import (
    coordinated_network_ids,
    coordinates,
    member_unit_ids,
    network_id_of,
)
from kvip.core.permissions import rule, visible_conditions
from kvip.extensions import db
from kvip.network.models import Unit


def units_visible_to(user: User) -> ColumnElement[bool]:
    """SQL condition on ``Unit``: units the user may see (admin all; coordinator their networks;
    members their own units; and what later modules add: reviewers the units of their visits)."""
    if user.is_admin:
        return sa.true()
    return sa.or_(
        Unit.network_id.in_(coordinated_network_ids(user)),
        Unit.id.in_(member_unit_ids(user)),
        *visible_conditions("unit", user),
    )


@rule("network.manage")
def _network_manage(user: User, network: Any) -> bool:
    """Manage cycles, units, teams, users of a network: admin or its coordinator."""
    return user.is_admin or coordinates(user, network_id_of(network))


@rule("audit.read")
def _audit_read(user: User, network: Any) -> bool:
    return user.is_admin or coordinates(user, network_id_of(network))


@rule("unit.read")
def _unit_read(user: User, unit: Any) -> bool:
    return bool(
        db.session.scalar(sa.select(sa.exists().where(Unit.id == unit.id, units_visible_to(user))))
    )

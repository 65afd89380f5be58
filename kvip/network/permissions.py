"""Rules for networks and units (DESIGN §7) and the units a user may see."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from kvip.accounts.models import Membership, User
from kvip.accounts.permissions import (
    coordinated_network_ids,
    coordinates,
    member_unit_ids,
    network_id_of,
)
from kvip.core.permissions import rule, visible, visible_conditions
from kvip.extensions import db
from kvip.network.models import Institution, Unit


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


@visible("user.in_networks")
def _user_in_networks(networks: sa.Select[Any]) -> ColumnElement[bool]:
    """For ``kvip.accounts.services.manageable_users`` (a condition on ``User``): the person
    is a member of a unit, or has their home institution, in one of ``networks``."""
    return sa.or_(
        sa.exists().where(
            Membership.user_id == User.id,
            Membership.unit_id.in_(sa.select(Unit.id).where(Unit.network_id.in_(networks))),
        ),
        User.home_institution_id.in_(
            sa.select(Institution.id).where(Institution.network_id.in_(networks))
        ),
    )


@visible("user.outside_networks")
def _user_outside_networks(user: User, networks: sa.Select[Any]) -> ColumnElement[bool]:
    """For ``kvip.accounts.services.may_change_identity``: ``user`` is a member of a unit, or
    has their home institution, outside ``networks``."""
    return sa.or_(
        sa.exists().where(
            Membership.user_id == user.id,
            Membership.unit_id.in_(sa.select(Unit.id).where(Unit.network_id.not_in(networks))),
        ),
        sa.exists().where(
            Institution.id == user.home_institution_id, Institution.network_id.not_in(networks)
        ),
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

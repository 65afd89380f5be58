"""Role look-ups (each one small indexed query) and the platform rule.

Every module's rules ask these: is the user a coordinator of the network, a member or lead of
the unit. Memberships and network roles are accounts' objects.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kvip.accounts.models import Membership, NetworkRole, NetworkRoleKind, User
from kvip.core.permissions import AnyUser, real_user, rule
from kvip.extensions import db


def is_admin(user: AnyUser) -> bool:
    real = real_user(user)
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
    real = real_user(user)
    if real is None or network_id is None:
        return False
    return NetworkRoleKind.coordinator.value in network_roles(real, network_id)


def coordinated_network_ids(user: User) -> sa.Select[Any]:
    """SQL: the ids of networks the user coordinates."""
    return sa.select(NetworkRole.network_id).where(
        NetworkRole.user_id == user.id, NetworkRole.role == NetworkRoleKind.coordinator.value
    )


def any_coordinator(user: AnyUser) -> bool:
    real = real_user(user)
    if real is None:
        return False
    return db.session.scalar(sa.select(sa.exists(coordinated_network_ids(real)))) or False


def unit_role(user: AnyUser, unit_id: int | None) -> str | None:
    """``unit_lead``, ``unit_member`` or None."""
    real = real_user(user)
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


def network_id_of(network: Any) -> int | None:
    """A network's id from the network or its id (rules accept either)."""
    return network if isinstance(network, int) else getattr(network, "id", None)


@rule("platform.admin")
def _platform_admin(user: User, _obj: Any) -> bool:
    return user.is_admin

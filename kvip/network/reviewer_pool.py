"""A shared reviewer pool: a coordinator adds a person who already has an account — perhaps in
another network — to their network's reviewers by e-mail address.

The person is told by e-mail and can decline with a signed link; declining removes the role and
is audited. Adding them shows the coordinator nothing else about the person (their other
networks and roles stay out of the user administration, see ``accounts.views.user_edit``), and
their e-mail, name and active flag stay for an administrator to change
(:func:`kvip.accounts.services.may_change_identity`). An unknown address falls back to the
invitation flow: a new account, an e-mail to set a password, and the reviewer role.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer

from kvip.accounts import services as accounts
from kvip.accounts.models import NetworkRole, NetworkRoleKind, User
from kvip.core import audit, mail
from kvip.core.errors import ServiceError
from kvip.core.models import OutboxEmail
from kvip.core.permissions import require
from kvip.core.urls import external_url
from kvip.extensions import db
from kvip.network.models import Network

_DECLINE_SALT = "kvip.reviewer-pool-decline"


@dataclass(frozen=True)
class PoolAddition:
    user: User
    role: NetworkRole
    invited: bool  # a new account was made and invited to set a password


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.secret_key), salt=_DECLINE_SALT)


def decline_token(role: NetworkRole) -> str:
    """A signed token naming this reviewer role and its holder (valid while the role exists)."""
    return str(_serializer().dumps({"r": role.id, "u": role.user_id}))


def role_for_decline_token(token: str) -> NetworkRole | None:
    """The reviewer role a decline link names, if the link is genuine and the role still exists."""
    try:
        data = _serializer().loads(token)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int):
        return None
    role = db.session.get(NetworkRole, data["r"])
    if role is None or role.user_id != data.get("u"):
        return None
    if role.role != NetworkRoleKind.reviewer.value:
        return None
    return role


def add_reviewer(
    actor: User,
    network_id: int,
    email: str,
    *,
    name: str = "",
    trained_lead: bool = False,
) -> PoolAddition:
    """Make the person with ``email`` a reviewer of the network and tell them. A person with an
    account anywhere keeps it as it is; an unknown address needs ``name`` and gets a new account
    with an invitation (the existing invite flow)."""
    require(actor, "network.manage", network_id)
    network = db.get_or_404(Network, network_id)
    address = accounts.normalise_email(email or "")
    if not accounts.EMAIL_RE.fullmatch(address):
        message = _("Enter a valid email address.")
        raise ServiceError(message, fields={"email": message})
    user = accounts.user_by_email(address)
    invited = False
    if user is None:
        if not (name or "").strip():
            message = _(
                "No one has an account with this address yet. Give the person's name to invite them."
            )
            raise ServiceError(message, fields={"name": message})
        user = accounts.create_user(actor, email=address, name=name)
        invited = True
    existing = db.session.scalar(
        sa.select(NetworkRole).where(
            NetworkRole.user_id == user.id,
            NetworkRole.network_id == network_id,
            NetworkRole.role == NetworkRoleKind.reviewer.value,
        )
    )
    if existing is not None:
        message = _("%(email)s is already in the network's reviewer pool.", email=user.email)
        raise ServiceError(message, fields={"email": message})
    if not user.active:
        message = _("This account is deactivated; an administrator can activate it.")
        raise ServiceError(message, fields={"email": message})
    role = NetworkRole(
        user_id=user.id,
        network_id=network_id,
        role=NetworkRoleKind.reviewer.value,
        trained_lead=trained_lead,
    )
    db.session.add(role)
    db.session.flush()
    audit.record(
        actor,
        "network_role",
        role.id,
        action="grant",
        changes={"role": (None, role.role)},
        network_id=network_id,
        note=f"{user.email} (reviewer pool{', invited' if invited else ''})",
    )
    message = None if invited else _added_notice(actor, user, role, network)
    if message is not None:
        db.session.add(message)
    db.session.commit()
    if invited:
        accounts.send_password_link(actor, user)
    elif message is not None:
        mail.try_deliver(message)
    return PoolAddition(user, role, invited)


def _added_notice(actor: User, user: User, role: NetworkRole, network: Network) -> OutboxEmail:
    """The e-mail telling an existing account holder they were added, with the decline link."""
    link = external_url("network.decline_reviewer", token=decline_token(role))
    with force_locale(user.locale or "nb"):
        subject = _("KvIP: you were added as a reviewer in %(network)s", network=network.name)
        body = "\n".join(
            [
                str(_("Hello %(name)s,", name=user.name)),
                "",
                str(
                    _(
                        "%(actor)s added you to the reviewer pool of %(network)s. You sign in "
                        "with your existing KvIP account; nothing else about your account changes.",
                        actor=actor.name,
                        network=network.name,
                    )
                ),
                "",
                str(_("If you do not want to review in this network, decline here:")),
                link,
            ]
        )
    return OutboxEmail(
        user_id=user.id,
        to=user.email,
        subject=str(subject),
        body=body,
        dedup_key=f"pool-add:{role.id}:{secrets.token_hex(8)}",
    )


def decline(token: str) -> Network:
    """The person a decline link was sent to leaves the network's reviewer pool; the network's
    coordinators are told. Raises a 400 ServiceError for a link that no longer works."""
    role = role_for_decline_token(token)
    if role is None:
        raise ServiceError(
            _("This link is not valid any more: the role may already be gone."),
            status=400,
            code="bad_link",
        )
    user: User = role.user
    network: Network = role.network
    audit.record(
        user,
        "network_role",
        role.id,
        action="decline",
        changes={"role": (role.role, None)},
        network_id=network.id,
        note=f"{user.email} declined the reviewer pool",
    )
    db.session.delete(role)
    notices = [_declined_notice(c, user, network) for c in accounts.coordinators_of(network.id)]
    db.session.add_all(notices)
    db.session.commit()
    for notice in notices:
        mail.try_deliver(notice)
    return network


def _declined_notice(coordinator: User, user: User, network: Network) -> OutboxEmail:
    with force_locale(coordinator.locale or "nb"):
        subject = _("KvIP: %(name)s declined the reviewer pool", name=user.name)
        body = "\n".join(
            [
                str(_("Hello %(name)s,", name=coordinator.name)),
                "",
                str(
                    _(
                        "%(name)s (%(email)s) declined to be a reviewer in %(network)s and is "
                        "no longer in its reviewer pool.",
                        name=user.name,
                        email=user.email,
                        network=network.name,
                    )
                ),
                external_url("visits.reviewers", network_id=network.id),
            ]
        )
    return OutboxEmail(
        user_id=coordinator.id,
        to=coordinator.email,
        subject=str(subject),
        body=body,
        dedup_key=f"pool-decline:{network.id}:{user.id}:{secrets.token_hex(8)}",
    )

"""Accounts: passwords, sign-in, users, role grants and API tokens (the acting user is explicit)."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, session
from flask_babel import force_locale, refresh
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer

from kvip.accounts.models import (
    ApiToken,
    Membership,
    NetworkRole,
    NetworkRoleKind,
    UnitRole,
    User,
    new_nonce,
)
from kvip.accounts.permissions import any_coordinator, coordinated_network_ids
from kvip.core import audit, mail, versioning
from kvip.core.db import utcnow
from kvip.core.errors import ServiceError
from kvip.core.models import OutboxEmail
from kvip.core.permissions import require, visible_conditions
from kvip.core.text import clean_line, line_problem
from kvip.core.urls import external_url
from kvip.extensions import db

_hasher = PasswordHasher()
# A real hash to compare against when the email is unknown, so timing does not reveal it.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 10
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
USER_AGENT_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password123",
        "passord",
        "passord123",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "sommer2024",
        "sommer2025",
        "vinter2025",
        "kvip123456",
        "welcome123",
        "velkommen1",
        "iloveyou12",
        "abc1234567",
        "letmein123",
        "admin12345",
    }
)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problem(password: str, email: str = "") -> str | None:
    """Why a password is refused (length, the email, a common password), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    lowered = password.lower()
    if email and (lowered == email.lower() or lowered == email.split("@")[0].lower()):
        return _("The password must not be your email address.")
    if lowered in COMMON_PASSWORDS:
        return _("This password is too common. Choose another.")
    return None


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def client_note(address: str | None, user_agent: str | None, **extra: str) -> str:
    """``address=…; agent=…`` (plus ``extra``) for a session event: where a sign-in came from.

    The user agent is cut to :data:`USER_AGENT_CHARS` and freed of control characters, so a
    client cannot write a long or multi-line entry into the log."""
    agent = _CONTROL.sub(" ", user_agent or "").strip()[:USER_AGENT_CHARS]
    parts = {"address": address or "-", "agent": agent or "-", **extra}
    return "; ".join(f"{key}={value}" for key, value in parts.items())


def authenticate(
    email: str, password: str, *, address: str | None = None, user_agent: str | None = None
) -> User | None:
    """The active user with this email and password, else None (same answer either way).

    A sign-in and a failed sign-in for an existing account are audit events (entity
    ``session``, no network) with the client's address and user agent; an unknown email
    writes nothing, so no one can fill the log by guessing addresses (the rate limiter
    counts those)."""
    user = user_by_email(email)
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    ok: bool
    try:
        ok = bool(_hasher.verify(stored, password))
    except (VerificationError, InvalidHashError):
        ok = False
    if user is None:
        return None
    if not ok or not user.active:
        reason = "wrong password" if not ok else "account deactivated"
        note = client_note(address, user_agent, reason=reason)
        audit.record(user, "session", user.id, action="sign_in_failed", note=note)
        db.session.commit()
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    # One insert in the commit that already stores last_login_at.
    note = client_note(address, user_agent)
    audit.record(user, "session", user.id, action="sign_in", note=note)
    db.session.commit()
    return user


def sign_out(user: User, *, address: str | None, user_agent: str | None) -> None:
    """End every session of ``user`` and audit it (the caller clears this request's session).

    The nonce that every session and every "keep me signed in" cookie carries (see
    :meth:`User.get_id`) is rotated, so a cookie captured before signing out stops working;
    on a shared ward tablet the next person reaches the sign-in page."""
    user.auth_nonce = new_nonce()
    note = client_note(address, user_agent)
    audit.record(user, "session", user.id, action="sign_out", note=note)
    db.session.commit()


def load_user_from_session(value: str) -> User | None:
    """Flask-Login loader: ``<id>.<nonce>``; a changed nonce (password change) ends the session."""
    user_id, _sep, nonce = value.partition(".")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.auth_nonce, nonce):
        return None
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(req: Any) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header ("" if empty), else None."""
    scheme, _sep, token = req.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def load_user_from_bearer(req: Any) -> User | None:
    """The active owner of the request's bearer token, for /api/v1 only; else None.

    The app's request hook calls this whenever the header is there and then trusts the token
    alone: a missing or wrong token is never made up for by a session cookie."""
    token = bearer_token(req)
    if not token or not req.path.startswith("/api/"):
        return None
    row = db.session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None or not row.user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 300:
        row.last_used_at = now  # coarse, so a busy script does not write on every call
        db.session.commit()
    return row.user


def create_token(actor: User, owner: User, name: str) -> tuple[ApiToken, str]:
    """Make an API token for ``owner``; returns the row and the token (shown only once)."""
    if actor.id != owner.id and not actor.is_admin:
        require(actor, "platform.admin")
    name = name.strip()
    if not name:
        raise ServiceError(_("Give the token a name."), fields={"name": _("Required.")})
    token = "kvip_" + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=owner.id, name=name[:100], token_hash=_token_hash(token), prefix=token[:12]
    )
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "api_token", row.id, action="create", changes={"name": (None, row.name)})
    db.session.commit()
    return row, token


def revoke_token(actor: User, token_id: int) -> None:
    """Revoke one of the actor's own tokens (admins: anyone's)."""
    row = db.session.get(ApiToken, token_id)
    if row is None or (row.user_id != actor.id and not actor.is_admin):
        raise ServiceError(_("No such token."), status=404, code="not_found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(actor, "api_token", row.id, action="revoke")
        db.session.commit()


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc())
        )
    )


def change_password(user: User, current: str, new: str) -> None:
    """Change the user's own password; ends their other sessions."""
    try:
        ok = bool(user.password_hash) and _hasher.verify(user.password_hash or "", current)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        raise ServiceError(
            _("The current password is wrong."), fields={"current_password": _("Wrong password.")}
        )
    _set_password(user, new, "change_password")


def _set_password(user: User, new: str, action: str) -> None:
    """Check the policy, store the new password, end every other session, audit, commit."""
    problem = password_problem(new, user.email)
    if problem:
        raise ServiceError(problem, fields={"new_password": problem})
    user.password_hash = hash_password(new)
    user.auth_nonce = new_nonce()
    audit.record(user, "user", user.id, action=action)
    db.session.commit()


REMINDER_CHANNELS = ("email", "app")


def set_reminder_channel(user: User, channel: str) -> None:
    """How reminders reach ``user``: by e-mail and in the app, or in the app only."""
    if channel not in REMINDER_CHANNELS:
        raise ServiceError(_("Choose how you get reminders."))
    if user.reminder_channel != channel:
        audit.record(
            user, "user", user.id, changes={"reminder_channel": (user.reminder_channel, channel)}
        )
        user.reminder_channel = channel
        db.session.commit()


def set_locale(user: User | None, locale: str) -> None:
    """Remember the UI language (per user when signed in)."""

    if locale not in ("nb", "en"):
        raise ServiceError(_("Unknown language."))
    session["locale"] = locale

    if user is not None and user.is_authenticated and user.locale != locale:
        audit.record(user, "user", user.id, changes={"locale": (user.locale, locale)})
        user.locale = locale
        db.session.commit()
    refresh()


USER_FIELDS = ("email", "name", "locale", "active", "is_admin", "home_institution_id")


def create_user(
    actor: User | None,
    *,
    email: str,
    name: str,
    password: str | None = None,
    locale: str = "nb",
    is_admin: bool = False,
    home_institution_id: int | None = None,
    check_password: bool = True,
) -> User:
    """Create a user. ``actor`` None means the CLI (a trusted operator), the only caller that
    may give a password: anyone else's new user gets an invitation and chooses their own."""
    if actor is not None:
        require(actor, "platform.admin") if is_admin else _require_user_manager(actor)
        if password is not None:
            raise ServiceError(
                _(
                    "Nobody but the person sets their password: they get an e-mail "
                    "invitation to choose it."
                )
            )
    email = normalise_email(email)
    errors: dict[str, str] = {}
    if not EMAIL_RE.fullmatch(email):
        errors["email"] = _("Enter a valid email address.")
    elif user_by_email(email) is not None:
        errors["email"] = _("A user with this email already exists.")
    name = clean_line(name)
    if not name.strip():
        errors["name"] = _("Enter a name.")
    elif problem := line_problem(name):
        errors["name"] = problem
    if password is not None and check_password:
        problem = password_problem(password, email)
        if problem:
            errors["password"] = problem
    if locale not in ("nb", "en"):
        errors["locale"] = _("Unknown language.")
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password) if password else None,
        locale=locale,
        is_admin=is_admin,
        home_institution_id=home_institution_id,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "user",
        user.id,
        action="create",
        changes={"email": (None, email), "name": (None, user.name)},
    )
    db.session.commit()
    return user


def coordinators_of(network_id: int) -> list[User]:
    """The active coordinators of a network (whom network notices go to)."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(NetworkRole, NetworkRole.user_id == User.id)
            .where(
                NetworkRole.network_id == network_id,
                NetworkRole.role == NetworkRoleKind.coordinator.value,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def _is_user_manager(actor: User) -> bool:
    return bool(actor.is_admin or any_coordinator(actor))


def _require_user_manager(actor: User) -> None:
    if not _is_user_manager(actor):
        require(actor, "platform.admin")


def manageable_users(actor: User) -> sa.ColumnElement[bool]:
    """SQL condition on ``User``: whom ``actor`` may see and manage in the user administration.

    Admins: everyone. A coordinator: people with a role or home institution in a network they
    coordinate, and people not attached anywhere yet (just created, to be given a role) — never
    an administrator, and never someone who belongs only to other networks. Unit memberships
    and home institutions are placed in networks by ``kvip.network.permissions`` (contributions
    ``"user.in_networks"``: units and institutions come after accounts).
    """
    if actor.is_admin:
        return sa.true()
    networks = coordinated_network_ids(actor)
    return sa.and_(
        User.is_admin.is_(False),
        sa.or_(
            *visible_conditions("user.in_networks", networks),
            sa.exists().where(NetworkRole.user_id == User.id, NetworkRole.network_id.in_(networks)),
            sa.and_(
                ~sa.exists().where(Membership.user_id == User.id),
                ~sa.exists().where(NetworkRole.user_id == User.id),
                User.home_institution_id.is_(None),
            ),
        ),
    )


def require_manageable(actor: User, user: User) -> None:
    """Refuse (404: whether the person exists is private) unless ``actor`` manages ``user``."""
    _require_user_manager(actor)
    allowed = db.session.scalar(
        sa.select(sa.exists().where(User.id == user.id, manageable_users(actor)))
    )
    if not allowed:
        raise ServiceError(_("No such user."), status=404, code="not_found")


IDENTITY_FIELDS = ("email", "name", "active")


def may_change_identity(actor: User, user: User) -> bool:
    """Whether ``actor`` may change ``user``'s e-mail, name or active flag.

    Administrators: anyone. A coordinator: only a person whose every attachment — unit
    memberships, network roles and home institution — lies in networks the coordinator
    coordinates (a person with none yet included), and never an administrator. Whoever also
    belongs to another network can only be changed by an administrator: otherwise one
    network's coordinator could take over the account of another network's people."""
    if actor.is_admin:
        return True
    if user.is_admin or not _is_user_manager(actor):
        return False
    networks = coordinated_network_ids(actor)
    # Units and institutions outside: contributed by kvip.network.permissions.
    outside = sa.or_(
        *visible_conditions("user.outside_networks", user, networks),
        sa.exists().where(NetworkRole.user_id == user.id, NetworkRole.network_id.not_in(networks)),
    )
    return not db.session.scalar(sa.select(outside))


def identity_locked_reason() -> str:
    return _(
        "Only an administrator can change the e-mail, name or active status of this person: "
        "they also belong to other networks (a role or a home institution there)."
    )


def update_user(actor: User, user: User, *, version: Any = None, **values: Any) -> User:
    """Change a user's e-mail, name, locale, active flag, home institution (admins also: the
    admin flag). E-mail, name and active only as :func:`may_change_identity` allows; a new
    e-mail is told to the old address and ends every session of the person. ``version`` is the one
    the editor saw: an older one or a lost race raises EditConflict."""
    require_manageable(actor, user)
    versioning.check_version("user", user, version)
    if "is_admin" in values and values["is_admin"] != user.is_admin:
        require(actor, "platform.admin")
    if "email" in values:
        email = normalise_email(values["email"])
        other = user_by_email(email)
        if other is not None and other.id != user.id:
            raise ServiceError(
                _("A user with this email already exists."),
                fields={"email": _("A user with this email already exists.")},
            )
        if email != user.email and not EMAIL_RE.fullmatch(email):
            raise ServiceError(
                _("Enter a valid email address."),
                fields={"email": _("Enter a valid email address.")},
            )
        values["email"] = email
    if "name" in values:
        values["name"] = clean_line(str(values["name"])).strip()
        if not values["name"]:
            raise ServiceError(_("Enter a name."), fields={"name": _("Enter a name.")})
        if values["name"] != user.name and (problem := line_problem(values["name"])):
            raise ServiceError(problem, fields={"name": problem})
    changing = [k for k in IDENTITY_FIELDS if k in values and values[k] != getattr(user, k)]
    if changing and not may_change_identity(actor, user):
        reason = identity_locked_reason()
        raise ServiceError(
            reason, status=403, code="forbidden", fields={k: reason for k in changing}
        )
    if actor.id == user.id and values.get("active") is False:
        raise ServiceError(_("You cannot deactivate yourself."))
    old_email = user.email
    before = audit.snapshot(user, USER_FIELDS)
    for key, value in values.items():
        if key in USER_FIELDS:
            setattr(user, key, value)
    notice = None
    if user.email != old_email:
        # Whoever held the old address learns of it, and every session (and remember cookie
        # and password link) made before ends with the rotated nonce.
        user.auth_nonce = new_nonce()
        notice = _email_change_notice(actor, user, old_email)
        db.session.add(notice)
    if audit.record_diff(actor, "user", user, before):
        user.version += 1  # only deliberate edits move the version (see User.version)
    versioning.commit("user", user)
    if notice is not None:
        mail.try_deliver(notice)
    return user


def _email_change_notice(actor: User, user: User, old_email: str) -> OutboxEmail:
    """The message to the old address, in the person's language."""
    with force_locale(user.locale or "nb"):
        subject = _("KvIP: your e-mail address was changed")
        body = "\n".join(
            [
                str(_("Hello %(name)s,", name=user.name)),
                "",
                str(
                    _(
                        "%(actor)s changed the e-mail address of your KvIP account from "
                        "%(old)s to %(new)s.",
                        actor=actor.name,
                        old=old_email,
                        new=user.email,
                    )
                ),
                str(_("You are signed out everywhere; sign in with the new address.")),
                str(
                    _(
                        "If you did not expect this, tell your network coordinator or the "
                        "platform administrator at once."
                    )
                ),
            ]
        )
    return OutboxEmail(
        user_id=user.id,
        to=old_email,
        subject=str(subject),
        body=body,
        dedup_key=f"email-change:{user.id}:{secrets.token_hex(8)}",
    )


def grant_unit_role(actor: User, user: User, unit: Any, role: str) -> Membership:
    """Make ``user`` a member or lead of ``unit`` (replaces an existing unit role)."""
    require(actor, "network.manage", unit.network_id)
    require_manageable(actor, user)
    if role not in {r.value for r in UnitRole}:
        raise ServiceError(_("Unknown role."), fields={"role": _("Unknown role.")})
    row = db.session.scalar(
        sa.select(Membership).where(Membership.user_id == user.id, Membership.unit_id == unit.id)
    )
    old = row.role if row else None
    if row is None:
        row = Membership(user_id=user.id, unit_id=unit.id, role=role)
        db.session.add(row)
    row.role = role
    db.session.flush()
    audit.record(
        actor,
        "membership",
        row.id,
        action="grant",
        changes={"role": (old, role)},
        network_id=unit.network_id,
        unit_id=unit.id,
        note=f"{user.email} @ {unit.name}",
    )
    db.session.commit()
    return row


def grant_network_role(
    actor: User, user: User, network_id: int, role: str, trained_lead: bool = False
) -> NetworkRole:
    """Make ``user`` a coordinator or reviewer of a network."""
    require(actor, "network.manage", network_id)
    require_manageable(actor, user)
    if role not in {r.value for r in NetworkRoleKind}:
        raise ServiceError(_("Unknown role."), fields={"role": _("Unknown role.")})
    row = db.session.scalar(
        sa.select(NetworkRole).where(
            NetworkRole.user_id == user.id,
            NetworkRole.network_id == network_id,
            NetworkRole.role == role,
        )
    )
    if row is None:
        row = NetworkRole(user_id=user.id, network_id=network_id, role=role)
        db.session.add(row)
    row.trained_lead = trained_lead
    db.session.flush()
    audit.record(
        actor,
        "network_role",
        row.id,
        action="grant",
        changes={"role": (None, role)},
        network_id=network_id,
        note=user.email,
    )
    db.session.commit()
    return row


def revoke_role(actor: User, kind: str, row_id: int) -> None:
    """Remove a unit membership (``kind='unit'``) or network role (``kind='network'``)."""
    model: Any = Membership if kind == "unit" else NetworkRole
    row = db.session.get(model, row_id)
    if row is None:
        raise ServiceError(_("No such role."), status=404, code="not_found")
    network_id = row.unit.network_id if kind == "unit" else row.network_id
    require(actor, "network.manage", network_id)
    audit.record(
        actor,
        "membership" if kind == "unit" else "network_role",
        row.id,
        action="revoke",
        changes={"role": (row.role, None)},
        network_id=network_id,
        note=row.user.email,
    )
    db.session.delete(row)
    db.session.commit()


# --- Password links: "forgot password" and invitations --------------------------------------

_LINK_SALT = "kvip.password-link"


def _link_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.secret_key), salt=_LINK_SALT)


def _nonce_digest(user: User) -> str:
    # Tied to the session nonce, which a new password rotates: a used link stops working.
    return hashlib.sha256(user.auth_nonce.encode()).hexdigest()[:20]


def _link_lifetime(purpose: str) -> int:
    key = "KVIP_INVITE_SECONDS" if purpose == "invite" else "KVIP_RESET_SECONDS"
    return int(current_app.config[key])


def password_link(user: User, purpose: str) -> str:
    """A signed, expiring, single-use URL where ``user`` sets a new password."""
    token = _link_serializer().dumps({"u": user.id, "n": _nonce_digest(user), "p": purpose})
    return external_url("accounts.reset_password", token=token)


def user_for_password_token(token: str) -> User | None:
    """The user a link was made for, if it is genuine, unused and not expired; else None."""
    try:
        data, signed_at = _link_serializer().loads(
            token, max_age=_link_lifetime("invite"), return_timestamp=True
        )
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    purpose = "invite" if data.get("p") == "invite" else "reset"
    age = (utcnow() - signed_at.replace(tzinfo=None)).total_seconds()
    if age > _link_lifetime(purpose):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.active:
        return None
    if not secrets.compare_digest(_nonce_digest(user), str(data.get("n", ""))):
        return None
    return user


def send_password_link(actor: User | None, user: User) -> OutboxEmail:
    """E-mail ``user`` a link to set a password: an invitation if they have none yet, else a
    reset. ``actor`` None: the person asked for it themselves on the sign-in page."""
    if actor is not None:
        require_manageable(actor, user)
    purpose = "invite" if user.password_hash is None else "reset"
    link = password_link(user, purpose)
    hours = _link_lifetime(purpose) // 3600
    with force_locale(user.locale or "nb"):
        if purpose == "invite":
            subject = _("Welcome to KvIP: set your password")
            intro = _("You have been given access to KvIP. Choose your password here:")
        else:
            subject = _("KvIP: set a new password")
            intro = _("Someone asked to set a new password for your KvIP account. Do it here:")
        body = "\n".join(
            [
                str(_("Hello %(name)s,", name=user.name)),
                "",
                str(intro),
                link,
                "",
                str(_("The link works once and for %(n)d hours.", n=hours)),
                str(_("If you did not expect this, ignore it: nothing changes.")),
            ]
        )
    message = OutboxEmail(
        user_id=user.id,
        to=user.email,
        subject=str(subject),
        body=body,
        dedup_key=f"password:{user.id}:{secrets.token_hex(8)}",
    )
    db.session.add(message)
    audit.record(actor or user, "user", user.id, action="password_link", note=purpose)
    db.session.commit()
    if not mail.try_deliver(message) and not mail.smtp_configured():
        current_app.logger.info("Password link for %s held in the outbox: %s", user.email, link)
    return message


def request_password_reset(email: str) -> None:
    """The sign-in page's "forgot password": same answer whether or not the account exists."""
    user = user_by_email(email)
    if user is not None and user.active:
        send_password_link(None, user)


def reset_password(token: str, new: str) -> User:
    """Set the password from a link; ends every session and makes the link unusable."""
    user = user_for_password_token(token)
    if user is None:
        raise ServiceError(
            _("This link is not valid any more. Ask for a new one."), status=400, code="bad_link"
        )
    _set_password(user, new, "reset_password")
    return user

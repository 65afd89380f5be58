"""User administration (admins; coordinators for their networks): the people, their unit and
network roles, the platform's change history.

The routes are on the accounts blueprint (URLs ``/admin/users…``, ``/admin/roles…``,
``/admin/audit…``; endpoints ``accounts.*``): the pages are about people, but choosing and
showing their roles needs networks, institutions and units, so the code sits here, above both.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from kvip.accounts import services
from kvip.accounts.forms import RoleForm, UserForm
from kvip.accounts.models import Membership, NetworkRole, NetworkRoleKind, UnitRole, User
from kvip.accounts.permissions import coordinated_network_ids
from kvip.accounts.views import _require_manager, _show_errors, bp
from kvip.core import audit, versioning
from kvip.core.errors import ServiceError
from kvip.extensions import db
from kvip.network import audit_page
from kvip.network.models import Institution, Network, Unit


def _institution_choices() -> list[tuple[int, str]]:
    query = sa.select(Institution).order_by(Institution.name)
    if not current_user.is_admin:
        query = query.where(Institution.network_id.in_(coordinated_network_ids(current_user)))
    return [(0, "—")] + [(i.id, i.name) for i in db.session.scalars(query)]


@bp.get("/admin/users")
@login_required
def users() -> Any:
    _require_manager()
    q = request.args.get("q", "").strip().lower()
    query = sa.select(User).where(services.manageable_users(current_user)).order_by(User.name)
    if q:
        query = query.where(sa.or_(User.email.contains(q), sa.func.lower(User.name).contains(q)))
    without_role = request.args.get("role") == "none"
    if without_role:
        # The home page's "users without any role": not admin, no unit, no network role.
        query = query.where(
            User.active.is_(True),
            User.is_admin.is_(False),
            ~sa.exists().where(Membership.user_id == User.id),
            ~sa.exists().where(NetworkRole.user_id == User.id),
        )
    page = max(1, request.args.get("page", 1, type=int))
    rows = db.paginate(query, page=page, per_page=50, error_out=False)
    return render_template("accounts/users.html", users=rows, q=q, without_role=without_role)


@bp.get("/admin/audit")
@login_required
def audit_log() -> Any:
    """The platform's change history: every network's events and the platform's own."""
    return audit_page.show(None)


@bp.get("/admin/audit/export.<any(csv, xlsx):fmt>")
@login_required
def audit_export(fmt: str) -> Any:
    return audit_page.download(None, fmt)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@login_required
def user_new() -> Any:
    _require_manager()
    form = UserForm()
    form.home_institution_id.choices = _institution_choices()
    existing = None
    if form.validate_on_submit():
        try:
            user = services.create_user(
                current_user,
                email=form.email.data or "",
                name=form.name.data or "",
                locale=form.locale.data or "nb",
                is_admin=bool(form.is_admin.data) if current_user.is_admin else False,
                home_institution_id=form.home_institution_id.data or None,
            )
        except ServiceError as exc:
            _show_errors(form, exc, flash_other=False)
            if services.user_by_email(form.email.data or "") is not None:
                existing = _pool_offer(form.email.data or "")
        else:
            flash(_("User %(name)s created.", name=user.name), "success")
            if user.password_hash is None and user.active:
                services.send_password_link(current_user, user)
                flash(
                    _("An invitation to set a password was sent to %(email)s.", email=user.email),
                    "success",
                )
            return redirect(url_for("accounts.user_edit", user_id=user.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "accounts/user_form.html", form=form, user=None, pool_offer=existing
    ), status


def _pool_offer(email: str) -> dict[str, Any] | None:
    """For an address that already has an account: the networks whose reviewer pool the
    signed-in coordinator can add the person to (the shared reviewer pool), else None."""
    query = sa.select(Network).order_by(Network.name)
    if not current_user.is_admin:
        query = query.where(Network.id.in_(coordinated_network_ids(current_user)))
    networks = db.session.scalars(query).all()
    if not networks:
        return None
    return {"email": services.normalise_email(email), "networks": networks}


def _role_scopes() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    nets = sa.select(Network).order_by(Network.name)
    units = sa.select(Unit).order_by(Unit.name)
    if not current_user.is_admin:
        nets = nets.where(Network.id.in_(coordinated_network_ids(current_user)))
        units = units.where(Unit.network_id.in_(coordinated_network_ids(current_user)))
    scopes = [(f"network:{n.id}", n.name) for n in db.session.scalars(nets)]
    scopes += [
        (f"unit:{u.id}", f"{u.name} ({u.institution.name})") for u in db.session.scalars(units)
    ]
    roles = [
        (UnitRole.unit_member.value, _("Unit member")),
        (UnitRole.unit_lead.value, _("Unit lead")),
        (NetworkRoleKind.coordinator.value, _("Coordinator")),
        (NetworkRoleKind.reviewer.value, _("Reviewer")),
    ]
    return scopes, roles


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_edit(user_id: int) -> Any:
    _require_manager()
    user = db.get_or_404(User, user_id)
    services.require_manageable(current_user, user)
    form = UserForm(obj=user)
    form.home_institution_id.choices = _institution_choices()
    home = user.home_institution
    if home is not None and home.id not in {c[0] for c in form.home_institution_id.choices}:
        # Another network's institution: kept as it is (the coordinator cannot choose it).
        form.home_institution_id.choices.append((home.id, home.name))
    if request.method == "GET":
        form.home_institution_id.data = user.home_institution_id or 0
    role_form = RoleForm()
    role_form.scope.choices, role_form.role.choices = _role_scopes()
    # E-mail, name and active: only for people wholly inside the coordinator's networks.
    locked = (
        None
        if services.may_change_identity(current_user, user)
        else (services.identity_locked_reason())
    )
    if locked:
        for name in ("email", "name"):
            getattr(form, name).render_kw = {
                "readonly": True,
                "aria-describedby": "identity-locked",
            }
    status = 200
    conflict = None
    if form.validate_on_submit():
        values: dict[str, Any] = {
            "email": form.email.data or "",
            "name": form.name.data or "",
            "locale": form.locale.data or "nb",
            "active": bool(form.active.data),
            "home_institution_id": form.home_institution_id.data or None,
        }
        if current_user.is_admin:
            values["is_admin"] = bool(form.is_admin.data)
        nonce = user.auth_nonce
        try:
            services.update_user(current_user, user, version=form.version.data, **values)
        except versioning.EditConflict as exc:
            theirs = versioning.stored_form(UserForm, exc.current)
            theirs.home_institution_id.data = getattr(exc.current, "home_institution_id", 0) or 0
            conflict = versioning.form_conflict(
                form, exc, theirs, reload_url=url_for("accounts.user_edit", user_id=user_id)
            )
        except ServiceError as exc:
            _show_errors(form, exc)
            status = exc.status if exc.status == 403 else 422
        else:
            if user.id == current_user.id and user.auth_nonce != nonce:
                login_user(user)  # own e-mail changed: the new nonce keeps this session
            flash(_("Saved."), "success")
            return redirect(url_for("accounts.user_edit", user_id=user.id))
    if request.method == "POST" and conflict:
        status = 409
    elif request.method == "POST" and status == 200:
        status = 422
    return render_template(
        "accounts/user_form.html",
        form=form,
        conflict=conflict,
        user=user,
        identity_locked=locked,
        role_form=role_form,
        memberships=_visible_memberships(user),
        network_roles=_visible_network_roles(user),
        # A person who also belongs elsewhere: their history names other networks' people.
        history=audit.history("user", user.id, limit=30)
        if current_user.is_admin or not locked
        else [],
    ), status


def _visible_memberships(user: User) -> list[Membership]:
    """The person's unit roles the signed-in manager may see: all for an admin, else only
    those in networks they coordinate (a shared reviewer's other networks stay private)."""
    query = sa.select(Membership).where(Membership.user_id == user.id)
    if not current_user.is_admin:
        query = query.join(Unit, Unit.id == Membership.unit_id).where(
            Unit.network_id.in_(coordinated_network_ids(current_user))
        )
    return list(db.session.scalars(query.order_by(Membership.id)))


def _visible_network_roles(user: User) -> list[NetworkRole]:
    """The person's network roles the signed-in manager may see (as :func:`_visible_memberships`)."""
    query = sa.select(NetworkRole).where(NetworkRole.user_id == user.id)
    if not current_user.is_admin:
        query = query.where(NetworkRole.network_id.in_(coordinated_network_ids(current_user)))
    return list(db.session.scalars(query.order_by(NetworkRole.id)))


@bp.post("/admin/users/<int:user_id>/roles")
@login_required
def user_grant(user_id: int) -> Any:
    _require_manager()
    user = db.get_or_404(User, user_id)
    services.require_manageable(current_user, user)
    form = RoleForm()
    form.scope.choices, form.role.choices = _role_scopes()
    if not form.validate_on_submit():
        flash(_("Choose where and which role."), "error")
        return redirect(url_for("accounts.user_edit", user_id=user.id)), 303
    kind, _sep, ident = (form.scope.data or "").partition(":")
    role = form.role.data or ""
    try:
        if kind == "unit" and role in {r.value for r in UnitRole}:
            services.grant_unit_role(current_user, user, db.get_or_404(Unit, int(ident)), role)
        elif kind == "network" and role in {r.value for r in NetworkRoleKind}:
            services.grant_network_role(
                current_user, user, int(ident), role, bool(form.trained_lead.data)
            )
        else:
            raise ServiceError(
                _(
                    "That role does not fit there: unit roles go with a unit, network roles with a network."
                )
            )
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Role granted."), "success")
    return redirect(url_for("accounts.user_edit", user_id=user.id))


@bp.post("/admin/roles/<kind>/<int:row_id>/revoke")
@login_required
def role_revoke(kind: str, row_id: int) -> Any:
    if kind not in ("unit", "network"):
        abort(404)
    model: Any = Membership if kind == "unit" else NetworkRole
    row = db.get_or_404(model, row_id)
    user_id = row.user_id
    services.revoke_role(current_user, kind, row_id)
    flash(_("Role removed."), "success")
    return redirect(url_for("accounts.user_edit", user_id=user_id))

"""Sign-in, profile, API tokens, language, and user administration."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from kvip.accounts import services
from kvip.accounts.forms import (
    ForgotPasswordForm,
    LocaleForm,
    LoginForm,
    PasswordForm,
    ReminderChannelForm,
    ResetPasswordForm,
    RoleForm,
    TokenForm,
    UserForm,
)
from kvip.accounts.models import Membership, NetworkRole, NetworkRoleKind, UnitRole, User
from kvip.core import audit, versioning
from kvip.core.errors import ServiceError
from kvip.core.nav import NavItem
from kvip.core.permissions import any_coordinator, coordinated_network_ids, require
from kvip.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def nav_items(user: Any) -> list[NavItem]:
    items = []
    if user.is_admin or any_coordinator(user):
        items.append(NavItem(_("Users"), "accounts.users", order=80))
    if user.is_admin:
        items.append(NavItem(_("Change history"), "accounts.audit_log", order=81))
    return items


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("core.home")


def _show_errors(form: Any, exc: ServiceError, *, flash_other: bool = True) -> None:
    """Put a service's field errors beside their fields; a general one in a flash message."""
    for field, message in exc.fields.items():
        getattr(form, field).errors = [message]
    if flash_other and not exc.fields:
        flash(exc.message, "error")


def _login_limit() -> str:
    return str(current_app.config["KVIP_LOGIN_LIMIT"])


def _login_address_limit() -> str:
    return str(current_app.config["KVIP_LOGIN_ADDRESS_LIMIT"])


def _address_and_account() -> str:
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"{get_remote_address()}|{email}"


def _sign_in_failed(response: Any) -> bool:
    return bool(response.status_code == 401)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _login_limit, methods=["POST"], key_func=_address_and_account, deduct_when=_sign_in_failed
)
@limiter.limit(_login_address_limit, methods=["POST"], deduct_when=_sign_in_failed)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(
            form.email.data or "",
            form.password.data or "",
            address=request.remote_addr,
            user_agent=request.user_agent.string,
        )
        if user is None:
            flash(_("Wrong email or password."), "error")
        else:
            # A fresh session at sign-in: nothing from before sign-in carries over.
            locale = session.get("locale")
            session.clear()
            login_user(user, remember=bool(form.remember.data))
            session["locale"] = user.locale or locale
            return redirect(_safe_next(form.next.data))
    elif request.method == "POST":
        flash(_("Enter your email and password."), "error")
    return render_template("accounts/login.html", form=form), (
        401 if request.method == "POST" else 200
    )


def _forgot_key() -> str:
    return _address_and_account()


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"], key_func=_forgot_key)
@limiter.limit("30 per hour", methods=["POST"])
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data or "")
        # The same answer whether or not the address has an account: no one learns who has.
        flash(
            _(
                "If %(email)s has an account, a link to set a new password is on its way. "
                "It works for %(n)d hours.",
                email=form.email.data,
                n=int(current_app.config["KVIP_RESET_SECONDS"]) // 3600,
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def reset_password(token: str) -> Any:
    user = services.user_for_password_token(token)
    if user is None:
        return render_template("accounts/reset.html", form=None, user=None), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.new_password.data or "")
        except ServiceError as exc:
            _show_errors(form, exc)
        else:
            # Clear, then sign out: logout_user() marks the remember cookie for deletion.
            session.clear()
            logout_user()
            flash(_("Your password is set. Sign in with it now."), "success")
            return redirect(url_for("accounts.login"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/reset.html", form=form, user=user), status


@bp.post("/admin/users/<int:user_id>/password-link")
@login_required
def send_password_link(user_id: int) -> Any:
    _require_manager()
    user = db.get_or_404(User, user_id)
    services.send_password_link(current_user, user)
    flash(_("A link to set a password was sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.user_edit", user_id=user.id))


@bp.post("/logout")
def logout() -> Any:
    if current_user.is_authenticated:
        # Rotates the person's nonce: this session, every other one and every "keep me signed
        # in" cookie (all carry the nonce) stop working, including copies taken before.
        services.sign_out(
            current_user._get_current_object(),
            address=request.remote_addr,
            user_agent=request.user_agent.string,
        )
    # Clear first, then sign out: logout_user() leaves the marker that makes Flask-Login delete
    # the remember cookie in this response; clearing after it would drop that marker.
    session.clear()
    logout_user()
    session["_remember"] = "clear"
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.post("/language")
def set_language() -> Any:
    form = LocaleForm()
    locale = form.locale.data if form.validate_on_submit() else None
    if locale:
        services.set_locale(current_user if current_user.is_authenticated else None, locale)
    return redirect(_safe_next(form.next.data))


@bp.route("/profile", methods=["GET"])
@login_required
def profile() -> Any:
    return render_template(
        "accounts/profile.html",
        password_form=PasswordForm(),
        token_form=TokenForm(),
        tokens=services.tokens_of(current_user),
        new_token=session.pop("new_token", None),
        reminder_form=ReminderChannelForm(channel=current_user.reminder_channel),
    )


@bp.post("/profile/reminders")
@login_required
def set_reminder_channel() -> Any:
    form = ReminderChannelForm()
    if form.validate_on_submit():
        services.set_reminder_channel(current_user, form.channel.data or "")
        flash(_("Your reminder setting is saved."), "success")
    else:
        flash(_("Choose how you get reminders."), "error")
    return redirect(url_for("accounts.profile"), 303)


@bp.post("/profile/password")
@login_required
def change_password() -> Any:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data or "", form.new_password.data or ""
            )
        except ServiceError as exc:
            _show_errors(form, exc, flash_other=False)
        else:
            login_user(current_user._get_current_object())  # the new nonce keeps this session
            flash(_("Your password is changed. Other sessions are signed out."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html",
        password_form=form,
        token_form=TokenForm(),
        tokens=services.tokens_of(current_user),
        new_token=None,
        reminder_form=ReminderChannelForm(channel=current_user.reminder_channel),
    ), 422


@bp.post("/profile/tokens")
@login_required
def create_token() -> Any:
    form = TokenForm()
    if form.validate_on_submit():
        _row, token = services.create_token(current_user, current_user, form.name.data or "")
        session["new_token"] = token
        flash(_("Token created. Copy it now: it is shown only once."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html",
        password_form=PasswordForm(),
        token_form=form,
        tokens=services.tokens_of(current_user),
        new_token=None,
        reminder_form=ReminderChannelForm(channel=current_user.reminder_channel),
    ), 422


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Any:
    services.revoke_token(current_user, token_id)
    flash(_("Token revoked."), "success")
    return redirect(url_for("accounts.profile"))


# --- user administration (admins; coordinators for their networks) -----------------------


def _require_manager() -> None:
    if not (current_user.is_admin or any_coordinator(current_user)):
        require(current_user, "platform.admin")


def _institution_choices() -> list[tuple[int, str]]:
    from kvip.network.models import Institution

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
    from kvip.network import audit_page

    return audit_page.show(None)


@bp.get("/admin/audit/export.<any(csv, xlsx):fmt>")
@login_required
def audit_export(fmt: str) -> Any:
    from kvip.network import audit_page

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
    from kvip.network.models import Network

    query = sa.select(Network).order_by(Network.name)
    if not current_user.is_admin:
        query = query.where(Network.id.in_(coordinated_network_ids(current_user)))
    networks = db.session.scalars(query).all()
    if not networks:
        return None
    return {"email": services.normalise_email(email), "networks": networks}


def _role_scopes() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    from kvip.network.models import Network, Unit

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
    from kvip.network.models import Unit

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
    from kvip.network.models import Unit

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

"""Sign-in, profile, API tokens, language, and user administration."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
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
    TokenForm,
)
from kvip.accounts.models import User
from kvip.accounts.permissions import any_coordinator
from kvip.core.errors import ServiceError
from kvip.core.nav import NavItem
from kvip.core.permissions import require
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
    # A rate-limit key function runs before the view builds LoginForm, so it reads the raw body.
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


def _require_manager() -> None:
    if not (current_user.is_admin or any_coordinator(current_user)):
        require(current_user, "platform.admin")


# The user administration (/admin/users, /admin/roles, /admin/audit) is on this blueprint but
# lives in kvip/network/user_admin.py: it lists and grants roles in networks and units, which
# come after accounts (ARCHITECTURE.md). The app factory imports it before registering ``bp``.

"""Wiring of extensions, request hooks and template helpers (called by the app factory)."""

from __future__ import annotations

import importlib
import time
from typing import Any, Protocol

from flask import Flask, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh as babel_refresh
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event
from werkzeug.routing import IntegerConverter

from kvip.config import MODULES
from kvip.core import assets, formats, i18n, nav, urls
from kvip.core.errors import error_response, register_error_handlers, wants_json
from kvip.core.http import KvipRequest, SafeJSONProvider
from kvip.extensions import babel, csrf, db, limiter, login_manager, migrate

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` limited to the range of a database id (INTEGER on PostgreSQL: 32 bits)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


class Authenticator(Protocol):
    """Who a request is (``kvip.accounts.services`` is one): core knows no user model."""

    def load_user_from_session(self, value: str) -> Any: ...

    def bearer_token(self, req: Any) -> str | None: ...

    def load_user_from_bearer(self, req: Any) -> Any: ...


def _import_each(part: str) -> None:
    """Import ``kvip.<module>.<part>`` for every module that has one."""
    for name in MODULES:
        try:
            importlib.import_module(f"kvip.{name}.{part}")
        except ModuleNotFoundError as exc:
            if exc.name != f"kvip.{name}.{part}":
                raise


def init_extensions(app: Flask, auth: Authenticator) -> None:
    """Bind the unbound extensions to ``app``; ``auth`` loads the signed-in user."""
    # Import every model so metadata is complete for create_all and Alembic, and every
    # module's permission rules so that each name of the vocabulary has its rule.
    _import_each("models")
    _import_each("permissions")
    db.init_app(app)
    with app.app_context():
        _enforce_sqlite_foreign_keys(db.engine)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    csrf.init_app(app)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(i18n.CATALOGUE))
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    # Bearer tokens are read by a request hook (init_request_hooks), not by a request loader:
    # Flask-Login would try the session cookie first and fall back to the token only after.
    login_manager.user_loader(auth.load_user_from_session)

    @login_manager.unauthorized_handler
    def _unauthorized() -> Any:
        if wants_json():
            return error_response(401, "unauthorized", _("Sign in or send a valid API token."))
        flash(_("Please sign in to continue."), "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))

    register_error_handlers(app)


def init_request_hooks(app: Flask, auth: Authenticator) -> None:
    """CSRF for every state-changing browser request; template helpers. ``auth`` reads bearer
    tokens."""
    # JSON bodies too deep or with a lone surrogate are a 400, never a 500 (kvip.core.http).
    app.json = SafeJSONProvider(app)
    app.request_class = KvipRequest

    @app.before_request
    def _start_timer() -> None:
        g.kvip_started = time.perf_counter()

    def _refuse_unknown_host() -> Any:
        # Links in e-mails never come from the Host header (see kvip.core.urls), and a request
        # for a host the platform does not serve is refused outright. The health check
        # answers any host: a load balancer asks by the instance's address.
        if request.path == "/healthz" or urls.host_allowed(request.host):
            return None
        return error_response(
            400,
            "unknown_host",
            _("This address is not served here. Open KvIP at the address your network gave you."),
        )

    # First of all hooks: nothing (sign-in, throttle, CSRF) runs for a foreign host.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_unknown_host)

    @app.before_request
    def _bearer_token_alone() -> None:
        # A request with "Authorization: Bearer …" is authenticated by that token and nothing
        # else: never by a session or remember cookie that comes with it. With a token that
        # does not fit, the caller is anonymous (the API answers 401 after the NUL check);
        # outside /api/ tokens mean nothing and CSRF applies as to anyone.
        if auth.bearer_token(request) is None:
            return
        user = auth.load_user_from_bearer(request)
        g._login_user = user if user is not None else login_manager.anonymous_user()
        g.kvip_token_auth = user is not None

    @app.before_request
    def _csrf_unless_bearer() -> None:
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return
        if g.get("kvip_token_auth"):
            # Authenticated by the token alone (no cookie counted): CSRF cannot apply.
            return
        if request.path.startswith("/api/") and not current_user.is_authenticated:
            # No signed-in session for a forged request to ride on: the API answers 401.
            return
        if app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()

    @app.before_request
    def _refuse_nul_characters() -> Any:
        # PostgreSQL cannot store NUL in text; no person types one. Refuse the whole request
        # with a clear message rather than fail half-way through saving it.
        if _has_nul(request):
            return error_response(
                400,
                "nul_character",
                _("The text contains an invalid control character (NUL). Remove it and try again."),
            )
        return None

    assets.init_app(app)

    @app.context_processor
    def _template_helpers() -> dict[str, Any]:
        return {
            "csrf_token_value": generate_csrf,
            "nav_items": lambda: nav.items_for(current_user),
            "unit_links": nav.unit_links,
            "network_links": nav.network_links,
            "lang": i18n.lang,
            "localized": i18n.localized,
            "current_locale": i18n.lang,
        }

    @app.template_filter("loc")
    def _loc(obj: Any, field: str) -> str:
        return i18n.localized(obj, field)

    formats.init_app(app)  # |date |datetime |time |number |percent in the user's locale

    @app.after_request
    def _server_timing(response: Any) -> Any:
        # Server-side duration for benchmarks and browser dev tools (no data, just a number).
        started = g.get("kvip_started")
        if started is not None:
            response.headers["Server-Timing"] = (
                f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
            )
        return response

    @app.after_request
    def _security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        csp = (
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
            "form-action 'self'; worker-src 'self'; manifest-src 'self'"
        )
        response.headers.setdefault("Content-Security-Policy", csp)
        if app.config.get("KVIP_SECURE_COOKIES"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response

    @app.teardown_request
    def _clear(_exc: BaseException | None) -> None:
        # Per-request caches live on g; drop them so a reused app context (tests, CLI) never
        # carries one request's user into the next.
        g.pop("kvip_nav", None)
        g.pop("_login_user", None)
        g.pop("kvip_token_auth", None)
        babel_refresh()


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False


def _has_nul(req: Any) -> bool:
    """Whether a NUL character is anywhere in the path, query, form fields or JSON body."""
    if "\x00" in req.path:
        return True
    for key, value in req.args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            return True
    if req.method in ("GET", "HEAD", "OPTIONS"):
        return False
    if req.is_json:
        return _contains_nul(req.get_json(silent=True))
    return any("\x00" in k or "\x00" in v for k, v in req.form.items(multi=True))


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _enforce_sqlite_foreign_keys(engine: Any) -> None:
    """SQLite ignores foreign keys (and ON DELETE) unless each connection turns them on; and a
    writer waits for another (busy timeout, WAL) instead of failing with "database is locked"."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
        # SQLite's lower() folds ASCII only; searches use this one so that "øyvind" finds
        # "Øyvind" as PostgreSQL's lower() does.
        dbapi_connection.create_function("kvip_lower", 1, _unicode_lower, deterministic=True)

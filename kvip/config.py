"""Configuration: defaults, overridden by environment variables prefixed ``KVIP_`` and ``DATABASE_URL``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from kvip.core.urls import normalise_base_url

ROOT = Path(__file__).resolve().parent.parent

# The modules, in layer order (ARCHITECTURE.md): names only, imported by name where needed.
# Domain modules, in dependency order. Each has views.py (a blueprint ``bp``); api.py adds
# routes to the shared /api/v1 blueprint; cli.py adds command groups.
MODULES = (
    "core",
    "accounts",
    "network",
    "standards",
    "cycles",
    "visits",
    "surveys",
    "actions",
    "benchmarks",
    "home",
)


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL") or os.environ.get("KVIP_DATABASE_URL")
    if not url:
        return f"sqlite:///{Path(instance_path) / 'kvip.sqlite3'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _secret_key(instance_path: str, env: str) -> str:
    key = os.environ.get("KVIP_SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise RuntimeError("KVIP_SECRET_KEY must be set when KVIP_ENV=production")
    # Development: a random key kept in instance/ so sessions survive restarts, never in the repo.
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    return key


def _base_url(env: str) -> str:
    """The address people open KvIP at; every link in an e-mail is built from it."""

    value = os.environ.get("KVIP_BASE_URL", "").strip()
    if not value:
        if env == "production":
            raise RuntimeError(
                "KVIP_BASE_URL must be set when KVIP_ENV=production: the address people open "
                "KvIP at, e.g. https://kvip.example.no (links in e-mails are built from it)"
            )
        return f"http://127.0.0.1:{os.environ.get('PORT') or 5000}"
    try:
        return normalise_base_url(value)
    except ValueError as exc:
        raise RuntimeError(f"KVIP_BASE_URL={value!r} is not usable: {exc}") from exc


def _list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def load_config(instance_path: str) -> dict[str, Any]:
    """Build the configuration from the environment."""
    env = os.environ.get("KVIP_ENV", "development")
    secure = _bool("KVIP_SECURE_COOKIES")
    return {
        "KVIP_ENV": env,
        "SECRET_KEY": _secret_key(instance_path, env),
        # Every link in an e-mail starts with this; requests for other hosts are refused.
        "KVIP_BASE_URL": _base_url(env),
        # Further host names the app answers to (e.g. an internal name); comma-separated.
        "KVIP_TRUSTED_HOSTS": _list("KVIP_TRUSTED_HOSTS"),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        # A visit lasts a day and a tablet may restart offline: 14 days, ended by password change.
        "REMEMBER_COOKIE_DURATION": int(os.environ.get("KVIP_REMEMBER_SECONDS", 14 * 24 * 3600)),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "KVIP_SECURE_COOKIES": secure,
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("KVIP_SESSION_SECONDS", 12 * 3600)),
        "WTF_CSRF_TIME_LIMIT": None,
        # CSRF is enforced by our own before_request hook so that bearer-token API calls skip it.
        "WTF_CSRF_CHECK_DEFAULT": False,
        "BABEL_DEFAULT_LOCALE": "nb",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
        "KVIP_LOCALES": ["nb", "en"],
        "RATELIMIT_STORAGE_URI": os.environ.get("KVIP_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # If Redis is briefly unreachable, sign-in keeps working on a per-process fallback
        # rather than answering 500 to everyone.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": os.environ.get("KVIP_RATELIMIT_PREFIX", "kvip"),
        # Failed sign-ins per address and account; a hospital behind one NAT address shares
        # only the looser per-address limit, and successful sign-ins never count.
        "KVIP_LOGIN_LIMIT": os.environ.get("KVIP_LOGIN_LIMIT", "10 per minute;50 per hour"),
        "KVIP_LOGIN_ADDRESS_LIMIT": os.environ.get("KVIP_LOGIN_ADDRESS_LIMIT", "100 per minute"),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host to trust.
        # How long a "forgot password" link and an invitation link work.
        "KVIP_RESET_SECONDS": int(os.environ.get("KVIP_RESET_SECONDS", 2 * 3600)),
        "KVIP_INVITE_SECONDS": int(os.environ.get("KVIP_INVITE_SECONDS", 7 * 24 * 3600)),
        "KVIP_TRUSTED_PROXIES": int(os.environ.get("KVIP_TRUSTED_PROXIES", "0")),
        "MAX_CONTENT_LENGTH": int(os.environ.get("KVIP_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)),
        "KVIP_SMTP_HOST": os.environ.get("KVIP_SMTP_HOST", ""),
        "KVIP_MAIL_FROM": os.environ.get("KVIP_MAIL_FROM", "kvip@localhost"),
        # The job queue (kvip.jobs): empty = SQLite at instance/jobs.sqlite3; redis://… in
        # production. The daily reminders run at KVIP_REMINDERS_AT (HH:MM, server time).
        "KVIP_JOBS_URL": os.environ.get("KVIP_JOBS_URL", ""),
        "KVIP_JOBS_WORKERS": int(os.environ.get("KVIP_JOBS_WORKERS", "2")),
        "KVIP_REMINDERS_AT": os.environ.get("KVIP_REMINDERS_AT", "06:30"),
        # Where finished export files wait for their download, and for how long.
        "KVIP_EXPORT_DIR": os.environ.get("KVIP_EXPORT_DIR", str(Path(instance_path) / "exports")),
        "KVIP_EXPORT_KEEP_HOURS": int(os.environ.get("KVIP_EXPORT_KEEP_HOURS", "24")),
        # Seconds an export job waits at each progress step: 0 in use; more only to watch the
        # progress bar or to test a worker stopped in the middle of a job.
        "KVIP_JOBS_STEP_DELAY": float(os.environ.get("KVIP_JOBS_STEP_DELAY", "0")),
        # The Chromium that draws the charts of PDFs (kvip.core.chart_images): "auto" finds
        # chromium/google-chrome on PATH; a path; or "off" for PDFs with a note instead.
        "KVIP_CHART_BROWSER": os.environ.get("KVIP_CHART_BROWSER", "auto"),
    }

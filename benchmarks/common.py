"""What every benchmark script starts with: an app on a fresh, empty database."""

from __future__ import annotations

import os
import tempfile

from flask import Flask


def database_url(url: str | None = None) -> str:
    """``DATABASE_URL`` (PostgreSQL through psycopg 3) or a new SQLite file in a temp dir."""
    url = url or os.environ.get("DATABASE_URL") or ""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"


def fresh_app(url: str | None = None, *, testing: bool = True) -> Flask:
    """The app with every table dropped and created again (nothing else loaded)."""
    from kvip import create_app
    from kvip.extensions import db

    app = create_app(
        {
            "TESTING": testing,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": database_url(url),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app

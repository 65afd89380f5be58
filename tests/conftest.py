"""Shared fixtures: the app (SQLite file or DATABASE_URL), a clean database per test, clients."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from kvip import create_app
from kvip.core import chart_images
from kvip.extensions import db
from tests.factories import World, build_world

# Property tests check results, not speed: no per-example deadline and no "too slow" health
# check, which fail at random on a loaded CI machine (two xdist workers on two cores).
settings.register_profile(
    "kvip", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile("kvip")

# The tests build their worlds with ``date.today()`` and expect the app to agree; the app's
# "today" is the network's date (Europe/Oslo, kvip.core.dates). On a UTC machine the two
# differed between 23:00 and 24:00 UTC, and date-rule tests failed in that hour only (a visit
# dated "today" could not be started). The test process, its live servers and the Chromium it
# starts keep the network's clock. The app itself never reads the machine's zone
# (tests/core/test_one_today.py).
os.environ["TZ"] = "Europe/Oslo"
time.tzset()


CHROMIUM = os.environ.get("KVIP_CHROMIUM", "/usr/bin/chromium")


def missing_chromium() -> str | None:
    """Why the tests that need the system Chromium (tests/browser, the charts of PDFs) cannot
    run here, or None when it is there. With KVIP_REQUIRE_BROWSER=1 (CI) a missing Chromium is
    an error (pytest.UsageError), never a skip."""
    if os.access(CHROMIUM, os.X_OK):
        return None
    if os.environ.get("KVIP_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"KVIP_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
    return f"{CHROMIUM} not installed (apt-get install chromium)"


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        if worker:
            url = _worker_database(url, worker)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _worker_database(url: str, worker: str) -> str:
    """pytest-xdist on PostgreSQL: each worker gets its own fresh database beside the given one."""
    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "KVIP_INSTANCE": str(tmp_path_factory.mktemp("instance")),
            # PDFs draw no chart images (a browser start per PDF) except where a test asks
            # for them with the chart_browser fixture.
            "KVIP_CHART_BROWSER": "off",
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


# PostgreSQL: the id sequences a test moved start again at 1 (as TRUNCATE … RESTART IDENTITY).
_RESTART_SEQUENCES = (
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
    "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)


def _wipe() -> None:
    """Every row deleted, children first. On PostgreSQL in one round trip, and DELETE rather
    than TRUNCATE: TRUNCATE makes new files for all the tables (~1 s a test on a loaded CI
    machine), DELETE of the few rows a test leaves takes milliseconds."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("; ".join(f"DELETE FROM {name}" for name in tables)))
        db.session.execute(sa.text(_RESTART_SEQUENCES))
    else:
        for name in tables:
            db.session.execute(sa.text(f"DELETE FROM {name}"))
    db.session.commit()


@pytest.fixture(autouse=True)
def _own_limiter_state() -> Iterator[None]:
    """Flask-Limiter is one object per process (as in production: one app per worker). Tests
    that make apps with throttling on start from a clean limiter and put the old one back, so
    no test inherits another's counters or its "enabled" switch."""
    from kvip.extensions import limiter

    saved = dict(limiter.__dict__)
    limiter._key_prefix = ""
    limiter._storage_dead = False
    yield
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)


_DEMO_ROWS: dict[str, list[dict[str, Any]]] = {}


@pytest.fixture
def demo(app: Flask) -> None:
    """The demo network. Loaded for real once per test process, then put back from a copy of
    its rows: the same data in well under a second instead of many seconds each time."""
    if not _DEMO_ROWS:
        from kvip.demo import load_demo

        load_demo()
        for table in db.metadata.sorted_tables:
            rows = [dict(row._mapping) for row in db.session.execute(sa.select(table))]
            # The questionnaire change log is written again by the insert of the responses
            # below (a listener logs their collections); copying it too would put in the same
            # ids twice on PostgreSQL, where the log's id sequence knows nothing of the copy.
            _DEMO_ROWS[table.name] = [] if table.name == "benchmark_survey_changes" else rows
        return
    for table in db.metadata.sorted_tables:
        if _DEMO_ROWS[table.name]:
            db.session.execute(table.insert(), _DEMO_ROWS[table.name])
    if db.engine.dialect.name == "postgresql":
        # Rows came with their ids: move each id sequence past them.
        for table in db.metadata.sorted_tables:
            if "id" in table.c and _DEMO_ROWS[table.name]:
                db.session.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))"
                    )
                )
    db.session.commit()


@pytest.fixture(autouse=True)
def _app_context(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test runs in an app context and leaves an empty database behind."""
    if "app" not in request.fixturenames and not request.node.get_closest_marker("db"):
        yield
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        yield
        db.session.rollback()
        _wipe()
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def world(app: Flask) -> World:
    return build_world()


def login(client: FlaskClient, user: Any) -> FlaskClient:
    """Sign ``user`` in on ``client`` without going through the form (fast)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
    return client


@pytest.fixture
def login_as(app: Flask, world: World) -> Any:
    """``login_as("member")`` → a test client signed in as that role of the world."""

    def make(role: str) -> FlaskClient:
        client = app.test_client()
        if role != "anon":
            login(client, world.users[role])
        return client

    return make


@pytest.fixture
def set_today(app: Flask) -> Iterator[Any]:
    """``set_today(date)`` fixes the date the cycle's date rules see (``kvip.core.dates.today``)."""

    def fix(value: Any) -> None:
        app.config["KVIP_TODAY"] = value

    yield fix
    app.config.pop("KVIP_TODAY", None)


@pytest.fixture
def chart_browser(app: Flask, monkeypatch: pytest.MonkeyPatch) -> str:
    """PDFs made in this test draw their charts with the system Chromium (skipped where there
    is none, unless KVIP_REQUIRE_BROWSER=1 as in CI: then it fails)."""
    reason = missing_chromium()
    if reason:
        pytest.skip(reason)
    monkeypatch.setitem(app.config, "KVIP_CHART_BROWSER", CHROMIUM)
    chart_images.clear_cache()
    return CHROMIUM

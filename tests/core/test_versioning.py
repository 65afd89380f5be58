"""The shared optimistic-locking helper (kvip.core.versioning) and its migration."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField

from kvip.core import versioning
from kvip.extensions import db
from kvip.network.models import Unit
from tests.factories import World

VERSIONED = (
    "networks",
    "institutions",
    "units",
    "cycles",
    "gap_overrides",
    "maturity_ratings",
    "reports",
    "report_comments",
    "users",
)


@pytest.mark.parametrize(
    ("raw", "seen"),
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("3", 3),
        (3, 3),
        ("0", 0),
        ("abc", -1),
        ("-1", -1),
        (True, -1),
        ("9" * 30, -1),
        ("²", -1),
        ("٣", -1),
    ],
)
def test_seen_version_reads_forms_and_json(raw: object, seen: int | None) -> None:
    assert versioning.seen_version(raw) == seen


def test_every_editable_model_is_versioned_by_sqlalchemy() -> None:
    from kvip.accounts.models import User
    from kvip.actions.models import Action, GapOverride, MaturityRating
    from kvip.cycles.models import Cycle, Rating
    from kvip.network.models import Institution, Network
    from kvip.visits.models import Finding, Observation, Report, ReportComment

    for model in (
        Network,
        Institution,
        Unit,
        Cycle,
        Rating,
        Action,
        GapOverride,
        MaturityRating,
        Finding,
        Observation,
        Report,
        ReportComment,
        User,
    ):
        mapper = sa.inspect(model)
        assert mapper.version_id_col is not None, model
        assert mapper.version_id_col.name == "version" and not mapper.version_id_col.nullable


def test_a_stale_version_is_an_edit_conflict_with_who_and_when(app: Flask, world: World) -> None:
    from kvip.network import services

    with app.test_request_context("/"):
        services.save_unit(
            world.users["admin"],
            world.network.id,
            world.unit,
            name="Nytt navn",
            institution_id=world.inst_a.id,
            kind="acute",
            beds=8,
            region="",
            active=True,
            version=1,
        )
        versioning.check_version("unit", world.unit, None)  # nothing sent: not checked here
        versioning.check_version("unit", world.unit, "2")
        with pytest.raises(versioning.EditConflict) as stale:
            versioning.check_version("unit", world.unit, "1")
    exc = stale.value
    assert exc.status == 409 and exc.code == "conflict"
    assert exc.current is world.unit and exc.current_version == 2 and not exc.deleted
    assert exc.changed_by == "Admin" and exc.changed_at is not None
    assert exc.payload["current"]["version"] == 2
    assert exc.payload["current"]["changed_by"] == "Admin"


class _Form(FlaskForm):
    name = StringField("Name")
    kind = SelectField("Kind", choices=[("a", "Acute"), ("g", "General")])
    active = BooleanField("Active")
    secret = PasswordField("Secret")
    version = HiddenField()


def test_form_conflict_lists_what_differs_and_moves_the_version(app: Flask) -> None:
    class Stored:
        name = "Theirs"
        kind = "g"
        active = True
        secret = "never shown"
        version = 4

    with app.test_request_context(
        "/",
        method="POST",
        data={"name": "Mine", "kind": "a", "active": "y", "secret": "x", "version": "3"},
    ):
        form = _Form()
        exc = versioning.EditConflict("Changed", entity="thing", current=Stored())
        notice = versioning.form_conflict(form, exc, reload_url="/again")
    rows = {r.label: (r.theirs, r.yours) for r in notice.rows}
    assert rows == {"Name": ("Theirs", "Mine"), "Kind": ("General", "Acute")}
    assert form.name.data == "Mine"  # what the person typed stays
    assert form.version.data == "4"  # saving again is based on what they now see
    assert notice.reload_url == "/again" and notice.message == "Changed"


@contextmanager
def _fresh_database(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """An empty database of the configured kind (SQLite file, or a PostgreSQL schema)."""
    from kvip import create_app

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        fresh = create_app(
            {**app.config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'mig.sqlite3'}"}
        )
        yield fresh
        return
    schema = "migversions"
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    fresh = create_app(
        {**app.config, "SQLALCHEMY_DATABASE_URI": f"{url}{sep}options=-csearch_path%3D{schema}"}
    )
    try:
        yield fresh
    finally:
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def test_the_migration_gives_existing_rows_version_1_and_goes_back(
    app: Flask, tmp_path: Path
) -> None:
    from flask_migrate import downgrade, upgrade

    with _fresh_database(app, tmp_path) as fresh, fresh.app_context():
        upgrade(revision="ec7db146ca7e")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO networks (id, name, slug, benchmark_visibility, min_group_size,"
                    " created_at) VALUES (1, 'N', 'n', 'pseudonymised', 3, '2026-01-01')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, email, name, locale, active, is_admin, auth_nonce,"
                    " created_at) VALUES (1, 'a@b.c', 'A', 'nb', true, false, 'x', '2026-01-01')"
                )
            )
        upgrade(revision="b7e1a2c3d4f5")
        inspector = sa.inspect(db.engine)
        for table in VERSIONED:
            column = next(c for c in inspector.get_columns(table) if c["name"] == "version")
            assert column["nullable"] is False, table
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version FROM networks")).scalar_one() == 1
            assert conn.execute(sa.text("SELECT version FROM users")).scalar_one() == 1
        downgrade(revision="ec7db146ca7e")
        for table in VERSIONED:
            assert "version" not in {c["name"] for c in sa.inspect(db.engine).get_columns(table)}
        db.engine.dispose()

"""App wiring: health, errors in the user's language, headers, translations, migrations, demo."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from kvip.accounts.models import User
from kvip.extensions import db
from tests.conftest import login
from tests.factories import World


def test_healthz_checks_database(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}


def test_403_and_404_pages_in_users_language(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["member"])
    response = client.get(f"/networks/{world.network.id}/units")
    assert response.status_code == 403
    assert "Ikke tillatt" in response.get_data(as_text=True)
    client.post("/language", data={"locale": "en"})
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "Not found" in response.get_data(as_text=True)


def test_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert (
        "unsafe-inline"
        not in response.headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert 'name="csrf-token"' in response.get_data(as_text=True)


def test_a_nul_character_anywhere_is_refused_and_changes_nothing(app: Flask, world: World) -> None:
    """PostgreSQL cannot store NUL: a form, JSON body or query with one answers 400 in the
    user's language and saves nothing (no half-done write, no server error)."""
    from kvip.accounts.models import ApiToken

    client = login(app.test_client(), world.users["member"])
    before = db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken))
    from kvip.cycles.models import Rating

    rated_before = db.session.scalar(sa.select(sa.func.count()).select_from(Rating))
    response = client.post("/profile/tokens", data={"name": "laptop\x00"})
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True) and "tegn" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == before
    response = client.get("/standards?q=a%00b")
    assert response.status_code == 400
    url = f"/api/v1/assessments/{world.assessment.id}/ratings/1.2"
    response = client.put(url, json={"value": "met", "comment": "rutine\x00", "version": 0})
    assert response.status_code == 400 and response.json["error"]["code"] == "nul_character"
    from kvip.cycles.models import Rating

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rating)) == rated_before


def test_migrations_match_the_models(app: Flask, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`flask db upgrade` on an empty database yields exactly the models' schema (= `db check`)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    from kvip import create_app

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        fresh = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": url})
        with fresh.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            db.engine.dispose()
        assert diff == []
    else:
        schema = "migcheck"
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        sep = "&" if "?" in url else "?"
        scoped = f"{url}{sep}options=-csearch_path%3D{schema}"
        fresh = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": scoped})
        try:
            with fresh.app_context():
                upgrade()
                with db.engine.connect() as conn:
                    diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
                db.engine.dispose()
            assert diff == []
        finally:
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def test_demo_load_is_idempotent_and_refused_in_production(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    for email in (
        "admin@demo.kvip",
        "coordinator@demo.kvip",
        "lead@demo.kvip",
        "member@demo.kvip",
        "reviewer@demo.kvip",
    ):
        assert email in first.output
    count = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "already" in second.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == count
    reviewer = db.session.scalar(sa.select(User).where(User.email == "reviewer@demo.kvip"))
    lead = db.session.scalar(sa.select(User).where(User.email == "lead@demo.kvip"))
    assert reviewer.home_institution_id != lead.home_institution_id
    monkeypatch.setenv("KVIP_ENV", "production")
    assert runner.invoke(args=["demo", "load"]).exit_code != 0


def test_demo_logins_work_with_the_demo_password(app: Flask) -> None:
    from kvip.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo

    load_demo()
    for email, _role in DEMO_LOGINS:
        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert client.get("/").status_code == 200


def test_vendored_plotly_is_the_version_the_installed_package_ships() -> None:
    """static/vendor/plotly-cartesian.min.js is plotly.js's cartesian partial bundle at the
    version the plotly Python package ships (its figures' schema), with its licence (no CDN)."""
    import re
    from pathlib import Path

    import plotly

    def version(text: str) -> str:
        found = re.search(r"plotly\.js(?: \([a-z -]+\))? v(\d+\.\d+\.\d+)", text[:400])
        assert found, text[:400]
        return found.group(1)

    shipped = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    vendor = Path(__file__).resolve().parents[2] / "static" / "vendor"
    bundle = (vendor / "plotly-cartesian.min.js").read_text(encoding="utf-8")
    assert "(cartesian - minified)" in bundle[:200]
    assert version(bundle) == version(shipped.read_text(encoding="utf-8"))
    assert "MIT License" in (vendor / "plotly.js-LICENSE").read_text(encoding="utf-8")
    assert not (vendor / "plotly.min.js").exists()


def test_chart_builders_use_only_trace_types_of_the_vendored_bundle() -> None:
    """The cartesian bundle draws bar, box, contour, heatmap, histogram*, image, pie, scatter,
    scatterternary and violin; a figure with any other trace (scattergl, …) would stay blank."""
    import re
    from pathlib import Path

    import plotly.graph_objects as go
    from plotly.basedatatypes import BaseTraceType

    in_bundle = {"bar", "box", "contour", "heatmap", "histogram", "histogram2d"}
    in_bundle |= {"histogram2dcontour", "image", "pie", "scatter", "scatterternary", "violin"}
    traces = {
        name.lower()
        for name in dir(go)
        if isinstance(cls := getattr(go, name), type) and issubclass(cls, BaseTraceType)
    }
    used: set[str] = set()
    for source in (Path(__file__).resolve().parents[2] / "kvip").glob("*/charts.py"):
        text = source.read_text(encoding="utf-8")
        used |= {t for t in re.findall(r"[\"']type[\"']:\s*[\"'](\w+)[\"']", text) if t in traces}
        used |= {t.lower() for t in re.findall(r"\bgo\.(\w+)\(", text) if t.lower() in traces}
    assert used and used <= in_bundle, sorted(used - in_bundle)


def test_api_writes_need_csrf_only_when_a_session_is_signed_in(app: Flask, world: World) -> None:
    """A signed-in browser session must send the CSRF header; a request with no session (and
    no token) has nothing to forge and gets the API's 401, not a CSRF error."""
    url = f"/api/v1/assessments/{world.assessment.id}/ratings/1.2"
    body = {"value": "met", "version": 0}
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        anonymous = app.test_client().put(url, json=body)
        assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "unauthorized"
        signed_in = login(app.test_client(), world.users["member"]).put(url, json=body)
        assert signed_in.status_code == 400 and signed_in.json["error"]["code"] == "csrf"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

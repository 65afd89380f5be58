"""Every link in an e-mail comes from KVIP_BASE_URL, never from the request's Host (or a
forwarded host); a request for a host the app does not serve is refused."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip import create_app
from kvip.config import load_config
from kvip.core.models import OutboxEmail
from kvip.extensions import db
from tests.conftest import login
from tests.factories import World, create_user

BASE = "https://kvip.example.no"
LINK = re.compile(r"https?://\S+")


@pytest.fixture
def base_url(app: Flask, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(app.config, "KVIP_BASE_URL", BASE)
    return BASE


def _links(to: str | None = None) -> list[str]:
    query = sa.select(OutboxEmail.body)
    if to is not None:
        query = query.where(OutboxEmail.to == to)
    return [link for body in db.session.scalars(query) for link in LINK.findall(body)]


def test_a_forgot_password_request_for_a_foreign_host_mails_no_link_to_it(
    app: Flask, base_url: str
) -> None:
    create_user("kari@example.test", "Kari")
    db.session.commit()
    client = app.test_client()
    response = client.post(
        "/password/forgot", data={"email": "kari@example.test"}, headers={"Host": "evil.example"}
    )
    assert response.status_code == 400
    assert not any("evil.example" in link for link in _links())
    assert all(link.startswith(BASE + "/") for link in _links())


def test_the_mailed_link_starts_with_the_base_url_whatever_host_served_the_request(
    app: Flask, base_url: str
) -> None:
    create_user("kari@example.test", "Kari")
    db.session.commit()
    # The test client's "localhost" is a development host the app answers; the link still
    # points at the configured address.
    response = app.test_client().post("/password/forgot", data={"email": "kari@example.test"})
    assert response.status_code == 302
    [link] = _links("kari@example.test")
    assert link.startswith(BASE + "/password/reset/")


def test_a_forged_forwarded_host_behind_the_proxy_never_reaches_the_mail(
    app: Flask, base_url: str
) -> None:
    create_user("kari@example.test", "Kari")
    db.session.commit()
    proxied = create_app({**app.config, "KVIP_TRUSTED_PROXIES": 1})
    response = proxied.test_client().post(
        "/password/forgot",
        data={"email": "kari@example.test"},
        headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
    )
    assert response.status_code in (302, 400)
    links = _links("kari@example.test")
    assert not any("evil.example" in link for link in links)
    assert all(link.startswith(BASE + "/password/reset/") for link in links)
    # The host nginx forwards (the base URL's) is served as usual.
    ok = proxied.test_client().post(
        "/password/forgot",
        data={"email": "kari@example.test"},
        headers={"X-Forwarded-Host": "kvip.example.no", "X-Forwarded-Proto": "https"},
    )
    assert ok.status_code == 302


def test_an_unknown_host_is_refused_with_the_error_envelope(app: Flask, base_url: str) -> None:
    page = app.test_client().get("/login", headers={"Host": "evil.example"})
    assert page.status_code == 400
    api = app.test_client().get("/api/v1/me", headers={"Host": "evil.example"})
    assert api.status_code == 400 and api.json["error"]["code"] == "unknown_host"
    # The base URL's host and the extra trusted hosts are served.
    assert app.test_client().get("/login", headers={"Host": "kvip.example.no"}).status_code == 200
    assert app.test_client().get("/login").status_code == 200  # localhost in development


def test_extra_trusted_hosts_are_served(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "KVIP_BASE_URL", BASE)
    monkeypatch.setitem(app.config, "KVIP_TRUSTED_HOSTS", ["kvip.internal"])
    assert app.test_client().get("/login", headers={"Host": "kvip.internal"}).status_code == 200
    assert app.test_client().get("/login", headers={"Host": "evil.example"}).status_code == 400


def test_health_check_answers_any_host(app: Flask, base_url: str) -> None:
    # A load balancer checks the instance by its address, not by the public name.
    assert app.test_client().get("/healthz", headers={"Host": "10.0.0.7:8000"}).status_code == 200


def test_an_invitation_from_the_admin_page_links_to_the_base_url(
    app: Flask, world: World, base_url: str
) -> None:
    client = login(app.test_client(), world.users["admin"])
    response = client.post(
        "/admin/users/new",
        data={"email": "ny@example.test", "name": "Ny", "locale": "nb", "home_institution_id": "0"},
    )
    assert response.status_code == 302
    [link] = _links("ny@example.test")
    assert link.startswith(BASE + "/password/reset/")


def test_reminder_links_come_from_the_base_url_inside_and_outside_a_request(
    app: Flask, world: World, base_url: str
) -> None:
    from datetime import date, timedelta

    from kvip.actions import reminders

    world.cycle.self_assessment_closes = date.today() + timedelta(days=3)
    db.session.commit()
    # Outside any request (a cron job, a worker): no Host to take links from.
    result = reminders.send_reminders(date.today())
    assert result.queued >= 1
    links = _links(world.users["member"].email)
    assert links and all(link.startswith(BASE + "/") for link in links)
    db.session.execute(sa.delete(OutboxEmail))
    # Each reminder is told once per threshold: forget that it was, to send it again.
    from kvip.actions.models import SentReminder

    db.session.execute(sa.delete(SentReminder))
    db.session.commit()
    # Inside a request for another host, the links still point at the base URL.
    with app.test_request_context("/", base_url="http://evil.example"):
        reminders.send_reminders(date.today())
    links = _links(world.users["member"].email)
    assert links and all(link.startswith(BASE + "/") for link in links)


def test_production_refuses_to_start_without_a_base_url(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KVIP_ENV", "production")
    monkeypatch.setenv("KVIP_SECRET_KEY", "s" * 40)
    monkeypatch.delenv("KVIP_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="KVIP_BASE_URL"):
        load_config(str(tmp_path))
    monkeypatch.setenv("KVIP_BASE_URL", "kvip.example.no")  # no scheme: refused, said why
    with pytest.raises(RuntimeError, match="KVIP_BASE_URL"):
        load_config(str(tmp_path))
    monkeypatch.setenv("KVIP_BASE_URL", "https://kvip.example.no/")
    config = load_config(str(tmp_path))
    assert config["KVIP_BASE_URL"] == "https://kvip.example.no"


def test_development_defaults_to_the_local_port(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KVIP_ENV", raising=False)
    monkeypatch.delenv("KVIP_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "8080")
    assert load_config(str(tmp_path))["KVIP_BASE_URL"] == "http://127.0.0.1:8080"
    monkeypatch.delenv("PORT")
    assert load_config(str(tmp_path))["KVIP_BASE_URL"] == "http://127.0.0.1:5000"

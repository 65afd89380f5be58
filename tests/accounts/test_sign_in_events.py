"""Sign-in, sign-out and failed sign-ins in the audit log, with the client's address."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from kvip import create_app
from kvip.accounts.models import User
from kvip.accounts.services import USER_AGENT_CHARS
from kvip.core.models import AuditEvent
from kvip.extensions import db
from tests.factories import PASSWORD, create_user

AGENT = "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) Safari/604.1"


def _sessions() -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity == "session").order_by(AuditEvent.id)
        )
    )


def _count() -> int:
    return int(db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) or 0)


def _post_login(
    client: FlaskClient, email: str, password: str, address: str = "10.1.2.3", **data: Any
) -> int:
    response = client.post(
        "/login",
        data={"email": email, "password": password, **data},
        environ_base={"REMOTE_ADDR": address},
        headers={"User-Agent": AGENT},
    )
    return response.status_code


def _kari() -> User:
    user = create_user("kari@example.test", "Kari Nordmann")
    db.session.commit()
    return user


def test_sign_in_is_recorded_with_address_and_agent_in_the_same_commit(
    app: Flask, client: FlaskClient
) -> None:
    kari = _kari()
    assert _post_login(client, "KARI@example.test", PASSWORD) == 302
    (event,) = _sessions()
    assert (event.user_id, event.entity_id, event.action) == (kari.id, kari.id, "sign_in")
    assert (event.network_id, event.unit_id, event.field) == (None, None, None)
    assert event.note == f"address=10.1.2.3; agent={AGENT}"
    db.session.refresh(kari)
    assert kari.last_login_at is not None and abs(kari.last_login_at - event.at).total_seconds() < 5


def test_failed_sign_in_of_an_existing_account_is_recorded(app: Flask, client: FlaskClient) -> None:
    kari = _kari()
    assert _post_login(client, "kari@example.test", "not-her-password", "192.0.2.7") == 401
    (event,) = _sessions()
    assert (event.user_id, event.entity_id, event.action) == (kari.id, kari.id, "sign_in_failed")
    assert event.network_id is None
    assert event.note == f"address=192.0.2.7; agent={AGENT}; reason=wrong password"
    assert client.get("/").status_code == 302  # still signed out


def test_deactivated_account_with_the_right_password_is_a_failed_sign_in(
    app: Flask, client: FlaskClient
) -> None:
    gone = create_user("gone@example.test", active=False)
    db.session.commit()
    assert _post_login(client, "gone@example.test", PASSWORD) == 401
    (event,) = _sessions()
    assert (event.user_id, event.action) == (gone.id, "sign_in_failed")
    assert event.note is not None and event.note.endswith("reason=account deactivated")


def test_unknown_email_writes_nothing(app: Flask, client: FlaskClient) -> None:
    _kari()
    before = _count()
    for n in range(5):
        assert _post_login(client, f"nobody{n}@example.test", "whatever-else") == 401
    assert _count() == before


def test_sign_out_is_recorded_and_anonymous_sign_out_is_not(
    app: Flask, client: FlaskClient
) -> None:
    kari = _kari()
    _post_login(client, "kari@example.test", PASSWORD)
    response = client.post(
        "/logout", environ_base={"REMOTE_ADDR": "10.9.9.9"}, headers={"User-Agent": "curl/8"}
    )
    assert response.status_code == 302
    events = _sessions()
    assert [(e.action, e.user_id) for e in events] == [("sign_in", kari.id), ("sign_out", kari.id)]
    assert events[1].note == "address=10.9.9.9; agent=curl/8"
    assert client.get("/").status_code == 302
    client.post("/logout")  # no one is signed in any more
    assert len(_sessions()) == 2


def test_user_agent_is_truncated_and_kept_on_one_line(app: Flask, client: FlaskClient) -> None:
    _kari()
    agent = "Evil\r\nInjected: line\t" + "x" * 5000
    client.post(
        "/login",
        data={"email": "kari@example.test", "password": "wrong-wrong"},
        environ_base={"HTTP_USER_AGENT": agent},  # raw: the header API refuses newlines
    )
    (event,) = _sessions()
    assert event.note is not None
    written = event.note.split("; agent=", 1)[1].rsplit("; reason=", 1)[0]
    assert written.startswith("Evil Injected: line ")
    assert len(written) == USER_AGENT_CHARS
    assert not any(ch in event.note for ch in "\r\n\t")


def test_keep_me_signed_in_cookie_restore_is_not_a_new_sign_in(app: Flask) -> None:
    _kari()
    browser = app.test_client()
    assert _post_login(browser, "kari@example.test", PASSWORD, remember="y") == 302
    remember = browser.get_cookie("remember_token")
    assert remember is not None
    # The browser was closed: the session cookie is gone, the remember cookie is not.
    later = app.test_client()
    later.set_cookie("remember_token", remember.value)
    assert later.get("/").status_code == 200
    assert later.get("/profile").status_code == 200
    assert [e.action for e in _sessions()] == ["sign_in"]


def test_behind_a_trusted_proxy_the_client_address_is_recorded(app: Flask) -> None:
    _kari()
    proxied = create_app({**app.config, "KVIP_TRUSTED_PROXIES": 1}).test_client()
    response = proxied.post(
        "/login",
        data={"email": "kari@example.test", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
        headers={"X-Forwarded-For": "203.0.113.5"},
    )
    assert response.status_code == 302
    (event,) = _sessions()
    assert event.note is not None and event.note.startswith("address=203.0.113.5; ")

"""Forgot password and invitations: a signed, expiring, single-use link by e-mail."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.accounts.models import User
from kvip.core.models import AuditEvent, OutboxEmail
from kvip.extensions import db
from tests.conftest import login
from tests.factories import PASSWORD, World, create_user

NEW = "a brand new passphrase"


def _messages(to: str) -> list[OutboxEmail]:
    return list(
        db.session.scalars(
            sa.select(OutboxEmail).where(OutboxEmail.to == to).order_by(OutboxEmail.id)
        )
    )


def _link(message: OutboxEmail) -> str:
    match = re.search(r"https?://[^/\s]+(/password/reset/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def _ask(client: Any, email: str) -> Any:
    return client.post("/password/forgot", data={"email": email})


def _sign_in(client: Any, email: str, password: str) -> int:
    return int(client.post("/login", data={"email": email, "password": password}).status_code)


def test_forgot_password_mails_a_link_that_sets_a_new_password_once(app: Flask) -> None:
    user = create_user("kari@example.test", "Kari", locale="nb")
    db.session.commit()
    client = app.test_client()
    response = _ask(client, "KARI@example.test")
    assert response.status_code == 302
    [message] = _messages("kari@example.test")
    assert message.subject == "KvIP: lag et nytt passord" and "Hei Kari" in message.body
    link = _link(message)
    page = client.get(link)
    assert page.status_code == 200 and "kari@example.test" in page.get_data(as_text=True)
    response = client.post(link, data={"new_password": NEW, "confirm": NEW})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert _sign_in(app.test_client(), "kari@example.test", PASSWORD) == 401
    assert _sign_in(app.test_client(), "kari@example.test", NEW) == 302
    # Used once: the same link now says so and changes nothing.
    again = client.post(link, data={"new_password": "yet another passphrase", "confirm": "x"})
    assert again.status_code == 400
    assert "ikke gyldig" in again.get_data(as_text=True)
    assert _sign_in(app.test_client(), "kari@example.test", NEW) == 302
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(
            AuditEvent.entity == "user", AuditEvent.entity_id == user.id
        )
    ).all()
    assert "password_link" in actions and "reset_password" in actions


def test_the_answer_does_not_reveal_whether_an_account_exists(app: Flask) -> None:
    create_user("kari@example.test", "Kari")
    db.session.commit()
    known = _ask(app.test_client(), "kari@example.test")
    unknown = _ask(app.test_client(), "nobody@example.test")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert _messages("nobody@example.test") == []
    assert len(_messages("kari@example.test")) == 1


def test_a_reset_signs_out_every_other_session(app: Flask, world: World) -> None:
    member = world.users["member"]
    elsewhere = login(app.test_client(), member)
    assert elsewhere.get("/profile").status_code == 200
    _ask(app.test_client(), member.email)
    link = _link(_messages(member.email)[-1])
    app.test_client().post(link, data={"new_password": NEW, "confirm": NEW})
    assert elsewhere.get("/profile").status_code == 302


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short", "short", "minst 10 tegn"),
        ("member@example.test", "member@example.test", "e-postadresse"),
        (NEW, NEW + "x", "ikke like"),
    ],
)
def test_a_bad_new_password_is_refused_and_the_link_still_works(
    app: Flask, world: World, password: str, confirm: str, message: str
) -> None:
    member = world.users["member"]
    _ask(app.test_client(), member.email)
    link = _link(_messages(member.email)[-1])
    response = app.test_client().post(link, data={"new_password": password, "confirm": confirm})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _sign_in(app.test_client(), member.email, PASSWORD) == 302
    assert app.test_client().get(link).status_code == 200


def test_expired_tampered_and_inactive_links_are_refused(app: Flask, world: World) -> None:
    member = world.users["member"]
    _ask(app.test_client(), member.email)
    link = _link(_messages(member.email)[-1])
    assert app.test_client().get(link[:-3] + "abc").status_code == 400
    app.config["KVIP_RESET_SECONDS"] = -1
    try:
        assert app.test_client().get(link).status_code == 400
    finally:
        app.config["KVIP_RESET_SECONDS"] = 7200
    assert app.test_client().get(link).status_code == 200
    member.active = False
    db.session.commit()
    assert app.test_client().get(link).status_code == 400
    assert _ask(app.test_client(), member.email).status_code == 302
    assert len(_messages(member.email)) == 1  # nothing sent to a deactivated account


def test_a_new_user_without_a_password_gets_an_invitation(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    response = client.post(
        "/admin/users/new", data={"email": "ny@example.test", "name": "Ny Kollega", "locale": "en"}
    )
    assert response.status_code == 302
    [message] = _messages("ny@example.test")
    assert message.subject == "Welcome to KvIP: set your password"
    assert "168 hours" in message.body
    link = _link(message)
    fresh = app.test_client()
    assert fresh.post(link, data={"new_password": NEW, "confirm": NEW}).status_code == 302
    assert _sign_in(app.test_client(), "ny@example.test", NEW) == 302


def test_a_coordinator_sends_a_link_to_their_own_people_only(app: Flask, world: World) -> None:
    admin = world.users["admin"]
    coordinator = login(app.test_client(), world.users["coordinator"])
    member = world.users["member"]
    assert coordinator.post(f"/admin/users/{member.id}/password-link").status_code == 302
    assert len(_messages(member.email)) == 1
    assert coordinator.post(f"/admin/users/{admin.id}/password-link").status_code == 404
    assert _messages(admin.email) == []
    unit_lead = login(app.test_client(), world.users["lead"])
    assert unit_lead.post(f"/admin/users/{member.id}/password-link").status_code == 403
    assert len(_messages(member.email)) == 1
    assert db.session.get(User, member.id) is not None

"""Signing out after "keep me signed in": the remember cookie is deleted and stops working
everywhere, so the next person on a shared ward tablet reaches the sign-in page."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from kvip.extensions import db
from tests.factories import PASSWORD, create_user

REMEMBER = "remember_token"


def _sign_in_remembered(app: Flask) -> FlaskClient:
    client = app.test_client()
    response = client.post(
        "/login", data={"email": "kari@example.test", "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    assert client.get_cookie(REMEMBER) is not None
    return client


def _signed_in(client: FlaskClient) -> bool:
    response = client.get("/profile")
    return response.status_code == 200


def _only_remember_cookie(app: Flask, value: str) -> FlaskClient:
    client = app.test_client()
    client.set_cookie(REMEMBER, value)
    return client


def test_log_out_deletes_the_remember_cookie_and_the_next_request_is_signed_out(
    app: Flask,
) -> None:
    create_user("kari@example.test", "Kari")
    db.session.commit()
    client = _sign_in_remembered(app)
    assert _signed_in(client)
    response = client.post("/logout")
    assert response.status_code == 302
    cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert f"{REMEMBER}=;" in cookies  # told to delete it
    assert client.get_cookie(REMEMBER) is None
    page = client.get("/profile")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_a_remember_cookie_captured_before_log_out_stops_working(app: Flask) -> None:
    create_user("kari@example.test", "Kari")
    db.session.commit()
    client = _sign_in_remembered(app)
    captured = client.get_cookie(REMEMBER)
    assert captured is not None
    # Before sign-out, the cookie alone signs the person in (that is what it is for).
    assert _signed_in(_only_remember_cookie(app, captured.value))
    client.post("/logout")
    replay = _only_remember_cookie(app, captured.value)
    page = replay.get("/profile")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    api: Any = replay.get("/api/v1/me")
    assert api.status_code == 401


def test_a_session_cookie_captured_before_log_out_stops_working(app: Flask) -> None:
    create_user("kari@example.test", "Kari")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "kari@example.test", "password": PASSWORD})
    captured = client.get_cookie("session")
    assert captured is not None and _signed_in(client)
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", captured.value)
    assert not _signed_in(replay)


def test_signing_in_again_after_log_out_works(app: Flask) -> None:
    create_user("kari@example.test", "Kari")
    db.session.commit()
    client = _sign_in_remembered(app)
    client.post("/logout")
    again = _sign_in_remembered(app)
    assert _signed_in(again)

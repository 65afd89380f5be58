"""Requests at the edge: a bearer header is the only credential when present (never the
cookie, never without CSRF), and JSON the parser cannot take whole answers 400, not 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.accounts import services as accounts
from kvip.cycles.models import Rating
from kvip.extensions import db
from tests.conftest import login
from tests.factories import World, standards_of


@pytest.fixture
def csrf_on(app: Flask) -> Iterator[None]:
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def _rating(world: World) -> Rating | None:
    std = standards_of(world.edition)[1]
    return db.session.scalar(
        sa.select(Rating).where(
            Rating.assessment_id == world.assessment.id, Rating.standard_id == std.id
        )
    )


def _put(client, world: World, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    code = standards_of(world.edition)[1].code
    return client.put(
        f"/api/v1/assessments/{world.assessment.id}/ratings/{code}",
        json={"value": "met", "comment": "via bearer", "version": 0},
        headers=headers,
    )


def test_a_bogus_bearer_header_never_falls_back_to_the_session_cookie(
    app: Flask, world: World, csrf_on: None
) -> None:
    client = login(app.test_client(), world.users["member"])
    response = _put(client, world, {"Authorization": "Bearer kvip_not-a-real-token"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    db.session.expire_all()
    assert _rating(world) is None
    # A read with the bogus token is refused too: the cookie does not count.
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer "}).status_code == 401


def test_a_valid_bearer_token_authenticates_alone_and_needs_no_csrf(
    app: Flask, world: World, csrf_on: None
) -> None:
    _row, token = accounts.create_token(world.users["member"], world.users["member"], "script")
    # The session cookie belongs to someone else: the token decides who this is.
    client = login(app.test_client(), world.users["coordinator"])
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["email"] == world.users["member"].email
    response = _put(client, world, {"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json
    db.session.expire_all()
    rating = _rating(world)
    assert rating is not None and rating.updated_by_id == world.users["member"].id


def test_a_cookie_write_without_bearer_still_needs_csrf(
    app: Flask, world: World, csrf_on: None
) -> None:
    client = login(app.test_client(), world.users["member"])
    assert _put(client, world, {}).status_code == 400
    # Another scheme in the Authorization header is no way around CSRF either.
    assert _put(client, world, {"Authorization": "Basic bWVtYmVyOng="}).status_code == 400
    db.session.expire_all()
    assert _rating(world) is None


def test_a_bearer_header_on_a_form_route_skips_no_csrf_check(
    app: Flask, world: World, csrf_on: None
) -> None:
    _row, token = accounts.create_token(world.users["member"], world.users["member"], "script")
    client = login(app.test_client(), world.users["member"])
    response = client.post(
        "/language", data={"locale": "en"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code in (400, 401)
    db.session.expire_all()
    assert world.users["member"].locale == "nb"


# --- JSON the parser cannot take whole ----------------------------------------------------------


def _raw_put(client, world: World, body: bytes):  # type: ignore[no-untyped-def]
    code = standards_of(world.edition)[1].code
    return client.put(
        f"/api/v1/assessments/{world.assessment.id}/ratings/{code}",
        data=body,
        content_type="application/json",
    )


def _envelope(response) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    error = response.json["error"]
    assert set(error) >= {"code", "message", "fields"}
    return dict(error)


def test_json_nested_a_thousand_deep_is_a_400_with_the_envelope(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["member"])
    error = _envelope(_raw_put(client, world, b"[" * 1000 + b"]" * 1000))
    assert error["code"] == "bad_json"
    assert "JSON" in error["message"]
    deep_object = b'{"a":' * 1000 + b"1" + b"}" * 1000
    _envelope(_raw_put(client, world, deep_object))
    db.session.expire_all()
    assert _rating(world) is None


def test_a_lone_surrogate_in_json_is_a_400_in_the_users_language(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["member"])
    error = _envelope(
        _raw_put(client, world, b'{"value": "met", "comment": "\\ud800", "version": 0}')
    )
    assert error["code"] == "bad_json"
    assert "JSON" in error["message"] and "ugyldig" in error["message"]  # nb by default
    key = _envelope(_raw_put(client, world, b'{"\\udfff": 1}'))
    assert key["code"] == "bad_json"
    db.session.expire_all()
    assert _rating(world) is None
    # A proper pair (an emoji) is fine.
    ok = _raw_put(client, world, b'{"value": "met", "comment": "\\ud83d\\ude00", "version": 0}')
    assert ok.status_code == 200, ok.get_data(as_text=True)

"""The sign-in throttle: per address and account, failures only, shared across app instances
through Redis, behind a trusted reverse proxy, and still signing people in if Redis is down."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kvip import create_app
from kvip.extensions import db, limiter
from tests.factories import PASSWORD, create_user

REDIS = os.environ.get("KVIP_TEST_REDIS", "redis://127.0.0.1:6379/15")


def _throttled(app: Flask, **config: Any) -> Flask:
    settings = {
        **app.config,
        "RATELIMIT_ENABLED": True,
        "KVIP_LOGIN_LIMIT": "3 per minute",
        "KVIP_LOGIN_ADDRESS_LIMIT": "100 per minute",
        # A fresh key space per test: parallel runs and earlier tests never share counters.
        "RATELIMIT_KEY_PREFIX": f"kvip-test-{uuid.uuid4().hex}",
        **config,
    }
    return create_app(settings)


def _fail(client: FlaskClient, email: str = "kari@example.test", **kw: Any) -> int:
    return client.post("/login", data={"email": email, "password": "wrong-wrong"}, **kw).status_code


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> Iterator[str]:
    if not _redis_reachable():
        if os.environ.get("KVIP_REQUIRE_REDIS") == "1":
            pytest.fail("Redis is required (KVIP_REQUIRE_REDIS=1) but 127.0.0.1:6379 is closed")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield REDIS


def test_successful_sign_ins_never_count(app: Flask) -> None:
    create_user("kari@example.test", "Kari")
    db.session.commit()  # visible to the other app's connection
    throttled = _throttled(app)
    for _ in range(6):
        client = throttled.test_client()
        response = client.post("/login", data={"email": "kari@example.test", "password": PASSWORD})
        assert response.status_code == 302


def test_one_accounts_failures_do_not_lock_out_colleagues_at_the_same_address(app: Flask) -> None:
    create_user("per@example.test", "Per")
    db.session.commit()
    throttled = _throttled(app)
    client = throttled.test_client()
    assert [_fail(client) for _ in range(4)] == [401, 401, 401, 429]
    # Same hospital address, another account: signs in as usual.
    response = client.post("/login", data={"email": "per@example.test", "password": PASSWORD})
    assert response.status_code == 302


def test_the_per_address_limit_catches_spraying_across_accounts(app: Flask) -> None:
    throttled = _throttled(app, KVIP_LOGIN_ADDRESS_LIMIT="5 per minute")
    client = throttled.test_client()
    codes = [_fail(client, f"user{n}@example.test") for n in range(7)]
    assert codes == [401] * 5 + [429] * 2


def test_the_throttle_is_shared_by_app_instances_through_redis(app: Flask, redis_url: str) -> None:
    prefix = f"kvip-test-{uuid.uuid4().hex}"
    first = _throttled(app, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=prefix)
    assert [_fail(first.test_client()) for _ in range(3)] == [401, 401, 401]
    # Another instance (a fresh process: a new app and limiter connecting to the same Redis)
    # knows about those failures.
    limiter._storage_dead = False
    second = _throttled(app, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=prefix)
    assert _fail(second.test_client()) == 429
    # With per-process memory, a fresh instance would not have known.
    alone = _throttled(app, RATELIMIT_KEY_PREFIX=prefix)
    assert [_fail(alone.test_client()) for _ in range(3)] == [401, 401, 401]


def test_sign_in_still_works_when_redis_is_down(app: Flask) -> None:
    create_user("kari@example.test", "Kari")
    db.session.commit()  # visible to the other app's connection
    broken = _throttled(app, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    client = broken.test_client()
    assert _fail(client) == 401
    response = client.post("/login", data={"email": "kari@example.test", "password": PASSWORD})
    assert response.status_code == 302


def test_behind_a_trusted_proxy_each_client_address_is_throttled_on_its_own(app: Flask) -> None:
    throttled = _throttled(app, KVIP_TRUSTED_PROXIES=1)
    client = throttled.test_client()
    first = {"X-Forwarded-For": "10.0.0.1"}
    second = {"X-Forwarded-For": "10.0.0.2"}
    assert [_fail(client, headers=first) for _ in range(4)] == [401, 401, 401, 429]
    assert _fail(client, headers=second) == 401


def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_escape(app: Flask) -> None:
    throttled = _throttled(app)
    client = throttled.test_client()
    codes = [_fail(client, headers={"X-Forwarded-For": f"10.0.0.{n}"}) for n in range(4)]
    assert codes == [401, 401, 401, 429]

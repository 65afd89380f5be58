"""Every route × every role: the declared status, and nothing leaks across units."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from kvip.extensions import db
from tests.authz.table import Rule, load_rules
from tests.conftest import login
from tests.factories import ROLES, build_world

RULES = load_rules()


def _endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()}


def test_every_endpoint_has_a_rule(app: Flask) -> None:
    missing = sorted(_endpoints(app) - set(RULES))
    assert not missing, f"routes without a permission rule in tests/authz/rules_*.py: {missing}"


def test_rules_name_only_real_endpoints(app: Flask) -> None:
    stale = sorted(set(RULES) - _endpoints(app))
    assert not stale, f"rules for endpoints that no longer exist: {stale}"


def test_a_new_route_without_a_rule_fails_the_check(app: Flask) -> None:
    """Show that the check above bites: a route added to a fresh app is reported as missing."""
    from kvip import create_app

    fresh = create_app({**app.config, "TESTING": True})
    fresh.add_url_rule("/sneaky", "sneaky_endpoint", lambda: "hello")
    assert sorted(_endpoints(fresh) - set(RULES)) == ["sneaky_endpoint"]


def _fill(value: Any, ids: dict[str, Any], *, numbers: bool = False) -> Any:
    """``value`` with its ``{placeholders}`` filled; with ``numbers`` (a JSON body), a value
    that is one placeholder of an id stays a number."""
    if numbers and isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        whole = ids.get(value[1:-1])
        if isinstance(whole, int):
            return whole
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids, numbers=numbers) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids, numbers=numbers) for v in value]
    return value


def _cases() -> list[Any]:
    cases = []
    for endpoint, rules in sorted(RULES.items()):
        for index, rule in enumerate(rules):
            cases.append(pytest.param(endpoint, rule, id=f"{endpoint}[{index}]"))
    return cases


@pytest.mark.parametrize(("endpoint", "rule"), _cases())
def test_route_permissions(app: Flask, endpoint: str, rule: Rule) -> None:
    world = build_world()
    ids = world.ids()
    path = rule.path.format(**ids)
    # Denied roles first: their requests must change nothing, so allowed ones see the same world.
    order = sorted(ROLES, key=lambda r: (r in rule.allow, r))
    for role in order:
        audits_before = _audit_count()
        client = app.test_client()
        if role != "anon":
            login(client, world.users[role])
        kwargs: dict[str, Any] = {}
        if rule.data is not None:
            kwargs["data"] = _fill(rule.data, ids)
        if rule.json is not None:
            kwargs["json"] = _fill(rule.json, ids, numbers=True)
        response = client.open(path, method=rule.method, **kwargs)
        status = response.status_code
        db.session.rollback()
        where = f"{rule.method} {path} as {role}: got {status}"
        assert status < 500, where
        if rule.public:
            assert status not in (401, 403) or status in rule.extra_ok, where
        elif role == "anon":
            if path.startswith("/api/"):
                assert status == 401, where
            else:
                assert status == 302 and "/login" in response.headers["Location"], where
        elif role in rule.allow:
            assert status not in (401, 403, 404), where
        else:
            assert status in rule.deny, where
        if role not in rule.allow and not rule.public:
            assert _audit_count() == audits_before, f"{where}: a refused request changed data"


def _audit_count() -> int:
    import sqlalchemy as sa

    from kvip.core.models import AuditEvent

    return int(db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0)

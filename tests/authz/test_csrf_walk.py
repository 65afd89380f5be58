"""Every state-changing route refuses a request without a CSRF token, and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.core.models import AuditEvent
from kvip.extensions import db
from tests.authz.table import Rule, load_rules
from tests.conftest import login
from tests.factories import build_world

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _unsafe_cases() -> list[Any]:
    cases = []
    for endpoint, rules in sorted(load_rules().items()):
        for index, rule in enumerate(rules):
            if rule.method in UNSAFE:
                cases.append(pytest.param(rule, id=f"{endpoint}[{index}]"))
    return cases


@pytest.fixture
def csrf_on(app: Flask) -> Iterator[None]:
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_every_unsafe_method_route_is_in_the_walk(app: Flask) -> None:
    declared = {(e, r.method) for e, rules in load_rules().items() for r in rules}
    for rule in app.url_map.iter_rules():
        for method in (rule.methods or set()) & UNSAFE:
            assert (rule.endpoint, method) in declared, f"{method} {rule.rule} has no rule to walk"


@pytest.mark.parametrize("rule", _unsafe_cases())
def test_state_change_without_csrf_token_is_refused(app: Flask, csrf_on: None, rule: Rule) -> None:
    world = build_world()
    ids = world.ids()
    role = next(iter(sorted(rule.allow)), "admin")
    client = app.test_client()
    login(client, world.users[role])
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    kwargs: dict[str, Any] = {}
    if rule.data is not None:
        kwargs["data"] = {
            k: (v.format(**ids) if isinstance(v, str) else v) for k, v in rule.data.items()
        }
    if rule.json is not None:
        kwargs["json"] = rule.json
    response = client.open(rule.path.format(**ids), method=rule.method, **kwargs)
    assert response.status_code == 400, f"{rule.method} {rule.path}: {response.status_code}"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before

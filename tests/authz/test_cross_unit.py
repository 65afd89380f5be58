"""Every id-bearing route, pointed at another unit's (or another visit's) objects by the people of
``unit`` and its visit: refused, and the whole database is unchanged afterwards.

The table in ``rules_*.py`` says which roles may use a route on *their own* unit/visit; this test
derives the mirror request for each such rule automatically, so a new route is covered too.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.actions.models import Action
from kvip.extensions import db
from kvip.visits.models import Observation, Report
from tests.authz.table import Rule, load_rules
from tests.authz.test_url_map import _fill
from tests.conftest import login
from tests.factories import World, build_world

# Placeholder for an object of ``unit`` (or its visit) → the same kind of object elsewhere.
MIRROR = {
    "unit_id": "other_unit_id",
    "assessment_id": "other_assessment_id",
    "visit_id": "other_visit_id",
    "report_id": "other_report_id",
    "action_id": "other_action_id",
    "observation_id": "other_observation_id",
}
# The people whose rights come from ``unit`` or from being on ``visit``.
LOCAL_ROLES = ("lead", "member", "reviewer")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(MIRROR) + r")\}")


def _mirror(value: Any) -> Any:
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: "{" + MIRROR[m.group(1)] + "}", value)
    if isinstance(value, dict):
        return {k: _mirror(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mirror(v) for v in value]
    return value


def _cases() -> list[Any]:
    cases = []
    for endpoint, rules in sorted(load_rules().items()):
        for index, rule in enumerate(rules):
            roles = [r for r in LOCAL_ROLES if r in rule.allow]
            if rule.public or not roles or not _PLACEHOLDER.search(rule.path):
                continue
            cases.append(pytest.param(endpoint, rule, roles, id=f"{endpoint}[{index}]"))
    return cases


def _other_objects(world: World) -> dict[str, int]:
    """A report, an action and an observation of the other unit, to point the mirror at."""
    report = Report(visit_id=world.other_visit.id, state="draft")
    action = Action(
        assessment_id=world.other_assessment.id,
        title="Annen enhets tiltak",
        created_by_id=world.users["outsider"].id,
    )
    observation = Observation(
        visit_id=world.other_visit.id,
        kind="good_practice",
        text="Annen enhets observasjon",
        created_by_id=world.users["outsider"].id,
    )
    db.session.add_all([report, action, observation])
    db.session.commit()
    return {
        "other_report_id": report.id,
        "other_action_id": action.id,
        "other_observation_id": observation.id,
    }


def _fingerprint() -> str:
    """A digest of every row of every table: any insert, update or delete changes it."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        for row in db.session.execute(sa.select(table).order_by(*order)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


CASES = _cases()


def test_the_mirror_covers_the_id_bearing_routes() -> None:
    """Guard against the derivation silently matching nothing."""
    endpoints = {case.values[0] for case in CASES}
    assert len(endpoints) >= 40
    for prefix in ("cycles.", "visits.", "actions.", "benchmarks.", "api."):
        assert any(e.startswith(prefix) for e in endpoints), prefix


@pytest.mark.parametrize(("endpoint", "rule", "roles"), CASES)
def test_another_units_objects_are_refused_and_nothing_changes(
    app: Flask, endpoint: str, rule: Rule, roles: list[str]
) -> None:
    world = build_world()
    ids = {**world.ids(), **_other_objects(world)}
    path = _mirror(rule.path).format(**ids)
    before = _fingerprint()
    for role in roles:
        client = login(app.test_client(), world.users[role])
        kwargs: dict[str, Any] = {}
        if rule.data is not None:
            kwargs["data"] = _fill(_mirror(rule.data), ids)
        if rule.json is not None:
            kwargs["json"] = _fill(_mirror(rule.json), ids)
        response = client.open(path, method=rule.method, **kwargs)
        db.session.rollback()
        where = (
            f"{rule.method} {path} as {role} (another unit's object): got {response.status_code}"
        )
        assert response.status_code in (403, 404), where
        assert _fingerprint() == before, f"{where}: the refused request changed the database"

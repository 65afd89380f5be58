"""Fixtures for the visits tests: extra reviewers, a submitted assessment, API helpers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient
from flask_babel import refresh as babel_refresh

from kvip.accounts.models import Membership, NetworkRole, User
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from kvip.network.models import Institution, Unit
from kvip.visits.models import Finding, TeamMember, Visit
from tests.conftest import login
from tests.factories import World, create_unit, create_user, standards_of

_ops = iter(range(1, 10**9))


def op() -> str:
    """A fresh client-made op_id."""
    return f"test-op-{next(_ops):08d}"


def create_reviewer(
    world: World,
    home: Institution | None,
    *,
    trained: bool = False,
    name: str | None = None,
) -> User:
    user = create_user(name=name, home_institution_id=home.id if home else None)
    db.session.add(
        NetworkRole(
            user_id=user.id, network_id=world.network.id, role="reviewer", trained_lead=trained
        )
    )
    db.session.flush()
    return user


def add_to_team(visit: Visit, user: User, role: str = "peer_reviewer") -> TeamMember:
    member = TeamMember(visit_id=visit.id, user_id=user.id, role=role)
    db.session.add(member)
    db.session.flush()
    return member


def submitted_assessment(
    world: World, unit: Unit | None = None, cycle: Cycle | None = None
) -> Assessment:
    """A submitted self-assessment (every standard rated) of a new unit at institution C."""
    unit = unit or create_unit(world.inst_c)
    assessment = Assessment(cycle_id=(cycle or world.cycle).id, unit_id=unit.id, state="submitted")
    db.session.add(assessment)
    db.session.flush()
    for index, std in enumerate(standards_of(world.edition)):
        value = ("met", "partly_met", "not_met", "not_applicable")[index % 4]
        db.session.add(
            Rating(assessment_id=assessment.id, standard_id=std.id, value=value, comment="")
        )
    db.session.flush()
    return assessment


def unit_member_of(unit: Unit) -> User:
    user = create_user(home_institution_id=unit.institution_id)
    db.session.add(Membership(user_id=user.id, unit_id=unit.id, role="unit_member"))
    db.session.flush()
    return user


def finding_of(world: World, code: str) -> Finding | None:
    """The finding of the world's visit for one standard, read afresh."""
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Finding)
        .join(Finding.standard)
        .where(Finding.visit_id == world.visit.id, sa.text("standards.code = :c"))
        .params(c=code)
    )


def put_finding(client: FlaskClient, visit: Visit, code: str, **body: Any) -> Any:
    payload = {"value": "met", "comment": "", "version": 0, "op_id": op()}
    payload.update(body)
    return client.put(f"/api/v1/visits/{visit.id}/findings/{code}", json=payload)


class _FreshClient(FlaskClient):
    """A test client whose requests never see the per-request caches (signed-in user, locale)
    that service calls in the test's own request context left on the shared ``g``."""

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        _forget()
        try:
            return super().open(*args, **kwargs)
        finally:
            _forget()


def _forget() -> None:
    g.pop("_login_user", None)
    g.pop("kvip_nav", None)
    babel_refresh()


@pytest.fixture(autouse=True)
def _request_context(request: pytest.FixtureRequest) -> Iterator[None]:
    """Services translate their messages: run each test in a request context (nb locale)."""
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    previous = app.test_client_class
    app.test_client_class = _FreshClient
    try:
        with app.test_request_context():
            yield
            _forget()
    finally:
        app.test_client_class = previous


@pytest.fixture
def client_for(app: Flask) -> Any:
    """``client_for(user)`` → a test client signed in as that user."""

    def make(user: User) -> FlaskClient:
        return login(app.test_client(), user)

    return make

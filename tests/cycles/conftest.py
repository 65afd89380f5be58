"""Fixtures of the cycles tests: a previous cycle to carry over from, signed-in clients."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from tests.conftest import login
from tests.factories import World, standards_of


def rate_all(assessment: Assessment, values: list[str | None], **extra: Any) -> None:
    """Give the assessment's standards the values in order (None leaves one unrated)."""
    edition = db.session.get(Cycle, assessment.cycle_id).edition
    existing = {
        r.standard_id: r
        for r in db.session.scalars(db.select(Rating).where(Rating.assessment_id == assessment.id))
    }
    for std, value in zip(standards_of(edition), values, strict=False):
        if value is None:
            continue
        rating = existing.get(std.id)
        if rating is None:
            db.session.add(
                Rating(assessment_id=assessment.id, standard_id=std.id, value=value, **extra)
            )
        else:
            rating.value = value
            for k, v in extra.items():
                setattr(rating, k, v)
    db.session.commit()


@pytest.fixture
def previous(world: World) -> Assessment:
    """Last year's closed cycle on the same edition, the unit's assessment fully rated."""
    cycle = Cycle(
        network_id=world.network.id,
        edition_id=world.edition.id,
        year=world.cycle.year - 1,
        name="Forrige",
        state="closed",
        self_assessment_opens=date.today() - timedelta(days=400),
        self_assessment_closes=date.today() - timedelta(days=340),
    )
    db.session.add(cycle)
    db.session.flush()
    a = Assessment(cycle_id=cycle.id, unit_id=world.unit.id, state="submitted")
    db.session.add(a)
    db.session.commit()
    rate_all(a, ["met", "partly_met", "not_met", "not_applicable", "met", "met"], comment="før")
    return a


@pytest.fixture
def as_role(app: Flask, world: World) -> Any:
    def make(role: str) -> FlaskClient:
        return login(app.test_client(), world.users[role])

    return make


@pytest.fixture(autouse=True)
def _request_context(request: pytest.FixtureRequest) -> Any:
    """Services translate their messages, which needs a request: direct calls get one (English)."""
    if "app" not in request.fixturenames and "world" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield

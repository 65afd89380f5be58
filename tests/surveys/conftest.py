"""Helpers for the survey tests: codes and stored answers of the world's open collection."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from flask import Flask

from kvip.extensions import db
from kvip.surveys import services
from tests.factories import World, build_world


@pytest.fixture(autouse=True)
def _english(request: pytest.FixtureRequest) -> Any:
    """The survey tests read English messages: the default locale is English for them (the
    nb translations are checked by tests/core/test_translations.py)."""
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    saved = app.config["BABEL_DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    yield
    app.config["BABEL_DEFAULT_LOCALE"] = saved


@pytest.fixture
def world(app: Flask) -> World:
    """The shared world, its people reading English."""
    built = build_world()
    for user in built.users.values():
        user.locale = "en"
    db.session.commit()
    return built


@pytest.fixture
def answer(world: World) -> Any:
    """``answer(n, **answers)`` stores n responses to the world's young people's collection."""

    def store(n: int = 1, **answers: str) -> None:
        collection = services.collection_for(world.assessment, "young_person")
        for _i in range(n):
            services.submit_response(
                collection, answers or {"Y1": "agree"}, secrets.token_urlsafe(18)
            )

    return store


@pytest.fixture
def codes(world: World) -> Any:
    """``codes(n)`` makes n slips for the world's young people's collection (as the lead)."""

    def make(n: int = 1) -> list[str]:
        return services.create_codes(
            world.users["lead"], world.assessment, "young_person", n, "slip"
        )

    return make

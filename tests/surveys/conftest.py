"""Helpers for the survey tests: codes and stored answers of the world's open collection."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from kvip.surveys import services
from tests.factories import World


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

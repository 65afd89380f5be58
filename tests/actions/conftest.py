"""Fixtures of the actions tests."""

from __future__ import annotations

import pytest

from tests.actions.helpers import Previous, build_previous
from tests.factories import World


@pytest.fixture
def prev(world: World, request_ctx: None) -> Previous:
    """The unit's previous cycle; the world's current visit is its next visit."""
    return build_previous(world)


@pytest.fixture
def request_ctx(app):  # type: ignore[no-untyped-def]
    """Services word their messages with gettext, which needs a request; English here so the
    assertions read the msgids (the Norwegian wording is checked through the views)."""
    from flask import session

    with app.test_request_context("/"):
        session["locale"] = "en"
        yield

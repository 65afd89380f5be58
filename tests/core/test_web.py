"""The shared view helpers: load-then-check and call-flash-redirect."""

from __future__ import annotations

from operator import attrgetter

import pytest
from flask import Flask, get_flashed_messages
from werkzeug.exceptions import NotFound

from kvip.actions.models import Action
from kvip.core.errors import PermissionDenied, ServiceError
from kvip.core.web import call_and_redirect, load_or_404
from kvip.cycles.models import Assessment
from tests.factories import World


def test_load_or_404_returns_the_row_the_user_may_see(app: Flask, world: World) -> None:
    member = world.users["member"]
    with app.test_request_context():
        got = load_or_404(Assessment, world.assessment.id, "assessment.read", user=member)
    assert got is world.assessment


def test_load_or_404_answers_404_for_a_missing_row(app: Flask, world: World) -> None:
    with app.test_request_context(), pytest.raises(NotFound):
        load_or_404(Assessment, 10**6, "assessment.read", user=world.users["member"])


def test_load_or_404_refuses_without_the_permission(app: Flask, world: World) -> None:
    # The outsider leads another unit: the assessment exists but is not theirs.
    with app.test_request_context(), pytest.raises(PermissionDenied):
        load_or_404(
            Assessment, world.assessment.id, "assessment.read", user=world.users["outsider"]
        )


def test_load_or_404_checks_what_the_row_belongs_to(app: Flask, world: World) -> None:
    with app.test_request_context():
        action = load_or_404(
            Action,
            world.action.id,
            "actions.read",
            user=world.users["member"],
            on=attrgetter("assessment"),
        )
        assert action is world.action
        with pytest.raises(PermissionDenied):
            load_or_404(
                Action,
                world.action.id,
                "actions.read",
                user=world.users["outsider"],
                on=attrgetter("assessment"),
            )


def test_call_and_redirect_flashes_success_and_goes_on(app: Flask) -> None:
    with app.test_request_context():
        response = call_and_redirect(
            lambda: 3, success=lambda n: f"{n} done", to=lambda n: f"/next/{n}"
        )
        assert response.status_code == 302
        assert response.location == "/next/3"
        assert get_flashed_messages(with_categories=True) == [("success", "3 done")]


def test_call_and_redirect_flashes_the_refusal(app: Flask) -> None:
    def refuse() -> None:
        raise ServiceError("Not now.")

    with app.test_request_context():
        response = call_and_redirect(refuse, success="never shown", to="/done", failure_to="/again")
        assert response.location == "/again"
        assert get_flashed_messages(with_categories=True) == [("error", "Not now.")]
    with app.test_request_context():
        assert call_and_redirect(refuse, success="never shown", to="/done").location == "/done"

"""Schemathesis against /api/v1/openapi.json: generated requests to every operation, as a
coordinator and as a unit member, never get a server error. Bounded to keep CI fast."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings

from kvip.accounts import services
from kvip.extensions import db
from tests.factories import World


def _operations(app: Flask, headers: dict[str, str]) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=headers)
    return [op.ok() for op in schema.get_all_operations()]


@pytest.mark.parametrize("role", ["coordinator", "member"])
def test_no_operation_answers_a_server_error(app: Flask, world: World, role: str) -> None:
    user = world.users[role]
    _row, token = services.create_token(user, user, "fuzz")
    headers = {"Authorization": f"Bearer {token}"}
    operations = _operations(app, headers)
    assert len(operations) >= 15  # every module's API is in the document
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}"
            )

        try:
            check()
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0])
        finally:
            db.session.rollback()
    assert not failures, failures

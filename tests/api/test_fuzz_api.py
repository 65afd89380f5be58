"""Schemathesis against /api/v1/openapi.json (issue #8): generated requests to every operation
get no server error and an answer the document describes — a documented status, JSON, the
body and headers of its schema — as a coordinator, a unit member and a reviewer, with random
ids and with the ids of real rows, with valid and with invalid data (which must be refused);
and without credentials every operation answers 401 in the error envelope.

Bounded and repeatable: few examples per operation, no shrinking, a fixed seed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection

from kvip.extensions import db
from tests.api.conformance import CONFORMANCE, bearer
from tests.factories import World

# Per operation and role: random ids, then the ids of real rows (both with valid data), then
# invalid data (which must be refused with a 4xx), aimed at real rows where there is a body.
POSITIVE_RANDOM, POSITIVE_REAL, NEGATIVE = 2, 4, 3


def _schema(app: Flask, headers: dict[str, str]) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=headers)


def _settings(examples: int) -> Callable[[Any], Any]:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is reported
        suppress_health_check=list(HealthCheck),
    )


def _real_ids(world: World, path: str) -> dict[str, Any]:
    """Path parameters naming rows that exist, so generated requests reach the code behind the
    404 (each parameter is named after its kind: ``{visit_id}``, ``{cycle_id}`` …)."""
    ids = world.ids()
    values: dict[str, Any] = {
        "assessment_id": ids["assessment_id"],
        "visit_id": ids["visit_id"],
        "cycle_id": ids["cycle_id"],
        "action_id": ids["action_id"],
        "code": ids["standard_code"],
        "key": f"id-{ids['observation_id']}",
    }
    return {name: value for name, value in values.items() if "{" + name + "}" in path}


def _exercise(
    strategy: Any, examples: int, headers: dict[str, str], checks: list[Any]
) -> Callable[[], None]:
    """A Hypothesis test: send each generated case with ``headers``, validate the answer."""

    @given(case=strategy)
    @_settings(examples)
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=checks, headers=headers)

    return check  # type: ignore[no-any-return]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _first_lines(exc: BaseException, n: int = 16) -> str:
    """The failures of the checks (a group of them), each cut to its first lines."""
    if isinstance(exc, BaseExceptionGroup):
        return "\n".join(_first_lines(inner, n) for inner in exc.exceptions)
    return "\n".join(str(exc).strip().splitlines()[:n])


@pytest.fixture
def fuzz_world(world: World) -> World:
    """The factory world, with what it lacks for every answer to have a body worth checking:
    a published edition (``/standards``) and benchmarks that list units."""
    world.edition.published = date(2026, 1, 1)
    world.network.min_group_size = 1
    db.session.commit()
    return world


@pytest.mark.parametrize("role", ["coordinator", "member", "reviewer"])
def test_every_answer_matches_the_document(app: Flask, fuzz_world: World, role: str) -> None:
    headers = bearer(fuzz_world.users[role])
    operations = [op.ok() for op in _schema(app, headers).get_all_operations()]
    assert len(operations) >= 16  # every module's API is in the document
    failures: list[str] = []
    for operation in operations:
        real = _real_ids(fuzz_world, operation.path)
        has_body = bool(operation.body)
        runs = [(GenerationMode.POSITIVE, None, POSITIVE_RANDOM)]
        if real:
            runs.append((GenerationMode.POSITIVE, real, POSITIVE_REAL))
        if has_body or operation.path_parameters or operation.query:
            runs.append((GenerationMode.NEGATIVE, real if has_body else None, NEGATIVE))
        for mode, path_parameters, examples in runs:
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
            checks = CONFORMANCE + [negative_data_rejection] * (mode is GenerationMode.NEGATIVE)
            check = _exercise(strategy, examples, headers, checks)
            try:
                check()
            except Exception as exc:  # schemathesis raises a group of its checks' failures
                failures.append(f"{operation.label} [{mode.value}]: {_first_lines(exc)}")
            finally:
                db.session.rollback()
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("credentials", [{}, {"Authorization": "Bearer not-a-token"}])
def test_every_operation_refuses_a_caller_without_credentials(
    app: Flask, world: World, credentials: dict[str, str]
) -> None:
    reader = bearer(world.users["coordinator"])  # to read the document only
    operations = [op.ok() for op in _schema(app, reader).get_all_operations()]
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @_settings(2)
        def check(case: Any) -> None:
            response = case.call(headers=credentials)
            case.validate_response(response, checks=CONFORMANCE, headers=credentials)
            if _has_nul([case.path_parameters, case.query, case.body]):
                # Refused before anything else, with its own code (kvip.core.setup).
                assert response.status_code == 400, response.status_code
                return
            assert response.status_code == 401, f"{response.status_code} {response.text[:200]}"
            assert response.json()["error"]["code"] == "unauthorized"

        try:
            check()
        except Exception as exc:
            failures.append(f"{operation.label}: {_first_lines(exc)}")
    assert not failures, "\n\n".join(failures)

"""Several requests read a stale cycle's questionnaire figures at the same moment (gunicorn runs
threads, and several workers share the database): each gets the right figures, none fails or
waits forever, every pending change is taken exactly once. Runs on SQLite and, in CI, on
PostgreSQL, where the rebuild's row locks (the change log's DELETE … RETURNING, then the state
row FOR UPDATE) are what keep the readers apart."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.benchmarks import survey_summaries, surveys
from kvip.benchmarks.models import survey_changes, survey_counts, survey_respondents
from kvip.benchmarks.surveys import question_benchmarks, response_counts
from kvip.extensions import db
from tests.benchmarks.test_survey_summaries import _answer, _assert_same, _collection, _units
from tests.factories import World

READERS = 4


@pytest.fixture
def often_switching() -> Iterator[None]:
    """Threads switch far more often than the default 5 ms, so races show up in a test."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


def _at_once(app: Flask, work: Callable[[], Any], readers: int = READERS) -> list[Any]:
    """Run ``work`` in ``readers`` threads released together, each in its own app context
    (its own session and connection); return what each returned, re-raise what one raised."""
    db.session.commit()  # the test's own session holds no transaction the readers wait on
    start = threading.Barrier(readers)
    results: list[Any] = [None] * readers
    errors: list[BaseException] = []

    def run(i: int) -> None:
        with app.app_context():
            try:
                start.wait(timeout=30)
                results[i] = work()
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(readers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a reader is still waiting (deadlock?)"
    if errors:
        raise errors[0]
    return results


def _figures(cycle_id: int) -> Callable[[], Any]:
    def read() -> Any:
        y1 = next(b for b in question_benchmarks(cycle_id, None, "en") if b.code == "Y1")
        (young,) = response_counts(cycle_id)
        return (y1.units, y1.n, y1.distribution, young.respondents)

    return read


def test_readers_of_a_stale_cycle_all_get_the_new_figures(
    app: Flask, world: World, often_switching: None
) -> None:
    cycle_id = world.assessment.cycle_id
    assessments = [world.assessment, *_units(world, 3)]
    collections = [_collection(world, a) for a in assessments]
    for c in collections:
        _answer(c, *["agree"] * 5)

    # 1. Never read before: no state row, no summaries; the readers create and build them.
    assert db.session.get(survey_summaries.BenchmarkSurveyState, cycle_id) is None
    first = _at_once(app, _figures(cycle_id))
    assert first == [(4, 20, first[0][2], 20)] * READERS
    assert first[0][2]["agree"] == 20
    _assert_same(cycle_id, None)

    # 2. New answers in three collections: each change is taken once, every reader sees them.
    surveys._CACHE.clear()
    for c in collections[:3]:
        _answer(c, "strongly_disagree", "disagree")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(survey_changes)) == 6
    second = _at_once(app, _figures(cycle_id))
    assert {r[:2] for r in second} == {(4, 26)}
    assert all(r[2]["strongly_disagree"] == 3 and r[2]["disagree"] == 3 for r in second)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(survey_changes)) == 0
    _assert_same(cycle_id, None)

    # 3. The whole cycle stale (a bulk change): rebuilt, not doubled.
    with db.engine.begin() as connection:
        survey_summaries._bump(connection, [cycle_id])
    third = _at_once(app, _figures(cycle_id))
    assert {r[:2] for r in third} == {(4, 26)}
    respondents = db.session.scalar(
        sa.select(sa.func.sum(survey_respondents.c.respondents)).where(
            survey_respondents.c.cycle_id == cycle_id
        )
    )
    assert respondents == 26
    rows = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(survey_counts)
        .where(survey_counts.c.cycle_id == cycle_id)
    )
    per_collection = {
        cid: n
        for cid, n in db.session.execute(
            sa.select(survey_counts.c.collection_id, sa.func.count())
            .where(survey_counts.c.cycle_id == cycle_id)
            .group_by(survey_counts.c.collection_id)
        )
    }
    assert len(per_collection) == 4 and rows == sum(per_collection.values())
    assert len(set(per_collection.values())) == 1  # one row per question, no doubles
    _assert_same(cycle_id, None)

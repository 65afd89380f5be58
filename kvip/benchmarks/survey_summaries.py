"""Summaries of the questionnaire answers for the benchmarks (issue 15 §5), a cache of SQL
``GROUP BY`` results like the score summaries (:mod:`kvip.benchmarks.summaries`).

Two tables per cycle: per collection (= unit × instrument) its respondents, and per collection
× question how many answered each stored value. Reading them is a few thousand rows instead
of every answer of the cycle (≈ 520,000 at 1,000 units).

Staleness, without making a submission slower or making it wait for a rebuild:

* a submitted questionnaire (a new :class:`Response` and its answers) only appends a row
  (cycle, collection) to ``benchmark_survey_changes``; it locks nothing shared;
* :func:`ensure_fresh` takes those rows of the cycle (``DELETE … RETURNING``, so a row that
  arrives meanwhile stays for the next read) and rebuilds only those collections;
* rarer changes (bulk statements, an assessment or a collection that moves, ``flask
  benchmarks refresh``) bump ``benchmark_survey_states.version``: the next read rebuilds the
  whole cycle (about a second at 1,000 units).

The network's respondent threshold is applied when reading, so changing it needs no rebuild.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session

from kvip.benchmarks.models import (
    SURVEY_VALUES,
    BenchmarkSurveyState,
    survey_changes,
    survey_counts,
    survey_respondents,
)
from kvip.core.db import utcnow
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.surveys.models import Answer, Collection, InstrumentKind, Response

STATES = BenchmarkSurveyState.__table__
CHUNK = 500  # ids per IN (…) list

# --- the SQL of a rebuild --------------------------------------------------------------------

_COLLECTIONS = """FROM collections co JOIN assessments a ON a.id = co.assessment_id
JOIN instruments i ON i.id = co.instrument_id"""

RESPONDENTS = f"""INSERT INTO benchmark_survey_respondents
(collection_id, cycle_id, unit_id, instrument_id, respondents)
SELECT co.id, a.cycle_id, a.unit_id, co.instrument_id, COUNT(r.id)
{_COLLECTIONS} LEFT JOIN responses r ON r.collection_id = co.id
WHERE i.kind = '{InstrumentKind.questionnaire.value}' AND {{where}}
GROUP BY co.id, a.cycle_id, a.unit_id, co.instrument_id"""

_VALUE_SUMS = ", ".join(f"SUM(CASE WHEN an.value = {v} THEN 1 ELSE 0 END)" for v in SURVEY_VALUES)
_VALUE_COLUMNS = ", ".join(f"v{v}" for v in SURVEY_VALUES)

COUNTS = f"""INSERT INTO benchmark_survey_counts
(collection_id, question_id, cycle_id, unit_id, {_VALUE_COLUMNS})
SELECT co.id, an.question_id, a.cycle_id, a.unit_id, {_VALUE_SUMS}
{_COLLECTIONS} JOIN responses r ON r.collection_id = co.id
JOIN answers an ON an.response_id = r.id
WHERE i.kind = '{InstrumentKind.questionnaire.value}' AND {{where}}
  AND an.value BETWEEN {min(SURVEY_VALUES)} AND {max(SURVEY_VALUES)}
GROUP BY co.id, an.question_id, a.cycle_id, a.unit_id"""

# A whole cycle: its rows, and the rows of collections now in it (in case one moved in).
_CYCLE_DELETE = """DELETE FROM {table} WHERE cycle_id = :c OR collection_id IN (
  SELECT co.id FROM collections co JOIN assessments a ON a.id = co.assessment_id
  WHERE a.cycle_id = :c)"""

_LOG_COLLECTIONS = sa.text(
    "INSERT INTO benchmark_survey_changes (cycle_id, collection_id) "
    "SELECT a.cycle_id, co.id FROM collections co JOIN assessments a ON a.id = co.assessment_id "
    "WHERE co.id IN :ids"
).bindparams(sa.bindparam("ids", expanding=True))

_LOG_RESPONSES = sa.text(
    "INSERT INTO benchmark_survey_changes (cycle_id, collection_id) "
    "SELECT DISTINCT a.cycle_id, co.id FROM responses r "
    "JOIN collections co ON co.id = r.collection_id "
    "JOIN assessments a ON a.id = co.assessment_id WHERE r.id IN :ids"
).bindparams(sa.bindparam("ids", expanding=True))


def _chunks(ids: Iterable[int]) -> list[list[int]]:
    items = sorted(set(ids))
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


# --- reading side ----------------------------------------------------------------------------


def _create_state(cycle_id: int) -> None:
    # The INSERT itself fails (not only the commit) when another request created the row
    # meanwhile; on PostgreSQL it first waits for that request's transaction to end.
    try:
        db.session.execute(
            sa.insert(STATES).values(cycle_id=cycle_id, version=1, built_version=0, revision="")
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another request created it meanwhile


def ensure_fresh(cycle_id: int) -> str:
    """Bring the cycle's questionnaire summaries up to date: nothing to do (two small reads),
    the collections that received answers since, or the whole cycle. Returns the summaries'
    revision (changes with every rebuild; a cache key for what is computed from them)."""
    for _attempt in range(2):
        state = db.session.execute(
            sa.select(STATES.c.version, STATES.c.built_version, STATES.c.revision).where(
                STATES.c.cycle_id == cycle_id
            )
        ).first()
        if state is not None and state.version == state.built_version:
            pending = db.session.scalar(
                sa.select(sa.exists().where(survey_changes.c.cycle_id == cycle_id))
            )
            if not pending:
                return str(state.revision)
        if _attempt == 0:
            rebuild(cycle_id)
    return secrets.token_hex(8)  # (still stale: changed meanwhile) a key nobody else uses


def rebuild(cycle_id: int) -> int:
    """Rebuild what is stale of one cycle in one transaction; returns the milliseconds."""
    started = time.perf_counter()
    if db.session.get(Cycle, cycle_id) is None:
        return 0
    # Take the pending changes first (a row committed after this statement stays for the next
    # read), then the state row (PostgreSQL: one rebuild at a time; SQLite serialises writers).
    claimed = set(
        db.session.scalars(
            sa.delete(survey_changes)
            .where(survey_changes.c.cycle_id == cycle_id)
            .returning(survey_changes.c.collection_id)
        )
    )
    state = db.session.execute(
        sa.select(STATES.c.version, STATES.c.built_version)
        .where(STATES.c.cycle_id == cycle_id)
        .with_for_update()
    ).first()
    if state is None:
        db.session.rollback()
        _create_state(cycle_id)
        return rebuild(cycle_id)
    if state.version != state.built_version:
        for table in (survey_counts, survey_respondents):
            db.session.execute(sa.text(_CYCLE_DELETE.format(table=table.name)), {"c": cycle_id})
        where = "a.cycle_id = :c"
        db.session.execute(sa.text(RESPONDENTS.format(where=where)), {"c": cycle_id})
        db.session.execute(sa.text(COUNTS.format(where=where)), {"c": cycle_id})
        elapsed = int((time.perf_counter() - started) * 1000)
        db.session.execute(
            sa.update(STATES)
            .where(STATES.c.cycle_id == cycle_id)
            .values(
                built_version=state.version,
                built_at=utcnow(),
                build_ms=elapsed,
                revision=secrets.token_hex(8),
            )
        )
    elif claimed:
        _rebuild_collections(claimed)
        db.session.execute(
            sa.update(STATES)
            .where(STATES.c.cycle_id == cycle_id)
            .values(revision=secrets.token_hex(8))
        )
    db.session.commit()
    return int((time.perf_counter() - started) * 1000)


def _rebuild_collections(collection_ids: Iterable[int]) -> None:
    for ids in _chunks(collection_ids):
        for table in (survey_counts, survey_respondents):
            db.session.execute(table.delete().where(table.c.collection_id.in_(ids)))
        where = "co.id IN :ids"
        for sql in (RESPONDENTS, COUNTS):
            db.session.execute(
                sa.text(sql.format(where=where)).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": ids},
            )


def refresh_all(cycle_ids: Sequence[int]) -> dict[int, int]:
    """Mark those cycles stale and rebuild them now; cycle id → milliseconds."""
    if not cycle_ids:
        return {}
    have = set(
        db.session.scalars(sa.select(STATES.c.cycle_id).where(STATES.c.cycle_id.in_(cycle_ids)))
    )
    for cycle_id in cycle_ids:
        if cycle_id not in have:
            _create_state(cycle_id)
    _bump(db.session.connection(), cycle_ids)
    db.session.commit()
    return {cycle_id: rebuild(cycle_id) for cycle_id in cycle_ids}


# --- writing side ----------------------------------------------------------------------------


def _bump(connection: sa.Connection, cycle_ids: Iterable[int] | None) -> None:
    """The whole cycle is stale (every cycle when ``cycle_ids`` is None)."""
    stmt = sa.update(STATES).values(version=STATES.c.version + 1)
    if cycle_ids is not None:
        ids = sorted(set(cycle_ids))
        if not ids:
            return
        stmt = stmt.where(STATES.c.cycle_id.in_(ids))
    connection.execute(stmt)


def _log(connection: sa.Connection, statement: sa.TextClause, ids: Iterable[int]) -> None:
    for chunk in _chunks(i for i in ids if i is not None):
        connection.execute(statement, {"ids": chunk})


def _changed(obj: Any, *names: str) -> list[Any]:
    state = sa.inspect(obj)
    values: list[Any] = []
    for name in names:
        history = state.attrs[name].history
        if history.has_changes():
            values.extend(v for v in chain(history.deleted, history.added) if v is not None)
    return values


def _cycles_of_assessments(connection: sa.Connection, assessment_ids: set[int]) -> set[int]:
    if not assessment_ids:
        return set()
    rows = connection.execute(
        sa.select(Assessment.cycle_id).where(Assessment.id.in_(sorted(assessment_ids))).distinct()
    )
    return {row[0] for row in rows}


def _after_flush(session: Session, _context: Any) -> None:
    collections: set[int] = set()
    responses_seen: set[int] = set()
    answer_responses: set[int] = set()
    moved_assessments: set[int] = set()
    moved_cycles: set[int] = set()
    everything = False
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Response):
            responses_seen.add(obj.id)
            collections.update(_changed(obj, "collection_id") or [obj.collection_id])
        elif isinstance(obj, Answer):
            answer_responses.update(_changed(obj, "response_id") or [obj.response_id])
        elif isinstance(obj, Collection):
            if obj in session.new:
                collections.add(obj.id)  # a collection with no answers yet still counts
            elif obj in session.deleted:
                # its rows went by ON DELETE CASCADE; the cycle gets a new revision
                moved_assessments.add(obj.assessment_id)
            else:
                moved = _changed(obj, "assessment_id")
                if moved or _changed(obj, "instrument_id"):
                    moved_assessments.update([*moved, obj.assessment_id])
        elif isinstance(obj, Assessment) and obj not in session.new:
            if obj in session.deleted or _changed(obj, "cycle_id", "unit_id"):
                moved_cycles.update(_changed(obj, "cycle_id"))
                moved_cycles.add(obj.cycle_id)
        elif isinstance(obj, Unit) and obj in session.deleted:
            everything = True  # its assessments went by ON DELETE CASCADE
    answer_responses -= responses_seen
    if everything:
        _bump(session.connection(), None)
    if not (collections or answer_responses or moved_assessments or moved_cycles):
        return
    connection = session.connection()
    _log(connection, _LOG_COLLECTIONS, collections)
    _log(connection, _LOG_RESPONSES, answer_responses)
    moved_cycles |= _cycles_of_assessments(connection, moved_assessments)
    _bump(connection, moved_cycles)


_WATCHED_TABLES = {"responses", "answers", "collections"}


def _on_execute(state: ORMExecuteState) -> Any:
    """Bulk INSERT/UPDATE/DELETE through the session on responses, answers or collections."""
    if state.is_select or not (state.is_insert or state.is_update or state.is_delete):
        return None
    name = getattr(getattr(state.statement, "table", None), "name", None)
    if name not in _WATCHED_TABLES:
        return None
    result = state.invoke_statement()
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if isinstance(params, dict) else []
    connection = state.session.connection()
    key = {"responses": "collection_id", "answers": "response_id"}.get(name or "")
    if state.is_insert and key and rows and all(isinstance(r, dict) and key in r for r in rows):
        ids = {int(r[key]) for r in rows}
        _log(connection, _LOG_COLLECTIONS if name == "responses" else _LOG_RESPONSES, ids)
    else:
        _bump(connection, None)
    return result


def register_listeners() -> None:
    """Install the hooks on every SQLAlchemy session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
    if not event.contains(Session, "do_orm_execute", _on_execute):
        event.listen(Session, "do_orm_execute", _on_execute)

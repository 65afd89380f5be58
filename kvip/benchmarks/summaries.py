"""Building and invalidating the benchmark summary tables (a cache of SQL ``GROUP BY`` results).

Only *counted* assessments enter a benchmark: submitted ones, or those whose visit is
completed. Their ratings change rarely (the self-assessment is locked once submitted, the
findings once the visit is completed), so a cycle's summaries are rebuilt as a whole, in the
database, the first time they are read after a relevant change:

* every relevant write bumps ``benchmark_cycle_states.version`` of its cycle (ORM events below:
  ratings of counted assessments, findings of completed visits, assessment and visit state
  changes, unit kind/region changes, bulk statements on those tables);
* :func:`ensure_fresh` rebuilds the cycles whose ``built_version`` lags behind ``version``.

A rebuild of a 1,000-unit cycle takes a few seconds; a read of fresh summaries milliseconds.
``flask benchmarks refresh`` rebuilds by hand (after raw SQL edits, which no event can see),
the questionnaire summaries (:mod:`kvip.benchmarks.survey_summaries`) too.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from itertools import chain
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session

from kvip import scoring
from kvip.benchmarks import survey_summaries
from kvip.benchmarks.models import (
    PAIR_COLUMNS,
    BenchmarkCycleState,
    BenchmarkPseudonym,
    domain_counts,
    domain_pairs,
    standard_counts,
    standard_pairs,
)
from kvip.core.db import utcnow
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.visits.models import Finding, Visit

# --- the SQL of a rebuild --------------------------------------------------------------------

# Assessments that count in a cycle's benchmark.
COUNTED = """SELECT a.id AS assessment_id, a.unit_id AS unit_id FROM assessments a
WHERE a.cycle_id = :c AND (a.state = 'submitted' OR EXISTS (
  SELECT 1 FROM visits v WHERE v.assessment_id = a.id AND v.state = 'completed'))"""

# The completed visit of each peer-reviewed assessment (the latest, if there were several).
PEER = """SELECT v.assessment_id AS assessment_id, MAX(v.id) AS visit_id
FROM visits v JOIN assessments a ON a.id = v.assessment_id
WHERE a.cycle_id = :c AND v.state = 'completed' GROUP BY v.assessment_id"""

DOMAIN_SIZES = (
    "SELECT domain_id, COUNT(*) AS n FROM standards WHERE edition_id = :e GROUP BY domain_id"
)
CODES = {"not_met": 0, "partly_met": 1, "met": 2}
COUNT_NAMES = ("met", "partly_met", "not_met", "not_applicable")


def _sums(column: str) -> str:
    return ", ".join(
        f"SUM(CASE WHEN {column} = '{value}' THEN 1 ELSE 0 END) AS {value}" for value in COUNT_NAMES
    )


def _pair_sums(self_col: str, peer_col: str) -> str:
    parts = []
    for name in PAIR_COLUMNS:
        s, p = int(name[1]), int(name[2])
        sv = next(k for k, v in CODES.items() if v == s)
        pv = next(k for k, v in CODES.items() if v == p)
        parts.append(
            f"SUM(CASE WHEN {self_col} = '{sv}' AND {peer_col} = '{pv}' THEN 1 ELSE 0 END) AS {name}"
        )
    return ", ".join(parts)


_COUNT_COLS = ", ".join(COUNT_NAMES)
_COALESCED = ", ".join(f"COALESCE(g.{n}, 0)" for n in COUNT_NAMES)
_PAIRS = ", ".join(PAIR_COLUMNS)

SELF_DOMAIN = f"""INSERT INTO benchmark_domain_counts
(assessment_id, domain_id, series, cycle_id, unit_id, peer_reviewed, {_COUNT_COLS}, total)
SELECT c.assessment_id, ds.domain_id, 'self', :c, c.unit_id,
  CASE WHEN p.assessment_id IS NULL THEN :f ELSE :t END, {_COALESCED}, ds.n
FROM ({COUNTED}) c CROSS JOIN ({DOMAIN_SIZES}) ds
LEFT JOIN ({PEER}) p ON p.assessment_id = c.assessment_id
LEFT JOIN (
  SELECT r.assessment_id, s.domain_id, {_sums("r.value")}
  FROM ratings r JOIN ({COUNTED}) c2 ON c2.assessment_id = r.assessment_id
  JOIN standards s ON s.id = r.standard_id
  WHERE s.edition_id = :e GROUP BY r.assessment_id, s.domain_id
) g ON g.assessment_id = c.assessment_id AND g.domain_id = ds.domain_id"""

PEER_DOMAIN = f"""INSERT INTO benchmark_domain_counts
(assessment_id, domain_id, series, cycle_id, unit_id, peer_reviewed, {_COUNT_COLS}, total)
SELECT p.assessment_id, ds.domain_id, 'peer', :c, a.unit_id, :t, {_COALESCED}, ds.n
FROM ({PEER}) p JOIN assessments a ON a.id = p.assessment_id CROSS JOIN ({DOMAIN_SIZES}) ds
LEFT JOIN (
  SELECT p2.assessment_id, s.domain_id, {_sums("f.value")}
  FROM findings f JOIN ({PEER}) p2 ON p2.visit_id = f.visit_id
  JOIN standards s ON s.id = f.standard_id
  WHERE s.edition_id = :e GROUP BY p2.assessment_id, s.domain_id
) g ON g.assessment_id = p.assessment_id AND g.domain_id = ds.domain_id"""

BENCH_DOMAIN = f"""INSERT INTO benchmark_domain_counts
(assessment_id, domain_id, series, cycle_id, unit_id, peer_reviewed, {_COUNT_COLS}, total)
SELECT d.assessment_id, d.domain_id, 'bench', d.cycle_id, d.unit_id, d.peer_reviewed,
  {_COUNT_COLS}, d.total
FROM benchmark_domain_counts d
WHERE d.cycle_id = :c AND ((d.series = 'peer') OR (d.series = 'self' AND d.peer_reviewed = :f))"""

DOMAIN_PAIRS = f"""INSERT INTO benchmark_domain_pairs
(assessment_id, domain_id, cycle_id, unit_id, {_PAIRS})
SELECT p.assessment_id, s.domain_id, :c, a.unit_id, {_pair_sums("r.value", "f.value")}
FROM ({PEER}) p JOIN assessments a ON a.id = p.assessment_id
JOIN findings f ON f.visit_id = p.visit_id
JOIN ratings r ON r.assessment_id = p.assessment_id AND r.standard_id = f.standard_id
JOIN standards s ON s.id = f.standard_id
WHERE s.edition_id = :e GROUP BY p.assessment_id, s.domain_id, a.unit_id"""

_GROUPS_OF = """SELECT COALESCE(u.kind, '') AS kind, COALESCE(u.region, '') AS region,
  COUNT(*) AS n FROM ({rows}) x JOIN units u ON u.id = x.unit_id
GROUP BY COALESCE(u.kind, ''), COALESCE(u.region, '')"""

_STANDARD_INSERT = f"""INSERT INTO benchmark_standard_counts
(cycle_id, standard_id, unit_kind, region, series, {_COUNT_COLS}, total)
SELECT :c, s.id, grp.kind, grp.region, '{{series}}', {_COALESCED}, grp.n
FROM standards s CROSS JOIN ({{groups}}) grp
LEFT JOIN (
  SELECT x.standard_id, COALESCE(u.kind, '') AS kind, COALESCE(u.region, '') AS region,
    {_sums("x.value")}
  FROM ({{values}}) x JOIN units u ON u.id = x.unit_id
  GROUP BY x.standard_id, COALESCE(u.kind, ''), COALESCE(u.region, '')
) g ON g.standard_id = s.id AND g.kind = grp.kind AND g.region = grp.region
WHERE s.edition_id = :e"""

_SELF_VALUES = f"""SELECT c.unit_id, r.standard_id, r.value
FROM ratings r JOIN ({COUNTED}) c ON c.assessment_id = r.assessment_id"""
_PEER_ROWS = f"SELECT p.assessment_id, p.visit_id, a.unit_id FROM ({PEER}) p JOIN assessments a ON a.id = p.assessment_id"
_PEER_VALUES = f"""SELECT pr.unit_id, f.standard_id, f.value
FROM findings f JOIN ({_PEER_ROWS}) pr ON pr.visit_id = f.visit_id"""
_SELF_ONLY_VALUES = f"""SELECT c.unit_id, r.standard_id, r.value
FROM ratings r JOIN ({COUNTED}) c ON c.assessment_id = r.assessment_id
WHERE NOT EXISTS (SELECT 1 FROM visits v
  WHERE v.assessment_id = r.assessment_id AND v.state = 'completed')"""

SELF_STANDARD = _STANDARD_INSERT.format(
    series="self", groups=_GROUPS_OF.format(rows=COUNTED), values=_SELF_VALUES
)
PEER_STANDARD = _STANDARD_INSERT.format(
    series="peer", groups=_GROUPS_OF.format(rows=_PEER_ROWS), values=_PEER_VALUES
)
BENCH_STANDARD = _STANDARD_INSERT.format(
    series="bench",
    groups=_GROUPS_OF.format(rows=COUNTED),
    values=f"{_PEER_VALUES} UNION ALL {_SELF_ONLY_VALUES}",
)

STANDARD_PAIRS = f"""INSERT INTO benchmark_standard_pairs
(cycle_id, standard_id, unit_kind, region, {_PAIRS})
SELECT :c, f.standard_id, COALESCE(u.kind, ''), COALESCE(u.region, ''),
  {_pair_sums("r.value", "f.value")}
FROM ({_PEER_ROWS}) pr JOIN units u ON u.id = pr.unit_id
JOIN findings f ON f.visit_id = pr.visit_id
JOIN ratings r ON r.assessment_id = pr.assessment_id AND r.standard_id = f.standard_id
JOIN standards s ON s.id = f.standard_id
WHERE s.edition_id = :e
GROUP BY f.standard_id, COALESCE(u.kind, ''), COALESCE(u.region, '')"""

REBUILD_STEPS = (
    SELF_DOMAIN,
    PEER_DOMAIN,
    BENCH_DOMAIN,
    DOMAIN_PAIRS,
    SELF_STANDARD,
    PEER_STANDARD,
    BENCH_STANDARD,
    STANDARD_PAIRS,
)


# --- reading side: make sure summaries are fresh ---------------------------------------------


def _state_rows(cycle_ids: list[int]) -> dict[int, BenchmarkCycleState]:
    rows = db.session.scalars(
        sa.select(BenchmarkCycleState).where(BenchmarkCycleState.cycle_id.in_(cycle_ids))
    )
    return {row.cycle_id: row for row in rows}


def _create_states(cycle_ids: Iterable[int]) -> None:
    for cycle_id in cycle_ids:
        db.session.add(BenchmarkCycleState(cycle_id=cycle_id, salt=secrets.token_hex(16)))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another request created it meanwhile


# What the summaries of some cycles are as read: (cycle id, salt, built version) per cycle. A
# rebuild gives its cycle a new built version, and the salt is new with every state row (every
# database), so figures computed from the summaries may be kept under it (:func:`cached`).
Revision = tuple[tuple[int, str, int], ...]


def ensure_fresh(cycle_ids: Iterable[int]) -> Revision:
    """Rebuild the summaries of those cycles whose data changed since they were built; returns
    their revision (a key for what is computed from them)."""
    ids = sorted(set(cycle_ids))
    if not ids:
        return ()
    states = _state_rows(ids)
    missing = [c for c in ids if c not in states]
    if missing:
        _create_states(missing)
        states = _state_rows(ids)
    for cycle_id in ids:
        state = states.get(cycle_id)
        if state is not None and state.built_version != state.version:
            rebuild(cycle_id)  # updates the state object in place (populate_existing)
    revision = tuple(
        (cycle_id, state.salt, state.built_version)
        for cycle_id in ids
        if (state := states.get(cycle_id)) is not None
    )
    db.session.expire_all()
    return revision


# Figures computed from the summaries, kept in process per (what, revision, parameters): the
# revision changes with every rebuild, so an entry is never stale, and the few most recent are
# kept. Only numbers go in (labels, names and texts are made per request, as they may change
# without a rebuild); values are shared between requests, so they must never be changed.
T = TypeVar("T")
_FIGURES: dict[Hashable, Any] = {}
_FIGURES_SIZE = 32
_FIGURES_LOCK = threading.Lock()


def cached(what: str, revision: Hashable, params: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` (read-only figures from the summaries of ``revision``: a :data:`Revision`
    or the questionnaire summaries' revision), once per key."""
    key = (what, revision, params)
    hit = _FIGURES.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    value = compute()
    with _FIGURES_LOCK:  # gunicorn's threads share the cache: evict and insert as one step
        while len(_FIGURES) >= _FIGURES_SIZE:
            _FIGURES.pop(next(iter(_FIGURES)), None)
        _FIGURES[key] = value
    return value


def rebuild(cycle_id: int) -> int:
    """Rebuild one cycle's summaries in one transaction; returns the milliseconds it took."""

    started = time.perf_counter()
    # Lock the state row (PostgreSQL) so concurrent readers rebuild once; SQLite serialises writers.
    state = db.session.scalar(
        sa.select(BenchmarkCycleState)
        .where(BenchmarkCycleState.cycle_id == cycle_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if state is None:
        _create_states([cycle_id])
        return rebuild(cycle_id)
    if state.built_version == state.version:
        db.session.commit()
        return 0
    target = state.version
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        db.session.rollback()
        return 0
    params = {"c": cycle_id, "e": cycle.edition_id, "t": True, "f": False}
    for table in (domain_counts, domain_pairs, standard_counts, standard_pairs):
        db.session.execute(table.delete().where(table.c.cycle_id == cycle_id))
    for step in REBUILD_STEPS:
        db.session.execute(sa.text(step), params)
    _assign_pseudonyms(cycle_id, state.salt)
    elapsed = int((time.perf_counter() - started) * 1000)
    state.built_version = target
    state.built_at = utcnow()
    state.build_ms = elapsed
    db.session.commit()
    return elapsed


def _assign_pseudonyms(cycle_id: int, salt: str) -> None:
    """Give every unit of the cycle a position once; later units are appended (stable labels)."""

    have = db.session.execute(
        sa.select(BenchmarkPseudonym.unit_id, BenchmarkPseudonym.position).where(
            BenchmarkPseudonym.cycle_id == cycle_id
        )
    ).all()
    known = {unit_id for unit_id, _ in have}
    start = max((pos for _, pos in have), default=-1) + 1
    unit_ids = db.session.scalars(
        sa.select(Assessment.unit_id).where(Assessment.cycle_id == cycle_id)
    ).all()
    new = [u for u in scoring.pseudonym_order(salt, cycle_id, unit_ids) if u not in known]
    if new:
        db.session.execute(
            sa.insert(BenchmarkPseudonym),
            [
                {"cycle_id": cycle_id, "unit_id": unit_id, "position": start + i}
                for i, unit_id in enumerate(new)
            ],
        )


def refresh_all(network_id: int | None = None) -> dict[int, int]:
    """Mark cycles stale and rebuild them now, the questionnaire summaries too (CLI, synthetic
    data); cycle id → milliseconds."""

    query = sa.select(Cycle.id).order_by(Cycle.id)
    if network_id is not None:
        query = query.where(Cycle.network_id == network_id)
    ids = list(db.session.scalars(query))
    states = _state_rows(ids)
    _create_states([c for c in ids if c not in states])
    if ids:
        db.session.execute(
            sa.update(BenchmarkCycleState)
            .where(BenchmarkCycleState.cycle_id.in_(ids))
            .values(version=BenchmarkCycleState.version + 1)
        )
        db.session.commit()
    built = {cycle_id: rebuild(cycle_id) for cycle_id in ids}
    for cycle_id, ms in survey_summaries.refresh_all(ids).items():
        built[cycle_id] += ms
    return built


# --- writing side: invalidation --------------------------------------------------------------

_WATCHED_TABLES = {"ratings", "findings", "assessments", "visits", "units"}


def _bump(connection: sa.Connection, cycle_ids: Iterable[int] | None) -> None:
    """Mark cycles stale (all cycles when ``cycle_ids`` is None)."""
    table = BenchmarkCycleState.__table__
    stmt = sa.update(table).values(version=table.c.version + 1)
    if cycle_ids is not None:
        ids = sorted(set(cycle_ids))
        if not ids:
            return
        stmt = stmt.where(table.c.cycle_id.in_(ids))
    connection.execute(stmt)


def _counted_cycles(connection: sa.Connection, assessment_ids: set[int]) -> set[int]:
    """Cycles of those assessments that count in a benchmark (their ratings matter)."""
    if not assessment_ids:
        return set()
    rows = connection.execute(
        sa.text(
            "SELECT DISTINCT a.cycle_id FROM assessments a WHERE a.id IN :ids AND "
            "(a.state = 'submitted' OR EXISTS (SELECT 1 FROM visits v "
            "WHERE v.assessment_id = a.id AND v.state = 'completed'))"
        ).bindparams(sa.bindparam("ids", expanding=True)),
        {"ids": sorted(assessment_ids)},
    )
    return {row[0] for row in rows}


def _completed_visit_cycles(connection: sa.Connection, visit_ids: set[int]) -> set[int]:
    if not visit_ids:
        return set()
    rows = connection.execute(
        sa.text(
            "SELECT DISTINCT a.cycle_id FROM visits v JOIN assessments a ON a.id = v.assessment_id "
            "WHERE v.id IN :ids AND v.state = 'completed'"
        ).bindparams(sa.bindparam("ids", expanding=True)),
        {"ids": sorted(visit_ids)},
    )
    return {row[0] for row in rows}


def _cycles_of_assessments(connection: sa.Connection, assessment_ids: set[int]) -> set[int]:
    if not assessment_ids:
        return set()
    rows = connection.execute(
        sa.text("SELECT DISTINCT cycle_id FROM assessments WHERE id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)
        ),
        {"ids": sorted(assessment_ids)},
    )
    return {row[0] for row in rows}


def _cycles_of_networks(connection: sa.Connection, network_ids: set[int]) -> set[int]:
    if not network_ids:
        return set()
    rows = connection.execute(
        sa.text("SELECT id FROM cycles WHERE network_id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)
        ),
        {"ids": sorted(network_ids)},
    )
    return {row[0] for row in rows}


def _changed(obj: Any, *names: str) -> list[Any]:
    """Old and new values of the attributes that changed (empty if none did)."""
    state = sa.inspect(obj)
    values: list[Any] = []
    for name in names:
        history = state.attrs[name].history
        if history.has_changes():
            values.extend(v for v in chain(history.deleted, history.added) if v is not None)
    return values


def _after_flush(session: Session, _context: Any) -> None:
    rating_assessments: set[int] = set()
    finding_visits: set[int] = set()
    assessments: set[int] = set()
    cycles: set[int] = set()
    networks: set[int] = set()
    deleted = set(session.deleted)
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Rating):
            rating_assessments.update(_changed(obj, "assessment_id") or [obj.assessment_id])
        elif isinstance(obj, Finding):
            finding_visits.update(_changed(obj, "visit_id") or [obj.visit_id])
        elif isinstance(obj, Visit):
            if obj in deleted or obj in session.new:
                assessments.add(obj.assessment_id)
            else:
                moved = _changed(obj, "assessment_id")
                if moved or _changed(obj, "state"):
                    assessments.update(moved or [obj.assessment_id])
        elif isinstance(obj, Assessment):
            if obj in deleted or obj in session.new:
                cycles.add(obj.cycle_id)
            else:
                cycles.update(_changed(obj, "cycle_id"))
                if _changed(obj, "state", "unit_id"):
                    cycles.add(obj.cycle_id)
        elif isinstance(obj, Unit):
            if obj in deleted:
                networks.add(obj.network_id)
            elif obj not in session.new:
                networks.update(_changed(obj, "network_id"))
                if _changed(obj, "kind", "region", "active"):
                    networks.add(obj.network_id)
    if not (rating_assessments or finding_visits or assessments or cycles or networks):
        return
    connection = session.connection()
    cycles |= _counted_cycles(connection, {a for a in rating_assessments if a is not None})
    cycles |= _completed_visit_cycles(connection, {v for v in finding_visits if v is not None})
    cycles |= _cycles_of_assessments(connection, {a for a in assessments if a is not None})
    cycles |= _cycles_of_networks(connection, networks)
    _bump(connection, {c for c in cycles if c is not None})


def _table_of(statement: Any) -> str | None:
    table = getattr(statement, "table", None)
    return getattr(table, "name", None)


def _on_execute(state: ORMExecuteState) -> Any:
    """Bulk INSERT/UPDATE/DELETE through the session on a watched table: invalidate too."""
    if state.is_select or not (state.is_insert or state.is_update or state.is_delete):
        return None
    name = _table_of(state.statement)
    if name not in _WATCHED_TABLES:
        return None
    result = state.invoke_statement()
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if isinstance(params, dict) else []
    connection = state.session.connection()
    key = {"ratings": "assessment_id", "findings": "visit_id"}.get(name or "")
    if state.is_insert and key and rows and all(isinstance(r, dict) and key in r for r in rows):
        ids = {int(r[key]) for r in rows}
        if name == "ratings":
            _bump(connection, _counted_cycles(connection, ids))
        else:
            _bump(connection, _completed_visit_cycles(connection, ids))
    else:
        _bump(connection, None)
    return result


def register_listeners() -> None:
    """Install the invalidation hooks on every SQLAlchemy session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
    if not event.contains(Session, "do_orm_execute", _on_execute):
        event.listen(Session, "do_orm_execute", _on_execute)
    survey_summaries.register_listeners()

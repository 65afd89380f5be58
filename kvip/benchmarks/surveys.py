"""Questionnaires in the benchmarks (issue 15 §5): per question the network's distribution and a
funnel of units, the unit's own results against the network, and for the annual report the
response counts per instrument and the questions whose results differ most between units.

Privacy, exactly as for scores: an instrument of a unit counts only from the network's
respondent threshold (never below 5: a suppressed instrument never enters a network figure);
a question's network figures exist only when at least k units count (the network's
``group_size_k``); other units appear only under the cycle's pseudonyms. Only aggregates per
unit and question are read: no respondent's answers, never free text.

They read the questionnaire summaries (:mod:`kvip.benchmarks.survey_summaries`: per collection
× question the count of each value), brought up to date on each call: a questionnaire
submitted since counts in the next read.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa

from kvip import scoring
from kvip.benchmarks import queries, summaries, survey_summaries
from kvip.benchmarks.models import (
    SURVEY_VALUE_COLUMNS,
    survey_counts,
    survey_respondents,
)
from kvip.cycles.models import Cycle
from kvip.extensions import db
from kvip.network.models import Network
from kvip.surveys.models import AGREE4, Instrument, InstrumentKind, Question, Scale
from kvip.surveys.results import AGREE_WORDS, question_result
from kvip.surveys.services import min_respondents

FUNNEL_Z = 1.96

T = TypeVar("T")


@dataclass
class UnitPoint:
    label: str  # pseudonym ("Enhet C") or "your unit"
    own: bool
    n: int
    positive_pct: float | None


@dataclass
class QuestionBenchmark:
    instrument: str
    code: str
    text: str
    units: int  # units counted (their instrument at or above the respondent threshold)
    suppressed: bool  # fewer than k units: no network figures
    distribution: dict[str, int] = field(default_factory=dict)
    n: int = 0
    positive_pct: float | None = None
    points: list[UnitPoint] = field(default_factory=list)
    funnel: list[tuple[int, float, float]] = field(default_factory=list)
    own_pct: float | None = None
    own_n: int = 0


def _labels(cycle_id: int, unit_ids: set[int], lang: str) -> dict[int, str]:
    """The cycle's pseudonym of each unit; units new since the score summaries were built get
    theirs from a rebuild of those (their assessment made them stale)."""
    positions = queries.pseudonym_positions(cycle_id)
    if not unit_ids <= positions.keys():
        summaries.ensure_fresh([cycle_id])
        positions = queries.pseudonym_positions(cycle_id)
    return {u: scoring.pseudonym(positions[u], lang) if u in positions else "?" for u in unit_ids}


def question_benchmarks(
    cycle_id: int, own_unit_id: int | None = None, lang: str = "nb"
) -> list[QuestionBenchmark]:
    """Per question of the cycle's questionnaires: the network's distribution and % positive,
    a funnel point per counted unit (pseudonymised; the viewer's own unit marked) and the
    own unit's result. Questions with fewer than k counted units carry the count only."""
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        return []
    k = db.session.get(Network, cycle.network_id).group_size_k  # type: ignore[union-attr]
    with _gc_paused():
        return _benchmarks(cycle, k, own_unit_id, lang)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while tens of thousands of small objects are made (a point
    per unit and question): its passes over the whole heap would cost more than the work."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _benchmarks(
    cycle: Cycle, k: int, own_unit_id: int | None, lang: str
) -> list[QuestionBenchmark]:
    per_question, totals = _network(cycle.id, min_respondents(cycle.network_id), lang)
    out = []
    for q, instrument_code in _questions(cycle):
        units = per_question.get(q.id, ())
        bench = QuestionBenchmark(
            instrument=instrument_code,
            code=q.code,
            text=getattr(q, f"text_{lang}"),
            units=len(units),
            suppressed=scoring.suppressed(len(units), k),
        )
        own_point = None
        for unit_id, _label, n, pct in units:
            if unit_id == own_unit_id:
                bench.own_n, bench.own_pct = n, pct
                own_point = UnitPoint("own", True, n, pct)
        if not bench.suppressed:
            # own unit first, then the others by pseudonym (the cached order)
            bench.points = [own_point] if own_point else []
            bench.points.extend(
                UnitPoint(label, False, n, pct)
                for unit_id, label, n, pct in units
                if unit_id != own_unit_id
            )
            total = dict(enumerate(totals.get(q.id, ())))
            bench.distribution = {w: total.get(AGREE4[w], 0) for w in AGREE_WORDS}
            bench.n, positive, bench.positive_pct = question_result(total, q.positive)
            if bench.n:
                p_bar = positive / bench.n
                n_max = max(p.n for p in bench.points)
                bench.funnel = scoring.funnel_curve(p_bar, n_max, FUNNEL_Z)
        out.append(bench)
    return out


# What the network figures of a cycle are computed from, per (cycle, summaries' revision,
# threshold, language): the summaries' revision changes with every rebuild, so an entry is
# never stale; the few most recent are kept (each ~ a point per unit and question).
_Network = tuple[
    dict[int, tuple[tuple[int, str, int, float | None], ...]], dict[int, tuple[int, ...]]
]
_CACHE: dict[tuple[int, str, int, str], _Network] = {}
_CACHE_SIZE = 8
_CACHE_LOCK = threading.Lock()


def _network(cycle_id: int, threshold: int, lang: str) -> _Network:
    """Per question the counted units as (unit id, pseudonym, n, % positive) in pseudonym
    order, and the network's count per stored value, from fresh summaries."""
    key = (cycle_id, survey_summaries.ensure_fresh(cycle_id), threshold, lang)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    c, r = survey_counts, survey_respondents
    counted = (c.c.cycle_id == cycle_id, r.c.respondents >= threshold)
    # Per counted unit and question: n (without "won't say") and how many positive. A unit has
    # one collection per instrument (unique constraints), so one row per unit and question.
    n_of = c.c.v1 + c.c.v2 + c.c.v3 + c.c.v4
    positive_of = sa.case((Question.positive == "agree", c.c.v3 + c.c.v4), else_=c.c.v1 + c.c.v2)
    rows = db.session.execute(
        sa.select(c.c.question_id, c.c.unit_id, n_of, positive_of)
        .join(r, r.c.collection_id == c.c.collection_id)
        .join(Question, Question.id == c.c.question_id)
        .where(*counted)
    ).all()
    labels = _labels(cycle_id, {row[1] for row in rows}, lang) if rows else {}
    per_question: dict[int, list[tuple[int, str, int, float | None]]] = defaultdict(list)
    for question_id, unit_id, n, pos in rows:
        per_question[question_id].append((unit_id, labels[unit_id], int(n), _pct(pos, n)))
    # The network's count per value and question, summed in the database.
    totals = {
        question_id: tuple(int(v) for v in values)
        for question_id, *values in db.session.execute(
            sa.select(c.c.question_id, *[sa.func.sum(c.c[v]) for v in SURVEY_VALUE_COLUMNS])
            .join(r, r.c.collection_id == c.c.collection_id)
            .where(*counted)
            .group_by(c.c.question_id)
        ).all()
    }
    result = (
        {q: tuple(sorted(points, key=lambda p: p[1])) for q, points in per_question.items()},
        totals,
    )
    with _CACHE_LOCK:  # gunicorn's threads share the cache: evict and insert as one step
        while len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)), None)
        _CACHE[key] = result
    return result


@functools.cache
def _pct(positive: int, n: int) -> float | None:
    """% positive as :func:`kvip.surveys.results.question_result` rounds it (few distinct
    pairs: cached, as ``round`` is slow next to a lookup)."""
    return round(100 * positive / n, 1) if n else None


@dataclass
class InstrumentCount:
    instrument: str
    units: int  # units whose instrument counts (at or above the threshold)
    respondents: int  # respondents of those units
    below_threshold: int  # units that collected but are below the threshold (not counted)


def response_counts(cycle_id: int) -> list[InstrumentCount]:
    """For the annual report: per instrument the units counted and their respondents, and how
    many units collected too few answers to count."""
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        return []
    counts = _kept(cycle, "surveys.response_counts", lambda c, t: tuple(_response_counts(c, t)))
    return [dataclasses.replace(c) for c in counts]


def _kept(cycle: Cycle, what: str, compute: Callable[[int, int], T]) -> T:
    """``compute(cycle id, threshold)`` from fresh questionnaire summaries, kept in process
    under their revision and the network's threshold (:func:`summaries.cached`)."""
    revision = survey_summaries.ensure_fresh(cycle.id)
    threshold = min_respondents(cycle.network_id)
    cycle_id = cycle.id
    return summaries.cached(
        what, revision, (cycle_id, threshold), lambda: compute(cycle_id, threshold)
    )


def _response_counts(cycle_id: int, threshold: int) -> list[InstrumentCount]:
    s = survey_respondents
    counted = {
        cid: (unit_id, int(n), code)
        for cid, unit_id, code, n in db.session.execute(
            sa.select(s.c.collection_id, s.c.unit_id, Instrument.code, s.c.respondents)
            .join(Instrument, Instrument.id == s.c.instrument_id)
            .where(s.c.cycle_id == cycle_id, s.c.respondents >= threshold)
        ).all()
    }
    collected = db.session.execute(
        sa.select(Instrument.code, sa.func.count())
        .select_from(s)
        .join(Instrument, Instrument.id == s.c.instrument_id)
        .where(s.c.cycle_id == cycle_id)
        .group_by(Instrument.code)
    ).all()
    out = []
    for code, collections in collected:
        mine = [v for v in counted.values() if v[2] == code]
        out.append(
            InstrumentCount(
                instrument=code,
                units=len({u for u, _n, _c in mine}),
                respondents=sum(n for _u, n, _c in mine),
                below_threshold=int(collections) - len(mine),
            )
        )
    return sorted(out, key=lambda c: c.instrument)


def widest_spread(cycle_id: int, top: int = 5, lang: str = "nb") -> list[tuple[str, float]]:
    """For the annual report: the questions (with k or more counted units) whose % positive
    differs most between units, as (question text, spread in percentage points). The extremes
    per question come from the database (a few rows, not a point per unit and question)."""
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        return []
    k = db.session.get(Network, cycle.network_id).group_size_k  # type: ignore[union-attr]
    extremes = _kept(cycle, "surveys.extremes", _extremes)
    spreads = []
    for q, _instrument in _questions(cycle):
        units, with_n, high, low = extremes.get(q.id, (0, 0, None, None))
        if scoring.suppressed(units, k) or with_n < 2:
            continue
        spread = round(round(float(high), 1) - round(float(low), 1), 1)
        spreads.append((f"{q.code} {getattr(q, f'text_{lang}')}", spread))
    return sorted(spreads, key=lambda s: -s[1])[:top]


def _extremes(cycle_id: int, threshold: int) -> dict[int, tuple[int, int, Any, Any]]:
    """Per question: the counted units, those with answers, and the highest and lowest
    % positive among them."""
    c, r = survey_counts, survey_respondents
    n_of = c.c.v1 + c.c.v2 + c.c.v3 + c.c.v4
    positive_of = sa.case((Question.positive == "agree", c.c.v3 + c.c.v4), else_=c.c.v1 + c.c.v2)
    # 100·positive/n in double precision, as Python divides; rounding is monotonic, so the
    # rounded extremes are the extremes of the rounded percentages.
    pct = sa.case((n_of > 0, sa.cast(100 * positive_of, sa.Float) / n_of))
    return {
        question_id: (int(units), int(with_n), high, low)
        for question_id, units, with_n, high, low in db.session.execute(
            sa.select(
                c.c.question_id,
                sa.func.count(),
                sa.func.count(pct),
                sa.func.max(pct),
                sa.func.min(pct),
            )
            .join(r, r.c.collection_id == c.c.collection_id)
            .join(Question, Question.id == c.c.question_id)
            .where(c.c.cycle_id == cycle_id, r.c.respondents >= threshold)
            .group_by(c.c.question_id)
        ).all()
    }


def _questions(cycle: Cycle) -> list[Any]:
    """(question, instrument code) of the cycle's questionnaires on the agree scale, in order."""
    return list(
        db.session.execute(
            sa.select(Question, Instrument.code)
            .join(Instrument, Instrument.id == Question.instrument_id)
            .where(
                Instrument.edition_id == cycle.edition_id,
                Instrument.kind == InstrumentKind.questionnaire.value,
                Question.scale == Scale.agree4.value,
            )
            .order_by(Instrument.position, Question.position)
        ).all()
    )

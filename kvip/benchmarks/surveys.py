"""Questionnaires in the benchmarks (issue 15 §5): per question the network's distribution and a
funnel of units, the unit's own results against the network, and for the annual report the
response counts per instrument and the questions whose results differ most between units.

Privacy, exactly as for scores: an instrument of a unit counts only from the network's
respondent threshold (never below 5: a suppressed instrument never enters a network figure);
a question's network figures exist only when at least k units count (the network's
``group_size_k``); other units appear only under the cycle's pseudonyms. Only aggregates per
unit and question are read: no respondent's answers, never free text.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from kvip import scoring
from kvip.benchmarks import queries
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.network.models import Network
from kvip.surveys.models import (
    AGREE4,
    Answer,
    Collection,
    Instrument,
    InstrumentKind,
    Question,
    Response,
    Scale,
)
from kvip.surveys.results import AGREE_WORDS, question_result
from kvip.surveys.services import min_respondents

FUNNEL_Z = 1.96


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


def _counted(cycle_id: int) -> tuple[dict[int, tuple[int, int, str]], int]:
    """Collections of the cycle that count: collection id → (unit id, respondents, instrument
    code), only those at or above the network's threshold; and the threshold."""
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        return {}, 5
    threshold = min_respondents(cycle.network_id)
    rows = db.session.execute(
        sa.select(Collection.id, Assessment.unit_id, Instrument.code, sa.func.count(Response.id))
        .join(Assessment, Assessment.id == Collection.assessment_id)
        .join(Instrument, Instrument.id == Collection.instrument_id)
        .join(Response, Response.collection_id == Collection.id)
        .where(
            Assessment.cycle_id == cycle_id,
            Instrument.kind == InstrumentKind.questionnaire.value,
        )
        .group_by(Collection.id, Assessment.unit_id, Instrument.code)
        .having(sa.func.count(Response.id) >= threshold)
    ).all()
    return {cid: (unit_id, int(n), code) for cid, unit_id, code, n in rows}, threshold


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
    counted, _threshold = _counted(cycle_id)
    # (question id, unit id) → {value: count}; counted collections only, values only.
    per_unit: dict[int, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    ids = list(counted)
    for collection_id, question_id, value, count in db.session.execute(
        sa.select(Response.collection_id, Answer.question_id, Answer.value, sa.func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(Response.collection_id.in_(ids), Answer.value.is_not(None))
        .group_by(Response.collection_id, Answer.question_id, Answer.value)
    ):
        unit_id = counted[collection_id][0]
        cell = per_unit[question_id][unit_id]
        cell[int(value or 0)] = cell.get(int(value or 0), 0) + int(count)
    positions = queries.pseudonym_positions(cycle_id)
    questions = db.session.execute(
        sa.select(Question, Instrument.code)
        .join(Instrument, Instrument.id == Question.instrument_id)
        .where(
            Instrument.edition_id == cycle.edition_id,
            Instrument.kind == InstrumentKind.questionnaire.value,
            Question.scale == Scale.agree4.value,
        )
        .order_by(Instrument.position, Question.position)
    ).all()
    out = []
    for q, instrument_code in questions:
        units = per_unit.get(q.id, {})
        bench = QuestionBenchmark(
            instrument=instrument_code,
            code=q.code,
            text=getattr(q, f"text_{lang}"),
            units=len(units),
            suppressed=scoring.suppressed(len(units), k),
        )
        if own_unit_id in units:
            bench.own_n, _pos, bench.own_pct = question_result(units[own_unit_id], q.positive)
        if not bench.suppressed:
            total: dict[int, int] = defaultdict(int)
            for counts in units.values():
                for value, c in counts.items():
                    total[value] += c
            bench.distribution = {w: total.get(AGREE4[w], 0) for w in AGREE_WORDS}
            bench.n, positive, bench.positive_pct = question_result(total, q.positive)
            for unit_id, counts in units.items():
                n, _pos, pct = question_result(counts, q.positive)
                own = unit_id == own_unit_id
                position = positions.get(unit_id)
                label = (
                    "own"
                    if own
                    else (scoring.pseudonym(position, lang) if position is not None else "?")
                )
                bench.points.append(UnitPoint(label, own, n, pct))
            bench.points.sort(key=lambda p: (not p.own, p.label))
            if bench.n:
                p_bar = positive / bench.n
                n_max = max(p.n for p in bench.points)
                bench.funnel = scoring.funnel_curve(p_bar, n_max, FUNNEL_Z)
        out.append(bench)
    return out


@dataclass
class InstrumentCount:
    instrument: str
    units: int  # units whose instrument counts (at or above the threshold)
    respondents: int  # respondents of those units
    below_threshold: int  # units that collected but are below the threshold (not counted)


def response_counts(cycle_id: int) -> list[InstrumentCount]:
    """For the annual report: per instrument the units counted and their respondents, and how
    many units collected too few answers to count."""
    counted, threshold = _counted(cycle_id)
    collected = db.session.execute(
        sa.select(Instrument.code, sa.func.count(sa.distinct(Collection.id)))
        .join(Collection, Collection.instrument_id == Instrument.id)
        .join(Assessment, Assessment.id == Collection.assessment_id)
        .where(
            Assessment.cycle_id == cycle_id,
            Instrument.kind == InstrumentKind.questionnaire.value,
        )
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
    differs most between units, as (question text, spread in percentage points)."""
    spreads = []
    for b in question_benchmarks(cycle_id, None, lang):
        pcts = [p.positive_pct for p in b.points if p.positive_pct is not None]
        if b.suppressed or len(pcts) < 2:
            continue
        spreads.append((f"{b.code} {b.text}", round(max(pcts) - min(pcts), 1)))
    return sorted(spreads, key=lambda s: -s[1])[:top]

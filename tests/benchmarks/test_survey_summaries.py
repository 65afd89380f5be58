"""The questionnaire summaries behind the benchmarks (kvip.benchmarks.survey_summaries): the
figures read from them equal a direct aggregation of every answer, on generated networks and
after random submissions; a questionnaire submitted after a read counts in the next read; a
submission only logs its collection (no rebuild); bulk changes, moved assessments and
deleted collections are seen too."""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip import scoring
from kvip.benchmarks import queries, summaries, survey_summaries
from kvip.benchmarks.models import survey_changes, survey_counts, survey_respondents
from kvip.benchmarks.surveys import (
    FUNNEL_Z,
    InstrumentCount,
    QuestionBenchmark,
    UnitPoint,
    question_benchmarks,
    response_counts,
    widest_spread,
)
from kvip.benchmarks.synthetic import generate
from kvip.core.dates import today
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.network.models import Network
from kvip.surveys import services
from kvip.surveys.models import (
    AGREE4,
    Answer,
    Collection,
    Instrument,
    InstrumentKind,
    Question,
    Response,
    Scale,
    SurveySettings,
)
from kvip.surveys.results import AGREE_WORDS, question_result
from tests.factories import World, create_unit

TODAY = date(2026, 6, 1)

# --- the reference: a direct aggregation of every answer (the functions before the summaries) --


def _direct_counted(cycle_id: int) -> dict[int, tuple[int, int, str]]:
    cycle = db.session.get(Cycle, cycle_id)
    assert cycle is not None
    threshold = services.min_respondents(cycle.network_id)
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
    return {cid: (unit_id, int(n), code) for cid, unit_id, code, n in rows}


def _direct_benchmarks(
    cycle_id: int, own_unit_id: int | None, lang: str
) -> list[QuestionBenchmark]:
    cycle = db.session.get(Cycle, cycle_id)
    assert cycle is not None
    k = db.session.get(Network, cycle.network_id).group_size_k  # type: ignore[union-attr]
    counted = _direct_counted(cycle_id)
    per_unit: dict[int, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for collection_id, question_id, value, count in db.session.execute(
        sa.select(Response.collection_id, Answer.question_id, Answer.value, sa.func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(Response.collection_id.in_(list(counted)), Answer.value.is_not(None))
        .group_by(Response.collection_id, Answer.question_id, Answer.value)
    ):
        cell = per_unit[question_id][counted[collection_id][0]]
        cell[int(value)] = cell.get(int(value), 0) + int(count)
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
    for q, code in questions:
        units = per_unit.get(q.id, {})
        b = QuestionBenchmark(
            code, q.code, getattr(q, f"text_{lang}"), len(units), scoring.suppressed(len(units), k)
        )
        if own_unit_id in units:
            b.own_n, _p, b.own_pct = question_result(units[own_unit_id], q.positive)
        if not b.suppressed:
            total: dict[int, int] = defaultdict(int)
            for counts in units.values():
                for value, c in counts.items():
                    total[value] += c
            b.distribution = {w: total.get(AGREE4[w], 0) for w in AGREE_WORDS}
            b.n, positive, b.positive_pct = question_result(total, q.positive)
            for unit_id, counts in units.items():
                n, _p, pct = question_result(counts, q.positive)
                own = unit_id == own_unit_id
                label = "own" if own else scoring.pseudonym(positions[unit_id], lang)
                b.points.append(UnitPoint(label, own, n, pct))
            b.points.sort(key=lambda p: (not p.own, p.label))
            if b.n:
                n_max = max(p.n for p in b.points)
                b.funnel = scoring.funnel_curve(positive / b.n, n_max, FUNNEL_Z)
        out.append(b)
    return out


def _direct_counts(cycle_id: int) -> list[InstrumentCount]:
    counted = _direct_counted(cycle_id)
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
    for code, n in collected:
        mine = [v for v in counted.values() if v[2] == code]
        out.append(
            InstrumentCount(
                code, len({u for u, _n, _c in mine}), sum(n for _u, n, _c in mine), n - len(mine)
            )
        )
    return sorted(out, key=lambda c: c.instrument)


def _assert_same(cycle_id: int, own_unit_id: int | None) -> None:
    for lang in ("nb", "en"):
        assert question_benchmarks(cycle_id, own_unit_id, lang) == _direct_benchmarks(
            cycle_id, own_unit_id, lang
        )
    assert response_counts(cycle_id) == _direct_counts(cycle_id)
    spreads = []
    for b in _direct_benchmarks(cycle_id, None, "en"):
        pcts = [p.positive_pct for p in b.points if p.positive_pct is not None]
        if not b.suppressed and len(pcts) >= 2:
            spreads.append((f"{b.code} {b.text}", round(max(pcts) - min(pcts), 1)))
    assert widest_spread(cycle_id, 50, "en") == sorted(spreads, key=lambda s: -s[1])


def _random_answers(rng: random.Random, instrument: Instrument) -> dict[str, str]:
    words = [*AGREE4]
    out = {}
    for q in instrument.questions:
        if q.scale == Scale.agree4.value and rng.random() < 0.9:
            out[q.code] = rng.choice(words)
        elif q.scale == Scale.text.value and rng.random() < 0.3:
            out[q.code] = "Fint her."
    return out


# --- tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [3, 11])
def test_summary_figures_equal_the_direct_aggregation(app: Flask, seed: int) -> None:
    """On a generated network, then after random submissions to random collections (some
    crossing the threshold), with a raised threshold and with a larger k: always equal."""
    rng = random.Random(seed)
    result = generate(9, 2, seed, echo=lambda _m: None, today=TODAY)
    cycles = db.session.scalars(
        sa.select(Cycle.id).where(Cycle.network_id == result.network_id).order_by(Cycle.year)
    ).all()
    for cycle_id in cycles:
        own = db.session.scalars(
            sa.select(Assessment.unit_id).where(Assessment.cycle_id == cycle_id)
        ).all()
        _assert_same(cycle_id, rng.choice(own))
        _assert_same(cycle_id, None)
    current = cycles[-1]
    collections = db.session.scalars(
        sa.select(Collection)
        .join(Assessment, Assessment.id == Collection.assessment_id)
        .where(Assessment.cycle_id == current)
        .order_by(Collection.id)
    ).all()
    for _round in range(3):
        for collection in rng.sample(collections, 6):
            for _i in range(rng.randint(1, 4)):
                answers = _random_answers(rng, collection.instrument)
                services.submit_response(
                    collection, answers, secrets.token_urlsafe(18), grace_days=10_000
                )
        _assert_same(current, None)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(survey_changes)) == 0
    unit_id = db.session.get(Assessment, collections[0].assessment_id).unit_id  # type: ignore[union-attr]
    db.session.add(SurveySettings(network_id=result.network_id, min_respondents=16))
    db.session.commit()
    _assert_same(current, unit_id)  # the threshold applies when reading: no rebuild needed
    network = db.session.get(Network, result.network_id)
    network.min_group_size = 8  # type: ignore[union-attr]
    db.session.commit()
    _assert_same(current, unit_id)


def _collection(world: World, assessment: Assessment) -> Collection:
    instrument = services.collection_for(world.assessment, "young_person").instrument
    found = (
        db.session.query(Collection)
        .filter_by(assessment_id=assessment.id, instrument_id=instrument.id)
        .one_or_none()
    )
    if found is not None:
        return found
    collection = Collection(
        assessment_id=assessment.id,
        instrument_id=instrument.id,
        opens=today() - timedelta(days=1),
        closes=today() + timedelta(days=10),
    )
    db.session.add(collection)
    db.session.commit()
    return collection


def _answer(collection: Collection, *values: str) -> None:
    for value in values:
        services.submit_response(collection, {"Y1": value}, secrets.token_urlsafe(18))


def _y1(cycle_id: int, own: int | None = None) -> QuestionBenchmark:
    return next(b for b in question_benchmarks(cycle_id, own) if b.code == "Y1")


def _units(world: World, n: int) -> list[Assessment]:
    out = []
    for i in range(n):
        unit = create_unit(world.inst_a, name=f"Summary {secrets.token_hex(4)} {i}")
        a = Assessment(cycle_id=world.assessment.cycle_id, unit_id=unit.id, state="in_progress")
        db.session.add(a)
        out.append(a)
    db.session.commit()
    return out


def test_a_submission_after_a_read_counts_in_the_next_read(world: World) -> None:
    cycle_id = world.assessment.cycle_id
    others = _units(world, 2)
    own = _collection(world, world.assessment)
    _answer(own, *["agree"] * 5)
    for a in others:
        _answer(_collection(world, a), *["disagree"] * 5)
    y1 = _y1(cycle_id, world.unit.id)
    assert (y1.units, y1.own_n, y1.own_pct, y1.n) == (3, 5, 100.0, 15)
    counts_before = db.session.execute(sa.select(survey_counts)).all()

    # A submission only logs its collection: the summaries stay as they were until a read.
    _answer(own, "strongly_disagree")
    assert db.session.execute(sa.select(survey_counts)).all() == counts_before
    assert db.session.execute(
        sa.select(survey_changes.c.cycle_id, survey_changes.c.collection_id)
    ).all() == [(cycle_id, own.id)]

    y1 = _y1(cycle_id, world.unit.id)
    assert (y1.own_n, y1.own_pct, y1.n, y1.distribution["strongly_disagree"]) == (6, 83.3, 16, 1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(survey_changes)) == 0
    (young,) = response_counts(cycle_id)
    assert (young.units, young.respondents) == (3, 16)

    # A fourth unit reaching the threshold after a read enters the next read; below, never.
    (d,) = _units(world, 1)
    fourth = _collection(world, d)
    _answer(fourth, *["agree"] * 4)
    assert _y1(cycle_id).units == 3 and response_counts(cycle_id)[0].below_threshold == 1
    _answer(fourth, "agree")
    y1 = _y1(cycle_id)
    assert y1.units == 4 and y1.n == 21 and len(y1.points) == 4
    assert all(p.label.startswith("Enhet ") for p in y1.points)  # the new unit's pseudonym too
    assert widest_spread(cycle_id)[0][1] == 100.0


def test_bulk_changes_moves_and_deletions_rebuild(world: World) -> None:
    cycle_id = world.assessment.cycle_id
    a, b, c = _units(world, 3)
    for x in (a, b, c):
        _answer(_collection(world, x), *["agree"] * 5)
    assert _y1(cycle_id).n == 15
    state = db.session.get(survey_summaries.BenchmarkSurveyState, cycle_id)
    assert state is not None and state.built_version == state.version

    # Answers inserted in bulk through the session (as the demo does): logged per collection.
    collection = _collection(world, a)
    question_id = db.session.scalar(
        sa.select(Question.id).where(
            Question.instrument_id == collection.instrument_id, Question.code == "Y1"
        )
    )
    response = Response(collection_id=collection.id, received_on=today(), submission_hash="x" * 64)
    db.session.add(response)
    db.session.flush()
    db.session.execute(
        sa.insert(Answer), [{"response_id": response.id, "question_id": question_id, "value": 1}]
    )
    db.session.commit()
    assert _y1(cycle_id).n == 16

    # A bulk UPDATE the hooks cannot attribute: the whole cycle is rebuilt.
    db.session.execute(sa.update(Answer).where(Answer.value == 1).values(value=4))
    db.session.commit()
    assert _y1(cycle_id).distribution["strongly_agree"] == 1

    # The collection's assessment moves to another unit: the unit changes in the summaries.
    (elsewhere,) = _units(world, 1)
    moved = db.session.get(Assessment, a.id)
    old_unit, new_unit = a.unit_id, elsewhere.unit_id
    db.session.delete(db.session.get(Assessment, elsewhere.id))
    db.session.commit()
    moved.unit_id = new_unit  # type: ignore[union-attr]
    db.session.commit()
    _y1(cycle_id)
    units = db.session.scalars(
        sa.select(survey_respondents.c.unit_id).where(survey_respondents.c.cycle_id == cycle_id)
    ).all()
    assert new_unit in units and old_unit not in units

    # A deleted collection leaves the summaries at once (ON DELETE CASCADE).
    db.session.delete(db.session.get(Collection, _collection(world, b).id))
    db.session.commit()
    assert _y1(cycle_id).units == 2

    # `flask benchmarks refresh` rebuilds the questionnaire summaries too.
    db.session.execute(sa.delete(survey_counts))
    db.session.commit()
    summaries.refresh_all(world.network.id)
    assert _y1(cycle_id).units == 2 and response_counts(cycle_id)[0].respondents == 11

"""Questionnaires in the benchmarks: network distribution and funnel per question, the unit
against the network, the annual counts and widest spread. Suppressed instruments (below the
respondent threshold) never enter a network figure; fewer than k units show no figures; other
units only as pseudonyms; no single respondent's answers anywhere."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest

from kvip.benchmarks.surveys import question_benchmarks, response_counts, widest_spread
from kvip.core.dates import today
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.surveys import services
from kvip.surveys.models import Collection
from tests.factories import World, create_unit


def _collect(world: World, assessment: Assessment, answers: list[str]) -> None:
    """One young people's collection for the assessment with one response per answer to Y1."""
    day = today()
    instrument = services.collection_for(world.assessment, "young_person").instrument
    collection = (
        db.session.query(Collection)
        .filter_by(assessment_id=assessment.id, instrument_id=instrument.id)
        .one_or_none()
    )
    if collection is None:
        collection = Collection(
            assessment_id=assessment.id,
            instrument_id=instrument.id,
            opens=day - timedelta(days=1),
            closes=day + timedelta(days=10),
        )
        db.session.add(collection)
        db.session.commit()
    for value in answers:
        services.submit_response(collection, {"Y1": value}, secrets.token_urlsafe(18))


def _units(world: World, n: int) -> list[Assessment]:
    out = []
    for i in range(n):
        unit = create_unit(world.inst_a, name=f"Bench {i}")
        a = Assessment(cycle_id=world.assessment.cycle_id, unit_id=unit.id, state="in_progress")
        db.session.add(a)
        out.append(a)
    db.session.commit()
    return out


@pytest.fixture
def network(world: World) -> list[Assessment]:
    """Four units with young people's answers: the world's unit (6: 5 agree), two more with
    5 each, and one with only 4 (below the threshold: never counted)."""
    b, c, d = _units(world, 3)
    _collect(world, world.assessment, ["agree"] * 5 + ["disagree"])
    _collect(world, b, ["strongly_agree"] * 5)
    _collect(world, c, ["strongly_disagree"] * 4 + ["agree"])
    _collect(world, d, ["strongly_disagree"] * 4)  # suppressed: must never count
    return [b, c, d]


def test_network_distribution_and_funnel_leave_suppressed_units_out(
    world: World, network: list[Assessment]
) -> None:
    y1 = next(b for b in question_benchmarks(world.assessment.cycle_id, world.unit.id, "en")
              if b.code == "Y1")  # fmt: skip
    assert y1.units == 3 and not y1.suppressed
    # 16 answers of the three counted units; the 4 "strongly disagree" of the 4th unit are out
    assert y1.distribution == {
        "strongly_agree": 5,
        "agree": 6,
        "disagree": 1,
        "strongly_disagree": 4,
    }
    assert (y1.n, y1.positive_pct) == (16, 68.8)
    assert (y1.own_n, y1.own_pct) == (6, 83.3)
    # one funnel point per counted unit; the own unit marked, others only as pseudonyms
    assert len(y1.points) == 3 and y1.points[0].own
    assert {p.n for p in y1.points} == {6, 5}
    # (each a pseudonym of the cycle, also before the score summaries were ever built)
    assert all(re.fullmatch(r"Unit [A-Z]+", p.label) for p in y1.points[1:])
    assert y1.funnel and all(lo <= hi for _n, lo, hi in y1.funnel)


def test_fewer_than_k_units_show_no_network_figures(world: World) -> None:
    (b,) = _units(world, 1)
    _collect(world, world.assessment, ["agree"] * 5)
    _collect(world, b, ["disagree"] * 5)
    y1 = next(
        x for x in question_benchmarks(world.assessment.cycle_id, world.unit.id) if x.code == "Y1"
    )
    assert y1.units == 2 and y1.suppressed
    assert y1.distribution == {} and y1.points == [] and y1.positive_pct is None
    assert (y1.own_n, y1.own_pct) == (5, 100.0)  # the unit still sees its own result
    assert widest_spread(world.assessment.cycle_id) == []


def test_annual_counts_and_widest_spread(world: World, network: list[Assessment]) -> None:
    (young,) = response_counts(world.assessment.cycle_id)
    assert (young.instrument, young.units, young.respondents, young.below_threshold) == (
        "young_person",
        3,
        16,
        1,
    )
    ((label, spread),) = widest_spread(world.assessment.cycle_id, lang="en")
    # 100 % (5 of 5) against 20 % (1 of 5)
    assert label.startswith("Y1") and spread == 80.0


def test_annual_figures_follow_answers_given_after_they_were_read(
    world: World, network: list[Assessment]
) -> None:
    """The annual figures are kept in process under the summaries' revision: an answer given
    after a read is counted in the next one."""
    cycle_id = world.assessment.cycle_id
    (young,) = response_counts(cycle_id)
    assert (young.units, young.respondents, young.below_threshold) == (3, 16, 1)
    assert widest_spread(cycle_id, lang="en")[0][1] == 80.0
    young.units = 99  # the caller's copy: the next read is not changed by it
    _collect(world, network[2], ["strongly_disagree"])  # the fifth answer: now counted (0 %)
    (young,) = response_counts(cycle_id)
    assert (young.units, young.respondents, young.below_threshold) == (4, 21, 0)
    # 100 % (5 of 5) against 0 % (0 of 5)
    assert widest_spread(cycle_id, lang="en")[0][1] == 100.0

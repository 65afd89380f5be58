"""The demo network has questionnaire answers in both cycles, one instrument below the
threshold, and the visited unit's answers reach the demo reviewer's visit pack."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kvip.core.evidence import sections_for
from kvip.cycles.models import Assessment
from kvip.demo import NETWORK_SLUG
from kvip.extensions import db
from kvip.network.models import Network, Unit
from kvip.surveys.models import Collection
from kvip.surveys.results import results_for


def _demo_units() -> list[Unit]:
    """The demo's units in the order the demo made them (kvip.demo.DemoContext.units)."""
    network = db.session.scalar(sa.select(Network).where(Network.slug == NETWORK_SLUG))
    assert network is not None
    return list(
        db.session.scalars(sa.select(Unit).where(Unit.network_id == network.id).order_by(Unit.id))
    )


def test_demo_has_answers_above_and_below_the_threshold(demo: Any) -> None:
    assessments = db.session.scalars(
        sa.select(Assessment).where(
            Assessment.id.in_(sa.select(Collection.assessment_id).distinct())
        )
    ).all()
    # demo unit, visited unit and two more units, previous and current cycle
    assert len(assessments) == 8
    suppressed = {(a.id, r.code): r.suppressed for a in assessments for r in results_for(a)}
    assert list(suppressed.values()).count(True) == 1
    assert sum(1 for v in suppressed.values() if not v) == 23
    visited = max((a for a in assessments if a.unit_id == _demo_units()[4].id), key=lambda a: a.id)
    (section,) = sections_for(visited.id)
    assert all(rows for _h, _s, rows in section.groups)


def test_the_demo_networks_questionnaire_figures_are_shown(demo: Any) -> None:
    """Four units answer in each cycle, so a coordinator trying the demo sees the network's
    figures per question (shown only from k units), not only "too few units"."""
    from kvip.benchmarks.surveys import question_benchmarks

    cycle_ids = db.session.scalars(
        sa.select(Assessment.cycle_id)
        .where(Assessment.id.in_(sa.select(Collection.assessment_id)))
        .distinct()
    ).all()
    assert len(cycle_ids) == 2
    for cycle_id in cycle_ids:
        figures = question_benchmarks(cycle_id)
        assert figures and all(not b.suppressed and b.units >= 3 for b in figures)

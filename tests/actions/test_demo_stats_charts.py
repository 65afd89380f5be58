"""Demo data, the coordinator's figures (pure parts) and the chart functions."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from kvip.actions import charts, demo, queries, stats
from kvip.actions.models import Action, GapOverride, MaturityRating
from kvip.demo import DemoContext
from kvip.extensions import db
from tests.actions.helpers import Previous
from tests.factories import World


def _ctx(world: World, extra: dict) -> DemoContext:  # type: ignore[type-arg]
    return DemoContext(
        network=world.network,
        institutions=[world.inst_a, world.inst_b],
        units=[world.unit] * 5,  # visited_unit (index 4) = the world's unit
        users=world.users,
        rng=random.Random(7),
        today=date.today(),
        extra=extra,
    )


def test_demo_without_the_previous_cycle_adds_nothing(world: World) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Action))
    demo.populate(_ctx(world, {}))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == before


def test_demo_plans_in_several_states(world: World, prev: Previous) -> None:
    demo.populate(
        _ctx(world, {"previous_cycle": prev.cycle, "previous_visits": {world.unit.id: prev.visit}})
    )
    db.session.commit()
    actions = queries.actions_of(prev.assessment.id)
    statuses = {a.status for a in actions}
    assert len(actions) == 4 and {"done", "dropped"} <= statuses  # 2 findings + 2 own
    assert all(a.dropped_reason for a in actions if a.status == "dropped")
    assert {a.source_kind for a in actions} == {"observation", "manual"}
    # the visited unit keeps done actions for its next visit's team to verify
    assert sum(1 for a in actions if a.status == "done") >= 2
    levels = db.session.scalars(sa.select(MaturityRating.assessment_id)).all()
    assert set(levels) == {prev.assessment.id, world.assessment.id} and len(levels) == 6
    assert db.session.scalar(sa.select(GapOverride.duty)) == "8f"


def test_shares_and_median() -> None:
    assert stats.share(1, 3) == pytest.approx(33.333, rel=1e-3)
    assert stats.share(0, 0) is None
    assert stats.median_days([]) is None
    assert stats.median_days([2.0, 10.0, 4.0]) == 4.0
    assert stats.median_days([1.0, 2.0, 3.0, 10.0]) == 2.5
    start = datetime(2026, 1, 1, 12)
    assert stats.days_between(start, start + timedelta(days=3, hours=12)) == 3.5
    unit = stats.UnitStats(1, "A")
    unit.counts.update({"planned": 2, "in_progress": 1, "done": 1, "verified": 2, "dropped": 2})
    unit.overdue = 2
    assert unit.total == 8 and unit.active == 6
    assert unit.overdue_share == pytest.approx(100 / 3)
    assert unit.verified_share is None  # no next visit yet
    unit.next_visit = True
    assert unit.verified_share == pytest.approx(100 / 3)


def test_overview_query(world: World, prev: Previous) -> None:
    now = datetime(2026, 3, 1)
    db.session.add_all(
        [
            Action(
                assessment_id=prev.assessment.id,
                title="a",
                status="done",
                created_at=now,
                done_at=now + timedelta(days=10),
            ),
            Action(
                assessment_id=prev.assessment.id,
                title="b",
                status="verified",
                created_at=now,
                done_at=now + timedelta(days=30),
            ),
            Action(
                assessment_id=prev.assessment.id,
                title="c",
                status="in_progress",
                deadline=date.today() - timedelta(days=1),
            ),
            Action(assessment_id=prev.assessment.id, title="d", status="dropped"),
        ]
    )
    world.visit.state = "in_progress"  # the next visit has started
    db.session.commit()
    result = stats.overview(prev.cycle)
    (unit,) = result.units
    assert unit.counts == {"planned": 0, "in_progress": 1, "done": 1, "verified": 1, "dropped": 1}
    assert unit.overdue == 1 and unit.median_days_to_done == 20.0
    assert (
        unit.verified_share == pytest.approx(100 / 3)
        and result.verified_share == unit.verified_share
    )


def test_maturity_figure_is_plain_json() -> None:
    points = [
        {"cycle": "2025", "levels": {"leadership": 2, "staff_involvement": 1}},
        {
            "cycle": "2026",
            "levels": {"leadership": 3, "staff_involvement": 2, "user_involvement": 2},
        },
    ]
    fig = charts.maturity_figure(
        points,
        {"leadership": "Ledelse", "staff_involvement": "Ansatte", "user_involvement": "Brukere"},
        {1: "Tilfeldig", 2: "Organisert", 3: "Formalisert", 4: "Forebyggende", 5: "Integrert"},
    )
    assert [t["name"] for t in fig["data"]] == ["Ledelse", "Ansatte", "Brukere"]
    assert fig["data"][2]["y"] == [None, 2] and fig["data"][0]["x"] == ["2025", "2026"]
    assert fig["layout"]["yaxis"]["ticktext"][0] == "1 Tilfeldig"


def test_status_figure_stacks_units() -> None:
    fig = charts.status_figure(
        ["A", "B"], {"planned": [1, 0], "done": [2, 3]}, {"planned": "P", "done": "D"}
    )
    assert fig["layout"]["barmode"] == "stack"
    assert [t["x"] for t in fig["data"]] == [[1, 0], [2, 3]]

"""The demo data of the annual cycle."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from kvip.cycles import demo, queries
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.demo import load_demo
from kvip.extensions import db
from tests.factories import create_edition


def test_demo_without_an_edition_creates_nothing(app: Flask) -> None:
    import dataclasses

    ctx = load_demo()
    assert ctx is not None
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Cycle))
    bare = dataclasses.replace(ctx, extra={})
    demo.populate(bare)
    assert "current_cycle" not in bare.extra
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cycle)) == before


def test_demo_has_a_finished_and_an_open_cycle(app: Flask) -> None:
    ctx = load_demo()
    assert ctx is not None
    ctx.extra["edition"] = create_edition(7, 6)
    demo.populate(ctx)
    previous, current = ctx.extra["previous_cycle"], ctx.extra["current_cycle"]
    assert (previous.state, previous.year) == ("closed", ctx.today.year - 1)
    assert (current.state, current.year) == ("open", ctx.today.year)
    assert ctx.extra["edition"].frozen

    old = db.session.scalars(sa.select(Assessment).where(Assessment.cycle_id == previous.id)).all()
    assert len(old) == 13 and all(a.state == "submitted" for a in old)
    progress = queries.progress_of(old)
    assert all(p.completeness == 100.0 for p, _carried in progress.values())
    # Units differ from each other (unit-level variation) and use every value.
    scores = {
        round(queries.load_assessment(a, with_previous=False).summary.score or 0) for a in old
    }
    assert len(scores) > 5
    values = set(db.session.scalars(sa.select(Rating.value).distinct()))
    assert values == {"met", "partly_met", "not_met", "not_applicable"}

    now = {
        a.unit_id: a
        for a in db.session.scalars(sa.select(Assessment).where(Assessment.cycle_id == current.id))
    }
    assert len(now) == 13
    demo_unit = queries.load_assessment(now[ctx.units[0].id])
    assert demo_unit.assessment.state == "in_progress"
    assert 40 <= demo_unit.progress.completeness <= 60
    assert demo_unit.carried_over > 0
    visited = queries.load_assessment(now[ctx.visited_unit.id])
    assert visited.assessment.state == "submitted" and visited.progress.completeness == 100.0
    states = {a.state for a in now.values()}
    assert states == {"not_started", "in_progress", "submitted"}

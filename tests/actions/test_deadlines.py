"""One deadlines query: the coordinator's "Due soon" (Frister), the network action overview and
the reminders count the same overdue actions (issue 16: Frister said nothing was overdue while
the overview showed 49 % of the actions overdue)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask

from kvip.actions import queries, reminders, stats
from kvip.actions.models import Action
from kvip.cycles.models import Assessment
from kvip.extensions import db
from tests.conftest import login
from tests.factories import World

TODAY = date.today()


def _action(assessment: Assessment, title: str, status: str, deadline: date | None) -> Action:
    action = Action(
        assessment_id=assessment.id,
        title=title,
        status=status,
        deadline=deadline,
        version=1,
    )
    db.session.add(action)
    return action


def _overdue_fixture(world: World) -> None:
    """Both units of the world's cycle: three actions overdue, others that are not."""
    past, future = TODAY - timedelta(days=20), TODAY + timedelta(days=60)
    _action(world.assessment, "Forfalt planlagt", "planned", past)
    _action(world.assessment, "Forfalt i gang", "in_progress", TODAY - timedelta(days=1))
    _action(world.other_assessment, "Forfalt hos den andre", "planned", past)
    _action(world.assessment, "Frist i dag", "planned", TODAY)  # due today: not overdue
    _action(world.assessment, "Ferdig for sent", "done", past)  # done: not overdue
    _action(world.other_assessment, "Droppet", "dropped", past)
    _action(world.other_assessment, "God tid", "in_progress", future)
    db.session.commit()


def test_frister_the_overview_and_the_reminders_agree(app: Flask, world: World) -> None:
    _overdue_fixture(world)
    expected = 3
    # The network overview (page and its numbers).
    overview = stats.overview(world.cycle, TODAY)
    assert overview.totals().overdue == expected
    coordinator = login(app.test_client(), world.users["coordinator"])
    page = coordinator.get(f"/actions/networks/{world.network.id}?cycle={world.cycle.id}").get_data(
        as_text=True
    )
    cells = re.findall(r'<td class="num">(\d+) \(\d+\xa0%\)</td>', page)
    assert sum(int(c) for c in cells) == expected
    # The coordinator's "Frister": the same three, linked to the same overview.
    with app.test_request_context("/"):
        items = reminders.due_items(world.users["coordinator"], TODAY)
        overdue = [r for r in items if r.kind == "actions_overdue"]
        assert len(overdue) == 1 and overdue[0].overdue(TODAY)
        assert overdue[0].count == expected
        assert overdue[0].url.endswith(
            f"/actions/networks/{world.network.id}?cycle={world.cycle.id}"
        )
    frister = coordinator.get("/actions/reminders").get_data(as_text=True)
    assert "3 tiltak har passert fristen" in frister
    assert "Ingenting er forfalt" not in frister
    # A unit's own reminders: their unit's overdue actions, from the same query.
    with app.test_request_context("/"):
        lead_items = reminders.due_items(world.users["lead"], TODAY)
    lead_overdue = sorted(
        r.title for r in lead_items if r.kind == "action_deadline" and r.overdue(TODAY)
    )
    assert lead_overdue == ["Forfalt i gang", "Forfalt planlagt"]
    # And the query itself, which all three start from.
    rows = db.session.execute(queries.deadlines(TODAY)).all()
    assert sorted(r.title for r in rows) == [
        "Forfalt hos den andre",
        "Forfalt i gang",
        "Forfalt planlagt",
    ]
    assert all(r.overdue for r in rows)
    soon = db.session.execute(queries.deadlines(TODAY, until=TODAY + timedelta(days=7))).all()
    assert {r.title for r in soon} == {r.title for r in rows} | {"Frist i dag"}


def test_is_overdue_matches_the_query(world: World) -> None:
    _overdue_fixture(world)
    in_sql = set(db.session.scalars(sa.select(queries.deadlines(TODAY).subquery().c.action_id)))
    in_python = {
        a.id for a in db.session.scalars(sa.select(Action)) if queries.is_overdue(a, TODAY)
    }
    assert in_sql == in_python and len(in_sql) == 3

"""Two coordinators edit the same cycle from the same version; two open it at once: the first
save stays, the second gets a conflict with their typed values kept (issue 12, item 12)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask

from kvip.accounts.models import User
from kvip.core.errors import Conflict
from kvip.cycles import services
from kvip.cycles.models import Cycle
from kvip.extensions import db
from tests.concurrency import both_save, hidden_version, input_value, second_person
from tests.conftest import login
from tests.factories import World


def _form(cycle: Cycle, name: str, closes: date) -> dict[str, str]:
    return {
        "name": name,
        "self_assessment_opens": cycle.self_assessment_opens.isoformat(),
        "self_assessment_closes": closes.isoformat(),
        "visit_window_start": cycle.visit_window_start.isoformat(),
        "visit_window_end": cycle.visit_window_end.isoformat(),
    }


def test_the_second_of_two_coordinators_editing_a_cycle_gets_the_conflict(
    app: Flask, world: World
) -> None:
    cycle = world.cycle
    closes = cycle.self_assessment_closes
    admin = login(app.test_client(), world.users["admin"])
    coordinator = login(app.test_client(), world.users["coordinator"])
    page = both_save(
        admin,
        coordinator,
        f"/cycles/{cycle.id}/edit",
        _form(cycle, "Syklus (admin)", closes + timedelta(days=7)),
        _form(cycle, "Syklus (koordinator)", closes + timedelta(days=14)),
    )
    assert input_value(page, "name") == "Syklus (koordinator)"
    assert input_value(page, "self_assessment_closes") == (closes + timedelta(days=14)).isoformat()
    assert "Syklus (admin)" in page and "Sist endret av Admin" in page
    assert hidden_version(page) == "2"
    db.session.expire_all()
    stored = db.session.get(Cycle, cycle.id)
    assert stored.name == "Syklus (admin)"
    assert stored.self_assessment_closes == closes + timedelta(days=7)


def test_a_cycle_save_that_loses_the_race_is_refused(app: Flask, world: World) -> None:
    def save(actor: User, name: str) -> Cycle:
        cycle = db.session.get(Cycle, world.cycle.id)
        return services.update_cycle(
            actor,
            cycle,
            name=name,
            self_assessment_opens=cycle.self_assessment_opens,
            self_assessment_closes=cycle.self_assessment_closes,
            visit_window_start=cycle.visit_window_start,
            visit_window_end=cycle.visit_window_end,
            version=1,
        )

    with app.test_request_context("/"):
        mine = db.session.get(Cycle, world.cycle.id)
        assert mine.version == 1
        with second_person(app):
            save(db.session.get(User, world.users["admin"].id), "Syklus (admin)")
        with pytest.raises(Conflict):
            save(world.users["coordinator"], "Syklus (koordinator)")
    db.session.expire_all()
    assert db.session.get(Cycle, world.cycle.id).name == "Syklus (admin)"


def test_two_coordinators_closing_one_cycle_at_once_close_it_once(app: Flask, world: World) -> None:
    with app.test_request_context("/"):
        mine = db.session.get(Cycle, world.cycle.id)
        assert mine.state == "open"
        with second_person(app):
            services.close_cycle(
                db.session.get(User, world.users["admin"].id),
                db.session.get(Cycle, world.cycle.id),
            )
        with pytest.raises(Conflict):
            services.close_cycle(world.users["coordinator"], mine)
    db.session.expire_all()
    assert db.session.get(Cycle, world.cycle.id).state == "closed"

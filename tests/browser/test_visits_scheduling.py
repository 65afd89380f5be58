"""On a tablet: the unit lead proposes three dates for the visit, the coordinator picks one, the
visit is scheduled with that date and offers its calendar invitation; the coordinator's
calendar shows it. Every page is checked with axe-core."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect

from kvip.core.models import OutboxEmail
from kvip.extensions import db
from kvip.visits.models import Visit
from tests.browser.conftest import screenshot, serious_violations, sign_in
from tests.factories import PASSWORD, World, build_world


@pytest.fixture
def planned(app: Flask) -> World:
    """The world's visit planned, without a date, its lead reviewer on the team."""
    world = build_world()
    world.visit.state, world.visit.date = "planned", None
    db.session.commit()
    return world


def test_unit_proposes_dates_and_coordinator_picks_one(  # type: ignore[no-untyped-def]
    planned: World, live_server: str, page
) -> None:
    world = planned
    start = world.cycle.visit_window_start
    assert start is not None
    dates = [start + timedelta(days=d) for d in (3, 8, 15)]

    sign_in(page, live_server, world.users["lead"].email, PASSWORD)
    page.goto(f"{live_server}/visits/{world.visit.id}/schedule")
    expect(page.get_by_role("heading", name="Foreslå datoer")).to_be_visible()
    # A date outside the window is refused with a message beside the field.
    outside = world.cycle.visit_window_end + timedelta(days=3)  # type: ignore[operator]
    page.get_by_label("Dato 1").fill(outside.isoformat())
    page.get_by_role("button", name="Send forslaget").click()
    page.wait_for_load_state()
    expect(page.locator("#date_1-error")).to_contain_text("utenfor syklusens besøksperiode")
    assert serious_violations(page) == []
    screenshot(page, "visits-schedule-error-ipad")
    for index, value in enumerate(dates, start=1):
        page.get_by_label(f"Dato {index}").fill(value.isoformat())
    page.get_by_label("Merknad til den andre parten").fill("Helst ikke mandag")
    page.get_by_role("button", name="Send forslaget").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Datoene er foreslått")).to_be_visible()
    expect(page.get_by_text("Venter på at koordinatoren velger én.")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "visits-schedule-proposed-ipad")
    page.get_by_role("button", name="Logg ut").click()
    page.wait_for_url("**/login")

    sign_in(page, live_server, world.users["coordinator"].email, PASSWORD)
    page.goto(f"{live_server}/visits/{world.visit.id}/schedule")
    expect(page.get_by_text("Helst ikke mandag")).to_be_visible()
    radios = page.get_by_role("radio")
    expect(radios).to_have_count(3)
    radios.nth(1).check()
    assert serious_violations(page) == []
    screenshot(page, "visits-schedule-pick-ipad")
    page.get_by_role("button", name="Velg denne datoen").click()
    page.wait_for_load_state()
    expect(
        page.get_by_text("Teamet og enheten har fått tilsendt kalenderinvitasjonen")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Legg i kalenderen min (.ics)")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "visits-schedule-picked-ipad")

    db.session.expire_all()
    visit = db.session.get(Visit, world.visit.id)
    assert visit is not None and visit.date == dates[1] and visit.state == "scheduled"
    told = db.session.scalars(
        sa.select(OutboxEmail.to).where(OutboxEmail.subject.contains("besøket"))
    ).all()
    assert "reviewer@example.test" in told and "lead@example.test" in told

    page.goto(f"{live_server}/visits/networks/{world.network.id}/calendar")
    page.goto(f"{live_server}/visits/networks/{world.network.id}/calendar?month={dates[1]:%Y-%m}")
    cell = page.locator(f'td:has(time[datetime="{dates[1].isoformat()}"])')
    expect(cell.get_by_role("link", name="Enhet Alfa")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "visits-calendar-ipad")

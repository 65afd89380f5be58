"""On a tablet: the coordinator reopens a completed visit with a reason, the lead reviewer
completes it again, and the report the unit has seen says it is kept as it was."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect

from kvip.core.db import utcnow
from kvip.extensions import db
from kvip.visits import reports
from kvip.visits.models import Finding
from tests.browser.conftest import screenshot, serious_violations, sign_in
from tests.factories import PASSWORD, World, build_world, standards_of

REASON = "Teamet vurderte 1.2 feil"


@pytest.fixture
def completed(app: Flask) -> World:
    """The world's visit completed with every standard rated and its report shared."""
    world = build_world()
    rated = set(
        db.session.scalars(sa.select(Finding.standard_id).where(Finding.visit_id == world.visit.id))
    )
    db.session.execute(
        sa.update(Finding).where(Finding.visit_id == world.visit.id).values(value="met")
    )
    for std in standards_of(world.edition):
        if std.id in rated:
            continue
        db.session.add(
            Finding(
                visit_id=world.visit.id,
                standard_id=std.id,
                value="met",
                updated_by_id=world.users["reviewer"].id,
            )
        )
    world.visit.state = "completed"
    world.visit.completed_at = utcnow()
    world.report.state = "shared_with_unit"
    world.report.shared_at = utcnow()
    db.session.flush()
    with app.test_request_context("/"):
        reports.regenerate(world.report)
    db.session.commit()
    return world


def test_coordinator_reopens_and_the_lead_completes_again(  # type: ignore[no-untyped-def]
    completed: World, live_server: str, page
) -> None:
    world = completed
    sign_in(page, live_server, world.users["coordinator"].email, PASSWORD)
    page.goto(f"{live_server}/visits/{world.visit.id}")
    page.get_by_text("Gjenåpne besøket", exact=True).first.click()  # the disclosure
    button = page.get_by_role("button", name="Gjenåpne besøket")
    button.click()
    page.wait_for_load_state()
    expect(page.get_by_text("Skriv hvorfor besøket åpnes igjen.").first).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "visits-reopen-error-ipad")
    page.get_by_label("Hvorfor åpnes besøket igjen?").fill(REASON)
    page.get_by_role("button", name="Gjenåpne besøket").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Besøket er åpnet igjen")).to_be_visible()
    assert page.locator(".state-badge").first.inner_text() == "Pågår"
    assert page.get_by_role("button", name="Gjenåpne besøket").count() == 0
    assert serious_violations(page) == []
    screenshot(page, "visits-reopened-ipad")
    page.get_by_role("button", name="Logg ut").click()
    page.wait_for_url("**/login")

    sign_in(page, live_server, world.users["reviewer"].email, PASSWORD)
    page.goto(f"{live_server}/visits/{world.visit.id}/report")
    expect(page.get_by_text("Besøket er åpnet igjen, og teamet reviderer funnene.")).to_be_visible()
    assert page.get_by_role("button", name="Gjør rapporten endelig").count() == 0
    page.goto(f"{live_server}/visits/{world.visit.id}")
    page.get_by_role("button", name="Avslutt besøket").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Besøket er avsluttet igjen.")).to_be_visible()
    assert page.locator(".state-badge").first.inner_text() == "Gjennomført"
    screenshot(page, "visits-completed-again-ipad")

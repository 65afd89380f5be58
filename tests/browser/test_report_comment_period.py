"""On a tablet (issue 18): the lead reviewer cannot make a report final while the unit's comment
period runs; a coordinator makes an exception with a reason, and then the lead reviewer can."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect

from kvip.core.db import utcnow
from kvip.core.models import AuditEvent
from kvip.extensions import db
from kvip.visits import reports
from kvip.visits.models import Finding, Report
from tests.browser.conftest import screenshot, serious_violations, sign_in
from tests.factories import PASSWORD, World, build_world, standards_of

REASON = "Enheten har bekreftet i møte at faktaene stemmer."


@pytest.fixture
def shared(app: Flask) -> World:
    """The world's visit completed, every standard rated, its report shared with the unit today."""
    world = build_world()
    rated = set(
        db.session.scalars(sa.select(Finding.standard_id).where(Finding.visit_id == world.visit.id))
    )
    for std in standards_of(world.edition):
        if std.id not in rated:
            db.session.add(Finding(visit_id=world.visit.id, standard_id=std.id, value="met"))
    world.visit.state = "completed"
    world.visit.completed_at = utcnow()
    world.report.state = "shared_with_unit"
    world.report.shared_at = utcnow()
    db.session.flush()
    with app.test_request_context("/"):
        reports.regenerate(world.report)
    db.session.commit()
    return world


def test_final_only_after_the_comment_period_or_with_an_override(  # type: ignore[no-untyped-def]
    shared: World, live_server: str, page
) -> None:
    world = shared
    url = f"{live_server}/visits/{world.visit.id}/report"
    sign_in(page, live_server, world.users["reviewer"].email, PASSWORD)
    page.goto(url)
    expect(page.get_by_text("Enheten kan kommentere rapporten til og med")).to_be_visible()
    expect(page.get_by_role("button", name="Gjør rapporten endelig")).to_be_disabled()
    assert page.locator("#period-override").count() == 0  # the lead reviewer cannot lift it
    assert serious_violations(page) == []
    screenshot(page, "report-comment-period-ipad")
    page.get_by_role("button", name="Logg ut").click()
    page.wait_for_url("**/login")

    sign_in(page, live_server, world.users["coordinator"].email, PASSWORD)
    page.goto(url)
    reason = page.get_by_label("Begrunnelse for unntaket (lagres i revisjonsloggen)")
    allow = page.get_by_role("button", name="Tillat å gjøre rapporten endelig nå")
    allow.click()  # no reason: the browser asks for one, nothing is sent
    assert reason.evaluate("el => el.validity.valueMissing") is True
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "override")
        )
        == 0
    )
    reason.fill(REASON)
    allow.click()
    page.wait_for_load_state()
    expect(page.get_by_text("Teamlederen kan nå gjøre rapporten endelig.")).to_be_visible()
    expect(page.get_by_text(f"Unntak gjort av en koordinator: {REASON}")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "report-comment-period-override-ipad")
    page.get_by_role("button", name="Logg ut").click()
    page.wait_for_url("**/login")

    sign_in(page, live_server, world.users["reviewer"].email, PASSWORD)
    page.goto(url)
    page.get_by_role("button", name="Gjør rapporten endelig").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Rapporten er endelig.")).to_be_visible()
    db.session.expire_all()
    report = db.session.get(Report, world.report.id)
    assert report is not None and report.state == "final"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "override"))
    assert event is not None and event.note == REASON
    assert serious_violations(page) == []
    screenshot(page, "report-final-after-override-ipad")

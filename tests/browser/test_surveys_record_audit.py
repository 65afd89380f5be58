"""The visit team's record audit on a tablet without a network: the page, opened once online,
opens again offline; answers saved offline wait on the tablet (and survive a reload) and
arrive on the server once when the network is back; the visit screens then show them.
axe-clean pages, screenshots under KVIP_SCREENSHOTS."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect

from kvip.extensions import db
from kvip.surveys.models import RecordAuditEntry
from tests.browser.conftest import screenshot, serious_violations, sign_in
from tests.factories import PASSWORD, World, build_world
from tests.surveys.record_world import add_record_audit


@pytest.fixture
def world(app: Flask) -> World:
    built = build_world()
    add_record_audit(built.assessment.cycle.edition_id)
    return built


def _entries() -> list[tuple[str, int, int]]:
    db.session.rollback()
    return sorted(
        (e.source, e.record_number, e.value)
        for e in db.session.scalars(sa.select(RecordAuditEntry))
    )


def test_visit_team_audits_records_offline(world: World, live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    base = live_server
    url = f"{base}/surveys/visits/{world.visit.id}/records"
    sign_in(page, base, world.users["reviewer"].email, PASSWORD)
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Journalgjennomgang")
    # Opened online once: the page and its assets are stored on the tablet.
    expect(page.locator("[data-records][data-stored='true']")).to_have_count(1, timeout=15000)
    assert serious_violations(page) == []
    screenshot(page, "surveys-record-audit-online")

    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Journalgjennomgang")
    # Each select is named by its column and row: "Journal 2 R1 Plan finnes."
    page.get_by_role("combobox", name="Journal 1 R1 Plan finnes.").select_option("yes")
    page.get_by_role("combobox", name="Journal 2 R1 Plan finnes.").select_option("no")
    page.get_by_role("combobox", name="Journal 3 R1 Plan finnes.").select_option("not_applicable")
    page.get_by_role("combobox", name="Journal 1 R2 Mål står.").select_option("yes")
    page.get_by_role("button", name="Lagre journalgjennomgangen").click()
    status = page.locator("[data-records-status]")
    expect(status).to_have_text("Lagret på nettbrettet, venter på å bli sendt: 1")
    assert _entries() == []
    # Still offline, the page opens again with the answers waiting on the tablet.
    page.reload()
    expect(status).to_have_text("Lagret på nettbrettet, venter på å bli sendt: 1")
    expect(page.locator("select[name='r-R1-2']")).to_have_value("no")
    assert serious_violations(page) == []
    screenshot(page, "surveys-record-audit-offline")

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_have_text("Alle svar er sendt.", timeout=15000)
    assert _entries() == [("visit", 1, 2), ("visit", 1, 2), ("visit", 2, 1), ("visit", 3, 0)]

    # The visit screens show it: the overview's section and the counts on the page.
    page.goto(f"{base}/visits/{world.visit.id}")
    expect(page.get_by_text("Journalgjennomgang (besøksteamet)").first).to_be_visible()
    page.goto(url)
    expect(page.get_by_text("1 av 2 journaler").first).to_be_visible()
    screenshot(page, "surveys-record-audit-results")

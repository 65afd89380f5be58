"""A coordinator filters the change history by a date range and downloads it as CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from flask import Flask
from playwright.sync_api import expect

from kvip.core.models import AuditEvent
from kvip.extensions import db
from tests.browser.conftest import DESKTOP, screenshot, serious_violations, sign_in
from tests.factories import PASSWORD, World, build_world


def _seed(world: World) -> None:
    """Rating changes on 1, 10, 11 and 20 March 2026 (noon, Oslo time), by the unit lead."""
    for day, value in ((1, "met"), (10, "partly_met"), (11, "not_met"), (20, "met")):
        db.session.add(
            AuditEvent(
                at=datetime(2026, 3, day, 11, 0),
                user_id=world.users["lead"].id,
                network_id=world.network.id,
                unit_id=world.unit.id,
                entity="rating",
                entity_id=100 + day,
                action="update",
                field="value",
                old="not_met",
                new=value,
                note=f"Endring {day}. mars",
            )
        )
    db.session.commit()


def test_coordinator_filters_by_dates_and_downloads_csv(
    app: Flask,
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    world = build_world()
    _seed(world)
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "coord@example.test", PASSWORD)
    page.goto(f"{live_server}/networks/{world.network.id}/audit")
    assert page.get_by_role("status").first.inner_text().startswith("4 endringer passer.")
    page.get_by_label("Fra dato").fill("2026-03-10")
    page.get_by_label("Til og med dato").fill("2026-03-11")
    page.get_by_label("Hva").select_option(label="Vurdering")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url("**from=2026-03-10**")
    assert "to=2026-03-11" in page.url and "entity=rating" in page.url
    table = page.get_by_role("region", name="Endringshistorikk").get_by_role("table")
    notes = table.locator("tbody tr").all_inner_texts()
    assert len(notes) == 2
    assert "Endring 11. mars" in notes[0] and "Endring 10. mars" in notes[1]
    expect(page.get_by_text("2 endringer passer.")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "audit-log-filtered-desktop")

    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").click()
    download = info.value
    assert download.suggested_filename.startswith(f"kvip-audit-{world.network.slug}-")
    assert download.suggested_filename.endswith(".csv")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Tidspunkt (Europe/Oslo)"
    assert [(r[0], r[1], r[3], r[8], r[10]) for r in rows[1:]] == [
        ("2026-03-11 12:00:00", "Lead", "Vurdering", "not_met", "Endring 11. mars"),
        ("2026-03-10 12:00:00", "Lead", "Vurdering", "partly_met", "Endring 10. mars"),
    ]

    # The download is in the history now, with the filters it used.
    page.goto(f"{live_server}/networks/{world.network.id}/audit?entity=audit")
    logged = page.get_by_role("region", name="Endringshistorikk").locator("tbody tr")
    assert logged.count() == 1
    text = logged.first.inner_text()
    assert "Eksportert" in text and "entity=rating; from=2026-03-10; to=2026-03-11" in text

    # A reversed range is explained, on the page, in Norwegian.
    page.goto(f"{live_server}/networks/{world.network.id}/audit")
    page.get_by_label("Fra dato").fill("2026-03-12")
    page.get_by_label("Til og med dato").fill("2026-03-11")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").inner_text().endswith("Sluttdatoen er før startdatoen.")
    assert serious_violations(page) == []
    screenshot(page, "audit-log-bad-range-desktop")

"""An administrator finds the failed sign-ins of a date range in the platform's change history
and downloads them as CSV."""

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
    """Session events of the lead on 1, 10, 11 and 20 March 2026 (noon, Oslo time): failed
    sign-ins from three addresses and one sign-in; and a rating change in the network."""
    lead = world.users["lead"].id
    for day, action, address in (
        (1, "sign_in_failed", "198.51.100.1"),
        (10, "sign_in_failed", "198.51.100.10"),
        (10, "sign_in", "10.0.0.5"),
        (11, "sign_in_failed", "198.51.100.11"),
        (20, "sign_in_failed", "198.51.100.20"),
    ):
        db.session.add(
            AuditEvent(
                at=datetime(2026, 3, day, 11, 0),
                user_id=lead,
                entity="session",
                entity_id=lead,
                action=action,
                note=f"address={address}; agent=Firefox/125.0",
            )
        )
    db.session.add(
        AuditEvent(
            at=datetime(2026, 3, 10, 11, 30),
            user_id=lead,
            network_id=world.network.id,
            unit_id=world.unit.id,
            entity="rating",
            entity_id=7,
            action="update",
            field="value",
            new="met",
        )
    )
    db.session.commit()


def test_admin_filters_failed_sign_ins_by_dates_and_downloads_csv(
    app: Flask,
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    world = build_world()
    _seed(world)
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "admin@example.test", PASSWORD)
    page.get_by_role("navigation", name="Hovedmeny").get_by_role(
        "link", name="Endringshistorikk"
    ).click()
    page.wait_for_url(f"{live_server}/admin/audit")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Endringshistorikk for hele plattformen"
    )
    page.get_by_label("Nettverk").select_option(label="Bare plattformen (uten nettverk)")
    page.get_by_label("Handling").select_option(label="Mislykket innlogging")
    page.get_by_label("Fra dato").fill("2026-03-10")
    page.get_by_label("Til og med dato").fill("2026-03-11")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url("**action=sign_in_failed**")
    assert "network=platform" in page.url and "from=2026-03-10" in page.url
    table = page.get_by_role("region", name="Endringshistorikk").get_by_role("table")
    rows = table.locator("tbody tr").all_inner_texts()
    assert len(rows) == 2
    assert "address=198.51.100.11" in rows[0] and "address=198.51.100.10" in rows[1]
    assert all("Mislykket innlogging" in r and "(plattform)" in r for r in rows)
    expect(page.get_by_text("2 endringer passer.")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "platform-audit-failed-sign-ins-desktop")

    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("kvip-audit-platform-")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    lines = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert lines[0][-1] == "Nettverk"
    assert [(r[0], r[1], r[5], r[10], r[11]) for r in lines[1:]] == [
        (
            "2026-03-11 12:00:00",
            "Lead",
            "Mislykket innlogging",
            "address=198.51.100.11; agent=Firefox/125.0",
            "(plattform)",
        ),
        (
            "2026-03-10 12:00:00",
            "Lead",
            "Mislykket innlogging",
            "address=198.51.100.10; agent=Firefox/125.0",
            "(plattform)",
        ),
    ]

    # The admin's own sign-in through the form is in the log, with the browser's address.
    page.goto(f"{live_server}/admin/audit?action=sign_in&who=admin@example.test")
    own = page.get_by_role("region", name="Endringshistorikk").locator("tbody tr")
    assert own.count() == 1
    assert "address=127.0.0.1" in own.first.inner_text()
    assert serious_violations(page) == []

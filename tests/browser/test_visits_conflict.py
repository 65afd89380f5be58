"""Two tablets edit the same findings offline; the second to reconnect sees the server's and
its own version side by side and chooses. Nothing is lost or silently overwritten."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect

from kvip.extensions import db
from kvip.visits.models import Finding
from tests.browser.conftest import SHOTS, serious_violations
from tests.visits.tablet_world import TabletWorld, build_tablet_world, card, open_visit_mode


@pytest.fixture
def tablet(app: Flask) -> TabletWorld:
    return build_tablet_world()


def _finding(world: TabletWorld, code: str) -> Finding | None:
    db.session.rollback()
    db.session.expire_all()
    for f in db.session.scalars(sa.select(Finding).where(Finding.visit_id == world.visit.id)):
        if f.standard.code == code:
            return f
    return None


def test_two_tablets_edit_one_finding_offline_and_the_reviewer_chooses(
    tablet: TabletWorld,
    live_server: str,
    browser: Any,
    browser_context_args: dict[str, Any],
) -> None:
    first_code, second_code = tablet.codes[0], tablet.codes[1]
    lead_ctx = browser.new_context(**browser_context_args)
    peer_ctx = browser.new_context(**browser_context_args)
    try:
        lead = lead_ctx.new_page()
        peer = peer_ctx.new_page()
        open_visit_mode(lead, live_server, tablet, tablet.lead.email)
        open_visit_mode(peer, live_server, tablet, tablet.peer.email)
        lead_ctx.set_offline(True)
        peer_ctx.set_offline(True)

        card(lead, first_code).locator("label.v-met").click()
        card(lead, first_code).get_by_label(f"Teamets kommentar til {first_code}").fill(
            "Rutinen er kjent"
        )
        card(lead, first_code).get_by_label(f"Teamets kommentar til {first_code}").blur()
        card(lead, second_code).locator("label.v-met").click()
        card(peer, first_code).locator("label.v-not_met").click()
        card(peer, first_code).get_by_label(f"Teamets kommentar til {first_code}").fill(
            "Ingen skriftlig rutine"
        )
        card(peer, first_code).get_by_label(f"Teamets kommentar til {first_code}").blur()
        card(peer, second_code).locator("label.v-partly_met").click()
        expect(lead.locator("#queue-state")).to_have_text("2 endringer venter på å bli sendt")
        expect(peer.locator("#queue-state")).to_have_text("2 endringer venter på å bli sendt")

        lead_ctx.set_offline(False)
        expect(lead.locator("#queue-state")).to_contain_text(
            "Alle endringer er lagret", timeout=30000
        )
        saved = _finding(tablet, first_code)
        assert saved is not None and (saved.value, saved.version) == ("met", 1)

        peer_ctx.set_offline(False)
        problems = peer.locator("#problems")
        expect(problems).to_be_visible(timeout=30000)
        expect(problems).to_contain_text(f"Standard {first_code}")
        expect(problems).to_contain_text(f"Standard {second_code}")
        # Nothing was overwritten on the server, nothing was dropped on the tablet.
        assert _finding(tablet, first_code).value == "met"  # type: ignore[union-attr]
        expect(peer.locator("#queue-state")).to_have_text("2 endringer venter på å bli sendt")

        problems.get_by_role("button", name=f"Velg versjon: Standard {first_code}").click()
        dialog = peer.locator("#conflict-dialog")
        expect(dialog).to_be_visible()
        versions = dialog.locator(".version-box")
        expect(versions.nth(0)).to_contain_text("På serveren")
        expect(versions.nth(0)).to_contain_text("Oppfylt")
        expect(versions.nth(0)).to_contain_text("Rutinen er kjent")
        expect(versions.nth(0)).to_contain_text(tablet.lead.name)
        expect(versions.nth(1)).to_contain_text("På dette nettbrettet")
        expect(versions.nth(1)).to_contain_text("Ikke oppfylt")
        expect(versions.nth(1)).to_contain_text("Ingen skriftlig rutine")
        assert serious_violations(peer) == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        peer.screenshot(path=str(SHOTS / "visits-conflict-dialog-ipad.png"))
        dialog.get_by_role("button", name="Behold dette nettbrettets versjon").click()
        expect(dialog).to_be_hidden()

        problems.get_by_role("button", name=f"Velg versjon: Standard {second_code}").click()
        dialog.get_by_role("button", name="Behold serverens versjon").click()
        expect(peer.locator("#queue-state")).to_contain_text(
            "Alle endringer er lagret", timeout=30000
        )
        expect(problems).to_be_hidden()
        # The tablet shows what the server now has.
        expect(card(peer, second_code).locator("input[value='met']")).to_be_checked()
        expect(card(peer, first_code).locator("input[value='not_met']")).to_be_checked()

        kept = _finding(tablet, first_code)
        assert kept is not None
        assert (kept.value, kept.comment, kept.version) == ("not_met", "Ingen skriftlig rutine", 2)
        assert kept.updated_by_id == tablet.peer.id
        assert kept.disputed is True  # the lead reviewer settles it during consolidation
        untouched = _finding(tablet, second_code)
        assert untouched is not None and (untouched.value, untouched.version) == ("met", 1)

        lead.goto(f"{live_server}/visits/{tablet.visit.id}/consolidate?show=open")
        row = lead.locator(f"tr[id='std-{first_code}']")
        expect(row).to_contain_text("konflikt")
        row.get_by_label(f"Teamets funn for {first_code}").select_option("partly_met")
        row.get_by_role("button", name="Avgjør").click()
        expect(lead.get_by_text(f"Teamets funn for {first_code} er lagret.")).to_be_visible()
        resolved = _finding(tablet, first_code)
        assert resolved is not None and resolved.disputed is False
        assert (resolved.value, resolved.version) == ("partly_met", 3)
        assert serious_violations(lead) == []
    finally:
        lead_ctx.close()
        peer_ctx.close()

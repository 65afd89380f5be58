"""Visit mode on an iPad with the network gone: prepare, record 30 findings and 3 observations
offline, reload offline, reconnect, and everything arrives on the server exactly once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect

from kvip.core.models import AuditEvent
from kvip.extensions import db
from kvip.visits.models import AppliedOperation, Observation
from tests.browser.conftest import IPAD_LANDSCAPE, screenshot, serious_violations
from tests.visits.tablet_world import (
    SELF_VALUES,
    TabletWorld,
    build_tablet_world,
    card,
    open_visit_mode,
    server_findings,
)

VALUES = {"met": "Oppfylt", "partly_met": "Delvis oppfylt", "not_met": "Ikke oppfylt"}


@pytest.fixture
def tablet(app: Flask) -> TabletWorld:
    return build_tablet_world()


def test_offline_visit_arrives_once(tablet: TabletWorld, live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    open_visit_mode(page, live_server, tablet, tablet.lead.email)
    assert serious_violations(page) == []
    screenshot(page, "visits-mode-ipad-portrait")

    page.context.set_offline(True)
    expect(page.locator("#net-state")).to_have_text("Frakoblet")
    expected: dict[str, tuple[str, str]] = {}
    cycle = list(VALUES)
    for domain in ("1", "2", "3"):
        page.locator(f"#domain-tabs button[data-domain='{domain}']").click()
        codes = [c for c in tablet.codes if c.startswith(f"{domain}.")][:10]
        for index, code in enumerate(codes):
            box = card(page, code)
            if index % 4 == 0:
                box.get_by_role("button", name="Enig i egenvurderingen").click()
                value = SELF_VALUES[tablet.codes.index(code) % len(SELF_VALUES)]
            else:
                value = cycle[index % 3]
                box.locator(f"label.v-{value}").click()
            comment = ""
            if index % 5 == 0:
                comment = f"Teamet så rutinen for {code}"
                box.get_by_label(f"Teamets kommentar til {code}").fill(comment)
                box.get_by_label(f"Teamets kommentar til {code}").blur()
            expected[code] = (value, comment)
            expect(box.locator(".sync-state")).to_have_text(
                "Lagret på nettbrettet, venter på å bli sendt"
            )
        expect(
            page.locator(f"#domain-tabs button[data-domain='{domain}'] .tab-progress")
        ).to_have_text("10/12")
        kind = {"1": "God praksis", "2": "Forbedringsområde", "3": "Anbefaling"}[domain]
        page.get_by_role("button", name="Legg til observasjon", exact=True).click()
        page.locator("#obs-form label", has_text=kind).click()
        page.get_by_label("Tekst", exact=True).fill(f"Observasjon i område {domain}")
        page.locator("#obs-form .obs-standards label", has_text=f"{domain}.2").first.click()
        page.get_by_role("button", name="Lagre observasjon").click()
        expect(page.locator("#obs-list")).to_contain_text(f"Observasjon i område {domain}")
    assert len(expected) == 30
    expect(page.locator("#queue-state")).to_have_text("33 endringer venter på å bli sendt")
    assert serious_violations(page) == []
    assert server_findings(tablet) == {}  # truly offline: nothing reached the server

    # A reload with the network gone: the page comes from the tablet, changes from IndexedDB.
    page.reload()
    expect(page.locator("article.std-card").first).to_be_visible()
    expect(page.locator("#queue-state")).to_have_text("33 endringer venter på å bli sendt")
    expect(page.locator("#net-state")).to_have_text("Frakoblet")
    page.locator("#domain-tabs button[data-domain='1']").click()
    first = tablet.codes[1]
    expect(card(page, first).locator(f"input[value='{expected[first][0]}']")).to_be_checked()
    page.locator("#domain-tabs button[data-domain='3']").click()
    expect(page.locator("#obs-list")).to_contain_text("Observasjon i område 3")
    page.set_viewport_size(IPAD_LANDSCAPE)
    screenshot(page, "visits-mode-ipad-landscape-offline")

    page.context.set_offline(False)
    expect(page.locator("#queue-state")).to_contain_text(
        "Alle endringer er lagret på serveren", timeout=30000
    )
    expect(page.locator("#net-state")).to_have_text("Tilkoblet")

    found = server_findings(tablet)
    assert {code: (f.value, f.comment) for code, f in found.items()} == expected
    assert all(f.version == 1 and f.updated_by_id == tablet.lead.id for f in found.values())
    creates = db.session.scalars(
        sa.select(AuditEvent.entity_id).where(
            AuditEvent.entity == "finding", AuditEvent.field == "value"
        )
    ).all()
    assert sorted(creates) == sorted(f.id for f in found.values())  # each applied once
    observations = db.session.scalars(
        sa.select(Observation).where(Observation.visit_id == tablet.visit.id)
    ).all()
    assert sorted(o.text for o in observations) == [
        "Observasjon i område 1",
        "Observasjon i område 2",
        "Observasjon i område 3",
    ]
    assert {o.kind for o in observations} == {"good_practice", "improvement", "recommendation"}
    assert all(o.version == 1 and len(o.standards) == 1 for o in observations)
    assert db.session.scalar(sa.select(sa.func.count(AppliedOperation.id))) == 33
    db.session.refresh(tablet.visit)
    assert tablet.visit.state == "in_progress"

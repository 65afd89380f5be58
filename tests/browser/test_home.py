"""Each role's home on an iPad in portrait and landscape: what to do now, links, axe clean, no
sideways scrolling; the reviewer sees whether this tablet has the visit prepared."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from kvip.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot, serious_violations, sign_in

VIEWPORTS = [{"width": 810, "height": 1080}, {"width": 1080, "height": 810}]  # iPad (10.2")

# (login, the heading of the role's "what to do now" panel)
ROLES = [
    ("lead@demo.kvip", "Egenvurdering"),
    ("member@demo.kvip", "Egenvurdering"),
    ("reviewer@demo.kvip", "Dine besøk"),
    ("coordinator@demo.kvip", "Status for"),
    ("admin@demo.kvip", "Systemstatus"),
]


def _no_sideways_scroll(page: Any) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=["portrait", "landscape"])
@pytest.mark.parametrize("email,text", ROLES, ids=[e.split("@")[0] for e, _t in ROLES])
def test_home_of_each_role_on_a_tablet(  # type: ignore[no-untyped-def]
    demo: None, live_server: str, page, viewport, email, text
) -> None:
    page.set_viewport_size(viewport)
    sign_in(page, live_server, email, DEMO_PASSWORD)
    panels = page.locator(".home-panels")
    expect(panels).to_be_visible()
    expect(panels.get_by_text(text).first).to_be_visible()
    _no_sideways_scroll(page)
    assert serious_violations(page) == []
    who = email.split("@")[0]
    screenshot(page, f"home-{who}-{viewport['width']}")


def test_unit_lead_home_links_to_the_self_assessment(demo: None, live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "lead@demo.kvip", DEMO_PASSWORD)
    unit = page.locator(".home-unit").first
    rated = unit.locator('[data-count="rated"]').inner_text()
    unit.locator('[data-home="assessment"]').click()
    expect(page.locator("#sa-count")).to_have_text(rated)


def test_coordinator_pipeline_step_leads_to_its_units(demo: None, live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "coordinator@demo.kvip", DEMO_PASSWORD)
    step = page.locator(".pipeline .step.has-units a").first
    n = int(step.locator(".step-n").inner_text())
    label = step.locator(".step-label").inner_text()
    step.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(label)
    assert page.locator("main .todo > li, .todo > li").count() == n


def test_reviewer_sees_whether_this_tablet_has_the_visit_prepared(  # type: ignore[no-untyped-def]
    demo: None, live_server: str, page
) -> None:
    sign_in(page, live_server, "reviewer@demo.kvip", DEMO_PASSWORD)
    prep = page.locator("[data-prep]").first
    expect(prep.locator("[data-prep-state]")).to_contain_text("Nei")
    visit_id = int(prep.get_attribute("data-prep") or "0")
    # What visit mode's "prepare this tablet" stores (static/js/visits-store.js).
    page.evaluate(
        """async (id) => {
          const store = await import('/static/js/visits-store.js');
          await store.savePack(id, {}, { prepared: true });
        }""",
        visit_id,
    )
    page.reload()
    prep = page.locator(f'[data-prep="{visit_id}"]')
    expect(prep.locator("[data-prep-state]")).to_have_text("Ja")
    assert serious_violations(page) == []
    screenshot(page, "home-reviewer-prepared")

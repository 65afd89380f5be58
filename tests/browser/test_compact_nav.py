"""The compact main navigation: one header row on a tablet in portrait, a "Meny" button opens it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from kvip.demo import DEMO_PASSWORD
from tests.browser.conftest import DESKTOP, screenshot, serious_violations, sign_in

PORTRAIT = [{"width": 768, "height": 1024}, {"width": 810, "height": 1080}]

# (login, a link only that role has in the main navigation, the page heading it leads to)
ROLES = [
    ("coordinator@demo.kvip", "Besøk", "Besøk"),
    ("member@demo.kvip", "Egenvurdering", "Egenvurdering"),
]


def _box(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return box


def _one_row(page: Any) -> None:
    """Brand, menu button and sign-out button sit side by side in a header no taller than a row."""
    header = _box(page.locator(".site-header"))
    brand = _box(page.get_by_role("link", name="KvIP", exact=True))
    toggle = _box(page.get_by_role("button", name="Meny"))
    sign_out = _box(page.get_by_role("button", name="Logg ut"))
    centres = [b["y"] + b["height"] / 2 for b in (brand, toggle, sign_out)]
    assert max(centres) - min(centres) < 10, centres
    assert header["height"] < 2 * toggle["height"], header


@pytest.mark.parametrize("viewport", PORTRAIT, ids=["768", "810"])
@pytest.mark.parametrize("email,link,heading", ROLES, ids=["coordinator", "member"])
def test_menu_button_opens_the_navigation_on_a_tablet_in_portrait(  # type: ignore[no-untyped-def]
    demo: None, live_server: str, page, viewport, email, link, heading
) -> None:
    page.set_viewport_size(viewport)
    sign_in(page, live_server, email, DEMO_PASSWORD)
    who = email.split("@")[0]
    toggle = page.get_by_role("button", name="Meny")
    nav = page.get_by_role("navigation", name="Hovedmeny", include_hidden=True)
    target = nav.get_by_role("link", name=link, include_hidden=True)

    assert toggle.get_attribute("aria-expanded") == "false"
    assert toggle.get_attribute("aria-controls") == nav.get_attribute("id")
    assert target.count() == 1
    expect(target).not_to_be_visible()
    _one_row(page)
    assert serious_violations(page) == []
    screenshot(page, f"nav-{who}-{viewport['width']}-closed")

    before = _box(toggle)
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    expect(target).to_be_visible()
    expect(nav.get_by_role("link", name="Standarder")).to_be_visible()
    assert _box(toggle) == before  # the button itself does not move when the menu opens
    assert serious_violations(page) == []
    screenshot(page, f"nav-{who}-{viewport['width']}-open")

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false"
    expect(target).not_to_be_visible()

    toggle.click()
    target.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith(heading)
    # A new page starts with the menu closed again.
    assert page.get_by_role("button", name="Meny").get_attribute("aria-expanded") == "false"
    _one_row(page)


def test_menu_works_with_the_keyboard(demo: None, live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(PORTRAIT[0])
    sign_in(page, live_server, "coordinator@demo.kvip", DEMO_PASSWORD)
    toggle = page.get_by_role("button", name="Meny")
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Forside"  # the menu's first link follows its button
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.getAttribute('aria-controls')") == "main-nav"
    page.keyboard.press("Space")
    assert toggle.get_attribute("aria-expanded") == "true"


def test_english_label(demo: None, live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(PORTRAIT[1])
    sign_in(page, live_server, "member@demo.kvip", DEMO_PASSWORD)
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    toggle = page.get_by_role("button", name="Menu", exact=True)
    toggle.click()
    assert (
        page.get_by_role("navigation", name="Main")
        .get_by_role("link", name="Standards")
        .is_visible()
    )


def test_wide_screen_keeps_the_full_navigation(demo: None, live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "coordinator@demo.kvip", DEMO_PASSWORD)
    expect(page.get_by_role("button", name="Meny")).not_to_be_visible()
    nav = page.get_by_role("navigation", name="Hovedmeny")
    for name in ("Standarder", "Sykluser", "Nettverk"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    screenshot(page, "nav-coordinator-desktop")


def test_without_javascript_the_full_navigation_shows(
    demo: None, live_server: str, browser
) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        java_script_enabled=False, viewport=PORTRAIT[0], locale="nb-NO", has_touch=True
    )
    try:
        page = context.new_page()
        sign_in(page, live_server, "coordinator@demo.kvip", DEMO_PASSWORD)
        expect(page.get_by_role("button", name="Meny")).not_to_be_visible()
        nav = page.get_by_role("navigation", name="Hovedmeny")
        expect(nav.get_by_role("link", name="Nettverk")).to_be_visible()
    finally:
        context.close()

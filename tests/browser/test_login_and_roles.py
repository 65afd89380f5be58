"""Each demo role signs in on a tablet and on a desktop; axe finds no serious violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kvip.demo import DEMO_LOGINS, DEMO_PASSWORD
from tests.browser.conftest import (
    DESKTOP,
    IPAD,
    main_nav,
    screenshot,
    serious_violations,
    sign_in,
)


@pytest.mark.parametrize("viewport", [IPAD, DESKTOP], ids=["ipad", "desktop"])
def test_every_demo_role_signs_in(demo: None, live_server: str, page, viewport) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(viewport)
    for email, _role in DEMO_LOGINS:
        sign_in(page, live_server, email, DEMO_PASSWORD)
        assert page.get_by_role("heading", level=1).inner_text().startswith("Velkommen")
        nav = main_nav(page)
        expect(nav).to_be_visible()
        if email.startswith("coordinator"):
            expect(nav.get_by_role("link", name="Nettverk")).to_be_visible()
        if email.startswith("member"):
            assert nav.get_by_role("link", name="Nettverk").count() == 0
        page.get_by_role("button", name="Logg ut").click()
        page.wait_for_url("**/login")


def test_wrong_password_message(demo: None, live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.get_by_label("E-post").fill("member@demo.kvip")
    page.get_by_label("Passord").fill("not the password")
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_text("Feil e-post eller passord.")).to_be_visible()


def test_accessibility_login_home_admin(demo: None, live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    assert serious_violations(page) == []
    screenshot(page, "login-ipad")
    sign_in(page, live_server, "coordinator@demo.kvip", DEMO_PASSWORD)
    assert serious_violations(page) == []
    screenshot(page, "home-coordinator-ipad")
    main_nav(page).get_by_role("link", name="Nettverk").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().endswith("Enheter")
    assert serious_violations(page) == []
    screenshot(page, "units-ipad")
    page.get_by_role("link", name="Ungdomsakutten").click()
    page.get_by_label("Senger").fill("-1")
    page.get_by_role("button", name="Lagre").click()
    expect(page.get_by_text("Rett opp feltene")).to_be_visible()
    assert serious_violations(page) == []


def test_language_switch_to_english_and_back(demo: None, live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server, "member@demo.kvip", DEMO_PASSWORD)
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    page.get_by_role("button", name="Norsk").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Velkommen")


def test_log_out_on_a_shared_tablet_after_keep_me_signed_in(
    demo: None, live_server: str, page
) -> None:  # type: ignore[no-untyped-def]
    """The reviewer ticks "keep me signed in", logs out; the next person on the same tablet
    reaches the sign-in page, and a copy of the remember cookie taken before works nowhere."""
    page.goto(f"{live_server}/login")
    page.get_by_label("E-post").fill("reviewer@demo.kvip")
    page.get_by_label("Passord").fill(DEMO_PASSWORD)
    page.get_by_label("Hold meg innlogget på denne enheten").check()
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url(f"{live_server}/")
    captured = [c for c in page.context.cookies() if c["name"] == "remember_token"]
    assert len(captured) == 1
    page.get_by_role("button", name="Logg ut").click()
    page.wait_for_url("**/login")
    assert [c for c in page.context.cookies() if c["name"] == "remember_token"] == []
    page.goto(f"{live_server}/")  # the next person picks up the tablet
    page.wait_for_url("**/login**")
    expect(page.get_by_role("button", name="Logg inn")).to_be_visible()
    other = page.context.browser.new_context()
    try:
        other.add_cookies(captured)
        replay = other.new_page()
        replay.goto(f"{live_server}/")
        replay.wait_for_url("**/login**")
    finally:
        other.close()

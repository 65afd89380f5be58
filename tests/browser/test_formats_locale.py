"""Dates and percentages in the browser, in Norwegian and in English (issue 17 item 5): the
cycle page of a coordinator shows "7. des. 2026" / "7 Dec 2026", never the American 12/7/26."""

from __future__ import annotations

import re
from datetime import date

import pytest

from kvip.extensions import db
from tests.browser.conftest import screenshot, serious_violations, sign_in
from tests.factories import PASSWORD, World


@pytest.mark.parametrize(
    "locale,dates,percent",
    [
        ("nb", "7. des. 2026 – 1. mars 2027", "17\xa0%"),
        ("en", "7 Dec 2026 – 1 Mar 2027", "17%"),
    ],
)
def test_cycle_page_dates_in_the_users_locale(  # type: ignore[no-untyped-def]
    world: World, live_server: str, page, locale: str, dates: str, percent: str
) -> None:
    world.cycle.self_assessment_opens = date(2026, 12, 7)
    world.cycle.self_assessment_closes = date(2027, 3, 1)
    world.users["coordinator"].locale = locale
    db.session.commit()
    sign_in(page, live_server, world.users["coordinator"].email, PASSWORD)
    page.goto(f"{live_server}/cycles/{world.cycle.id}")
    text = page.locator("main").inner_text()
    assert dates in text
    assert percent in text  # Enhet Alfa: one of six standards rated
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b|\d (AM|PM)\b", text)
    screenshot(page, f"formats-cycle-{locale}")
    assert not serious_violations(page)


def test_saved_time_follows_the_page_language_not_the_browser(  # type: ignore[no-untyped-def]
    world: World, live_server: str, browser
) -> None:
    """An English page in an American browser says "Saved 15:43", not "Saved 03:43 PM"."""
    world.users["member"].locale = "en"
    db.session.commit()
    context = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")  # English: the browser asks for en-US
        page.get_by_label("Email").fill(world.users["member"].email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server}/")
        page.goto(f"{live_server}/cycles/assessments/{world.assessment.id}")
        standard = page.locator("article#s-1-2")
        standard.get_by_text("Partly met").click()
        state = standard.locator("[data-save-state]")
        state.filter(has_text=re.compile(r"^Saved")).wait_for(timeout=10_000)
        assert re.fullmatch(r"Saved \d{2}:\d{2}", state.inner_text().strip()), state.inner_text()
    finally:
        context.close()

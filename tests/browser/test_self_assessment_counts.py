"""The self-assessment's header and filters count in one vocabulary (rated / carried over, not
confirmed / not rated), also while the unit edits."""

from __future__ import annotations

import contextlib
from typing import Any

from playwright.sync_api import expect

from kvip.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot, serious_violations, sign_in


def _n(page: Any, selector: str) -> int:
    return int(page.locator(selector).inner_text().strip("() "))


def test_header_and_filters_agree_and_follow_an_edit(demo: None, live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, "lead@demo.kvip", DEMO_PASSWORD)
    page.locator('.home-unit [data-home="assessment"]').first.click()
    rated, carried, unrated = (
        _n(page, "#sa-count"),
        _n(page, "#sa-carried"),
        _n(page, "#sa-unrated"),
    )
    total = _n(page, '[data-filter-count="all"]')
    assert rated + carried + unrated == total
    assert carried > 0
    assert _n(page, '[data-filter-count="carried"]') == carried
    assert _n(page, '[data-filter-count="unrated"]') == unrated
    # Changing a carried-over rating confirms it: one more rated, one fewer carried over.
    article = page.locator("article.std.is-carried").first
    article.locator("label.rate-not_applicable").click()
    expect(page.locator("#sa-count")).to_have_text(str(rated + 1))
    expect(page.locator("#sa-carried")).to_have_text(str(carried - 1))
    expect(page.locator('[data-filter-count="carried"]')).to_have_text(f"({carried - 1})")
    expect(page.locator('[data-filter-count="unrated"]')).to_have_text(f"({unrated})")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Sammendrag").first.click()
    stats = page.locator("ul.stats").first
    expect(stats).to_contain_text(f"{rated + 1} av {total} vurdert")
    expect(stats).to_contain_text(f"{carried - 1} overført, ikke bekreftet")
    expect(stats).to_contain_text(f"{unrated} ikke vurdert")
    page.set_viewport_size({"width": 768, "height": 1024})
    # The chart redraws for the new width after plotly's resize debounce: wait for it (bounded),
    # then measure; a table that never fits still fails below.
    with contextlib.suppress(Exception):  # the assertion below reports the widths
        page.wait_for_function(
            "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth",
            timeout=5000,
        )
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths  # wide tables scroll in their own box, not the page
    assert serious_violations(page) == []
    screenshot(page, "self-assessment-summary-768")

"""The findings (consolidation) page on a tablet (issue 17, item 2): in portrait one domain at a
time under a sticky bar of domain links (each with its count to decide); deep links and resolve
posts open their domain; landscape, printing and no JavaScript keep the whole page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SHOTS, serious_violations, sign_in
from tests.factories import PASSWORD
from tests.visits.tablet_world import TabletWorld, build_tablet_world
from tests.visits.test_consolidate_domains import seed_findings

PORTRAIT = {"width": 810, "height": 1080}
LANDSCAPE = {"width": 1080, "height": 810}


@pytest.fixture
def tablet(app: Any) -> TabletWorld:
    from kvip.extensions import db

    world = build_tablet_world()
    world.visit.state = "in_progress"
    db.session.commit()
    seed_findings(world)
    return world


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _shown(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "section.cons-domain",
        "nodes => nodes.filter(n => n.offsetParent !== null).map(n => n.id.slice(7))",
    )


def _wait_shown(page: Any, expected: list[str]) -> None:
    """Wait (up to 5 s) until exactly the ``expected`` domains are shown, then check it."""
    page.wait_for_function(
        """expected => JSON.stringify([...document.querySelectorAll("section.cons-domain")]
            .filter(n => n.offsetParent !== null).map(n => n.id.slice(7))) === expected""",
        arg=json.dumps(expected, separators=(",", ":")),
        timeout=5000,
    )
    assert _shown(page) == expected


def _in_view(page: Any, selector: str) -> bool:
    """On screen and not under the sticky domain bar."""
    return page.eval_on_selector(
        selector,
        "n => { const r = n.getBoundingClientRect();"
        " const bar = document.getElementById('cons-domains').getBoundingClientRect();"
        " const top = n.closest('#cons-domains') ? 0 : bar.bottom - 1;"
        " return r.height > 0 && r.top >= top && r.bottom <= window.innerHeight; }",
    )


def _open(page: Any, live_server: str, world: TabletWorld, suffix: str = "") -> str:
    url = f"{live_server}/visits/{world.visit.id}/consolidate"
    page.goto(url + suffix)
    page.wait_for_load_state("load")
    return url


def test_portrait_one_domain_links_deep_links_and_resolve(  # type: ignore[no-untyped-def]
    tablet, live_server: str, page
) -> None:
    page.set_viewport_size(PORTRAIT)
    sign_in(page, live_server, tablet.lead.email, PASSWORD)
    url = _open(page, live_server, tablet)
    expect(page.locator("#cons-domain-list.is-paged")).to_have_count(1)
    _wait_shown(page, ["1"])
    bar = page.get_by_role("navigation", name="Områder")
    expect(bar.locator('a[href="#cd-1"]')).to_have_attribute("aria-current", "true")
    expect(bar.locator('a[href="#cd-2"] .tab-progress')).to_have_text("12")
    assert serious_violations(page) == []

    # Far down the domain the domain links are still on screen.
    page.locator("section#cons-d-1 tbody tr").last.scroll_into_view_if_needed()
    assert _in_view(page, 'a[href="#cd-2"]')
    _shot(page, "consolidate-portrait-scrolled")

    # A link switches domain; the domain starts at the top, under the bar.
    bar.locator('a[href="#cd-2"]').click()
    _wait_shown(page, ["2"])
    expect(bar.locator('a[href="#cd-2"]')).to_have_attribute("aria-current", "true")
    assert _in_view(page, "#cd-2")
    # "Next domain" at the end of it; the back button returns.
    page.locator("section#cons-d-2 .cons-pager a[rel=next]").click()
    _wait_shown(page, ["3"])
    page.go_back()
    expect(bar.locator('a[href="#cd-2"]')).to_have_attribute("aria-current", "true")
    _wait_shown(page, ["2"])

    # Deciding a standard here returns to it, in the same domain.
    row = page.locator("tr[id='std-2.5']")
    row.get_by_label("Teamets funn for 2.5").select_option("partly_met")
    row.get_by_role("button", name="Lagre").click()
    page.wait_for_url(f"{url}#std-2.5")
    # The message is in the bar, on screen above the row.
    expect(
        page.locator("#cons-domains").get_by_text("Teamets funn for 2.5 er lagret.")
    ).to_be_visible()
    _wait_shown(page, ["2"])
    assert _in_view(page, "tr[id='std-2.5']")
    expect(bar.locator('a[href="#cd-2"] .tab-progress')).to_have_text("11")
    _shot(page, "consolidate-portrait-after-save")
    assert serious_violations(page) == []
    # Another domain: the message leaves the bar.
    bar.locator('a[href="#cd-3"]').click()
    expect(page.locator("#cons-domains .flashes")).to_have_count(0)
    assert _in_view(page, "#cd-3")

    # Only what is open: the conflict in domain 1 is resolved, its row leaves the list, and the
    # page opens domain 1 again.
    _open(page, live_server, tablet, "?show=open#std-1.3")
    _wait_shown(page, ["1"])
    assert _in_view(page, "tr[id='std-1.3']")
    row = page.locator("tr[id='std-1.3']")
    row.get_by_label("Teamets funn for 1.3").select_option("not_met")
    row.get_by_role("button", name="Avgjør").click()
    page.wait_for_url(f"{url}?show=open#cd-1")
    _wait_shown(page, ["1"])
    expect(page.locator("tr[id='std-1.3']")).to_have_count(0)
    expect(bar.locator('a[href="#cd-1"] .tab-progress')).to_have_text("0")

    # A deep link to a standard in another domain opens that domain.
    _open(page, live_server, tablet, "#std-3.9")
    _wait_shown(page, ["3"])
    assert _in_view(page, "tr[id='std-3.9']")
    _shot(page, "consolidate-portrait-deeplink")

    # Printing shows every domain.
    page.emulate_media(media="print")
    _wait_shown(page, ["1", "2", "3"])
    # Back on screen the page pages again: the script hears the media query's "change" event
    # a moment later, so wait for it rather than read at once (this raced under load in CI).
    page.emulate_media(media="screen")
    _wait_shown(page, ["3"])


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_landscape_and_no_script_keep_the_whole_page(  # type: ignore[no-untyped-def]
    tablet, live_server: str, browser, javascript
) -> None:
    context = browser.new_context(
        viewport=LANDSCAPE if javascript else PORTRAIT,
        locale="nb-NO",
        java_script_enabled=javascript,
    )
    page = context.new_page()
    try:
        sign_in(page, live_server, tablet.lead.email, PASSWORD)
        _open(page, live_server, tablet)
        _wait_shown(page, ["1", "2", "3"])
        expect(page.locator("section.cons-domain .cons-pager").first).to_be_hidden()
        if javascript:
            expect(page.locator("#cons-domains")).to_have_css("position", "static")
            _shot(page, "consolidate-landscape")
            assert serious_violations(page) == []
            # Turned to portrait it pages; back to landscape shows everything again.
            page.set_viewport_size(PORTRAIT)
            expect(page.locator("#cons-domain-list.is-paged")).to_have_count(1)
            _wait_shown(page, ["1"])
            page.set_viewport_size(LANDSCAPE)
            expect(page.locator("#cons-domain-list.is-paged")).to_have_count(0)
            _wait_shown(page, ["1", "2", "3"])
        else:
            _shot(page, "consolidate-portrait-nojs")
    finally:
        context.close()

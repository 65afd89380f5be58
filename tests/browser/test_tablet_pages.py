"""Tablet-first long pages (issue 17, item 2): on an iPad in portrait the self-assessment shows
one domain at a time with the domain menu, the count and the save status always in view; in
landscape the whole page stays; deep links to a standard open its domain."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from kvip.demo import DEMO_PASSWORD
from tests.browser.conftest import SHOTS, serious_violations, sign_in

PORTRAIT = {"width": 810, "height": 1080}
LANDSCAPE = {"width": 1080, "height": 810}


def screenshot(page: Any, name: str) -> None:
    """What is on the screen (these pages are far too long for a full-page picture)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _open_self_assessment(page: Any, live_server: str) -> str:
    sign_in(page, live_server, "lead@demo.kvip", DEMO_PASSWORD)
    page.locator('.home-unit [data-home="assessment"]').first.click()
    page.wait_for_load_state("load")
    return page.url.split("#")[0]


def _shown_domains(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "section.sa-domain",
        "nodes => nodes.filter(n => n.offsetParent !== null).map(n => n.dataset.domain)",
    )


def _in_view(page: Any, selector: str) -> bool:
    return page.eval_on_selector(
        selector,
        "n => { const r = n.getBoundingClientRect();"
        " return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }",
    )


def test_portrait_shows_one_domain_with_menu_and_status_in_view(  # type: ignore[no-untyped-def]
    demo: None, live_server: str, page
) -> None:
    page.set_viewport_size(PORTRAIT)
    _open_self_assessment(page, live_server)
    page.locator("#sa-pagebar").wait_for()
    assert _shown_domains(page) == ["1"]
    menu = page.locator(".sa-menu-toggle")
    expect(menu).to_contain_text("Område 1 av 7")
    assert serious_violations(page) == []

    # Far down the domain the bar (menu, count, save status) is still on screen.
    page.locator("section.sa-domain.is-current article.std").last.scroll_into_view_if_needed()
    assert _in_view(page, ".sa-menu-toggle")
    assert _in_view(page, "#sa-pagebar #sa-status")
    assert _in_view(page, "#sa-pagebar [data-sa-count]")

    # The menu switches domain and closes; the domain starts at the top of the screen.
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.locator('#sa-domains a[href="#d-3"]').click()
    expect(menu).to_have_attribute("aria-expanded", "false")
    assert _shown_domains(page) == ["3"]
    expect(menu).to_contain_text("Område 3 av 7")
    assert _in_view(page, "#d-3-h")

    # Rating here saves and the status in the bar says so.
    article = page.locator("section#d-3 article.std").first
    article.locator("label.rate-met").click()
    expect(page.locator("#sa-pagebar #sa-status")).to_contain_text("lagret", ignore_case=True)
    expect(page.locator("#sa-pagebar [data-sa-count]")).to_have_text(
        page.locator("#sa-count").inner_text()
    )

    # "Next domain" at the end of a domain; the back button returns.
    page.locator("section#d-3 .sa-pager a[rel=next]").click()
    assert _shown_domains(page) == ["4"]
    page.go_back()
    expect(menu).to_contain_text("Område 3 av 7")
    assert _shown_domains(page) == ["3"]
    screenshot(page, "tablet-sa-portrait")
    assert serious_violations(page) == []


def test_deep_link_to_a_standard_opens_its_domain(  # type: ignore[no-untyped-def]
    demo: None, live_server: str, page
) -> None:
    page.set_viewport_size(PORTRAIT)
    url = _open_self_assessment(page, live_server)
    page.goto(f"{url}#s-5-3")
    expect(page.locator(".sa-menu-toggle")).to_contain_text("Område 5 av 7")
    assert _shown_domains(page) == ["5"]
    assert _in_view(page, "#s-5-3-h")
    screenshot(page, "tablet-sa-deeplink")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_landscape_and_no_script_keep_the_whole_page(  # type: ignore[no-untyped-def]
    demo: None, live_server: str, browser, javascript
) -> None:
    context = browser.new_context(
        viewport=LANDSCAPE if javascript else PORTRAIT,
        locale="nb-NO",
        java_script_enabled=javascript,
    )
    page = context.new_page()
    try:
        _open_self_assessment(page, live_server)
        assert _shown_domains(page) == [str(n) for n in range(1, 8)]
        assert page.locator("#sa-pagebar").count() == 0
        expect(page.locator("#type-legend")).to_be_visible()
        if javascript:
            # Turning the tablet to portrait pages it; back to landscape shows everything.
            page.set_viewport_size(PORTRAIT)
            expect(page.locator("#sa-pagebar")).to_be_visible()
            assert _shown_domains(page) == ["1"]
            page.set_viewport_size(LANDSCAPE)
            expect(page.locator("#sa-pagebar")).to_have_count(0)
            assert len(_shown_domains(page)) == 7
            # Scrolled down, the domain menu sits below the sticky toolbar, not under it.
            page.locator("#s-2-3").scroll_into_view_if_needed()
            menu_top = page.eval_on_selector("#sa-domains", "n => n.getBoundingClientRect().top")
            bar_bottom = page.eval_on_selector(
                "#sa-toolbar", "n => n.getBoundingClientRect().bottom"
            )
            assert menu_top >= bar_bottom, (menu_top, bar_bottom)
            screenshot(page, "tablet-sa-landscape")
            assert serious_violations(page) == []
    finally:
        context.close()


def _frames(page: Any, n: int = 30) -> None:
    """Let the page draw n frames (standards near the screen get drawn and measured)."""
    page.evaluate(
        "n => new Promise(done => { const f = () => (--n ? requestAnimationFrame(f) : done());"
        " requestAnimationFrame(f); })",
        n,
    )


def _below_toolbar(page: Any, selector: str) -> tuple[float, float]:
    """(top of the element, where a jump should put it: its scroll margin below the toolbar),
    once it has got there (a slow machine may need a few frames) and stayed for 30 frames."""
    page.wait_for_function(
        "s => { const n = document.querySelector(s); return Math.abs("
        "n.getBoundingClientRect().top - parseFloat(getComputedStyle(n).scrollMarginTop)) <= 2; }",
        arg=selector,
        timeout=10_000,
    )
    _frames(page)
    return page.eval_on_selector(
        selector,
        "n => [n.getBoundingClientRect().top, parseFloat(getComputedStyle(n).scrollMarginTop)]",
    )


def test_whole_page_draws_only_what_is_near_the_screen_and_links_land_on_target(  # type: ignore[no-untyped-def]
    demo: None, live_server: str, page
) -> None:
    """228 standards: the browser skips laying out those far from the screen (content-visibility),
    yet links to a standard or a domain land exactly at it, and printing shows everything."""
    page.set_viewport_size(LANDSCAPE)
    url = _open_self_assessment(page, live_server)
    skipped = "n => !n.checkVisibility({ contentVisibilityAuto: true })"
    assert page.eval_on_selector("#s-7-2 .std-text", skipped)
    assert not page.eval_on_selector("#s-1-1 .std-text", skipped)
    assert len(_shown_domains(page) or []) == 7

    # Standards drawn above the target after the jump (their height was an estimate) do not
    # push it away: a deep link, a link in the domain menu, a change of address.
    page.goto(f"{url}#s-6-10")
    _frames(page)
    top, margin = _below_toolbar(page, "#s-6-10")
    assert abs(top - margin) <= 2, (top, margin)
    for domain in ("6", "3"):
        page.locator(f'#sa-domains a[href="#d-{domain}"]').click()
        _frames(page)
        top, margin = _below_toolbar(page, f"#d-{domain}")
        assert abs(top - margin) <= 2, (domain, top, margin)
        assert not page.eval_on_selector(f"#d-{domain}-h", skipped)
    page.evaluate("() => { location.hash = 's-5-7'; }")
    _frames(page)
    top, margin = _below_toolbar(page, "#s-5-7")
    assert abs(top - margin) <= 2, (top, margin)
    toolbar_bottom = page.eval_on_selector("#sa-toolbar", "n => n.getBoundingClientRect().bottom")
    assert top >= toolbar_bottom, (top, toolbar_bottom)
    screenshot(page, "tablet-sa-landscape-deeplink")

    page.emulate_media(media="print")
    assert not page.eval_on_selector("#s-7-2 .std-text", skipped)
    page.emulate_media(media="screen")


# --- visit mode ---------------------------------------------------------------------------------


@pytest.fixture
def tablet(app: Any) -> Any:
    from tests.visits.tablet_world import build_tablet_world

    return build_tablet_world()


def test_visit_mode_in_portrait_steps_tabs_and_observation_at_a_standard(  # type: ignore[no-untyped-def]
    tablet, live_server: str, page
) -> None:
    import sqlalchemy as sa

    from kvip.extensions import db
    from kvip.visits.models import Observation
    from tests.visits.tablet_world import card, open_visit_mode

    page.set_viewport_size(PORTRAIT)
    open_visit_mode(page, live_server, tablet, tablet.lead.email)
    steps = page.locator(".visit-steps")
    # Scheduled: preparing is the current step; once prepared this tablet marks it done.
    expect(steps.locator('[aria-current="step"]')).to_have_attribute("data-step", "prepare")
    expect(steps.locator('[data-step="prepare"]')).to_have_class(re.compile("is-done"))
    expect(page.locator("#visit-type-legend")).to_be_visible()

    # Offline, an observation is added at standard 2.5 (not at the end of the domain).
    page.context.set_offline(True)
    page.locator("#domain-tabs button[data-domain='2']").click()
    box = card(page, "2.5")
    box.get_by_role("button", name="Legg til observasjon (2.5)").click()
    form = box.locator("#obs-form")
    expect(form).to_be_visible()
    expect(form.locator(".obs-standards input[value='2.5']")).to_be_checked()
    expect(form.locator(".obs-standards input:checked")).to_have_count(1)
    form.locator("label", has_text="Anbefaling").click()
    form.get_by_label("Tekst", exact=True).fill("Skriftlig plan for overføring til voksenpsykiatri")
    form.get_by_role("button", name="Lagre observasjon").click()
    expect(box.locator(".card-obs-list")).to_contain_text("Anbefaling: Skriftlig plan")
    expect(page.locator("#obs-list")).to_contain_text("Skriftlig plan for overføring")
    expect(box.get_by_role("button", name="Legg til observasjon (2.5)")).to_be_focused()
    expect(page.locator("#queue-state")).to_have_text("1 endring venter på å bli sendt")

    # Far down the domain the status bar and the domain buttons are still on screen.
    card(page, "2.12").scroll_into_view_if_needed()
    assert _in_view(page, ".sync-bar")
    assert _in_view(page, "#domain-tabs button[data-domain='2']")
    screenshot(page, "tablet-visit-portrait")
    assert serious_violations(page) == []

    page.context.set_offline(False)
    expect(page.locator("#queue-state")).to_contain_text(
        "Alle endringer er lagret på serveren", timeout=30000
    )
    db.session.expire_all()
    stored = db.session.scalars(
        sa.select(Observation).where(Observation.visit_id == tablet.visit.id)
    ).all()
    assert [(o.kind, o.domain.code, [s.code for s in o.standards]) for o in stored] == [
        ("recommendation", "2", ["2.5"])
    ]

    # A deep link to a standard opens its domain at that card.
    page.goto(f"{live_server}/visits/{tablet.visit.id}/mode#std-3.4")
    expect(page.locator("#domain-tabs button[aria-current='true']")).to_have_attribute(
        "data-domain", "3"
    )
    expect(card(page, "3.4")).to_be_in_viewport()


def test_visit_overview_numbers_the_steps(  # type: ignore[no-untyped-def]
    tablet, live_server: str, page
) -> None:
    from tests.factories import PASSWORD

    page.set_viewport_size(LANDSCAPE)
    sign_in(page, live_server, tablet.lead.email, PASSWORD)
    page.goto(f"{live_server}/visits/{tablet.visit.id}")
    steps = page.locator(".visit-steps li")
    expect(steps).to_have_count(4)
    expect(steps.nth(0)).to_have_attribute("aria-current", "step")
    next_steps = page.locator(".next-steps li")
    expect(next_steps.nth(0)).to_contain_text("Åpne besøksmodus")
    expect(next_steps.nth(1)).to_contain_text("Start besøket")
    screenshot(page, "tablet-visit-overview")
    assert serious_violations(page) == []

"""The self-assessment in a real browser on a tablet: autosave, nothing lost on reload or a
lost connection, the side-by-side choice when two people edit one standard, accessibility."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from kvip.cycles.models import Rating
from kvip.extensions import db
from kvip.standards.models import Standard
from tests.browser.conftest import screenshot, serious_violations, sign_in
from tests.factories import PASSWORD, World


def _rating(world: World, code: str) -> Rating | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Rating)
        .join(Standard, Standard.id == Rating.standard_id)
        .where(Rating.assessment_id == world.assessment.id, Standard.code == code)
    )


def _standard(page: Any, code: str) -> Any:
    """The standard's card; on a tablet in portrait (one domain at a time) its domain is opened
    through the domain menu first, as a person would."""
    article = page.locator(f"article#s-{code.replace('.', '-')}")
    if page.locator("#sa-pagebar").count() and not article.is_visible():
        page.locator(".sa-menu-toggle").click()
        page.locator(f'#sa-domains a[href="#d-{code.split(".")[0]}"]').click()
    return article


def _expect_saved(page: Any, code: str) -> None:
    state = _standard(page, code).locator("[data-save-state]")
    state.filter(has_text=re.compile(r"^Lagret")).wait_for(timeout=10_000)


def test_rate_reload_and_lost_connection_lose_nothing(
    world: World, live_server: str, page: Any
) -> None:
    sign_in(page, live_server, "member@example.test", PASSWORD)
    url = f"{live_server}/cycles/assessments/{world.assessment.id}"
    page.goto(url)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Egenvurdering")
    assert serious_violations(page) == []

    # Rate with a tap and with the keyboard alone; each change saves itself.
    _standard(page, "1.2").get_by_text("Delvis oppfylt").click()
    _expect_saved(page, "1.2")
    radio = _standard(page, "1.3").get_by_role("radio", name="Oppfylt", exact=True)
    radio.focus()
    page.keyboard.press("Space")
    _expect_saved(page, "1.3")
    comment = _standard(page, "1.3").get_by_label("Kommentar")
    comment.fill("Rutine revidert i januar")
    comment.blur()
    _expect_saved(page, "1.3")
    assert page.locator("#sa-count").inner_text() == "3"

    # A bad link is refused with the reason next to the field; fixing it saves.
    std = _standard(page, "1.2")
    std.locator("details.evidence summary").click()
    links = std.get_by_label("Lenker (én nettadresse per linje)")
    links.fill("intranett/rutine")
    links.blur()
    std.locator("p.error").filter(has_text="er ikke en nettadresse").wait_for()
    links.fill("https://intranett.example/rutine")
    links.blur()
    _expect_saved(page, "1.2")
    assert std.locator("p.error").count() == 0
    assert _rating(world, "1.2").evidence_links == "https://intranett.example/rutine"

    # The connection drops: edits are kept on the device and shown as not sent yet.
    page.route("**/api/v1/**", lambda route: route.abort())
    _standard(page, "2.1").get_by_text("Ikke oppfylt", exact=True).click()
    late = _standard(page, "2.2").get_by_label("Kommentar")
    late.fill("Skrevet uten nett")
    late.blur()
    _standard(page, "2.2").locator("[data-save-state]").filter(has_text="Ikke sendt").wait_for()
    assert _rating(world, "2.1") is None

    # Reload mid-way (still offline for saves): the page shows every unsent edit again.
    page.reload()
    assert _standard(page, "2.1").get_by_role("radio", name="Ikke oppfylt").is_checked()
    assert _standard(page, "2.2").get_by_label("Kommentar").input_value() == "Skrevet uten nett"
    assert (
        _standard(page, "1.3").get_by_label("Kommentar").input_value() == "Rutine revidert i januar"
    )
    screenshot(page, "cycles-offline-restored-ipad")

    # The connection comes back: everything arrives once.
    page.unroute("**/api/v1/**")
    page.context.set_offline(True)
    page.context.set_offline(False)  # fires "online" → retry now
    _expect_saved(page, "2.1")
    _expect_saved(page, "2.2")
    page.locator("#sa-status").filter(has_text="Alle endringer er lagret").wait_for()
    r21, r22 = _rating(world, "2.1"), _rating(world, "2.2")
    assert r21 is not None and r21.value == "not_met" and r21.version == 1
    assert r22 is not None and r22.comment == "Skrevet uten nett"
    assert _rating(world, "1.2").value == "partly_met"
    page.reload()
    assert _standard(page, "1.2").get_by_role("radio", name="Delvis oppfylt").is_checked()
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('kvip:')).length") == 0

    # Filters show what is left to do.
    page.get_by_text("Ikke vurdert (2)").click()
    assert _standard(page, "2.3").is_visible() and not _standard(page, "1.2").is_visible()
    screenshot(page, "cycles-filter-unrated-ipad")


def test_second_person_gets_the_side_by_side_choice(
    world: World, live_server: str, page: Any, browser: Any, browser_context_args: dict
) -> None:
    url = f"{live_server}/cycles/assessments/{world.assessment.id}"
    sign_in(page, live_server, "member@example.test", PASSWORD)
    page.goto(url)
    other_context = browser.new_context(**browser_context_args)
    other = other_context.new_page()
    try:
        sign_in(other, live_server, "lead@example.test", PASSWORD)
        other.goto(url)
        # Both have 1.1 ("Oppfylt", version 1) open; the lead saves first.
        _standard(other, "1.1").get_by_text("Ikke oppfylt", exact=True).click()
        _expect_saved(other, "1.1")
        lead_comment = _standard(other, "1.1").get_by_label("Kommentar")
        lead_comment.fill("Mangler rutine")
        lead_comment.blur()
        _expect_saved(other, "1.1")

        _standard(page, "1.1").get_by_text("Delvis oppfylt").click()
        box = _standard(page, "1.1").locator("[data-conflict]")
        box.wait_for(state="visible")
        theirs, mine = box.locator(".theirs"), box.locator(".yours")
        assert "Ikke oppfylt" in theirs.inner_text() and "Mangler rutine" in theirs.inner_text()
        assert "Delvis oppfylt" in mine.inner_text()
        assert "Lagret av Lead" in box.inner_text()
        assert _rating(world, "1.1").value == "not_met"  # nothing overwritten silently
        assert serious_violations(page) == []
        screenshot(page, "cycles-conflict-ipad")

        # Keep mine: sent again on top of the lead's version.
        box.get_by_role("button", name="Behold min").click()
        _expect_saved(page, "1.1")
        rating = _rating(world, "1.1")
        assert rating.value == "partly_met" and rating.comment == "Mangler rutine"
        assert rating.version == 4

        # The other way round: the lead edits again and takes theirs.
        _standard(other, "1.1").get_by_label("Kommentar").fill("Ny tekst")
        _standard(other, "1.1").get_by_label("Kommentar").blur()
        other_box = _standard(other, "1.1").locator("[data-conflict]")
        other_box.wait_for(state="visible")
        other_box.get_by_role("button", name="Ta deres").click()
        assert _standard(other, "1.1").get_by_role("radio", name="Delvis oppfylt").is_checked()
        assert _standard(other, "1.1").get_by_label("Kommentar").input_value() == "Mangler rutine"
        assert _rating(world, "1.1").version == 4

        # The change history shows who changed what.
        history = _standard(page, "1.1").locator("details.history")
        history.locator("summary").click()
        history.get_by_text("Ikke oppfylt → Delvis oppfylt").wait_for()
    finally:
        other_context.close()


def test_coordinator_pages_and_summary_chart_are_accessible(
    world: World, live_server: str, page: Any
) -> None:
    sign_in(page, live_server, "coord@example.test", PASSWORD)
    page.goto(f"{live_server}/cycles/{world.cycle.id}")
    assert "Enhet Alfa" in page.locator("table").first.inner_text()
    assert serious_violations(page) == []
    screenshot(page, "cycles-dashboard-ipad")
    page.goto(f"{live_server}/cycles/assessments/{world.assessment.id}/summary")
    page.locator("#chart-domains .main-svg").first.wait_for()
    assert serious_violations(page) == []
    screenshot(page, "cycles-summary-ipad")
    page.goto(f"{live_server}/cycles/new/{world.network.id}")
    assert serious_violations(page) == []

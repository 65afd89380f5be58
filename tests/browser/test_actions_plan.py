"""On a tablet: the unit makes an action from an area for improvement in one tap, moves it
through its states, and the next visit's team verifies it in the visit pack. axe finds no
serious violations on the way."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.actions.helpers import Previous, build_previous
from tests.browser.conftest import IPAD_LANDSCAPE, screenshot, serious_violations, sign_in
from tests.factories import PASSWORD, World, build_world


@pytest.fixture
def scene(app: Flask) -> tuple[World, Previous]:
    world = build_world()
    return world, build_previous(world)


def _sign_out(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Logg ut").click()
    page.wait_for_url("**/login")


def test_action_from_finding_to_verified_at_the_next_visit(
    scene: tuple[World, Previous], live_server: str, page
) -> None:  # type: ignore[no-untyped-def]
    world, prev = scene
    sign_in(page, live_server, world.users["lead"].email, PASSWORD)
    page.get_by_role("link", name="Tiltaksplan", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Tiltaksplan")
    # The world has an action this cycle too; last cycle's plan is one tap away.
    page.get_by_role("navigation", name="Sykluser").get_by_role(
        "link", name=prev.cycle.name
    ).click()
    page.wait_for_load_state()
    assert "Planen har frist" in page.content()
    assert serious_violations(page) == []
    screenshot(page, "actions-plan-empty-ipad")

    # One tap on the area for improvement.
    finding = page.locator(".source-item", has_text="Ettersamtale etter tvang")
    finding.get_by_role("button", name="Lag tiltak").click()
    page.wait_for_load_state()
    assert page.get_by_label("Tittel").input_value() == "Ettersamtale etter tvang dokumenteres ikke"
    assert page.get_by_label("Standarder").input_value() == "1.1"
    assert page.get_by_role("checkbox", name="§ 8a").is_checked()

    # Starting needs a responsible person and a deadline: the page says so.
    page.get_by_role("button", name="Start").click()
    page.wait_for_load_state()
    expect(page.get_by_text("må ha en ansvarlig og en frist")).to_be_visible()
    page.get_by_label("Ansvarlig").fill("Lars Leder")
    page.get_by_label("Frist").fill((date.today() + timedelta(days=30)).isoformat())
    page.get_by_label("Hvordan måler vi om tiltaket virker?").fill("Stikkprøve av ti journaler")
    page.get_by_label("Høy").check()
    page.get_by_role("button", name="Lagre").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Lagret.")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "actions-form-ipad")

    page.get_by_role("button", name="Start").click()
    page.wait_for_load_state()
    assert page.locator(".action-state .badge").first.inner_text() == "Pågår"
    page.get_by_role("button", name="Merk som utført").click()
    page.wait_for_load_state()
    assert page.locator(".action-state .badge").first.inner_text() == "Utført"

    # The plan lists it under "Utført"; the GAP analysis shows it as activity for § 8a.
    page.get_by_role("link", name="Tiltaksplan – Enhet Alfa").click()
    page.wait_for_load_state()
    done = page.locator("section.action-group", has=page.get_by_role("heading", name="Utført"))
    expect(done.get_by_text("Ettersamtale etter tvang dokumenteres ikke")).to_be_visible()
    page.get_by_role("link", name="GAP-analyse").click()
    page.wait_for_load_state()
    row = page.locator("#duty-8a")
    expect(row.get_by_text("Mangel").first).to_be_visible()
    expect(
        row.get_by_role("link", name="Ettersamtale etter tvang dokumenteres ikke")
    ).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "actions-gap-ipad")
    # § 8a has its action ("Tiltak finnes"); § 9b is a gap without one: one tap makes it,
    # prefilled with the duty and the standards behind the gap.
    expect(row.get_by_role("link", name="Tiltak finnes")).to_be_visible()
    page.locator("#duty-9b").get_by_role("button", name="Lag tiltak").click()
    page.wait_for_load_state()
    assert page.get_by_label("Tittel").input_value().startswith("§ 9b")
    assert sorted(page.get_by_label("Standarder").input_value().split(", ")) == ["1.2", "2.1"]
    assert page.get_by_role("checkbox", name="§ 9b").is_checked()
    page.go_back()
    page.reload()
    expect(page.locator("#duty-9b").get_by_role("link", name="Tiltak finnes")).to_be_visible()
    assert page.locator("#duty-9b").get_by_role("button", name="Lag tiltak").count() == 0
    _sign_out(page, live_server)

    # The next visit's lead reviewer verifies it in the visit pack.
    sign_in(page, live_server, world.users["reviewer"].email, PASSWORD)
    page.goto(f"{live_server}/actions/")
    page.get_by_role("link", name="Enhet Alfa").click()
    page.wait_for_load_state()
    item = page.locator(".vp-item", has_text="Ettersamtale etter tvang")
    expect(item.get_by_text("Utført")).to_be_visible()
    assert serious_violations(page) == []
    item.get_by_label("Kommentar fra teamet").fill("Sett i journal for tre pasienter")
    item.get_by_role("button", name=re.compile("^Verifisert")).click()
    page.wait_for_load_state()
    item = page.locator(".vp-item", has_text="Ettersamtale etter tvang")
    assert item.locator(".badge").first.inner_text() == "Verifisert"
    expect(page.get_by_text("er registrert som verifisert")).to_be_visible()
    screenshot(page, "actions-visit-pack-ipad")


def test_maturity_and_overview_in_landscape(
    scene: tuple[World, Previous], live_server: str, page
) -> None:  # type: ignore[no-untyped-def]
    world, _prev = scene
    page.set_viewport_size(IPAD_LANDSCAPE)
    sign_in(page, live_server, world.users["member"].email, PASSWORD)
    page.goto(f"{live_server}/actions/units/{world.unit.id}/maturity")
    for aspect in ("Lederansvar", "Ansattes medvirkning", "Brukermedvirkning"):
        page.get_by_role("group", name=aspect).get_by_text("3 Formalisert").click()
    page.get_by_role("button", name="Lagre vurderingen").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Modenhetsvurderingen ble lagret.")).to_be_visible()
    page.locator(".chart .main-svg").first.wait_for()
    assert serious_violations(page) == []
    screenshot(page, "actions-maturity-landscape")
    for path in ("/actions/", "/actions/reminders"):
        page.goto(live_server + path)
        assert serious_violations(page) == [], path
    _sign_out(page, live_server)
    sign_in(page, live_server, world.users["coordinator"].email, PASSWORD)
    page.goto(f"{live_server}/actions/networks/{world.network.id}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Tiltaksplaner på tvers")
    assert serious_violations(page) == []


def test_action_from_a_partly_met_standard_in_one_tap(
    scene: tuple[World, Previous], live_server: str, page
) -> None:  # type: ignore[no-untyped-def]
    """The team rated 1.2 partly met: one tap makes the action, and the plan then offers to
    open it instead of making a second one."""
    world, prev = scene
    sign_in(page, live_server, world.users["member"].email, PASSWORD)
    page.goto(f"{live_server}/actions/assessments/{prev.assessment.id}")
    partly = page.locator("details.partly-met")
    partly.get_by_text("Standarder som er delvis oppfylt (2)").click()
    item = partly.locator(".source-item", has_text="Krav 1.2 på norsk")
    assert serious_violations(page) == []
    screenshot(page, "actions-partly-met-ipad")
    item.get_by_role("button", name=re.compile(r"^Lag tiltak\s*: 1\.2$")).tap()
    page.wait_for_url(re.compile(r".*/actions/\d+$"))
    expect(page.get_by_text("Tiltaket er opprettet fra standarden.")).to_be_visible()
    title = "1.2: fra delvis til fullt oppfylt – Krav 1.2 på norsk"
    assert page.get_by_label("Tittel").input_value() == title
    assert page.get_by_label("Standarder").input_value() == "1.2"
    assert page.get_by_label("Lav").is_checked()  # type 2, partly met
    action_url = page.url

    page.go_back()
    page.reload()
    partly = page.locator("details.partly-met")
    partly.get_by_text("Standarder som er delvis oppfylt (2)").click()
    item = partly.locator(".source-item", has_text="Krav 1.2 på norsk")
    assert item.get_by_role("button", name=re.compile(r"^Lag tiltak\s*: 1\.2$")).count() == 0
    expect(item.get_by_text(f"I planen: {title}")).to_be_visible()
    item.get_by_role("link", name=re.compile(r"^Åpne tiltaket\s*: 1\.2$")).tap()
    page.wait_for_url(action_url)
    assert serious_violations(page) == []

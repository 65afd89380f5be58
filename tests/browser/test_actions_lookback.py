"""The visit pack of a 2027 visit offers a 2025 action for verification: look-back verification
reaches every earlier cycle, not only the one before (the 2026 plan is empty)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.actions.helpers import ThreeCycles, build_three_cycles
from tests.browser.conftest import serious_violations, sign_in
from tests.factories import PASSWORD, World, build_world


@pytest.fixture
def scene(app: Flask) -> tuple[World, ThreeCycles]:
    world = build_world()
    return world, build_three_cycles(world)


def test_a_2027_visit_verifies_a_2025_action(
    scene: tuple[World, ThreeCycles], live_server: str, page
) -> None:  # type: ignore[no-untyped-def]
    world, three = scene
    old_cycle = three.old_done.assessment.cycle
    sign_in(page, live_server, world.users["reviewer"].email, PASSWORD)
    page.goto(f"{live_server}/actions/visits/{three.visit.id}/previous-plan")
    expect(page.get_by_role("heading", name="Åpne tiltak fra tidligere sykluser")).to_be_visible()
    group = page.locator("section.vp-cycle", has=page.get_by_role("heading", name=old_cycle.name))
    item = group.locator(".vp-item", has_text="Gammelt tiltak som er utført")
    expect(item.get_by_text("Utført", exact=True)).to_be_visible()
    expect(group.locator(".vp-item", has_text="Gammelt tiltak på overtid")).to_be_visible()
    expect(page.get_by_text("Gammelt tiltak uten frist")).to_have_count(0)
    assert serious_violations(page) == []
    item.get_by_label("Kommentar fra teamet").fill("Sett i journal")
    item.get_by_role("button", name=re.compile("^Verifisert")).click()
    page.wait_for_load_state()
    expect(page.get_by_text("er registrert som verifisert")).to_be_visible()
    item = page.locator(".vp-item", has_text="Gammelt tiltak som er utført")
    assert item.locator(".badge").first.inner_text() == "Verifisert"

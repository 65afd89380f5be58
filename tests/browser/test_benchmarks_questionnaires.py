"""Questionnaires in the benchmarks in a real browser, on a 10" tablet in portrait: the
network's page (coordinator) and the unit's page (its lead), charts drawn, axe clean; the
annual report's questionnaire section."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from kvip.benchmarks.synthetic import PASSWORD
from tests.browser.conftest import screenshot, serious_violations, sign_in
from tests.browser.test_benchmarks_dashboards import _charts_drawn, network

__all__ = ["network"]  # the synthetic network (a fixture) of the dashboards' browser tests

TABLET = {"width": 810, "height": 1080}


def test_network_questionnaires_on_a_tablet(
    network: dict[str, Any], live_server: str, page: Any
) -> None:
    page.set_viewport_size(TABLET)
    sign_in(page, live_server, network["coordinator"], PASSWORD)
    base = f"{live_server}/benchmarks/networks/{network['network_id']}"
    page.goto(base)
    page.get_by_role("link", name="Spørreskjemaer").click()
    page.wait_for_load_state()
    assert page.url.split("?")[0] == f"{base}/questionnaires"
    expect(page.get_by_role("heading", name="Ungdom", exact=True)).to_be_visible()
    _charts_drawn(page, ["shares-young_person", "shares-parent", "shares-staff", "funnel"])
    labels = page.locator("#fig-funnel").text_content() or ""
    assert re.search(r"Enhet [A-Z]+", labels) and "Enheten deres" not in labels
    assert serious_violations(page) == []
    screenshot(page, "benchmarks-questionnaires-tablet")
    # Another question in the funnel: the menu reloads the page for it.
    with page.expect_navigation():
        page.get_by_label("Spørsmål i traktdiagrammet").select_option(index=3)
    assert "question=" in page.url
    _charts_drawn(page, ["funnel"])
    # The table alternative opens and lists every unit.
    page.get_by_text("Vis tabellen").last.click()
    assert page.locator("table[data-table='funnel'] tbody tr").count() == 24


def test_unit_questionnaires_on_a_tablet(
    network: dict[str, Any], live_server: str, page: Any
) -> None:
    page.set_viewport_size(TABLET)
    sign_in(page, live_server, network["lead"], PASSWORD)
    page.goto(f"{live_server}/benchmarks/units/{network['unit_id']}")
    page.get_by_role("link", name="Spørreskjemaer").first.click()
    page.wait_for_load_state()
    assert "/questionnaires" in page.url
    shown = [
        code
        for code in ("young_person", "parent", "staff")
        if page.locator(f"#plot-own-{code}").count()
    ]
    assert "young_person" in shown and "staff" in shown
    _charts_drawn(page, [f"own-{code}" for code in shown])
    main = page.locator("main").inner_text()
    assert "Enhet " not in main.split("\n", 1)[1]  # no other unit, not even a pseudonym
    assert serious_violations(page) == []
    screenshot(page, "benchmarks-unit-questionnaires-tablet")


def test_annual_report_questionnaires(network: dict[str, Any], live_server: str, page: Any) -> None:
    page.set_viewport_size(TABLET)
    sign_in(page, live_server, network["lead"], PASSWORD)
    page.goto(f"{live_server}/benchmarks/networks/{network['network_id']}/annual-report")
    section = page.locator("section[aria-labelledby='ar-surveys']")
    section.scroll_into_view_if_needed()
    expect(section.get_by_role("heading", name="Spørreskjemaer: svar per skjema")).to_be_visible()
    assert section.locator("table[data-table='survey_counts'] tbody tr").count() == 3
    assert section.locator("table[data-table='survey_spread'] tbody tr").count() == 10
    assert serious_violations(page) == []
    section.screenshot(path="/tmp/kvip-shots/benchmarks-annual-questionnaires.png")

"""The benchmark dashboards in a real browser: charts drawn by plotly (its SVG appears),
tablet and desktop, no serious accessibility violations."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect

from kvip.benchmarks.synthetic import PASSWORD, generate
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.visits.models import Visit
from tests.browser.conftest import DESKTOP, IPAD, SHOTS, screenshot, serious_violations, sign_in


@pytest.fixture
def network(app: Flask) -> dict[str, Any]:
    result = generate(24, 3, 11, echo=lambda _m: None, today=date(2026, 6, 1))
    latest = db.session.scalar(
        sa.select(Cycle.id).where(Cycle.network_id == result.network_id).order_by(Cycle.year.desc())
    )
    # A unit that is peer-reviewed in the latest cycle, so every section of its page shows.
    unit_id = db.session.scalar(
        sa.select(Assessment.unit_id)
        .join(Visit, Visit.assessment_id == Assessment.id)
        .where(Assessment.cycle_id == latest, Visit.state == "completed")
        .order_by(Assessment.unit_id)
        .limit(1)
    )
    lead_number = int(unit_id) - min_unit(result.network_id) + 1
    return {
        "network_id": result.network_id,
        "unit_id": unit_id,
        "lead": f"lead{lead_number:04d}@{result.slug}.kvip",
        "coordinator": f"coordinator@{result.slug}.kvip",
    }


def min_unit(network_id: int) -> int:
    return int(
        db.session.scalar(
            sa.text("SELECT MIN(id) FROM units WHERE network_id = :n"), {"n": network_id}
        )
    )


def _charts_drawn(page: Any, names: list[str]) -> None:
    for name in names:
        plot = page.locator(f"#plot-{name}")
        plot.scroll_into_view_if_needed()
        plot.locator(".main-svg").first.wait_for(state="attached", timeout=15_000)
        assert plot.get_attribute("data-drawn") == "true"


@pytest.mark.parametrize("viewport", [IPAD, DESKTOP], ids=["ipad", "desktop"])
def test_unit_dashboard(
    network: dict[str, Any], live_server: str, page: Any, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    sign_in(page, live_server, network["lead"], PASSWORD)
    page.goto(f"{live_server}/benchmarks/units/{network['unit_id']}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Sammenlign og lær")
    _charts_drawn(page, ["domains", "trend", "differences"])
    expect(page.get_by_role("heading", name="Hvem dere kan lære av")).to_be_visible()
    assert "Enhet " in page.locator("#fig-domains").text_content()  # others are pseudonymised
    assert serious_violations(page) == []
    name = "ipad" if viewport == IPAD else "desktop"
    screenshot(page, f"benchmarks-unit-{name}")
    # Changing the cycle menu reloads the page for that cycle (no inline script needed).
    with page.expect_navigation():
        page.get_by_label("Syklus", exact=True).select_option(index=1)
    assert "cycle=" in page.url


@pytest.mark.parametrize("viewport", [IPAD, DESKTOP], ids=["ipad", "desktop"])
def test_coordinator_dashboards(
    network: dict[str, Any], live_server: str, page: Any, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    sign_in(page, live_server, network["coordinator"], PASSWORD)
    name = "ipad" if viewport == IPAD else "desktop"
    base = f"{live_server}/benchmarks/networks/{network['network_id']}"
    for path, charts, shot in (
        ("", ["domains", "funnel"], "overview"),
        ("/standards", ["heatmap", "not_met"], "standards"),
        ("/trends", ["trends"], "trends"),
        ("/agreement", ["rewording", "agreement_units"], "agreement"),
    ):
        page.goto(base + path)
        _charts_drawn(page, charts)
        assert serious_violations(page) == [], path
        if viewport == IPAD or shot == "overview":  # full-page shots are slow; one set is enough
            screenshot(page, f"benchmarks-{shot}-{name}")
    # Filters: a group under k units is suppressed, not shown.
    page.goto(base + "?kind=forensic")
    text = page.locator("main").inner_text()
    assert "For få enheter" in text or page.locator("#plot-funnel").count() == 1


def test_library_and_annual_report(network: dict[str, Any], live_server: str, page: Any) -> None:
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, network["lead"], PASSWORD)
    page.goto(f"{live_server}/benchmarks/networks/{network['network_id']}/good-practice")
    page.get_by_label("Tekst").fill("rutine")
    page.get_by_role("button", name="Søk").click()
    page.wait_for_load_state()
    assert "q=rutine" in page.url
    assert page.locator(".bm-gp-item").count() > 0
    assert serious_violations(page) == []
    screenshot(page, "benchmarks-library-desktop")
    page.goto(f"{live_server}/benchmarks/networks/{network['network_id']}/annual-report")
    _charts_drawn(page, ["trends"])
    expect(page.get_by_role("heading", name="Sammendrag")).to_be_visible()
    assert serious_violations(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "benchmarks-annual-desktop.png"))  # the top of the report

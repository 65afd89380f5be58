"""Charts a hospital can use (issue 16): on a Norwegian page the chart toolbar speaks
Norwegian, there is no "Share"/cloud button, numbers on axes and in hover labels use a decimal
comma, and the page talks to no other origin. In English: en-GB wording and a decimal point."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask

from kvip.benchmarks.synthetic import PASSWORD, generate
from tests.browser.conftest import IPAD, SHOTS, screenshot, serious_violations, sign_in

CLOUD = re.compile(r"share|del diagram|cloud|sky|chart studio|plotly", re.I)


@pytest.fixture
def network(app: Flask) -> dict[str, Any]:
    result = generate(16, 2, 23, echo=lambda _m: None, today=date(2026, 6, 1))
    return {"network_id": result.network_id, "coordinator": f"coordinator@{result.slug}.kvip"}


def _drawn(page: Any, name: str) -> Any:
    plot = page.locator(f"#plot-{name}")
    plot.scroll_into_view_if_needed()
    plot.locator(".main-svg").first.wait_for(state="attached", timeout=15_000)
    assert plot.get_attribute("data-drawn") == "true"
    return plot


def _toolbar_titles(plot: Any) -> list[str]:
    return [
        t
        for t in plot.locator(".modebar-btn").evaluate_all(
            "buttons => buttons.map(b => b.getAttribute('data-title') || '')"
        )
    ]


def _hover_first_point(page: Any, plot: Any, trace_selector: str) -> str:
    """Point the mouse at a data point (a tap on a tablet) and read plotly's hover label."""
    point = plot.locator(f"{trace_selector} .point").first
    box = point.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    label = plot.locator(".hoverlayer .hovertext").first
    label.wait_for(state="attached", timeout=5_000)
    return str(label.text_content())


def test_norwegian_charts_have_norwegian_toolbars_decimal_commas_and_no_cloud(
    network: dict[str, Any], live_server: str, page: Any
) -> None:
    page.set_viewport_size(IPAD)
    foreign: list[str] = []
    page.on(
        "request",
        lambda r: foreign.append(r.url) if not r.url.startswith(live_server) else None,
    )
    sign_in(page, live_server, network["coordinator"], PASSWORD)
    base = f"{live_server}/benchmarks/networks/{network['network_id']}"

    page.goto(base)
    funnel = _drawn(page, "funnel")
    titles = _toolbar_titles(funnel)
    assert "Last ned diagrammet som PNG-bilde" in titles  # download as image is kept
    assert "Zoom inn" in titles and "Tilbakestill aksene" in titles
    assert not [t for t in titles if CLOUD.search(t)], titles
    assert "Download plot as a PNG" not in titles and "Zoom in" not in titles
    assert funnel.locator(".modebar-btn[data-attr='sendChartToCloud']").count() == 0
    assert page.locator("a.modebar-btn[href*='plotly']").count() == 0  # no plotly logo link
    # A named view: the hover label of a unit shows its met % with a decimal comma.
    hover = _hover_first_point(page, funnel, ".scatterlayer .trace:last-child")
    assert re.search(r"\d,\d %", hover), hover
    assert not re.search(r"\d\.\d", hover), hover
    SHOTS.mkdir(parents=True, exist_ok=True)
    funnel.screenshot(path=str(SHOTS / "charts-nb-funnel-hover-ipad.png"))  # label and toolbar
    assert serious_violations(page) == []
    screenshot(page, "charts-nb-funnel-ipad")

    page.goto(base + "/agreement")
    scatter = _drawn(page, "agreement_units")
    ticks = scatter.locator(".ytick text").all_text_contents()
    assert "0,5" in ticks, ticks  # Gwet's AC2 axis from −1 to 1 in steps of 0,5
    assert not [t for t in ticks if "." in t], ticks
    assert serious_violations(page) == []
    screenshot(page, "charts-nb-agreement-ipad")
    assert foreign == []  # nothing left the hospital's network

    # English: the same charts in en-GB, with a decimal point.
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    page.goto(base + "/agreement")
    scatter = _drawn(page, "agreement_units")
    assert "0.5" in scatter.locator(".ytick text").all_text_contents()
    titles = _toolbar_titles(scatter)
    assert "Download plot as a PNG" in titles
    assert not [t for t in titles if CLOUD.search(t)], titles
    assert foreign == []

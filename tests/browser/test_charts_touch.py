"""Charts on touch (issue 16, item 6), on an iPad viewport with no hover at all: the own unit's
score is written beside its diamond and on its trend line, the trend shows the network median
and band, a coordinator sees the funnel's outliers named, every heatmap row has its code, and
no two panel titles overlap."""

from __future__ import annotations

import json
from typing import Any

from tests.browser.conftest import IPAD, screenshot, serious_violations, sign_in
from tests.browser.test_benchmarks_dashboards import network  # noqa: F401  (fixture)

PASSWORD = "demo-password"


def _drawn(page: Any, name: str) -> Any:
    plot = page.locator(f"#plot-{name}")
    plot.scroll_into_view_if_needed()
    plot.locator(".main-svg").first.wait_for(state="attached", timeout=15_000)
    assert plot.get_attribute("data-drawn") == "true"
    return plot


def _overlapping_titles(plot: Any) -> list[tuple[str, str]]:
    """Pairs of panel titles (plotly annotations) whose boxes intersect on screen (by more
    than 2 px: text boxes include a little padding)."""
    pairs: list[tuple[str, str]] = plot.evaluate(
        """el => {
          const boxes = [...el.querySelectorAll('.annotation-text-g')]
            .map(g => [g.textContent, g.getBoundingClientRect()]);
          const out = [];
          for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
            const [ta, a] = boxes[i], [tb, b] = boxes[j];
            if (a.left + 2 < b.right && b.left + 2 < a.right && a.top + 2 < b.bottom && b.top + 2 < a.bottom)
              out.push([ta, tb]);
          }
          return out;
        }"""
    )
    return pairs


def test_unit_charts_are_labelled_without_hover(
    network: dict[str, Any],  # noqa: F811
    live_server: str,
    page: Any,
) -> None:
    page.set_viewport_size(IPAD)
    sign_in(page, live_server, network["lead"], PASSWORD)
    page.goto(f"{live_server}/benchmarks/units/{network['unit_id']}")
    domains = _drawn(page, "domains")
    # The own unit's score is on the chart as text (a decimal comma), nothing hovered.
    labels = domains.locator(".scatterlayer .textpoint").all_text_contents()
    assert labels and all("," in t for t in labels), labels
    assert domains.locator(".hoverlayer .hovertext").count() == 0
    trend = _drawn(page, "trend")
    assert not _overlapping_titles(trend)
    legend = trend.locator(".legend .legendtext").all_text_contents()
    assert "Nettverkets median" in legend and "Midterste halvdel av enhetene" in legend
    assert trend.locator(".scatterlayer .textpoint").count() >= 1  # the latest own score
    assert "pek for" not in page.content()
    domains.screenshot(path="/tmp/touchcharts-unit-domains.png")
    trend.screenshot(path="/tmp/touchcharts-unit-trend.png")
    assert serious_violations(page) == []
    screenshot(page, "touchcharts-unit-ipad")


def test_coordinator_charts_name_outliers_and_label_every_row(
    network: dict[str, Any],  # noqa: F811
    live_server: str,
    page: Any,
) -> None:
    page.set_viewport_size(IPAD)
    sign_in(page, live_server, network["coordinator"], PASSWORD)
    base = f"{live_server}/benchmarks/networks/{network['network_id']}"
    page.goto(base)
    domains = _drawn(page, "domains")
    assert not _overlapping_titles(domains)
    funnel = _drawn(page, "funnel")
    named = funnel.locator(".annotation-text-g").all_text_contents()
    figure = json.loads(page.locator("#fig-funnel").text_content() or "{}")
    points = [t for t in figure["data"] if t["mode"] == "markers"]
    outliers = [a["text"] for a in figure["layout"].get("annotations", [])]
    assert outliers, "the synthetic network has units outside the limits"
    assert sorted(named) == sorted(outliers)  # named on the chart, without a tap
    funnel.screenshot(path="/tmp/touchcharts-funnel.png")
    assert not _overlapping_titles(funnel)  # the names do not run into each other
    # Every legend entry shows the one symbol its points are drawn with.
    legend_symbols = funnel.locator(".legend path.scatterpts").count()
    assert legend_symbols == len(points)
    domains.screenshot(path="/tmp/touchcharts-network-domains.png")
    funnel.screenshot(path="/tmp/touchcharts-funnel.png")
    assert serious_violations(page) == []

    page.goto(base + "/standards?domain=4")
    heat = _drawn(page, "heatmap")
    rows = heat.locator(".ytick text").all_text_contents()
    codes = json.loads(page.locator("#fig-heatmap").text_content() or "{}")["data"][0]["y"]
    assert rows == codes  # every standard of the domain has its label, none skipped
    heat.screenshot(path="/tmp/touchcharts-heatmap.png")

    page.goto(base + "/trends")
    trends = _drawn(page, "trends")
    assert not _overlapping_titles(trends)
    trends.screenshot(path="/tmp/touchcharts-network-trends.png")
    assert serious_violations(page) == []

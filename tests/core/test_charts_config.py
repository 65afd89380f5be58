"""No page or script the app serves turns on plotly's cloud or share features (issue 16): every
figure is drawn through the one configuration in static/js/charts.js, which switches them off.

plotly.js 4 *enables* "Share chart…" (``showSendToCloud``) and points ``plotlyServerURL`` at
plotly's cloud by default, so a chart drawn with plotly's defaults offers to upload its data."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
CHARTS_JS = ROOT / "static" / "js" / "charts.js"


def _served_sources() -> list[Path]:
    """Our JavaScript, every template and the Python that builds figures (not the vendored
    plotly.js itself, which contains the features we switch off)."""
    files = sorted((ROOT / "static" / "js").glob("*.js"))
    files += sorted((ROOT / "templates").rglob("*.html"))
    files += sorted((ROOT / "kvip").rglob("*.py"))
    return files


ENABLED = [
    re.compile(r"showSendToCloud\W{1,4}(true|True|1)\b"),
    re.compile(r"showEditInChartStudio\W{1,4}(true|True|1)\b"),
    re.compile(r"showLink\W{1,4}(true|True|1)\b"),
    re.compile(r"sendData\W{1,4}(true|True|1)\b"),
    re.compile(r"displaylogo\W{1,4}(true|True|1)\b"),
    re.compile(r"plotlyServerURL\W{1,4}[\"']https?:"),
    re.compile(r"modeBarButtonsToAdd[^\n]*(Cloud|ChartStudio)", re.I),
    re.compile(r"(cloud\.plotly|chart-studio\.plotly|plot\.ly/|plotly\.com)", re.I),
]


def test_no_served_file_enables_a_plotly_cloud_feature() -> None:
    offences = []
    for path in _served_sources():
        text = path.read_text(encoding="utf-8")
        for pattern in ENABLED:
            for match in pattern.finditer(text):
                offences.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not offences, offences


def test_every_chart_is_drawn_through_the_one_config() -> None:
    """Plotly.newPlot / react is called in charts.js only; every page that loads plotly.js
    loads charts.js with it (both through templates/_plotly.html)."""
    for path in sorted((ROOT / "static" / "js").glob("*.js")):
        text = path.read_text(encoding="utf-8")
        calls = re.findall(r"Plotly\.(newPlot|react|plot)\s*\(", text)
        if path == CHARTS_JS:
            assert calls == ["newPlot"]
        else:
            assert not calls, f"{path.name} draws with its own plotly config"
    loaders = [
        p.relative_to(ROOT / "templates").as_posix()
        for p in (ROOT / "templates").rglob("*.html")
        if "vendor/plotly-cartesian.min.js" in p.read_text(encoding="utf-8")
    ]
    assert loaders == ["_plotly.html"]
    assert "js/charts.js" in (ROOT / "templates" / "_plotly.html").read_text(encoding="utf-8")


def test_the_config_switches_the_cloud_off_and_keeps_the_image_download() -> None:
    text = CHARTS_JS.read_text(encoding="utf-8")
    for setting in (
        "showSendToCloud: false",
        "showEditInChartStudio: false",
        "showLink: false",
        "sendData: false",
        'plotlyServerURL: ""',
        "displaylogo: false",
    ):
        assert setting in text, setting
    removed = re.search(r"var REMOVED = \[(.*?)\];", text, re.S)
    assert removed is not None
    for button in ("sendChartToCloud", "sendDataToCloud", "editInChartStudio"):
        assert f'"{button}"' in removed.group(1)
    assert '"toImage"' not in removed.group(1) and "toImageButtonOptions" in text
    # The Norwegian locale and the separators per language.
    assert 'name: "nb"' in text and 'name: "en-GB"' in text
    assert 'decimal: ","' in text and 'nb: ",\\u00a0"' in text


def test_the_vendored_plotly_is_why_the_config_matters() -> None:
    """If a plotly update stops defaulting to the cloud, this note can go; until then every
    chart must go through charts.js."""
    vendored = (ROOT / "static" / "vendor" / "plotly-cartesian.min.js").read_text(encoding="utf-8")
    assert 'showSendToCloud:{valType:"boolean",dflt:!0}' in vendored
    assert "sendChartToCloud" in vendored


def test_csp_keeps_connections_to_our_own_origin(app: Flask) -> None:
    response = app.test_client().get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "connect-src 'self'" in csp and "plotly" not in csp

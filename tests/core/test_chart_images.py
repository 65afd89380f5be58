"""kvip.core.chart_images: figures prepared as the screen draws them (separators per language,
sized for a page), the browser found or switched off, a failing renderer never stops a PDF,
and the PDF fetcher serves a PDF's own images and nothing else (issue 16, item 5)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from kvip.core import chart_images, pdf
from kvip.core.chart_images import ChartImage

ROOT = Path(__file__).resolve().parents[2]
FIGURE = json.dumps({"data": [{"type": "bar", "x": ["A"], "y": [46.6]}], "layout": {"height": 300}})


def test_separators_are_the_ones_the_screen_uses() -> None:
    """static/js/charts.js is the client's config; the server uses the same separators."""
    js = (ROOT / "static" / "js" / "charts.js").read_text(encoding="utf-8")
    match = re.search(r"var SEPARATORS = \{ nb: \"([^\"]+)\", \"en-GB\": \"([^\"]+)\" \}", js)
    assert match is not None
    nb, en = (json.loads(f'"{g}"') for g in match.groups())
    assert {"nb": nb, "en": en} == chart_images.SEPARATORS


def test_prepare_sets_separators_and_a_page_size() -> None:
    nb = chart_images.prepare(FIGURE, "nb")
    assert nb["layout"]["separators"] == ",\u00a0"
    assert (nb["layout"]["width"], nb["layout"]["height"]) == (chart_images.WIDTH, 300)
    assert chart_images.prepare(FIGURE, "en")["layout"]["separators"] == ".,"


def test_browser_path_is_configurable(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        monkeypatch.setitem(app.config, "KVIP_CHART_BROWSER", "off")
        assert chart_images.browser_path() is None
        monkeypatch.setitem(app.config, "KVIP_CHART_BROWSER", "/no/such/chromium")
        assert chart_images.browser_path() is None
        monkeypatch.setitem(app.config, "KVIP_CHART_BROWSER", "/bin/sh")  # any executable
        assert chart_images.browser_path() == "/bin/sh"
        monkeypatch.setitem(app.config, "KVIP_CHART_BROWSER", "auto")
        monkeypatch.setenv("BROWSER_PATH", "/bin/sh")
        assert chart_images.browser_path() == "/bin/sh"


def test_a_failing_renderer_gives_a_note_not_an_error(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(figs: Any, browser: str) -> Any:
        raise RuntimeError("the browser crashed")

    monkeypatch.setattr(chart_images, "_draw", broken)
    with app.test_request_context():
        monkeypatch.setitem(app.config, "KVIP_CHART_BROWSER", "/bin/sh")
        chart_images.clear_cache()
        charts, files = chart_images.for_pdf({"trend": FIGURE, "none": None}, "nb")
    assert files == {}
    assert list(charts) == ["trend"]
    assert charts["trend"].src is None and "Diagrammet kunne ikke tegnes" in charts["trend"].missing


def test_images_are_cached_per_figure(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake(figs: dict[str, Any], browser: str) -> dict[str, bytes]:
        calls.append(sorted(figs))
        return {name: b"\x89PNG fake " + name.encode() for name in figs}

    monkeypatch.setattr(chart_images, "_draw", fake)
    with app.test_request_context():
        monkeypatch.setitem(app.config, "KVIP_CHART_BROWSER", "/bin/sh")
        chart_images.clear_cache()
        charts, files = chart_images.for_pdf({"a": FIGURE}, "nb")
        assert charts["a"].src == "/_chart-images/a.png" and files == {"a.png": b"\x89PNG fake a"}
        chart_images.for_pdf({"b": FIGURE, "c": FIGURE.replace("46.6", "50")}, "nb")
    # "b" is the same figure as "a": drawn once; "c" differs; English would differ too.
    assert calls == [["a"], ["c"]]


def test_the_fetcher_serves_a_pdfs_own_images_only(app: Flask) -> None:
    with app.test_request_context():
        fetcher = pdf.url_fetcher({"trend.png": b"\x89PNG"})
        response = fetcher(pdf.BASE_URL + pdf.IMAGE_PREFIX + "trend.png")
        assert response.read() == b"\x89PNG" and response.content_type == "image/png"
        for url in (
            pdf.BASE_URL + pdf.IMAGE_PREFIX + "other.png",
            pdf.BASE_URL + pdf.IMAGE_PREFIX + "../static/css/kvip.css",
            "https://example.org/" + pdf.IMAGE_PREFIX + "trend.png",
            "data:image/png;base64,iVBORw0KGgo=",
        ):
            with pytest.raises(ValueError):
                fetcher(url)
        with pytest.raises(ValueError):  # another PDF's fetcher has no images
            pdf.url_fetcher()(pdf.BASE_URL + pdf.IMAGE_PREFIX + "trend.png")


class _FakeBrowser:
    """Stands in for chart_images._Browser (no Chromium): records starts, drawings, closes."""

    started: list[str] = []
    closed: list[str] = []
    fail_next = False

    def __init__(self, path: str, plotly_js: Path) -> None:
        import os

        self.key = (path, str(plotly_js))
        self.pid = os.getpid()
        _FakeBrowser.started.append(path)

    def draw(self, figs: dict[str, Any]) -> dict[str, bytes]:
        if _FakeBrowser.fail_next:
            _FakeBrowser.fail_next = False
            raise RuntimeError("the browser crashed")
        return {name: b"\x89PNG " + name.encode() for name in figs}

    def close(self) -> None:
        _FakeBrowser.closed.append(self.key[0])


def test_one_browser_draws_every_pdf_of_a_process(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ~2 s browser start is paid once per process, not once per PDF; a failed drawing
    closes the browser (the next PDF starts a fresh one), as does another configured path."""
    monkeypatch.setattr(chart_images, "_Browser", _FakeBrowser)
    monkeypatch.setattr(_FakeBrowser, "started", [])
    monkeypatch.setattr(_FakeBrowser, "closed", [])
    chart_images.close_browser()
    figure = json.loads(FIGURE)

    def pdf_with(value: float) -> dict[str, ChartImage]:
        figure["data"][0]["y"] = [value]
        return chart_images.for_pdf({"chart": json.dumps(figure)}, "nb")[0]

    with app.test_request_context():
        monkeypatch.setitem(app.config, "KVIP_CHART_BROWSER", "/bin/sh")
        chart_images.clear_cache()
        for value in (1, 2, 3):
            assert pdf_with(value)["chart"].src is not None
        assert (_FakeBrowser.started, _FakeBrowser.closed) == (["/bin/sh"], [])

        _FakeBrowser.fail_next = True
        assert pdf_with(4)["chart"].src is None  # a note, and the browser is closed
        assert _FakeBrowser.closed == ["/bin/sh"]
        assert pdf_with(5)["chart"].src is not None
        assert _FakeBrowser.started == ["/bin/sh", "/bin/sh"]

        monkeypatch.setitem(app.config, "KVIP_CHART_BROWSER", "/bin/ls")
        assert pdf_with(6)["chart"].src is not None
        assert _FakeBrowser.started == ["/bin/sh", "/bin/sh", "/bin/ls"]
        assert _FakeBrowser.closed == ["/bin/sh", "/bin/sh"]
    chart_images.close_browser()
    assert _FakeBrowser.closed == ["/bin/sh", "/bin/sh", "/bin/ls"]

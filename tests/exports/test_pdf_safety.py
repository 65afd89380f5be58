"""PDFs: user text never reaches CSS, WeasyPrint fetches nothing but our static files (issue 12,
item 4), and Norwegian and Sámi names render with fonts that have their letters (item 6)."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask import Flask

from kvip.core import pdf
from kvip.extensions import db
from tests.conftest import login
from tests.exports import hostile
from tests.factories import World


def _pdf_paths(world: World) -> list[tuple[str, str]]:
    a, n = world.assessment.id, world.network.id
    return [
        ("reviewer", f"/visits/{world.visit.id}/report.pdf"),
        ("lead", f"/actions/assessments/{a}/plan.pdf"),
        ("lead", f"/actions/assessments/{a}/gap.pdf"),
        ("coordinator", f"/benchmarks/networks/{n}/annual-report.pdf"),
        ("lead", f"/benchmarks/units/{world.unit.id}/dashboard.pdf"),
    ]


def test_making_pdfs_fetches_nothing_named_in_user_text(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """A cycle name that breaks out of a CSS string, an <img> in an observation: no PDF asks
    for any URL (the fetcher is not even asked), and each still renders."""
    with hostile.recording_server() as (port, hits):
        world = hostile.build_hostile_world(port).world
        with caplog.at_level(logging.WARNING):
            for role, path in _pdf_paths(world):
                response = login(app.test_client(), world.users[role]).get(path)
                assert response.status_code == 200, path
                assert response.data.startswith(b"%PDF"), path
        report = login(app.test_client(), world.users["reviewer"]).get(
            f"/visits/{world.visit.id}/report.pdf"
        )
    assert hits == []
    assert not [r for r in caplog.records if "refused to fetch" in r.getMessage()]
    # The cycle's name is still in the page header, as text.
    assert "Syklus Kárášjohka" in hostile.pdf_text(report.data)


def test_drawing_the_charts_of_pdfs_fetches_nothing_named_in_user_text(
    app: Flask, chart_browser: str
) -> None:
    """Hostile names also reach the figures that Chromium draws for the PDFs (kaleido): plotly
    draws text as SVG text, so nothing is requested from the recording server either."""
    with hostile.recording_server() as (port, hits):
        world = hostile.build_hostile_world(port).world
        for role, path in _pdf_paths(world):
            response = login(app.test_client(), world.users[role]).get(path)
            assert response.status_code == 200, path
    assert hits == []


def test_user_text_never_reaches_the_css_of_a_pdf(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    import weasyprint

    seen: list[str] = []
    real = weasyprint.HTML.__init__

    def capture(self: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(kwargs["string"])
        real(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "__init__", capture)
    with hostile.recording_server() as (port, _hits):
        world = hostile.build_hostile_world(port).world
        for role, path in _pdf_paths(world):
            assert login(app.test_client(), world.users[role]).get(path).status_code == 200
    assert len(seen) == len(_pdf_paths(world))
    for html in seen:
        css = "\n".join(re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S))
        assert css
        for text in ("Syklus", "Kárášjohka", "127.0.0.1", "God praksis"):
            assert text not in css


# --- the fetcher ------------------------------------------------------------------------------


def _fetch(url: str) -> Any:
    fetcher = pdf.url_fetcher()
    return fetcher(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.css",
        "https://example.org/static/css/kvip.css",
        "file:///etc/passwd",
        "data:text/css,body{}",
        "ftp://127.0.0.1/x",
        pdf.BASE_URL + "etc/passwd",
        pdf.BASE_URL + "static/../../../../etc/passwd",
        pdf.BASE_URL + "static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        pdf.BASE_URL + "static/css",
        pdf.BASE_URL + "static/css/no-such-file.css",
        pdf.BASE_URL.replace("https", "http") + "static/css/kvip.css",
    ],
)
def test_the_fetcher_refuses_everything_but_static_files(app: Flask, url: str) -> None:
    with app.test_request_context(), pytest.raises(ValueError):
        _fetch(url)


def test_the_fetcher_serves_static_files(app: Flask) -> None:
    with app.test_request_context():
        response = _fetch(pdf.BASE_URL + "static/css/benchmarks-print.css?v=1")
        assert b"@page" in response.read()
        assert response.content_type == "text/css"


def test_a_pdf_may_use_static_files_and_nothing_else(app: Flask) -> None:
    with hostile.recording_server() as (port, hits), app.test_request_context():
        html = (
            '<html><head><link rel="stylesheet" href="/static/css/benchmarks-print.css">'
            f"<style>@import url(http://127.0.0.1:{port}/a.css);</style></head><body>"
            '<img src="/static/img/visits-icon.svg" alt="">'
            f'<img src="http://127.0.0.1:{port}/b.png" alt="">'
            f'<img src="file:///etc/hostname" alt=""><p>Kárášjohka</p></body></html>'
        )
        data = pdf.render_pdf(html)
    assert hits == []
    assert "Kárášjohka" in hostile.pdf_text(data)


# --- item 6: names in Sámi ----------------------------------------------------------------------


def test_pdfs_of_a_unit_with_a_sami_name(app: Flask, world: World) -> None:
    """ "BUP døgn Kárášjohka" made the action plan and GAP PDFs answer 500 (gunicorn) or hang
    (development server): the download name went into a header as non-Latin-1 text."""
    world.unit.name = "BUP døgn Kárášjohka " + hostile.SAMI
    db.session.commit()
    for role, path in _pdf_paths(world)[:3]:
        response = login(app.test_client(), world.users[role]).get(path)
        assert response.status_code == 200, path
        disposition = response.headers["Content-Disposition"]
        disposition.encode("latin-1")
        if "plan" in path or "gap" in path:
            assert "filename*=UTF-8''" in disposition and "karasjohka" in disposition
        text = hostile.pdf_text(response.data)
        assert "Kárášjohka" in text, path
        assert all("DejaVu-Sans" in f for f in hostile.pdf_fonts(response.data)), path
    response = login(app.test_client(), world.users["lead"]).get(
        f"/actions/assessments/{world.assessment.id}/plan.pdf"
    )
    assert hostile.SAMI in hostile.pdf_text(response.data)

"""Printing the chart pages (issue 16, item 5): every chart is drawn before print, not only the
ones scrolled into view, so no "Laster diagram …" reaches paper; the toolbar stays off paper.
Also the PDFs of a larger network (the synthetic one) carry their charts as images."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from kvip.accounts.models import User
from kvip.benchmarks.synthetic import PASSWORD
from kvip.extensions import db
from tests.browser.conftest import DESKTOP, SHOTS, sign_in
from tests.browser.test_benchmarks_dashboards import network  # noqa: F401 - the fixture
from tests.conftest import login

SAVE = Path(os.environ.get("KVIP_SAVE_PDFS", str(SHOTS)))


def _print_page(page: Any, url: str, name: str) -> PdfReader:
    """Open ``url`` at the top (charts below the fold not drawn yet), print it to PDF."""
    page.goto(url)
    page.wait_for_load_state("load")
    plots = page.locator("[data-figure]")
    total = plots.count()
    assert total > 0
    assert page.locator("[data-figure][data-drawn]").count() < total  # lazy on screen
    page.emulate_media(media="print")
    page.wait_for_function(
        "document.querySelectorAll('[data-figure]').length === "
        "document.querySelectorAll('[data-figure][data-drawn=\"true\"]').length",
        timeout=20_000,
    )
    assert page.locator(".bm-loading:visible").count() == 0
    assert page.locator(".modebar-container:visible").count() == 0
    SAVE.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(format="A4", print_background=True)
    (SAVE / f"print-{name}.pdf").write_bytes(pdf)
    page.emulate_media(media="screen")
    return PdfReader(io.BytesIO(pdf))


def test_printing_the_unit_dashboard_and_annual_report_draws_every_chart(
    app: Flask,
    network: dict[str, Any],  # noqa: F811
    live_server: str,
    page: Any,
    chart_browser: str,
) -> None:
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, network["coordinator"], PASSWORD)
    annual = _print_page(
        page,
        f"{live_server}/benchmarks/networks/{network['network_id']}/annual-report",
        "annual",
    )
    text = " ".join(p.extract_text() or "" for p in annual.pages)
    assert "Laster diagram" not in text
    page.context.clear_cookies()
    sign_in(page, live_server, network["lead"], PASSWORD)
    unit = _print_page(page, f"{live_server}/benchmarks/units/{network['unit_id']}", "unit")
    text = " ".join(p.extract_text() or "" for p in unit.pages)
    assert "Laster diagram" not in text
    _server_pdfs_carry_their_charts(app, network)


def _server_pdfs_carry_their_charts(app: Flask, net: dict[str, Any]) -> None:
    """The PDFs made on the server, for the same network: the annual report's trend chart and
    the unit dashboard's three charts as images."""

    def user(email: str) -> User:
        found = db.session.scalar(sa.select(User).where(User.email == email))
        assert found is not None
        return found

    coordinator = login(app.test_client(), user(net["coordinator"]))
    response = coordinator.get(f"/benchmarks/networks/{net['network_id']}/annual-report.pdf")
    assert response.status_code == 200
    (SAVE / "annual-large.pdf").write_bytes(response.data)
    reader = PdfReader(io.BytesIO(response.data))
    assert len({i.data for p in reader.pages for i in p.images}) == 1
    lead = login(app.test_client(), user(net["lead"]))
    response = lead.get(f"/benchmarks/units/{net['unit_id']}/dashboard.pdf")
    assert response.status_code == 200
    (SAVE / "unit-large.pdf").write_bytes(response.data)
    reader = PdfReader(io.BytesIO(response.data))
    assert len({i.data for p in reader.pages for i in p.images}) == 3

"""Charts in the benchmark PDFs (issue 16, item 5): the annual report and the unit dashboard
carry the figures the screen draws, as images drawn on the server; without a browser the PDF
is still made, with a note where each chart would be."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from kvip.core import chart_images
from kvip.core.models import ExportJob
from kvip.extensions import db
from tests.benchmarks.conftest import BenchWorld

SAVE = os.environ.get("KVIP_SAVE_PDFS")  # a folder: keep the PDFs made here to look at


def _pdf(response: Any, name: str) -> PdfReader:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.data.startswith(b"%PDF")
    if SAVE:
        Path(SAVE, name).write_bytes(response.data)
    return PdfReader(io.BytesIO(response.data))


def _images(reader: PdfReader) -> dict[str, Any]:
    """Every distinct image in the PDF (WeasyPrint lists an image in the resources of every
    page), by its data."""
    return {image.data: image for page in reader.pages for image in page.images}


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def test_annual_report_pdf_has_the_trend_chart(
    client_as: Any, bench: BenchWorld, chart_browser: str
) -> None:
    client = client_as("coordinator")
    reader = _pdf(
        client.get(f"/benchmarks/networks/{bench.network.id}/annual-report.pdf"), "annual.pdf"
    )
    images = list(_images(reader).values())
    assert len(images) == 1
    assert images[0].image.width >= 1000  # drawn at twice the page's pixel width: sharp in print
    text = _text(reader)
    assert "Diagrammet kunne ikke tegnes" not in text
    # The long table per standard is an appendix after everything else.
    assert text.rindex("Vedlegg") > text.index("Utvikling")


def test_annual_report_pdf_without_a_browser_has_a_note(
    client_as: Any, bench: BenchWorld, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "KVIP_CHART_BROWSER", "/no/such/chromium")
    chart_images.clear_cache()
    client = client_as("coordinator")
    reader = _pdf(
        client.get(f"/benchmarks/networks/{bench.network.id}/annual-report.pdf"),
        "annual-nobrowser.pdf",
    )
    assert _images(reader) == {}
    assert "Diagrammet kunne ikke tegnes" in " ".join(_text(reader).split())


def test_unit_dashboard_pdf_has_its_three_charts(
    client_as: Any, bench: BenchWorld, chart_browser: str
) -> None:
    client = client_as("lead")
    unit_id = bench.units["own"].id
    page = client.get(f"/benchmarks/units/{unit_id}").get_data(as_text=True)
    assert f"/benchmarks/units/{unit_id}/dashboard.pdf" in page
    reader = _pdf(client.get(f"/benchmarks/units/{unit_id}/dashboard.pdf"), "unit.pdf")
    assert len(_images(reader)) == 3  # domains, trend, differences: as the page draws them
    text = " ".join(_text(reader).split())
    assert bench.units["own"].name in text
    assert "Diagrammet kunne ikke tegnes" not in text


def test_unit_dashboard_pdf_without_a_browser_has_a_note_per_chart(
    client_as: Any, bench: BenchWorld
) -> None:
    # The test app draws no chart images (KVIP_CHART_BROWSER=off): the PDF is made anyway.
    chart_images.clear_cache()
    reader = _pdf(
        client_as("lead").get(f"/benchmarks/units/{bench.units['own'].id}/dashboard.pdf"),
        "unit-nobrowser.pdf",
    )
    assert _images(reader) == {}
    assert " ".join(_text(reader).split()).count("Diagrammet kunne ikke tegnes") == 3


def test_annual_report_made_by_the_job_queue_has_the_chart(
    client_as: Any, bench: BenchWorld, chart_browser: str
) -> None:
    """Large networks get the annual report from the job queue: the same PDF, chart included."""
    client = client_as("coordinator")
    response = client.post(f"/jobs/exports/annual_report?network_id={bench.network.id}")
    assert response.status_code == 303
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    db.session.expire_all()
    job = db.session.get(ExportJob, job_id)
    assert job is not None and job.state == "done", job and job.error
    reader = _pdf(client.get(f"/jobs/{job_id}/download"), "annual-job.pdf")
    assert len(_images(reader)) == 1

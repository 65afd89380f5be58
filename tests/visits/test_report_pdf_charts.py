"""The visit-report PDF (issue 16, item 5): the figure the page shows, as an image drawn on the
server (or a note where no browser can draw it), and the unit's comments with the lead
reviewer's responses as the web report shows them."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from flask import Flask
from pypdf import PdfReader

from kvip.core import chart_images
from kvip.extensions import db
from kvip.visits import reports
from tests.conftest import login
from tests.factories import World
from tests.visits.test_reports import _complete

SAVE = os.environ.get("KVIP_SAVE_PDFS")


def _shared_with_comments(app: Flask, world: World) -> str:
    """A report shared with the unit, one comment on the summary and one on a standard, the
    first answered by the lead reviewer."""
    report = _complete(app, world)
    reports.share_report(world.users["reviewer"], report)
    general = reports.add_comment(
        world.users["member"], report, "general", "Møtet var i mars, ikke i april."
    )
    reports.add_comment(world.users["member"], report, "standard:1.2", "Vi har rutinen skriftlig.")
    reports.respond_to_comment(world.users["reviewer"], general, "Rettet til mars.")
    db.session.commit()
    return f"/visits/{world.visit.id}/report"


def _get(client: Any, url: str, name: str) -> tuple[PdfReader, str]:
    response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    if SAVE:
        Path(SAVE, name).write_bytes(response.data)
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())
    return reader, text


def _images(reader: PdfReader) -> set[bytes]:
    return {image.data for page in reader.pages for image in page.images}


def test_report_pdf_has_the_chart_and_the_comments_with_responses(
    app: Flask, world: World, chart_browser: str
) -> None:
    url = _shared_with_comments(app, world)
    client = login(app.test_client(), world.users["member"])
    page = client.get(url).get_data(as_text=True)
    assert 'data-figure="fig-domains"' in page  # the page draws the same figure
    reader, text = _get(client, url + ".pdf", "visit-report.pdf")
    assert len(_images(reader)) == 1
    for said in (
        "Møtet var i mars, ikke i april.",
        "Rettet til mars.",
        "Vi har rutinen skriftlig.",
        "Kommentarer til faktiske forhold",
    ):
        assert said in text, said
    assert "Send kommentar" not in text and "Lagre svar" not in text  # no forms in a PDF


def test_report_pdf_without_a_browser_has_a_note_and_the_comments(app: Flask, world: World) -> None:
    chart_images.clear_cache()
    url = _shared_with_comments(app, world)
    client = login(app.test_client(), world.users["coordinator"])
    reader, text = _get(client, url + ".pdf", "visit-report-nobrowser.pdf")
    assert _images(reader) == set()
    assert "Diagrammet kunne ikke tegnes" in text
    assert "Rettet til mars." in text

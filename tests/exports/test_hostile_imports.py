"""Uploads built to exhaust the server (issue 12, item 7): zip bombs, sheets that declare or
hold far more rows or columns than the template, floods of shared strings. Each is refused with
a clear message in the user's language before it is parsed whole, and nothing is stored. The
files are small: a zip whose directory *declares* huge members, rows with nothing in them.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from kvip.cycles import excel as sheet_excel
from kvip.cycles.models import Rating
from kvip.extensions import db
from kvip.standards.models import EditionImport
from tests.conftest import login
from tests.factories import World
from tests.standards.conftest import db_state, make_csv, make_xlsx, sheet_row

SHEET = "xl/worksheets/sheet1.xml"


def rewrite(
    data: bytes,
    change: Callable[[str, bytes], bytes | None],
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """The .xlsx ``data`` with each member passed through ``change(name, content)`` (None
    keeps it) and ``extra`` members added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info.filename, change(info.filename, content) or content)
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def declare_huge(data: bytes, member: str = SHEET, size: int = 2_000_000_000) -> bytes:
    """The same zip, its directory claiming that ``member`` unpacks to ``size`` bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
        target.getinfo(member).file_size = size  # written to the central directory on close
    return out.getvalue()


def _sheet_xml(content: bytes, rows: str = "", dimension: str | None = None) -> bytes:
    """Sheet XML with ``rows`` added at the end of sheetData and its dimension replaced."""
    text = content.decode("utf-8")
    text = re.sub(r"<dimension [^>]*/>", "" if dimension is None else dimension, text)
    return text.replace("</sheetData>", rows + "</sheetData>").encode("utf-8")


def with_shared_strings(data: bytes, count: int) -> bytes:
    """The workbook with a shared-strings part of ``count`` strings, wired in as Excel does."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    strings = (
        f'<sst xmlns="{main}" count="{count}" uniqueCount="{count}">'.encode()
        + b"<si><t>x</t></si>" * count
        + b"</sst>"
    )
    rel = (
        '<Relationship Id="rIdSst" Target="sharedStrings.xml" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>'
    )
    override = (
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )

    def change(name: str, content: bytes) -> bytes | None:
        if name == "xl/_rels/workbook.xml.rels":
            return content.replace(b"</Relationships>", rel.encode())
        if name == "[Content_Types].xml":
            return content.replace(b"</Types>", override.encode())
        return None

    return rewrite(data, change, {"xl/sharedStrings.xml": strings})


# --- the self-assessment upload ---------------------------------------------------------------


def _template(client: FlaskClient, world: World) -> bytes:
    response = client.get(f"/cycles/assessments/{world.assessment.id}/export.xlsx")
    assert response.status_code == 200
    # A change the preview would show: proves a refusal is about size, not content.
    wb = load_workbook(io.BytesIO(response.data))
    wb.worksheets[0]["F2"].value = "Endret i Excel"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _ratings() -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [
        tuple(r)
        for r in db.session.execute(
            sa.select(Rating.id, Rating.value, Rating.comment, Rating.version).order_by(Rating.id)
        )
    ]


def _post(client: FlaskClient, world: World, data: bytes) -> Any:
    return client.post(
        f"/cycles/assessments/{world.assessment.id}/import",
        data={"file": (io.BytesIO(data), "egenvurdering.xlsx")},
        content_type="multipart/form-data",
    )


def _many_rows(count: int, start: int) -> str:
    return "".join(f'<row r="{n}"/>' for n in range(start, start + count))


HOSTILE: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "a directory declaring a 2 GB sheet": (
        lambda data: declare_huge(data),
        "Arbeidsboken er for stor: utpakket er den",
    ),
    "a real zip bomb: 60 MB of zeros in a member Excel ignores": (
        lambda data: rewrite(
            data, lambda n, c: None, {"xl/media/bomb.bin": bytes(60 * 1024 * 1024)}
        ),
        "Arbeidsboken er for stor",
    ),
    "100,000 empty rows below the table": (
        lambda data: rewrite(
            data, lambda n, c: _sheet_xml(c, _many_rows(100_000, 10)) if n == SHEET else None
        ),
        "Filen har flere rader enn malen (høyst 1007)",
    ),
    "a dimension of a million rows and every column": (
        lambda data: rewrite(
            data,
            lambda n, c: (
                _sheet_xml(c, "", '<dimension ref="A1:XFD1048576"/>') if n == SHEET else None
            ),
        ),
        "Filen har flere rader enn malen",
    ),
    "a row of 20,000 cells": (
        lambda data: rewrite(
            data,
            lambda n, c: (
                _sheet_xml(
                    c,
                    '<row r="9">'
                    + "".join(f'<c r="A9" t="n"><v>{i}</v></c>' for i in range(20_000))
                    + "</row>",
                )
                if n == SHEET
                else None
            ),
        ),
        "Filen har flere kolonner enn malen (høyst 50)",
    ),
    "100,000 shared strings": (
        lambda data: with_shared_strings(data, 100_000),
        "Arbeidsboken inneholder flere tekster enn malen har plass til",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_self_assessment_uploads_are_refused(app: Flask, world: World, case: str) -> None:
    client = login(app.test_client(), world.users["member"])
    template = _template(client, world)
    assert "Endret i Excel" in _post(client, world, template).get_data(as_text=True)
    build, message = HOSTILE[case]
    before = _ratings()
    response = _post(client, world, build(template))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html, html[html.find("error-summary") :][:600]
    assert "Endret i Excel" not in html  # no preview of a refused file
    assert _ratings() == before


def test_the_upload_preview_is_short(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview lists the first changes and says how many more there are."""
    monkeypatch.setattr(sheet_excel, "PREVIEW_LIMIT", 2)
    client = login(app.test_client(), world.users["member"])
    wb = load_workbook(
        io.BytesIO(client.get(f"/cycles/assessments/{world.assessment.id}/export.xlsx").data)
    )
    for row in range(2, 7):
        wb.worksheets[0].cell(row, 6).value = f"Endring nummer {row}"
    buffer = io.BytesIO()
    wb.save(buffer)
    html = _post(client, world, buffer.getvalue()).get_data(as_text=True)
    shown = re.findall(r'<span class="pre">(Endring nummer \d)</span>', html)
    assert shown == ["Endring nummer 2", "Endring nummer 3"]
    assert "… og 3 til." in html
    # All five are still applied when confirmed.
    assert html.count("Endring nummer") >= 5  # in the hidden form that applies them


def test_many_row_problems_are_listed_briefly(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sheet_excel, "PREVIEW_LIMIT", 3)
    client = login(app.test_client(), world.users["member"])
    wb = load_workbook(
        io.BytesIO(client.get(f"/cycles/assessments/{world.assessment.id}/export.xlsx").data)
    )
    for row in range(10, 30):
        wb.worksheets[0].cell(row, 6).value = "en rad uten kode"
    buffer = io.BytesIO()
    wb.save(buffer)
    response = _post(client, world, buffer.getvalue())
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Filen har 20 feil" in html
    assert html.count("den skjulte standardkoden er tom") == 3
    assert "… og 17 til." in html


# --- the standards import -----------------------------------------------------------------------


def _standards_form(data: bytes, filename: str) -> dict[str, Any]:
    return {
        "file": (io.BytesIO(data), filename),
        "slug": "kvip-2027",
        "name_nb": "KvIP-standarder 2027",
        "name_en": "KvIP standards 2027",
        "version": "1.0",
        "published": "",
        "total": "",
    }


def _standards_sheet() -> bytes:
    return make_xlsx([sheet_row(code=f"1.{i}") for i in range(1, 4)])


STANDARDS_HOSTILE: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "a directory declaring a 2 GB sheet": (
        lambda: declare_huge(_standards_sheet()),
        "ny.xlsx",
        "Arbeidsboken er for stor",
    ),
    "a dimension of a million rows": (
        lambda: rewrite(
            _standards_sheet(),
            lambda n, c: (
                _sheet_xml(c, "", '<dimension ref="A1:L1048576"/>') if n == SHEET else None
            ),
        ),
        "ny.xlsx",
        "Filen har flere rader enn malen (høyst 5001)",
    ),
    "100,000 empty rows": (
        lambda: rewrite(
            _standards_sheet(),
            lambda n, c: _sheet_xml(c, _many_rows(100_000, 10)) if n == SHEET else None,
        ),
        "ny.xlsx",
        "Filen har flere rader enn malen",
    ),
    "a CSV row of 100,000 columns": (
        # Honest rows first (the dialect is sniffed from the start), then one very wide row.
        lambda: make_csv([sheet_row(code=f"1.{i}") for i in range(1, 60)]) + b";" * 100_000,
        "ny.csv",
        "Filen har flere kolonner enn malen (høyst 40)",
    ),
}


@pytest.mark.parametrize("case", list(STANDARDS_HOSTILE))
def test_hostile_standards_imports_are_refused(app: Flask, world: World, case: str) -> None:
    client = login(app.test_client(), world.users["admin"])
    build, filename, message = STANDARDS_HOSTILE[case]
    before = db_state()
    response = client.post("/standards/editions/import", data=_standards_form(build(), filename))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html, html[html.find("problem") :][:600]
    assert db_state() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EditionImport)) == 0


def test_the_standards_template_itself_is_accepted(app: Flask, world: World) -> None:
    """The checks do not refuse an honest sheet (a redirect to the preview)."""
    client = login(app.test_client(), world.users["admin"])
    response = client.post(
        "/standards/editions/import", data=_standards_form(_standards_sheet(), "ny.xlsx")
    )
    assert response.status_code == 302

"""The Excel round trip: export, import with the same rules as the loader, problems reported as
``sheet/row/column: message``, a preview before anything is written, nothing written on error."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from kvip.cycles.models import Cycle
from kvip.extensions import db
from kvip.standards import queries
from kvip.standards.loader import parse_edition_dir
from kvip.standards.models import Edition, EditionImport, Standard
from kvip.standards.spreadsheet import COLUMNS, EditionMeta, export_xlsx, parse_table
from tests.conftest import login
from tests.factories import World, create_network
from tests.standards.conftest import KVIP_2026, db_state, make_csv, make_xlsx, sheet_row

META = EditionMeta(slug="kvip-2027", name_nb="KvIP 2027", name_en="KvIP 2027", version="1.0")
CELL = re.compile(r"^Standards(?:\.csv)?/row (\d+)(?:/column ([A-Z]+) \((\w+)\))?: .+$")


def _problems(data: bytes, filename: str = "edition.xlsx", meta: EditionMeta = META) -> list[str]:
    parsed, problems = parse_table(data, filename, meta)
    assert (parsed is None) == bool(problems)
    return [str(p) for p in problems]


def _at(
    problems: list[str], row: int, column: str, *fragments: str, sheet: str = "Standards"
) -> None:
    letter = chr(ord("A") + COLUMNS.index(column))
    place = f"{sheet}/row {row}/column {letter} ({column}): "
    matching = [p for p in problems if p.startswith(place)]
    assert matching, f"nothing at {place}; got {problems}"
    assert any(all(f.lower() in p.lower() for f in fragments) for p in matching), matching


# --- export and round trip ------------------------------------------------------------------------


def test_export_has_one_sheet_with_a_row_per_standard(app: Flask, kvip2026: Edition) -> None:
    wb = load_workbook(io.BytesIO(export_xlsx(kvip2026)))
    assert wb.sheetnames == ["Standards"]
    rows = list(wb.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0] == COLUMNS and len(rows) == 229
    first = dict(zip(COLUMNS, rows[1], strict=True))
    assert first["code"] == "1.1" and first["type"] == 1 and first["duties"] == "6d, 6e, 8a"
    assert all(isinstance(r[COLUMNS.index("code")], str) for r in rows[1:])


def test_round_trip_gives_the_same_content(app: Flask, kvip2026: Edition) -> None:
    original, _problems_ = parse_edition_dir(KVIP_2026)
    assert original is not None
    meta = EditionMeta(
        slug=original.slug,
        name_nb=original.name_nb,
        name_en=original.name_en,
        version=original.version,
        published=original.published,
        total=228,
    )
    data, problems = parse_table(export_xlsx(kvip2026), "kvip-2026.xlsx", meta)
    assert problems == [] and data is not None
    assert data.content_hash() == original.content_hash()
    # The import preview compares the sheet with the edition in the database: no differences.
    cmp = queries.compare_standards(kvip2026, data, queries.standards_of(kvip2026), data.standards)
    assert cmp.differences == 0 and cmp.unchanged == 228


def test_semicolon_csv_in_windows_1252_is_read() -> None:
    rows = [
        sheet_row(code="1.1", text_nb="Pårørende får tilbud om overnatting"),
        sheet_row(code="1.2", duties="§ 6 d; 7c", dimensions="safe user_involvement"),
    ]
    data, problems = parse_table(make_csv(rows, ";", "cp1252"), "liste.csv", META)
    assert problems == [] and data is not None
    assert data.standards[0].text_nb == "Pårørende får tilbud om overnatting"
    assert data.standards[1].duties == ("6d", "7c")
    assert data.standards[1].dimensions == ("safe", "user_involvement")
    assert data.total == 2


def test_excel_unicode_text_csv_is_read() -> None:
    """Excel's "Unicode text" export is UTF-16 with a byte-order mark and tabs."""
    rows = [sheet_row(code="1.1", text_nb="Tiltak for ærlig og åpen dialog")]
    data, problems = parse_table(make_csv(rows, "\t", "utf-16"), "unicode.csv", META)
    assert problems == [] and data is not None
    assert data.standards[0].text_nb == "Tiltak for ærlig og åpen dialog"


# --- hand-made broken sheets ----------------------------------------------------------------------


def test_each_problem_is_reported_at_its_cell() -> None:
    rows = [
        sheet_row(code="1.1"),
        sheet_row(code="1.1"),  # row 3: duplicate
        sheet_row(code=1.3),  # row 4: a number, 1.30 and 1.3 cannot be told apart
        sheet_row(code="1.4", type=5),  # row 5
        sheet_row(code="1.5", duties="6a, 6z"),  # row 6
        sheet_row(code="1.6", dimensions=""),  # row 7
        sheet_row(code="1.7", text_en=""),  # row 8
        sheet_row(code="1.8", domain_title_nb="Annen tittel"),  # row 9
        sheet_row(code="2.9"),  # row 10: not of domain 1
        sheet_row(domain="x", code="1.10"),  # row 11
        sheet_row(code="1.11", guidance_nb="Bare norsk"),  # row 12
    ]
    problems = _problems(make_xlsx(rows), meta=EditionMeta(**{**META.__dict__, "total": 3}))
    _at(problems, 3, "code", "duplicate", "1.1", "row 2")
    _at(problems, 4, "code", "number")
    _at(problems, 5, "type", "unknown type", "5")
    _at(problems, 6, "duties", "6z")
    _at(problems, 7, "dimensions", "at least one")
    _at(problems, 8, "text_en", "missing")
    _at(problems, 9, "domain_title_nb", "different", "row 2")
    _at(problems, 10, "code", "does not belong to domain 1")
    _at(problems, 11, "domain", "unknown domain")
    _at(problems, 12, "guidance_en", "English (en) version is missing")
    assert any("expected number of standards" in p and "total is 3" in p for p in problems)


def test_header_problems() -> None:
    columns = tuple(c for c in COLUMNS if c != "type") + ("colour", "code")
    problems = _problems(make_xlsx([sheet_row()], columns))
    assert any(p.startswith("Standards/row 1: ") and "“type” is missing" in p for p in problems)
    assert any("Unknown column “colour”" in p for p in problems)
    assert any("“code” appears twice" in p for p in problems)


def test_a_workbook_with_an_xml_entity_bomb_is_refused() -> None:
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(make_xlsx([sheet_row()])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                head, rest = text.split("?>", 1) if "?>" in text else ("", text)
                bomb = '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
                head = head + "?>" if head else ""
                body = (head + bomb + rest.replace("Krav på norsk", "&b;")).encode()
            target.writestr(item, body)
    assert "not a readable .xlsx" in _problems(out.getvalue())[0]


def test_files_that_are_not_sheets() -> None:
    assert "not a readable .xlsx" in _problems(b"PK\x03\x04 not really", "x.xlsx")[0]
    assert "Upload an .xlsx or .csv" in _problems(b"...", "x.xls")[0]
    assert "empty" in _problems(make_csv([])[:0], "x.csv")[0]
    assert "no standards" in _problems(make_xlsx([]))[0]


# --- the import screens ----------------------------------------------------------------------------


def _form(data: bytes, filename: str = "ny.xlsx", **over: Any) -> dict[str, Any]:
    form = {
        "file": (io.BytesIO(data), filename),
        "slug": "kvip-2027",
        "name_nb": "KvIP-standarder 2027",
        "name_en": "KvIP standards 2027",
        "version": "1.0",
        "published": "",
        "total": "",
    }
    form.update(over)
    return form


def test_import_preview_then_confirm(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    rows = [sheet_row(code=f"1.{i}", text_nb=f"Krav nummer {i}") for i in range(1, 4)]
    before = db_state()
    response = client.post("/standards/editions/import", data=_form(make_xlsx(rows)))
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Krav nummer 2" in html and "kvip-2027" in html
    # Only the staged upload exists so far: no edition, no standards.
    after_preview = db_state()
    assert after_preview["Edition"] == before["Edition"]
    assert after_preview["Standard"] == before["Standard"]
    assert after_preview["EditionImport"] == 1
    # Another coordinator cannot confirm someone else's upload.
    other = login(app.test_client(), world.users["admin"])
    assert other.post(preview_url).status_code == 404
    response = client.post(preview_url)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/standards/editions/kvip-2027"
    )
    edition = db.session.scalar(sa.select(Edition).where(Edition.slug == "kvip-2027"))
    assert edition is not None and edition.published is None and edition.total == 3
    assert db_state()["EditionImport"] == 0
    assert edition.source == "ny.xlsx"


def test_import_with_problems_lists_them_and_writes_nothing(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["admin"])
    rows = [sheet_row(code="1.1"), sheet_row(code="1.1", type=7)]
    before = db_state()
    response = client.post("/standards/editions/import", data=_form(make_xlsx(rows)))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Standards/rad 3/kolonne E (code)" in html or "Standards/row 3/column E (code)" in html
    assert "(type)" in html
    assert db_state() == before


def test_import_into_a_frozen_edition_is_refused(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    data = make_xlsx([sheet_row()])
    response = client.post("/standards/editions/import", data=_form(data, slug=world.edition.slug))
    preview_url = response.headers["Location"]
    html = client.get(preview_url).get_data(as_text=True)
    assert "disabled" in html
    before = db_state()
    response = client.post(preview_url, follow_redirects=True)
    assert response.status_code == 200
    assert db_state() == before
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Standard)
            .where(Standard.edition_id == world.edition.id)
        )
        == 6
    )


def test_export_download(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    response = client.get(f"/standards/editions/{world.edition.slug}/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.active.max_row == 7  # type: ignore[union-attr]


def test_csv_import_of_the_export_round_trips_through_the_screens(app: Flask, world: World) -> None:
    """Export the world's edition, import it as CSV under a new slug: same standards."""
    client = login(app.test_client(), world.users["coordinator"])
    wb = load_workbook(io.BytesIO(export_xlsx(world.edition)))
    rows = [
        dict(zip(COLUMNS, r, strict=True))
        for r in list(wb.active.iter_rows(values_only=True))[1:]  # type: ignore[union-attr]
    ]
    response = client.post(
        "/standards/editions/import",
        data=_form(
            make_csv(rows, ","), "liste.csv", slug="copy", published="2026-02-01", total="6"
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    client.post(response.headers["Location"])
    copy = db.session.scalar(sa.select(Edition).where(Edition.slug == "copy"))
    assert copy is not None and copy.published == date(2026, 2, 1)
    codes = sorted(
        db.session.scalars(sa.select(Standard.code).where(Standard.edition_id == copy.id))
    )
    assert codes == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3"]


# --- property-based ----------------------------------------------------------------------------

CELL_DEFECTS = {
    "type": ("type", [0, 4, "høy", 2.5], "type"),
    "duties": ("duties", ["6a, 6q", "5b", "abc"], "unknown"),
    "dimensions": ("dimensions", ["", "cheap", "safe, fast"], ""),
    "text_nb": ("text_nb", ["", "   "], "missing"),
    "text_en": ("text_en", [""], "missing"),
    "code": ("code", ["", "1-1", "A.1", "1.1.1"], ""),
    "domain": ("domain", ["", "x", "1a"], ""),
}


@st.composite
def broken_sheets(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[tuple[int, str, str]]]:
    n = draw(st.integers(1, 8))
    rows = [sheet_row(code=f"1.{i + 1}") for i in range(n)]
    expected: list[tuple[int, str, str]] = []
    for i, row in enumerate(rows):
        name = draw(st.sampled_from([None, None, *CELL_DEFECTS]))
        if name is None:
            continue
        column, values, fragment = CELL_DEFECTS[name]
        row[column] = draw(st.sampled_from(values))
        expected.append((i + 2, column, fragment))
    return rows, expected


@settings(
    max_examples=40,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=broken_sheets(), as_csv=st.booleans())
def test_every_bad_cell_is_reported_and_nothing_is_written(
    app: Flask, case: tuple[list[dict[str, Any]], list[tuple[int, str, str]]], as_csv: bool
) -> None:
    rows, expected = case
    data = make_csv(rows, ",") if as_csv else make_xlsx(rows)
    filename = "Standards.csv" if as_csv else "edition.xlsx"
    before = db_state()
    parsed, problems = parse_table(data, filename, META)
    reported = [str(p) for p in problems]
    for row, column, fragment in expected:
        _at(reported, row, column, fragment, sheet="Standards.csv" if as_csv else "Standards")
    for line in reported:
        assert CELL.match(line), line
    assert (parsed is None) == bool(expected)
    if parsed is not None:
        assert len(parsed.standards) == len(rows)
    assert db_state() == before


@settings(max_examples=25, deadline=None, database=None)
@given(blob=st.binary(max_size=300), name=st.sampled_from(["a.xlsx", "a.csv"]))
def test_arbitrary_bytes_never_crash_the_importer(blob: bytes, name: str) -> None:
    parsed, problems = parse_table(blob, name, META)
    assert parsed is None and problems


def test_staged_imports_expire(app: Flask, world: World) -> None:
    from datetime import timedelta

    from kvip.core.db import utcnow
    from kvip.standards import services

    parsed, _p = parse_table(make_xlsx([sheet_row()]), "a.xlsx", META)
    assert parsed is not None
    token = services.stage_import(world.users["coordinator"], parsed, "a.xlsx")
    row = db.session.scalar(sa.select(EditionImport).where(EditionImport.token == token))
    assert row is not None
    row.created_at = utcnow() - timedelta(days=2)
    db.session.commit()
    client = login(app.test_client(), world.users["coordinator"])
    assert client.get(f"/standards/editions/import/{token}").status_code == 404
    services.stage_import(world.users["coordinator"], parsed, "b.xlsx")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EditionImport)) == 1


def test_cycle_use_freezes_the_world_edition(app: Flask, world: World) -> None:
    network = create_network()
    db.session.add(Cycle(network_id=network.id, edition_id=world.edition.id, year=2027, name="x"))
    db.session.commit()
    from kvip.standards.services import edition_in_use

    assert edition_in_use(world.edition)

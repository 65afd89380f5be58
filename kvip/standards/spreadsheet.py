"""The Excel round trip: an edition as one sheet with a row per standard, and back.

Import reads ``.xlsx`` or ``.csv`` (comma, semicolon or tab; UTF-8 or Windows-1252, as
Norwegian Excel saves it) and applies the same rules as the YAML loader
(:mod:`kvip.standards.validation`); every problem is reported as ``sheet/row/column: message``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kvip.core import excel
from kvip.standards.duties import METHODS
from kvip.standards.validation import (
    DOMAIN_CODE_RE,
    DomainData,
    EditionData,
    Located,
    Place,
    Problem,
    Problems,
    StandardData,
    check_codes,
    check_edition,
    check_length,
    check_slug,
    check_standard_code,
    check_text,
    check_type,
    message_locale,
)

SHEET_NAME = "Standards"
COLUMNS = (
    "domain",
    "domain_slug",
    "domain_title_nb",
    "domain_title_en",
    "code",
    "type",
    "text_nb",
    "text_en",
    "guidance_nb",
    "guidance_en",
    "duties",
    "dimensions",
    "methods",
)
REQUIRED = (
    "domain",
    "domain_title_nb",
    "domain_title_en",
    "code",
    "type",
    "text_nb",
    "text_en",
    "duties",
    "dimensions",
)
# Headers a Norwegian sheet may use for the same columns.
ALIASES = {
    "område": "domain",
    "omrade": "domain",
    "domene": "domain",
    "områdetittel_nb": "domain_title_nb",
    "områdetittel_en": "domain_title_en",
    "kode": "code",
    "nummer": "code",
    "tekst_nb": "text_nb",
    "tekst_en": "text_en",
    "veiledning_nb": "guidance_nb",
    "veiledning_en": "guidance_en",
    "plikter": "duties",
    "dimensjoner": "dimensions",
    "kvalitetsdimensjoner": "dimensions",
    "metoder": "methods",
}
MAX_ROWS = 5000
# The sheet has 12 columns; a few more (notes) are ignored with a problem each, thousands refused.
MAX_COLUMNS = 40
_SPLIT = re.compile(r"[,;\s]+")


@dataclass
class EditionMeta:
    """What the sheet does not carry: entered in the import form."""

    slug: str
    name_nb: str
    name_en: str
    version: str
    published: date | None = None
    total: int | None = None  # the expected number of standards, checked when given


def slugify(text: str) -> str:
    """``Miljø og fasiliteter`` → ``miljo-og-fasiliteter``."""
    text = text.lower().replace("ø", "o").replace("æ", "ae").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80]


# --- export ---------------------------------------------------------------------------------


def export_rows(edition: Any) -> list[list[Any]]:
    """The header and one row per standard of ``edition`` (a loaded :class:`Edition`)."""
    rows: list[list[Any]] = [list(COLUMNS)]
    for domain in edition.domains:
        for std in domain.standards:
            rows.append(
                [
                    domain.code,
                    domain.slug,
                    domain.title_nb,
                    domain.title_en,
                    std.code,
                    std.type,
                    std.text_nb,
                    std.text_en,
                    std.guidance_nb,
                    std.guidance_en,
                    ", ".join(std.duties),
                    ", ".join(std.dimensions),
                    ", ".join(std.methods or ()),
                ]
            )
    return rows


def export_xlsx(edition: Any) -> bytes:
    """The edition as an .xlsx workbook with one sheet, ready to edit and import again."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_NAME
    widths = {"text_nb": 60, "text_en": 60, "guidance_nb": 50, "guidance_en": 50}
    for r, row in enumerate(export_rows(edition), start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            # Text stays text: a standard starting with "=" must not become a formula, and
            # codes like 4.10 (strings) must not become the number 4.1.
            excel.set_cell(cell, value)
            if r > 1:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    header_fill = PatternFill("solid", fgColor="DDE5EE")
    for c, name in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=c)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        ws.column_dimensions[get_column_letter(c)].width = widths.get(name, 14)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    type_col = get_column_letter(COLUMNS.index("type") + 1)
    check = DataValidation(type="list", formula1='"1,2,3"', allow_blank=False)
    check.add(f"{type_col}2:{type_col}{max(ws.max_row, 2)}")
    ws.add_data_validation(check)
    wb.properties.title = edition.name_nb
    wb.properties.subject = edition.slug
    wb.properties.version = edition.version
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- import ---------------------------------------------------------------------------------


class _Sheet:
    """Rows of one sheet with helpers for places."""

    def __init__(self, name: str, rows: list[tuple[int, list[Any]]], problems: Problems) -> None:
        self.name = name
        self.rows = rows
        self.problems = problems
        self.columns: dict[str, int] = {}

    def place(self, row: int, column: str | None = None) -> Place:
        """``Standards/row 12/column E (code)``: sheet, row and column as the user sees them."""
        if column is None or column not in self.columns:
            return self.cell_place(row, None)
        index = self.columns[column]
        return self.cell_place(row, index, column)

    def cell_place(self, row: int, index: int | None, name: str | None = None) -> Place:
        row_word, column_word = _("row"), _("column")
        label = f"{self.name}/{row_word} {row}"
        if index is not None:
            label += f"/{column_word} {get_column_letter(index + 1)}"
            if name:
                label += f" ({name})"
        return Place(label, (row, 0 if index is None else index + 1))

    def read_header(self) -> bool:
        if not self.rows:
            self.problems.add(Place(self.name, (0, 0)), _("The sheet is empty."))
            return False
        row_number, header = self.rows[0]
        for index, raw in enumerate(header):
            name = str(raw).strip().lower().replace(" ", "_") if raw is not None else ""
            if not name:
                continue
            name = ALIASES.get(name, name)
            place = self.cell_place(row_number, index)
            if name not in COLUMNS:
                self.problems.add(
                    place,
                    _(
                        "Unknown column “%(name)s”. Known columns: %(known)s.",
                        name=raw,
                        known=", ".join(COLUMNS),
                    ),
                )
            elif name in self.columns:
                self.problems.add(place, _("The column “%(name)s” appears twice.", name=name))
            else:
                self.columns[name] = index
        missing = [c for c in REQUIRED if c not in self.columns]
        for name in missing:
            self.problems.add(
                self.cell_place(row_number, None),
                _("The column “%(name)s” is missing.", name=name),
            )
        return not missing

    def cell(self, values: list[Any], column: str) -> Any:
        index = self.columns.get(column)
        if index is None or index >= len(values):
            return None
        value = values[index]
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value


def _read_xlsx(data: bytes, problems: Problems, filename: str) -> _Sheet | None:
    unreadable = _("The file is not a readable .xlsx workbook.")
    stream = io.BytesIO(data)
    try:
        # Sizes first, from the zip's directory and a streamed look at each sheet: a zip bomb
        # or a million-row sheet is refused before openpyxl unpacks or parses it.
        excel.check_workbook(stream, max_rows=MAX_ROWS + 1, max_columns=MAX_COLUMNS)
    except excel.UploadRefused as exc:
        problems.add(Place(filename, (0, 0)), exc.message)
        return None
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure to open means "not a workbook we can read"
        problems.add(Place(filename, (0, 0)), unreadable)
        return None
    try:
        ws = wb.worksheets[0]
        rows: list[tuple[int, list[Any]]] = []
        # Read-only mode parses the sheet while iterating (defusedxml refuses XML bombs here).
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            excel.check_row(number, len(values), MAX_ROWS + 1, MAX_COLUMNS)
            if any(v is not None and str(v).strip() for v in values):
                rows.append((number, list(values)))
        return _Sheet(ws.title, rows, problems)
    except excel.UploadRefused as exc:
        problems.add(Place(filename, (0, 0)), exc.message)
        return None
    except Exception:  # noqa: BLE001 - a corrupt sheet is a problem to report, not a crash
        problems.add(Place(filename, (0, 0)), unreadable)
        return None
    finally:
        wb.close()


def _read_csv(data: bytes, problems: Problems, filename: str) -> _Sheet | None:
    text = _decode_csv(data)
    if "\x00" in text:
        problems.add(Place(filename, (0, 0)), _("The file is not a CSV text file."))
        return None
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows: list[tuple[int, list[Any]]] = []
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
            excel.check_row(number, len(values), MAX_ROWS + 1, MAX_COLUMNS)
            if any(v.strip() for v in values):
                rows.append((number, list(values)))
    except excel.UploadRefused as exc:
        problems.add(Place(filename, (0, 0)), exc.message)
        return None
    except csv.Error:
        problems.add(
            Place(filename, (0, 0)),
            _(
                "The CSV file cannot be read after line %(line)d (a quote mark or line break "
                "out of place?).",
                line=len(rows),
            ),
        )
        return None
    return _Sheet(filename, rows, problems)


def _decode_csv(data: bytes) -> str:
    """Text of a CSV as Excel saves it: UTF-8 (with or without BOM), "Unicode text" (UTF-16
    with its byte-order mark) or, failing those, Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _as_text(
    sheet: _Sheet, values: list[Any], row: int, column: str, what: str, *, required: bool
) -> str:
    value = sheet.cell(values, column)
    if isinstance(value, (datetime, date)):
        value = value.isoformat()
    return check_text(value, what, sheet.place(row, column), sheet.problems, required=required)


def _code_cell(sheet: _Sheet, values: list[Any], row: int, domain_code: str) -> str:
    value = sheet.cell(values, "code")
    place = sheet.place(row, "code")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        sheet.problems.add(
            place,
            _(
                "The code %(value)s is a number in the sheet, so 4.10 and 4.1 cannot be told apart: format the column as text and type the codes again.",
                value=value,
            ),
        )
        return ""
    return check_standard_code(value, domain_code, place, sheet.problems)


def _domain_code(sheet: _Sheet, values: list[Any], row: int) -> str:
    value = sheet.cell(values, "domain")
    place = sheet.place(row, "domain")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    code = check_text(value, _("The domain"), place, sheet.problems, required=True)
    if code and not DOMAIN_CODE_RE.match(code):
        sheet.problems.add(
            place, _("Unknown domain “%(code)s”: a domain is a number such as 4.", code=code)
        )
        return ""
    return code


def _code_list(
    sheet: _Sheet, values: list[Any], row: int, column: str, kind: str
) -> tuple[str, ...]:
    value = sheet.cell(values, column)
    place = sheet.place(row, column)
    parts = [p for p in _SPLIT.split(str(value)) if p] if value is not None else []
    if kind == "duty":
        # "§ 6 d" is written with spaces: join a section number with the letter after it.
        joined: list[str] = []
        for part in parts:
            part = part.replace("§", "")
            if joined and re.fullmatch(r"[a-gA-G]", part) and re.fullmatch(r"[6-9]", joined[-1]):
                joined[-1] += part
            elif part:
                joined.append(part)
        parts = joined
    return check_codes([(p, place) for p in parts], kind, place, sheet.problems)


def _method_lookup() -> dict[str, str]:
    """A method's code or its nb/en label (any case) → the code."""
    lookup: dict[str, str] = {}
    for m in METHODS:
        for text in (m.code, m.label_nb, m.label_en):
            lookup[text.strip().lower()] = m.code
    return lookup


def _methods(sheet: _Sheet, values: list[Any], row: int, required: bool) -> tuple[str, ...]:
    """The methods cell: codes or labels separated by commas, semicolons or line breaks. Once
    any row lists methods, the sheet is an edition with methods and every row needs them."""
    value = sheet.cell(values, "methods")
    place = sheet.place(row, "methods")
    parts = [p.strip() for p in re.split(r"[,;\n]+", str(value))] if value is not None else []
    parts = [p for p in parts if p]
    if not parts:
        if required:
            sheet.problems.add(
                place,
                _(
                    "The methods are missing: other rows list how they are checked, so every standard must."
                ),
            )
        return ()
    lookup = _method_lookup()
    codes = [lookup.get(p.lower(), p) for p in parts]
    return check_codes([(c, place) for c in codes], "method", place, sheet.problems)


def parse_table(
    data: bytes, filename: str, meta: EditionMeta
) -> tuple[EditionData | None, list[Problem]]:
    """Read an uploaded .xlsx or .csv into an edition; returns the data (None on any problem)
    and every problem in reading order."""
    with message_locale():
        return _parse_table(data, filename, meta)


def _parse_table(
    data: bytes, filename: str, meta: EditionMeta
) -> tuple[EditionData | None, list[Problem]]:
    problems = Problems()
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        sheet = _read_xlsx(data, problems, filename)
    elif lower.endswith(".csv") or lower.endswith(".txt"):
        sheet = _read_csv(data, problems, filename)
    else:
        problems.add(Place(filename, (0, 0)), _("Upload an .xlsx or .csv file."))
        return None, problems.sorted()
    if sheet is None or not sheet.read_header():
        return None, problems.sorted()

    edition = EditionData(
        slug=meta.slug,
        name_nb=meta.name_nb,
        name_en=meta.name_en,
        version=meta.version,
        published=meta.published,
        total=meta.total or 0,
    )
    domains: dict[str, tuple[DomainData, int]] = {}
    located_domains: list[Located] = []
    located_standards: list[Located] = []
    data_rows = sheet.rows[1:]
    methods_required = any(sheet.cell(values, "methods") is not None for _r, values in data_rows)
    edition.methods_required = methods_required
    if not data_rows:
        problems.add(sheet.place(sheet.rows[0][0] + 1), _("The sheet has no standards."))
    for row, values in data_rows:
        domain_code = _domain_code(sheet, values, row)
        title_nb = _as_text(
            sheet, values, row, "domain_title_nb", _("The domain title (nb)"), required=True
        )
        title_en = _as_text(
            sheet, values, row, "domain_title_en", _("The domain title (en)"), required=True
        )
        for column, value in (("domain_title_nb", title_nb), ("domain_title_en", title_en)):
            check_length(value, "domain_title", _("The title"), sheet.place(row, column), problems)
        slug = _as_text(
            sheet, values, row, "domain_slug", _("The domain short name"), required=False
        )
        if slug:
            check_slug(
                slug,
                _("The domain short name"),
                sheet.place(row, "domain_slug"),
                problems,
                "domain_slug",
            )
        domain: DomainData | None = None
        if domain_code:
            if domain_code in domains:
                domain, first_row = domains[domain_code]
                # Each row repeats its domain's title: they must agree.
                for column, value, known in (
                    ("domain_title_nb", title_nb, domain.title_nb),
                    ("domain_title_en", title_en, domain.title_en),
                    ("domain_slug", slug, domain.slug if slug else ""),
                ):
                    if value and known and value != known:
                        problems.add(
                            sheet.place(row, column),
                            _(
                                "Domain %(code)s has a different value here than on row %(first)d (“%(known)s”).",
                                code=domain_code,
                                first=first_row,
                                known=known,
                            ),
                        )
            else:
                domain = DomainData(
                    code=domain_code,
                    slug=slug or slugify(title_nb) or f"domain-{domain_code}",
                    title_nb=title_nb,
                    title_en=title_en,
                )
                domains[domain_code] = (domain, row)
                edition.domains.append(domain)
                located_domains.append(
                    Located(
                        domain,
                        sheet.place(row),
                        {
                            "code": sheet.place(row, "domain"),
                            "slug": sheet.place(row, "domain_slug"),
                        },
                    )
                )
        code = _code_cell(sheet, values, row, domain_code)
        std_type = check_type(sheet.cell(values, "type"), sheet.place(row, "type"), problems)
        text_nb = _as_text(
            sheet, values, row, "text_nb", _("The Norwegian (nb) text"), required=True
        )
        text_en = _as_text(sheet, values, row, "text_en", _("The English (en) text"), required=True)
        guidance_nb = _as_text(sheet, values, row, "guidance_nb", _("The guidance"), required=False)
        guidance_en = _as_text(sheet, values, row, "guidance_en", _("The guidance"), required=False)
        if guidance_nb and not guidance_en:
            problems.add(
                sheet.place(row, "guidance_en"),
                _("The guidance: the English (en) version is missing."),
            )
        if guidance_en and not guidance_nb:
            problems.add(
                sheet.place(row, "guidance_nb"),
                _("The guidance: the Norwegian (nb) version is missing."),
            )
        std = StandardData(
            code=code,
            type=std_type,
            text_nb=text_nb,
            text_en=text_en,
            guidance_nb=guidance_nb,
            guidance_en=guidance_en,
            duties=_code_list(sheet, values, row, "duties", "duty"),
            dimensions=_code_list(sheet, values, row, "dimensions", "dimension"),
            methods=_methods(sheet, values, row, methods_required),
        )
        if domain is not None:
            domain.standards.append(std)
        located_standards.append(Located(std, sheet.place(row), {"code": sheet.place(row, "code")}))

    # Domains and standards in code order, whatever the order of the rows.
    edition.domains.sort(key=lambda d: int(d.code) if d.code.isdigit() else 0)
    for domain in edition.domains:
        domain.standards.sort(key=_code_key)
    check_edition(
        edition,
        located_domains,
        located_standards,
        Place(_("Import form: expected number of standards"), (-1, 0)),
        problems,
        total_declared=meta.total is not None,
    )
    if meta.total is None:
        edition.total = len(located_standards)
    result = problems.sorted()
    return (None if result else edition), result


def _code_key(std: StandardData) -> tuple[int, int, str]:
    match = re.match(r"^(\d+)\.(\d+)([a-z]?)$", std.code)
    if not match:
        return (0, 0, std.code)
    return (int(match.group(1)), int(match.group(2)), match.group(3))

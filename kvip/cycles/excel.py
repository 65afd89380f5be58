"""The Excel round trip of a self-assessment: export a workbook, read it back, preview changes.

The sheet has one row per standard. Two hidden columns carry the standard's code and the
version of its rating at download time, so an upload can tell an offline edit from a change
made on the server meanwhile (a conflict, shown and never overwritten). Rows carried over from
the last cycle are marked (a column and a fill) and can be confirmed in the "Confirm" column;
evidence kinds and links have their own columns. An upload is checked by the same validation
as a save on the page (:func:`kvip.cycles.services.parse_rating_input`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import IO, Any

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from kvip.core import excel
from kvip.core.errors import ServiceError
from kvip.core.i18n import lang
from kvip.cycles.queries import AssessmentData, StandardRow
from kvip.cycles.services import MAX_TEXT, parse_rating_input
from kvip.cycles.vocabulary import (
    EVIDENCE_KINDS,
    RATING_LABELS_EN,
    RATING_LABELS_NB,
    RATING_VALUES,
    evidence_kind_labels,
)
from kvip.standards.duties import method_labels

CODE_KEY = "kvip_code"
VERSION_KEY = "kvip_version"
META_SHEET = "kvip"
HEADERS = {
    "nb": ["Kode", "Område", "Type", "Standard", "Vurdering", "Kommentar", "Dokumentasjon"],
    "en": ["Code", "Domain", "Type", "Standard", "Rating", "Comment", "Evidence"],
}
KEYS = ["label_code", "domain", "type", "text", "value", "comment", "evidence"]
# A read-only column after the hidden ones (so it shows right after "Evidence"): how a reviewer
# checks the standard. Uploads ignore it (it is not among HEADERS).
METHODS_HEADER = {"nb": "Slik sjekkes det", "en": "How it is checked"}
# Columns after the methods column: the carried-over mark (read-only), the confirmation (a
# yes/no list), the kinds of evidence (comma-separated) and the evidence links (one per line).
EXTRA_HEADERS = {
    "nb": ["Overført – ikke bekreftet", "Bekreft", "Type dokumentasjon", "Lenker"],
    "en": ["Carried over – not confirmed", "Confirm", "Kinds of evidence", "Links"],
}
EXTRA_KEYS = ["carried", "confirm", "evidence_kinds", "evidence_links"]
YES = {"nb": "Ja", "en": "Yes"}
NO = {"nb": "Nei", "en": "No"}
YES_WORDS = {"ja", "yes", "j", "y", "x", "sant", "true", "1"}
NO_WORDS = {"nei", "no", "n", "usant", "false", "0"}
CARRIED_FILL = "FFF2CC"
EDITABLE = ("value", "comment", "evidence", "evidence_kinds", "evidence_links")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An upload may have rows and columns beyond the template's (notes, a sum) but not millions.
EXTRA_ROWS = 1_000
MAX_COLUMNS = 50
# The upload page lists this many changes, conflicts or problems, then "… and N more".
PREVIEW_LIMIT = 50


def _rating_lookup() -> dict[str, str]:
    """Any accepted spelling of a rating (nb or en label, or the code) → value."""
    lookup: dict[str, str] = {}
    for value in RATING_VALUES:
        for text in (value, RATING_LABELS_NB[value], RATING_LABELS_EN[value]):
            lookup[text.strip().lower()] = value
    return lookup


def kind_labels(language: str) -> dict[str, str]:
    """Evidence kind → its label in ``language`` (the sheet's fixed language)."""
    with force_locale(language):
        return {k: str(v) for k, v in evidence_kind_labels().items()}


def _kind_lookup() -> dict[str, str]:
    """Any accepted spelling of an evidence kind (nb or en label, or the code) → kind."""
    lookup = {k: k for k in EVIDENCE_KINDS}
    for language in ("nb", "en"):
        for kind, label in kind_labels(language).items():
            lookup[label.strip().lower()] = kind
    return lookup


def export_workbook(data: AssessmentData, *, lang: str, title: str) -> bytes:
    """The assessment as .xlsx: rating as a dropdown, hidden code and version columns."""
    labels = RATING_LABELS_EN if lang == "en" else RATING_LABELS_NB
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Self-assessment" if lang == "en" else "Egenvurdering"
    language = "en" if lang == "en" else "nb"
    headers = [
        *HEADERS[language],
        CODE_KEY,
        VERSION_KEY,
        METHODS_HEADER[language],
        *EXTRA_HEADERS[language],
    ]
    kinds = kind_labels(language)
    carried_fill = PatternFill("solid", fgColor=CARRIED_FILL)
    ws.append(excel.xlsx_row(ws, headers))
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE6F0")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
    wrap = Alignment(wrap_text=True, vertical="top")
    titles = {d.code: d.title_en if lang == "en" else d.title_nb for d in data.domains}
    for row in data.standards:
        ws.append(
            excel.xlsx_row(
                ws,
                [
                    row.code,
                    f"{row.domain_code} {titles[row.domain_code]}",
                    row.type,
                    row.text_en if lang == "en" else row.text_nb,
                    labels[row.value] if row.value else None,
                    row.comment or None,
                    row.evidence or None,
                    row.code,
                    row.version,
                    " · ".join(method_labels(row.methods, language)) or None,
                    YES[language] if row.carried_over else None,
                    None,
                    ", ".join(kinds[k] for k in row.kinds if k in kinds) or None,
                    "\n".join(row.links) or None,
                ],
            )
        )
        if row.carried_over:
            for cell in ws[ws.max_row]:
                cell.fill = carried_fill
    last = ws.max_row
    for line in ws.iter_rows(min_row=2, max_row=last):
        for cell in line:
            cell.alignment = wrap
    confirm = DataValidation(
        type="list",
        formula1=f'"{YES[language]},{NO[language]}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="KvIP",
        error=f"{YES[language]} / {NO[language]}",
        promptTitle=EXTRA_HEADERS[language][1],
        prompt=f"{YES[language]} / {NO[language]}",
    )
    confirm.add(f"L2:L{max(last, 2)}")
    ws.add_data_validation(confirm)
    choices = ",".join(labels[v] for v in RATING_VALUES)
    validation = DataValidation(
        type="list",
        formula1=f'"{choices}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="KvIP",
        error=_("Choose one of: %(choices)s.", choices=choices.replace(",", ", ")),
        promptTitle=headers[4],
        prompt=choices.replace(",", " / "),
    )
    validation.add(f"E2:E{max(last, 2)}")
    ws.add_data_validation(validation)
    widths = (8, 24, 6, 70, 18, 45, 45, 10, 10, 30, 14, 10, 30, 40)
    for letter, width in zip("ABCDEFGHIJKLMN", widths, strict=True):
        ws.column_dimensions[letter].width = width
    ws.column_dimensions["H"].hidden = True
    ws.column_dimensions["I"].hidden = True
    ws.freeze_panes = "E2"
    ws.auto_filter.ref = f"A1:G{max(last, 2)}"

    meta = wb.create_sheet(META_SHEET)
    meta.append(["assessment_id", data.assessment.id])
    meta.append(excel.xlsx_row(meta, ["title", title]))
    meta.sheet_state = "hidden"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@dataclass
class UploadRow:
    row: int
    code: str
    version: int
    values: dict[str, Any]
    confirm: bool = False


@dataclass
class ParsedUpload:
    rows: list[UploadRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def size_limits(known_codes: set[str]) -> tuple[int, int]:
    """(rows, columns) an upload may have: the template's, with room for notes around it."""
    return len(known_codes) + 1 + EXTRA_ROWS, MAX_COLUMNS


def parse_workbook(stream: IO[bytes], assessment_id: int, known_codes: set[str]) -> ParsedUpload:
    """Read an uploaded workbook; every problem is reported as ``row N: …`` (all of them).
    A file larger than the template could be is refused before it is parsed."""
    result = ParsedUpload()
    max_rows, max_columns = size_limits(known_codes)
    try:
        excel.check_workbook(stream, max_rows=max_rows, max_columns=max_columns)
    except excel.UploadRefused as exc:
        result.errors.append(exc.message)
        return result
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable file gets the same clear answer
        result.errors.append(_("The file could not be read as an Excel workbook (.xlsx)."))
        return result
    try:
        _parse(wb, assessment_id, known_codes, result)
    except excel.UploadRefused as exc:
        result.rows.clear()
        result.errors[:] = [exc.message]
    except Exception:  # noqa: BLE001 - a damaged sheet (cut-off XML, bad zip member) is read lazily
        result.rows.clear()
        result.errors.append(_("The file could not be read as an Excel workbook (.xlsx)."))
    finally:
        wb.close()
    return result


def _parse(wb: Any, assessment_id: int, known_codes: set[str], result: ParsedUpload) -> None:
    if META_SHEET in wb.sheetnames:
        meta = {
            str(r[0]): r[1]
            for r in wb[META_SHEET].iter_rows(min_row=1, max_row=5, values_only=True)
            if r and r[0]
        }
        if str(meta.get("assessment_id")) != str(assessment_id):
            result.errors.append(
                _(
                    "This spreadsheet belongs to another self-assessment (%(title)s). Download the spreadsheet of this one.",
                    title=meta.get("title") or "?",
                )
            )
            return
    sheet = None
    columns: dict[str, int] = {}
    known_headers = {h.lower(): KEYS[i] for lang in HEADERS for i, h in enumerate(HEADERS[lang])}
    known_headers.update(
        {
            h.lower(): EXTRA_KEYS[i]
            for lang in EXTRA_HEADERS
            for i, h in enumerate(EXTRA_HEADERS[lang])
        }
    )
    kinds = _kind_lookup()
    for ws in wb.worksheets:
        if ws.title == META_SHEET:
            continue
        header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
        names = [_text(h).lower() for h in header]
        if CODE_KEY in names and VERSION_KEY in names:
            sheet = ws
            for index, name in enumerate(names):
                if name in (CODE_KEY, VERSION_KEY):
                    columns[name] = index
                elif name in known_headers:
                    columns.setdefault(known_headers[name], index)
            break
    if sheet is None:
        result.errors.append(
            _(
                "This is not a KvIP self-assessment spreadsheet: its hidden code and version columns are missing. Download the spreadsheet again and fill that in."
            )
        )
        return
    ratings = _rating_lookup()
    choices = ", ".join(RATING_LABELS_NB[v] for v in RATING_VALUES)
    seen: dict[str, int] = {}
    max_rows, max_columns = size_limits(known_codes)
    for number, line in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        # A second guard while streaming (the sheet was scanned before it was opened).
        excel.check_row(number, len(line), max_rows, max_columns)
        cells = list(line)

        def cell(key: str, cells: list[Any] = cells) -> Any:
            index = columns.get(key)
            return cells[index] if index is not None and index < len(cells) else None

        code = _text(cell(CODE_KEY))
        if not code:
            if any(_text(c) for c in cells):
                result.errors.append(
                    _(
                        "row %(row)d: the hidden standard code is empty; do not add rows, rate the standards listed.",
                        row=number,
                    )
                )
            continue
        if code not in known_codes:
            result.errors.append(
                _("row %(row)d: unknown standard code “%(code)s”.", row=number, code=code[:20])
            )
            continue
        if code in seen:
            result.errors.append(
                _(
                    "row %(row)d: standard %(code)s appears twice (also in row %(other)d).",
                    row=number,
                    code=code,
                    other=seen[code],
                )
            )
            continue
        seen[code] = number
        raw_version = cell(VERSION_KEY)
        try:
            version = int(_text(raw_version))
            if version < 0:
                raise ValueError
        except ValueError:
            result.errors.append(
                _(
                    "row %(row)d: the hidden version column was changed; download the spreadsheet again.",
                    row=number,
                )
            )
            continue
        values: dict[str, Any] = {}
        label = _text(cell("value"))
        if label:
            value = ratings.get(label.lower())
            if value is None:
                result.errors.append(
                    _(
                        "row %(row)d: “%(label)s” is not a rating; choose %(choices)s.",
                        row=number,
                        label=label[:40],
                        choices=choices,
                    )
                )
                continue
            values["value"] = value
        bad = False
        for key in ("comment", "evidence"):
            if key not in columns:
                continue
            text = _text(cell(key))
            if len(text) > MAX_TEXT:
                result.errors.append(
                    _(
                        "row %(row)d: the text is longer than %(n)d characters.",
                        row=number,
                        n=MAX_TEXT,
                    )
                )
                bad = True
                break
            values[key] = text
        if bad:
            continue
        problem = _extras(cell, columns, kinds, values)
        if problem is None:
            # The same validation as a save on the page (kinds, links, lengths, the value).
            try:
                checked = parse_rating_input({**values, "version": version})
            except ServiceError as exc:
                problem = " ".join(dict.fromkeys(str(m) for m in exc.fields.values())) or str(
                    exc.message
                )
            else:
                values = checked.values
        if problem is not None:
            result.errors.append(_("row %(row)d: %(problem)s", row=number, problem=problem))
            continue
        confirm = _text(cell("confirm")).lower() in YES_WORDS
        result.rows.append(UploadRow(number, code, version, values, confirm))


def _extras(
    cell: Any, columns: dict[str, int], kinds: dict[str, str], values: dict[str, Any]
) -> str | None:
    """Read the confirmation, evidence kinds and links of a row into ``values``; a problem as
    text (None when the row is fine)."""
    answer = _text(cell("confirm")).lower()
    language = "en" if lang() == "en" else "nb"
    if answer and answer not in YES_WORDS and answer not in NO_WORDS:
        return _(
            "“%(text)s” in the Confirm column: write %(yes)s or %(no)s.",
            text=_text(cell("confirm"))[:20],
            yes=YES[language],
            no=NO[language],
        )
    if "evidence_kinds" in columns:
        items = [
            i.strip()
            for i in _text(cell("evidence_kinds")).replace(";", ",").replace("\n", ",").split(",")
            if i.strip()
        ]
        found = [kinds.get(i.lower(), i) for i in items]
        values["evidence_kinds"] = found
    if "evidence_links" in columns:
        values["evidence_links"] = _text(cell("evidence_links"))
    return None


@dataclass
class Change:
    row: int
    code: str
    version: int
    current: StandardRow
    values: dict[str, Any]
    # A carried-over rating confirmed in the sheet (with or without other changes).
    confirm: bool = False

    def payload(self) -> dict[str, Any]:
        """The change as the apply step takes it (see ``services.apply_import``)."""
        body: dict[str, Any] = {"code": self.code, "version": self.version, **self.values}
        if self.confirm:
            body["confirm"] = True
        return body


@dataclass
class Preview:
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Change] = field(default_factory=list)
    unchanged: int = 0


def preview(upload: ParsedUpload, data: AssessmentData) -> Preview:
    """What an upload would change. A row that differs from the server while the server's
    version is not the one downloaded is a conflict: shown, never applied."""
    by_code = {s.code: s for s in data.standards}
    result = Preview()
    for row in upload.rows:
        current = by_code[row.code]
        # Compare as the sheet shows it: Excel keeps no outer whitespace, so a stored " x "
        # read back as "x" is no change.
        diff = {k: v for k, v in row.values.items() if _text(getattr(current, k)) != _text(v)}
        # Confirming a carried-over rating is a change even when nothing else changes.
        confirm = row.confirm and current.carried_over
        if not diff and not confirm:
            result.unchanged += 1
            continue
        change = Change(row.row, row.code, row.version, current, diff, confirm)
        if row.version != current.version:
            result.conflicts.append(change)
        else:
            result.changes.append(change)
    return result

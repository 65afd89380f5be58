"""Files people open in Excel: every .xlsx and .csv the app writes goes through here.

One rule for every user-supplied cell, in every export:
- it is *text*, never a formula: in .xlsx the cell is stored as a string (and marked with
  Excel's quote prefix, so editing it keeps it text); in .csv, where Excel reads every cell as
  if typed, text that starts like a formula (``=``, ``+``, ``-``, ``@``, tab, CR) gets a
  leading apostrophe;
- any Unicode a person can type survives (Sámi letters, emoji); the control characters an
  .xlsx file cannot hold are replaced: Word's soft line and page breaks (``\\x0b``,
  ``\\x0c``) become line breaks, the others are dropped — one pasted character never makes a
  download fail.

Reading a workbook someone uploaded is guarded here too (:func:`check_archive`,
:func:`check_dimensions`): sizes are checked before anything is decompressed or parsed.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

from defusedxml.ElementTree import iterparse
from flask_babel import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.cell import column_index_from_string, range_boundaries

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel's error literals: openpyxl would store these as error cells, not text.
ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
_BREAKS = re.compile("[\x0b\x0c\u2028\u2029]")
# XML 1.0 cannot hold C0 controls other than tab, LF, CR, nor U+FFFE/U+FFFF (openpyxl's
# ILLEGAL_CHARACTERS_RE plus those two); lone surrogates cannot be encoded at all.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` as a spreadsheet (or PDF) can hold it: soft breaks become line breaks, other
    control characters are dropped; every printable character is kept."""
    return _ILLEGAL.sub("", _BREAKS.sub("\n", text))


def plain_text(value: Any) -> Any:
    """CSV: text that Excel would run as a formula (CSV injection) gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_cell(value: Any) -> Any:
    """One CSV cell: ``None`` empty, date-times as ``YYYY-MM-DD HH:MM:SS``, text cleaned and
    never a formula; numbers unchanged."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str):
        return plain_text(clean_text(value))
    return value


def csv_dialect(locale: str) -> tuple[str, str]:
    """(separator, decimal mark) that Excel expects when it opens a CSV on the reader's
    machine: Norwegian Windows uses a decimal comma, so its list separator is ``;``."""
    return (";", ",") if locale.startswith("nb") else (",", ".")


def _needs_text_cell(text: str) -> bool:
    return text.startswith(FORMULA_START) or text in ERROR_CODES


def _mark_text(cell: Any, text: str) -> None:
    cell.value = text
    cell.data_type = "s"  # openpyxl made "=…" a formula and "#N/A" an error: text it is
    cell.quotePrefix = True  # and Excel keeps it text when someone edits the cell


def xlsx_value(sheet: Any, value: Any) -> Any:
    """A value for ``sheet.append`` (normal or write-only sheet). Text is cleaned; text that
    openpyxl or Excel would read as a formula or an error becomes a string cell. Plain values
    stay plain (a cell object for each would make big exports much slower)."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    if not _needs_text_cell(text):
        return text

    cell = WriteOnlyCell(sheet)
    _mark_text(cell, text)
    return cell


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A row for ``sheet.append`` with every value made safe by :func:`xlsx_value`."""
    return [xlsx_value(sheet, v) for v in values]


def set_cell(cell: Any, value: Any) -> None:
    """Set an existing cell of a normal sheet (``ws.cell(row, column)``) the same way."""
    if isinstance(value, str):
        text = clean_text(value)
        if _needs_text_cell(text):
            _mark_text(cell, text)
            return
        value = text
    cell.value = value


# --- reading uploaded workbooks -------------------------------------------------------------

# An .xlsx is a zip: 50 MB unpacked holds any real network's standards or self-assessment
# many times over, while a zip bomb unpacks to gigabytes.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 1_000
_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.IGNORECASE)
_SHARED_STRINGS = re.compile(r"^xl/sharedStrings\.xml$", re.IGNORECASE)


class UploadRefused(ValueError):
    """The upload is refused before it is parsed; ``message`` is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_workbook(
    stream: IO[bytes],
    *,
    max_rows: int,
    max_columns: int,
    max_unpacked: int = MAX_UNPACKED_BYTES,
) -> None:
    """Refuse an uploaded .xlsx that is larger than the template it should be, *before*
    openpyxl opens it (openpyxl reads a sheet without a declared size whole, and all shared
    strings at once):

    - the zip's directory: more than ``max_unpacked`` bytes once unpacked, or more parts than
      a workbook has (Python's zipfile never inflates a member past its declared size, so the
      sum holds for everything read afterwards);
    - each sheet, streamed: a declared size (``<dimension ref="A1:…">``), or rows and cells as
      they come, beyond ``max_rows`` × ``max_columns`` — reading stops at the first one past;
    - shared strings: more than the sheet's cells could use.

    Raises :class:`UploadRefused` with a message for the user. A file that is not a zip is
    left to the workbook reader, which reports it as unreadable. The stream is rewound."""
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        stream.seek(0)
        return
    try:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise UploadRefused(
                _("The file has too many parts (%(n)d) to be a workbook.", n=len(members))
            )
        unpacked = sum(m.file_size for m in members)
        if unpacked > max_unpacked:
            raise UploadRefused(
                _(
                    "The workbook is too large: unpacked it holds %(size)d MB, more than the %(max)d MB accepted. Remove what is not needed (other sheets, pictures, rows formatted to the bottom) and upload it again.",
                    size=unpacked // (1024 * 1024),
                    max=max_unpacked // (1024 * 1024),
                )
            )
        for member in members:
            if _SHEET.match(member.filename):
                _scan_sheet(archive, member, max_rows, max_columns)
            elif _SHARED_STRINGS.match(member.filename):
                _scan_strings(archive, member, max_rows * max_columns)
    finally:
        archive.close()
        stream.seek(0)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _iterparse(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> Any:
    """(event, element) of a member's XML, streamed; entity tricks are refused (defusedxml)."""

    return iterparse(archive.open(member), events=("start", "end"))


def _scan_sheet(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, max_rows: int, max_columns: int
) -> None:
    rows = cells = 0
    try:
        for event, element in _iterparse(archive, member):
            tag = _local(element.tag)
            if event == "end":
                if tag == "row":
                    element.clear()
                continue
            if tag == "dimension":
                ref = element.get("ref") or ""
                try:
                    _c1, _r1, last_column, last_row = range_boundaries(ref.split(":")[-1])
                except (ValueError, TypeError):
                    continue  # an odd size says nothing: the rows are counted anyway
                check_row(last_row or 0, last_column or 0, max_rows, max_columns)
            elif tag == "row":
                rows += 1
                cells = 0
                number = element.get("r")
                check_row(int(number) if number and number.isdigit() else rows, 0, max_rows, 0)
            elif tag == "c":
                cells += 1
                ref = element.get("r") or ""
                letters = ref.rstrip("0123456789")
                try:
                    column = column_index_from_string(letters) if letters else cells
                except ValueError:
                    column = cells
                check_row(0, max(column, cells), max_rows, max_columns)
    except UploadRefused:
        raise
    except Exception:  # noqa: BLE001 - broken XML is the workbook reader's to report
        return


def _scan_strings(archive: zipfile.ZipFile, member: zipfile.ZipInfo, max_strings: int) -> None:
    count = 0
    try:
        for event, element in _iterparse(archive, member):
            if event == "end":
                if _local(element.tag) == "si":
                    element.clear()
                continue
            if _local(element.tag) == "si":
                count += 1
                if count > max_strings:
                    raise UploadRefused(
                        _(
                            "The workbook holds more texts than the template has room for (over %(n)d). Remove what is not needed and upload it again.",
                            n=max_strings,
                        )
                    )
    except UploadRefused:
        raise
    except Exception:  # noqa: BLE001 - broken XML is the workbook reader's to report
        return


def check_row(number: int, width: int, max_rows: int, max_columns: int) -> None:
    """Stop reading as soon as a row is past ``max_rows`` or wider than ``max_columns``
    (0 = not checked)."""
    if max_rows and number > max_rows:
        raise UploadRefused(
            _(
                "The file has more rows than the template holds (at most %(max)d). Remove the rows below the table (empty, formatted ones too) and upload it again.",
                max=max_rows,
            )
        )
    if max_columns and width > max_columns:
        raise UploadRefused(
            _(
                "The file has more columns than the template holds (at most %(max)d). Remove the extra columns and upload it again.",
                max=max_columns,
            )
        )

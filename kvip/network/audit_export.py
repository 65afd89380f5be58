"""The audit log as CSV and .xlsx, written row by row from plain database rows.

A network's export and the platform's have the same columns; the platform's adds the
network last ("(platform)" for events of no network), so the others stay where they are.

CSV: UTF-8 with a byte-order mark and ``;`` between fields. Norwegian Windows uses the comma
as decimal separator and therefore ``;`` as list separator, and Excel splits a double-clicked
CSV on the list separator of the regional settings: ``;`` opens in columns, ``,`` would put
every row in column A. The BOM is what makes Excel read æøå as UTF-8 (a ``sep=;`` first line
would make Excel ignore the BOM, so there is none).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import IO, Any

from flask import Response, send_file
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kvip.core import excel
from kvip.network import audit_log
from kvip.network.models import Network

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
XLSX_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included
_BATCH = 500


def header(with_network: bool = False) -> list[str]:
    """The column titles, in the user's language."""
    zone = audit_log.local_zone().key
    titles = [
        _("Time (%(zone)s)", zone=zone),
        _("User name"),
        _("User email"),
        _("What"),
        _("Id"),
        _("Operation"),
        _("Field"),
        _("Before"),
        _("After"),
        _("Unit"),
        _("Note"),
    ]
    return titles + [_("Network")] if with_network else titles


def filename(network: Network | None, fmt: str, on: date) -> str:
    """``kvip-audit-<network-slug>-<yyyy-mm-dd>.<fmt>`` (``platform`` for the platform log)."""
    if network is None:
        return f"kvip-audit-platform-{on.isoformat()}.{fmt}"
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", network.slug).strip("-").lower() or "network"
    return f"kvip-audit-{slug}-{on.isoformat()}.{fmt}"


def row_converter(with_network: bool = False) -> Callable[[Any], list[Any]]:
    """Database row → export values (local time, labels for entity and action). Built while
    the request is there, so that the streamed rows need neither locale nor app."""
    zone = audit_log.local_zone()
    entities = audit_log.entity_labels()
    actions = audit_log.action_labels()
    system = _("system")
    platform = _("(platform)")

    def convert(row: Any) -> list[Any]:
        values = [
            row.at.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None),
            row.name or (system if row.email is None else ""),
            row.email or "",
            entities.get(row.entity, row.entity),
            row.entity_id,
            actions.get(row.action, row.action),
            row.field or "",
            row.old,
            row.new,
            row.unit_name or "",
            row.note or "",
        ]
        if with_network:
            values.append(row.network_name or platform)
        return values

    return convert


def csv_chunks(rows: Iterable[Any], with_network: bool = False) -> Iterator[bytes]:
    """The CSV file in chunks of a few hundred rows, BOM and header first."""
    titles, convert = header(with_network), row_converter(with_network)
    return _csv_chunks(titles, convert, rows)


def _csv_chunks(
    titles: list[str], convert: Callable[[Any], list[Any]], rows: Iterable[Any]
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([excel.csv_cell(t) for t in titles])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, start=1):
        writer.writerow([excel.csv_cell(v) for v in convert(row)])
        if count % _BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def write_xlsx(rows: Iterable[Any], out: IO[bytes], with_network: bool = False) -> None:
    """Write the workbook to ``out`` in openpyxl's write-only mode (rows go to disk as they
    come): bold frozen header, times as real date-times, text never read as a formula."""

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    widths = [20, 24, 30, 22, 8, 16, 18, 30, 30, 24, 40] + ([24] if with_network else [])
    titles = header(with_network)

    def new_sheet(number: int) -> Any:
        title = _("Change history")[:28] + (f" {number}" if number > 1 else "")
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        cells = []
        for title_text in titles:
            cell = WriteOnlyCell(sheet, value=title_text)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        return sheet

    convert = row_converter(with_network)
    sheets = 1
    sheet = new_sheet(sheets)
    written = 1
    for row in rows:
        values = convert(row)
        if written >= XLSX_MAX_ROWS:
            sheets += 1
            sheet = new_sheet(sheets)
            written = 1
        # Text is cleaned and never a formula; plain values are bound by openpyxl itself
        # (datetimes get a date-time format).
        sheet.append(excel.xlsx_row(sheet, values))
        written += 1
    book.save(out)  # type: ignore[arg-type]


def response(actor: Any, network: Network | None, filters: audit_log.AuditFilters, fmt: str) -> Any:
    """Record the export, then answer with the file of the filtered events (of one network, or
    of the whole platform when ``network`` is None)."""
    with_network = network is None
    upto_id = audit_log.record_export(actor, network, filters, fmt)
    rows = audit_log.stream_rows(audit_log.export_query(actor, network, filters, upto_id))
    name = filename(network, fmt, datetime.now(audit_log.local_zone()).date())
    if fmt == "csv":
        return Response(
            csv_chunks(rows, with_network),
            mimetype=MIMETYPES["csv"],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    # Closed by send_file once the response has been sent, hence no ``with``.
    spool = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        write_xlsx(rows, spool, with_network)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return send_file(spool, mimetype=MIMETYPES["xlsx"], as_attachment=True, download_name=name)

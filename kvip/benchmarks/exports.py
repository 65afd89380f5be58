"""Every benchmark table as CSV (UTF-8 with BOM, for Excel) or .xlsx (openpyxl)."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
from flask import Response
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from kvip.benchmarks.context import Table
from kvip.core import excel, i18n

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# Cells (rows × columns) above which a coordinator's table download is made by the job queue
# (kvip.jobs, kind "benchmark_table") instead of inside the request: the heatmap of a network of
# a few hundred units. Below it the file comes at once.
JOB_CELLS = 20_000


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-").lower() or "table"


def csv_bytes(table: Table, locale: str = "nb", note: str = "") -> bytes:
    """UTF-8 with BOM in the separator and decimal mark of the reader's Excel (``;`` and
    ``,`` in Norwegian); every text cell, headers included (unit names head the heatmap's
    columns), kept from running as a formula by :func:`kvip.core.excel.csv_cell`. A ``note`` (the
    provisional warning of an open cycle) is the first line, above the header."""
    frame = table.frame()
    for i, dtype in enumerate(frame.dtypes):
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            frame.isetitem(i, [excel.csv_cell(v) for v in frame.iloc[:, i]])
    frame.columns = [excel.csv_cell(str(c)) for c in frame.columns]
    separator, decimal = excel.csv_dialect(locale)
    text = frame.to_csv(index=False, sep=separator, decimal=decimal, lineterminator="\r\n")
    if note:
        line = io.StringIO()
        csv.writer(line, delimiter=separator, lineterminator="\r\n").writerow(
            [excel.plain_text(note)]
        )
        text = line.getvalue() + text
    return ("\ufeff" + text).encode("utf-8")


def xlsx_bytes(table: Table, note: str = "") -> bytes:
    frame = table.frame()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", table.title)[:31] or "Data")
    sheet.freeze_panes = "A3" if note else "A2"
    for i, column in enumerate(frame.columns, start=1):
        longest = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
        sheet.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest + 2))
    if note:  # the provisional warning of an open cycle, above the header
        sheet.append(excel.xlsx_row(sheet, [note]))
    # Unit names head the heatmap's columns: headers are user text too.
    sheet.append(excel.xlsx_row(sheet, [str(c) for c in frame.columns]))
    for row in frame.itertuples(index=False, name=None):
        sheet.append(
            excel.xlsx_row(sheet, [None if isinstance(v, float) and v != v else v for v in row])
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def response(table: Table, fmt: str, stem: str, note: str = "") -> Response:
    """A download of ``table`` in ``fmt`` named ``<stem>-<table>.<fmt>``, with ``note`` as its
    first line (CSV) or first row (.xlsx) when given."""
    body = csv_bytes(table, i18n.lang(), note) if fmt == "csv" else xlsx_bytes(table, note)
    name = f"{_safe(stem)}-{_safe(table.name)}.{fmt}"
    return Response(
        body,
        mimetype=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

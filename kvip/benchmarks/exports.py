"""Every benchmark table as CSV (UTF-8 with BOM, for Excel) or .xlsx (openpyxl)."""

from __future__ import annotations

import io
import re

import pandas as pd
from flask import Response

from kvip.benchmarks.context import Table

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-").lower() or "table"


def csv_bytes(table: Table) -> bytes:
    return ("\ufeff" + table.frame().to_csv(index=False)).encode("utf-8")


def xlsx_bytes(table: Table) -> bytes:
    from openpyxl.utils import get_column_letter

    buffer = io.BytesIO()
    sheet = re.sub(r"[\[\]:*?/\\]", " ", table.title)[:31] or "Data"
    frame = table.frame()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet)
        ws = writer.sheets[sheet]
        ws.freeze_panes = "A2"
        for i, column in enumerate(frame.columns, start=1):
            longest = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest + 2))
    return buffer.getvalue()


def response(table: Table, fmt: str, stem: str) -> Response:
    """A download of ``table`` in ``fmt`` named ``<stem>-<table>.<fmt>``."""
    body = csv_bytes(table) if fmt == "csv" else xlsx_bytes(table)
    name = f"{_safe(stem)}-{_safe(table.name)}.{fmt}"
    return Response(
        body,
        mimetype=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

"""Expected numbers straight from the fixture's rating values through the scoring module, and
readers for what the pages and exports show."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from kvip import scoring
from tests.benchmarks.conftest import CODES, PEER_1, PEER_2, SELF_1, SELF_2, BenchWorld

DOMAINS = {"1": ["1.1", "1.2", "1.3"], "2": ["2.1", "2.2", "2.3"]}


def series_values(bench: BenchWorld, index: int, series: str) -> dict[str, list[str | None]]:
    if series == "self":
        return dict(SELF_1 if index == 0 else SELF_2)
    if series == "peer":
        return dict(PEER_1 if index == 0 else PEER_2)
    return bench.bench_values(index)


def domain_summaries(values: list[str | None]) -> dict[str, scoring.Summary]:
    return scoring.group_summaries(dict(zip(CODES, values, strict=True)), DOMAINS)


def overall(values: list[str | None]) -> scoring.Summary:
    return scoring.summary_of(values, total=len(CODES))


def pooled(value_lists: list[list[str | None]], codes: list[str] | None = None) -> scoring.Summary:
    """The network's pooled summary: all units' ratings of a set of standards together."""
    wanted = codes or CODES
    flat = [v for values in value_lists for c, v in zip(CODES, values, strict=True) if c in wanted]
    return scoring.summary_of(flat)


def r1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


PROVISIONAL = ("Foreløpig", "Provisional")


def without_note(rows: list[list[str]]) -> list[list[str]]:
    """The rows of an export without its first-line provisional note (an open cycle's)."""
    if rows and len(rows[0]) == 1 and rows[0][0].startswith(PROVISIONAL):
        return rows[1:]
    return rows


def csv_rows(data: bytes) -> list[list[str]]:
    """Rows of a Norwegian-Excel CSV (``;`` between cells, decimal comma), provisional note
    and header dropped."""
    text = data.decode("utf-8-sig")
    return without_note(list(csv.reader(io.StringIO(text), delimiter=";")))[1:]


def num(cell: str) -> float | None:
    return None if cell == "" else float(cell.replace(",", "."))


def figures(html: str) -> dict[str, Any]:
    """The plotly figures embedded in a page, by name."""
    found = {}
    for m in re.finditer(
        r'<script type="application/json" id="fig-([^"]+)">(.*?)</script>', html, re.S
    ):
        found[m.group(1)] = json.loads(m.group(2))
    return found

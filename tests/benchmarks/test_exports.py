"""CSV exports open cleanly in the reader's Excel: Norwegian gets ``;`` and a decimal comma."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.benchmarks.conftest import BenchWorld
from tests.benchmarks.helpers import without_note


def _table(data: bytes, delimiter: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8, æøå intact
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))
    return without_note(rows)


def test_csv_follows_the_readers_language(client_as: Any, bench: BenchWorld) -> None:
    client = client_as("member")
    url = f"/benchmarks/units/{bench.units['own'].id}/export/domains.csv"
    norwegian = _table(client.get(url).data, ";")
    client.post("/language", data={"locale": "en"})
    english = _table(client.get(url).data, ",")
    assert len(norwegian) == len(english) > 1
    assert all(len(row) == len(norwegian[0]) for row in norwegian)
    scores_nb = [row[1] for row in norwegian[1:] if row[1]]
    scores_en = [row[1] for row in english[1:] if row[1]]
    assert scores_nb and [s.replace(",", ".") for s in scores_nb] == scores_en
    assert any("," in s for s in scores_nb)  # 33,3 — a number in Norwegian Excel, not text
    assert not any("," in s for s in scores_en)

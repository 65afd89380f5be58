"""The unit dashboard's trend: the network's median and quartiles per cycle are those of the
units' own scores (DESIGN §5), overall and per domain, and they follow a change made after a
read (the spreads are kept in process under the summaries' revision)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kvip import scoring
from kvip.extensions import db
from kvip.visits.models import Finding
from tests.benchmarks.conftest import CODES, BenchWorld
from tests.benchmarks.helpers import (
    csv_rows,
    domain_summaries,
    num,
    overall,
    r1,
    series_values,
)


def _trend(client: Any, bench: BenchWorld) -> dict[tuple[str, str], list[str]]:
    url = f"/benchmarks/units/{bench.units['own'].id}/export/trend.csv"
    return {(r[0], r[1]): r for r in csv_rows(client.get(url).data)}


def _expected(values: dict[str, list[str | None]]) -> dict[str | None, scoring.Distribution]:
    out: dict[str | None, scoring.Distribution] = {
        None: scoring.distribution(overall(v).score for v in values.values())
    }
    for code in ("1", "2"):
        out[code] = scoring.distribution(domain_summaries(v)[code].score for v in values.values())
    return out


def _check(rows: dict[tuple[str, str], list[str]], bench: BenchWorld, values: Any) -> None:
    for index, cycle in enumerate(bench.cycles):
        expected = _expected(values(index))
        for code, label in ((None, "Alle standarder"), ("1", "1 Område 1"), ("2", "2 Område 2")):
            row = rows[(cycle.name, label)]
            d = expected[code]
            assert (num(row[5]), num(row[6]), num(row[7])) == (r1(d.median), r1(d.q1), r1(d.q3))


def test_the_trend_spread_is_the_units_scores_and_follows_a_change(
    client_as: Any, bench: BenchWorld
) -> None:
    client = client_as("member")
    _check(_trend(client, bench), bench, lambda i: series_values(bench, i, "bench"))

    # Every finding of the own unit's latest visit becomes "met": its scores rise to 100 and
    # the network's lower quartile moves. The next read shows it (no stale spread).
    before = _trend(client, bench)
    own_visit = bench.visits[(1, "own")]
    for finding in db.session.scalars(sa.select(Finding).where(Finding.visit_id == own_visit.id)):
        finding.value = "met"
    db.session.commit()
    changed = series_values(bench, 1, "bench")
    changed["own"] = ["met"] * len(CODES)
    after = _trend(client, bench)
    _check(after, bench, lambda i: changed if i == 1 else series_values(bench, i, "bench"))
    latest = (bench.cycles[1].name, "Alle standarder")
    assert after[latest][6] != before[latest][6]

"""The annual report's figures are kept in process under the summaries' revision
(:func:`kvip.benchmarks.summaries.cached`): a change after a read shows in the next read, and
names come from the database on every read."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from kvip import scoring
from kvip.benchmarks import annual
from kvip.extensions import db
from kvip.visits.models import Finding
from tests.benchmarks.conftest import (
    CODES,
    GOOD_BETA,
    GOOD_BETA_PARTLY,
    GOOD_GAMMA_UNMET,
    BenchWorld,
)
from tests.benchmarks.helpers import csv_rows, num, overall, r1, series_values


def _export(client: Any, bench: BenchWorld, table: str) -> list[list[str]]:
    url = f"/benchmarks/networks/{bench.network.id}/annual-report/export/{table}.csv"
    return csv_rows(client.get(url).data)


def test_a_finding_changed_after_a_read_shows_in_the_next_read(
    client_as: Any, bench: BenchWorld
) -> None:
    client = client_as("member")
    page = f"/benchmarks/networks/{bench.network.id}/annual-report"
    assert client.get(page).status_code == 200
    first = {r[0]: r for r in _export(client, bench, "by_standard")}
    assert {r[0]: r for r in _export(client, bench, "by_standard")} == first
    i = CODES.index("1.3")
    finding = db.session.scalar(
        sa.select(Finding).where(
            Finding.visit_id == bench.visits[(1, "own")].id,
            Finding.standard_id == bench.standards[i].id,
        )
    )
    finding.value = "met"
    db.session.commit()

    current = {k: list(v) for k, v in series_values(bench, 1, "bench").items()}
    current["own"][i] = "met"
    rows = {r[0]: r for r in _export(client, bench, "by_standard")}
    counts = scoring.count([v[i] for v in current.values()])
    assert num(rows["1.3"][6]) == r1(scoring.score(counts)) != num(first["1.3"][6])
    previous = series_values(bench, 0, "bench")
    changes = sorted(
        (scoring.change(overall(previous[k]).score, overall(v).score) for k, v in current.items()),
        reverse=True,
    )
    improved = _export(client, bench, "most_improved")
    assert [num(r[3]) for r in improved] == [r1(c) for c in changes if c and c > 0]
    trends = _export(client, bench, "trends")
    assert num(trends[-1][2]) == r1(
        scoring.score(sum((scoring.count(v) for v in current.values()), scoring.Counts()))
    )


def test_cycle_names_are_read_on_every_request(client_as: Any, bench: BenchWorld) -> None:
    client = client_as("member")
    page = f"/benchmarks/networks/{bench.network.id}/annual-report"
    assert bench.cycles[0].name in client.get(page).get_data(as_text=True)
    bench.cycles[0].name = "Forrige syklus"
    db.session.commit()
    html = client.get(page).get_data(as_text=True)
    assert "Forrige syklus" in html
    trends = _export(client, bench, "trends")
    assert [r[0] for r in trends] == ["Forrige syklus", bench.cycles[1].name]


@pytest.mark.parametrize("first", [1, 2, 3])
def test_good_practice_examples_are_the_same_when_read_in_two_steps(
    client_as: Any, bench: BenchWorld, monkeypatch: pytest.MonkeyPatch, first: int
) -> None:
    """Each domain's examples are the first ones among the cycle's good practice, whether the
    first few observations held them all or the rest had to be read too."""
    client = client_as("member")
    page = f"/benchmarks/networks/{bench.network.id}/annual-report"
    whole = client.get(page).get_data(as_text=True)
    assert GOOD_BETA in whole and GOOD_GAMMA_UNMET in whole and GOOD_BETA_PARTLY in whole
    monkeypatch.setattr(annual, "GOOD_PRACTICE_FIRST", first)
    assert _without_tokens(client.get(page).get_data(as_text=True)) == _without_tokens(whole)


def _without_tokens(html: str) -> str:
    return re.sub(r'(csrf[-_]token" (?:content|value))="[^"]*"', r"\1", html)

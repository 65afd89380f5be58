"""The self-vs-peer agreement page: AC1/AC2 beside kappa, kappa only where it means something,
and "candidates for rewording" ranked by disagreement rate (never by a degenerate kappa)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from kvip import scoring
from kvip.benchmarks import network_page
from tests.benchmarks.conftest import CODES, NAMES, PEER_2, SELF_2, BenchWorld
from tests.benchmarks.helpers import csv_rows, num

M, P, N = "met", "partly_met", "not_met"


def _row(code: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    a = scoring.agreement(pairs)
    return {"code": code, **network_page._agreement_cells(a, network_page.kappa_notes())}


def test_rewording_is_ranked_by_disagreement_with_a_minimum_n(app: Flask) -> None:
    """The paradox case of issue 16: 11 of 12 units agree ("met"/"met") and one differs, so
    kappa is 0 and the old ranking (lowest kappa first) listed it as the least agreed. Ranked by
    disagreement it comes after the standards where units and teams really disagree."""
    paradox = _row("1.1", [(M, M)] * 11 + [(M, P)])
    assert paradox["kappa"] is None and paradox["kappa_note"]  # '–' with its reason
    half_small = _row("1.2", [(M, M), (P, P), (N, N), (M, P), (P, N), (N, M)])  # 3 of 6
    half_large = _row("1.3", [(M, M), (P, P)] * 5 + [(M, P), (P, N)] * 5)  # 10 of 20
    too_few = _row("2.1", [(M, N)] * 4)  # 100 % but only 4 units
    none = _row("2.2", [(M, M), (P, P)] * 5)  # never differ
    rows = [paradox, half_small, half_large, too_few, none]
    ranked = network_page.rewording_candidates(rows, minimum=5)
    assert [r["code"] for r in ranked] == ["1.3", "1.2", "1.1"]
    # Same rate, the larger n first: its interval's lower end is higher.
    assert half_large["ci_low"] > half_small["ci_low"]
    assert half_large["disagreement"] == half_small["disagreement"] == pytest.approx(50.0)
    assert paradox["disagreement"] == pytest.approx(100 / 12)
    low, high = scoring.wilson_interval(1, 12)  # type: ignore[misc]
    assert paradox["ci_low"] == pytest.approx(100 * low) and paradox["ci_high"] == pytest.approx(
        100 * high
    )


def test_agreement_exports_show_ac1_ac2_and_no_degenerate_kappa(
    client_as: Any, bench: BenchWorld
) -> None:
    client = client_as("coordinator")
    nid = bench.network.id
    data = client.get(f"/benchmarks/networks/{nid}/export/agreement/agreement_standards.csv").data
    degenerate = 0
    for row in csv_rows(data):
        i = CODES.index(row[0])
        a = scoring.agreement((SELF_2[k][i], PEER_2[k][i]) for k in PEER_2)
        # code, text, n, percent, kappa, why no kappa, AC1, AC2
        assert num(row[6]) == round(a.ac1, 2)  # type: ignore[arg-type]
        assert num(row[7]) == round(a.ac2, 2)  # type: ignore[arg-type]
        if a.kappa_degenerate:
            degenerate += 1
            assert row[4] == "" and row[5]
        else:
            assert num(row[4]) == round(a.kappa, 2) and row[5] == ""  # type: ignore[arg-type]
    assert degenerate, "the fixture has a standard every unit and team rated alike"
    page = client.get(f"/benchmarks/networks/{nid}/agreement").get_data(as_text=True)
    assert "Gwet" in page and "AC2" in page
    assert "omformulering" in page  # the rewording section explains itself in one sentence
    assert "Wilson" in page


def test_api_agreement_carries_ac1_ac2_and_disagreement(client_as: Any, bench: BenchWorld) -> None:
    data = client_as("coordinator").get(f"/api/v1/cycles/{bench.cycle.id}/benchmark").get_json()
    by_name = {u["name"]: u for u in data["units"]}
    for key in PEER_2:
        a = scoring.agreement(zip(SELF_2[key], PEER_2[key], strict=True))
        got = by_name[NAMES[key]]["agreement"]
        assert got["kappa"] == pytest.approx(a.kappa)
        assert got["ac1"] == pytest.approx(a.ac1) and got["ac2"] == pytest.approx(a.ac2)
        assert got["kappa_degenerate"] is a.kappa_degenerate
        assert got["disagreement"] == pytest.approx(a.disagreement_rate)
        low, high = a.disagreement_interval  # type: ignore[misc]
        assert got["disagreement_ci95"] == [pytest.approx(low), pytest.approx(high)]

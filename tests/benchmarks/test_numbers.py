"""Every number on the dashboards, in the exports and in the API equals what the scoring module
computes from the fixture's rating values (DESIGN §5)."""

from __future__ import annotations

from typing import Any

import pytest

from kvip import scoring
from tests.benchmarks.conftest import (
    CODES,
    GOOD_BETA,
    GOOD_GAMMA,
    NAMES,
    PEER_2,
    SELF_2,
    BenchWorld,
)
from tests.benchmarks.helpers import (
    DOMAINS,
    csv_rows,
    domain_summaries,
    figures,
    num,
    overall,
    pooled,
    r1,
    series_values,
)


def _api(client: Any, bench: BenchWorld, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/cycles/{bench.cycle.id}/benchmark", query_string=params)
    assert response.status_code == 200, response.data
    return response.get_json()


def test_api_for_a_coordinator_matches_the_scoring_module(
    client_as: Any, bench: BenchWorld
) -> None:
    data = _api(client_as("coordinator"), bench)
    assert data["named"] is True and data["suppressed"] is False
    assert data["units_compared"] == 4
    by_name = {u["name"]: u for u in data["units"]}
    assert set(by_name) == set(NAMES.values())
    bench_values = series_values(bench, 1, "bench")
    for key, name in NAMES.items():
        unit = by_name[name]
        peer_reviewed = key in PEER_2
        assert unit["source"] == ("peer_reviewed" if peer_reviewed else "self_assessed")
        assert unit["unit_id"] == bench.units[key].id
        assert unit["assessment_id"] == bench.assessments[(1, key)].id
        assert unit["visit_id"] == (bench.visits[(1, key)].id if peer_reviewed else None)
        expected = domain_summaries(bench_values[key])
        for code, summary in expected.items():
            got = unit["domains"][code]
            for field in ("score", "met_pct", "completeness"):
                assert got[field] == pytest.approx(getattr(summary, field))
            assert got["applicable"] == summary.counts.applicable
            assert got["source"] == unit["source"]
            self_summary = domain_summaries(SELF_2[key])[code]
            assert got["self"]["score"] == pytest.approx(self_summary.score)
            if peer_reviewed:
                assert got["peer"]["score"] == pytest.approx(
                    domain_summaries(PEER_2[key])[code].score
                )
            else:
                assert got["peer"] is None
        assert unit["overall"]["score"] == pytest.approx(overall(bench_values[key]).score)
        assert unit["overall_self"]["score"] == pytest.approx(overall(SELF_2[key]).score)
        if peer_reviewed:
            agreement = scoring.agreement(zip(SELF_2[key], PEER_2[key], strict=True))
            assert unit["agreement"]["n"] == agreement.n
            assert unit["agreement"]["percent"] == pytest.approx(agreement.percent)
            assert unit["agreement"]["kappa"] == pytest.approx(agreement.kappa)
        else:
            assert unit["agreement"] is None


def test_api_for_a_member_pseudonymises_others(client_as: Any, bench: BenchWorld) -> None:
    data = _api(client_as("member"), bench)
    assert data["named"] is False
    own = [u for u in data["units"] if u["own"]]
    others = [u for u in data["units"] if not u["own"]]
    assert len(own) == 1 and own[0]["name"] == NAMES["own"]
    assert own[0]["assessment_id"] == bench.assessments[(1, "own")].id
    assert own[0]["visit_id"] is None  # unit members do not read visits (DESIGN §7)
    assert len(others) == 3
    for unit in others:
        assert unit["name"] is None and unit["unit_id"] is None
        assert unit["assessment_id"] is None and unit["visit_id"] is None
        assert unit["label"].startswith("Enhet ")
    # Numbers are the same as for a coordinator, just unlabelled.
    scores = sorted(u["overall"]["score"] for u in data["units"])
    expected = sorted(overall(v).score for v in series_values(bench, 1, "bench").values())
    assert scores == pytest.approx(expected)


def test_unit_dashboard_domains_table_chart_and_export(client_as: Any, bench: BenchWorld) -> None:
    client = client_as("member")
    unit_id = bench.units["own"].id
    page = client.get(f"/benchmarks/units/{unit_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    bench_values = series_values(bench, 1, "bench")
    per_unit = {k: domain_summaries(v) for k, v in bench_values.items()}
    rows = csv_rows(client.get(f"/benchmarks/units/{unit_id}/export/domains.csv").data)
    assert len(rows) == 2
    for row, code in zip(rows, DOMAINS, strict=True):
        own = per_unit["own"][code]
        dist = scoring.distribution([per_unit[k][code].score for k in per_unit])
        assert row[0].startswith(code)
        assert num(row[1]) == r1(own.score)
        assert row[2] == "fagfellevurdert"
        assert num(row[3]) == r1(domain_summaries(SELF_2["own"])[code].score)
        assert num(row[4]) == r1(domain_summaries(PEER_2["own"])[code].score)
        assert num(row[5]) == r1(dist.median)
        assert num(row[6]) == r1(dist.q1) and num(row[7]) == r1(dist.q3)
        assert int(row[8]) == 4
        assert num(row[9]) == r1(scoring.change(dist.median, own.score))
        # The same numbers in the HTML table (nb formatting).
        assert f"{own.score:.1f}".replace(".", ",") in html
    fig = figures(html)["domains"]
    box = next(t for t in fig["data"] if t["type"] == "box")
    for i, code in enumerate(DOMAINS):
        dist = scoring.distribution([per_unit[k][code].score for k in per_unit])
        assert box["median"][i] == pytest.approx(dist.median)
        assert box["q1"][i] == pytest.approx(dist.q1)
        assert box["upperfence"][i] == pytest.approx(dist.high)
    own_trace = fig["data"][-1]
    assert own_trace["x"] == pytest.approx([per_unit["own"][c].score for c in DOMAINS])
    others = fig["data"][1]
    assert len(others["x"]) == 6 and all(t.startswith("Enhet ") for t in others["text"])


def test_unit_dashboard_differences_and_who_to_learn_from(
    client_as: Any, bench: BenchWorld
) -> None:
    client = client_as("lead")
    unit_id = bench.units["own"].id
    bench_values = series_values(bench, 1, "bench")
    diff_rows = csv_rows(client.get(f"/benchmarks/units/{unit_id}/export/differences.csv").data)
    assert diff_rows
    for row in diff_rows:
        i = CODES.index(row[0])
        network = pooled(list(bench_values.values()), [row[0]]).score
        own_points = scoring.summary_of([bench_values["own"][i]]).score
        assert num(row[3]) == r1(own_points)
        assert num(row[4]) == r1(network)
        assert num(row[6]) == r1(scoring.change(network, own_points))
    # Largest gaps first, in both directions.
    diffs = [num(r[6]) for r in diff_rows]
    negatives = [d for d in diffs if d is not None and d < 0]
    assert negatives == sorted(negatives)
    learn = {
        r[0]: r for r in csv_rows(client.get(f"/benchmarks/units/{unit_id}/export/learn.csv").data)
    }
    # Areas: the own unit's not met / partly met standards (peer series) and the team's improvement.
    assert set(learn) == {"1.2", "1.3", "2.1"}
    met_12 = sum(1 for v in bench_values.values() if v[1] == "met")
    assert int(learn["1.2"][4]) == met_12
    assert int(learn["1.2"][5]) == 4
    assert GOOD_BETA in learn["1.2"][6] and GOOD_GAMMA in learn["1.2"][6]
    assert "Enhet " in learn["1.2"][6]
    assert (
        learn["1.3"][6] == ""
    )  # Gamma's good practice on 1.3 does not count: 1.3 is not met there
    assert learn["2.1"][6] == ""  # Beta only partly meets 2.1
    assert learn["2.1"][3] == "Ja"  # named by the review team


def test_network_overview_units_funnel_and_small_multiples(
    client_as: Any, bench: BenchWorld
) -> None:
    client = client_as("coordinator")
    nid = bench.network.id
    html = client.get(f"/benchmarks/networks/{nid}").get_data(as_text=True)
    bench_values = series_values(bench, 1, "bench")
    totals = {NAMES[k]: scoring.count(v, total=6) for k, v in bench_values.items()}
    p_bar = scoring.pooled_proportion([(c.met, c.applicable) for c in totals.values()])
    assert p_bar is not None
    rows = csv_rows(client.get(f"/benchmarks/networks/{nid}/export/overview/units.csv").data)
    assert [r[0] for r in rows] == sorted(NAMES.values())  # alphabetical, not a ranking
    for row in rows:
        c = totals[row[0]]
        assert num(row[4]) == r1(scoring.score(c))
        assert num(row[5]) == r1(scoring.met_pct(c))
        assert int(row[6]) == c.applicable
        key = next(k for k, n in NAMES.items() if n == row[0])
        for j, code in enumerate(DOMAINS):
            assert num(row[8 + j]) == r1(domain_summaries(bench_values[key])[code].score)
    fig = figures(html)
    funnel = fig["funnel"]
    network_line = next(t for t in funnel["data"] if t.get("mode") == "lines" and len(t["x"]) == 2)
    assert network_line["y"][0] == pytest.approx(100 * p_bar)
    point_traces = [t for t in funnel["data"] if t["mode"].startswith("markers")]
    seen = []
    for points in point_traces:
        for label, n, pct in zip(points["text"], points["x"], points["y"], strict=True):
            assert n == totals[label].applicable
            assert pct == pytest.approx(100 * totals[label].met / n)
            seen.append(label)
    assert sorted(seen) == sorted(totals)
    upper95 = funnel["data"][2]
    lo, hi = scoring.funnel_limits(p_bar, upper95["x"][-1], scoring.Z95)
    assert upper95["y"][-1] == pytest.approx(100 * hi)
    panels = fig["domains"]
    boxes = [t for t in panels["data"] if t["type"] == "box"]
    for box, code in zip(boxes, DOMAINS, strict=True):
        scores = [domain_summaries(v)[code].score for v in bench_values.values()]
        assert box["median"][0] == pytest.approx(scoring.distribution(scores).median)


def test_network_standards_table_and_heatmap(client_as: Any, bench: BenchWorld) -> None:
    client = client_as("coordinator")
    nid = bench.network.id
    bench_values = series_values(bench, 1, "bench")
    rows = csv_rows(client.get(f"/benchmarks/networks/{nid}/export/standards/standards.csv").data)
    assert [r[0] for r in rows] == CODES
    for row in rows:
        i = CODES.index(row[0])
        c = scoring.count([v[i] for v in bench_values.values()])
        assert int(row[3]) == c.applicable and int(row[4]) == c.not_applicable
        assert num(row[5]) == r1(scoring.value_pct(c, "met"))
        assert num(row[6]) == r1(scoring.value_pct(c, "partly_met"))
        assert num(row[7]) == r1(scoring.value_pct(c, "not_met"))
        assert num(row[8]) == r1(scoring.score(c))
    html = client.get(f"/benchmarks/networks/{nid}/standards?domain=1").get_data(as_text=True)
    heat = figures(html)["heatmap"]["data"][0]
    codes = {"not_applicable": -1, "not_met": 0, "partly_met": 1, "met": 2}
    for j, name in enumerate(heat["x"]):
        key = next(k for k, n in NAMES.items() if n == name)
        for i, code in enumerate(heat["y"]):
            value = bench_values[key][CODES.index(code)]
            assert heat["z"][i][j] == (codes[value] if value else None)
    matrix = csv_rows(
        client.get(f"/benchmarks/networks/{nid}/export/standards/heatmap.csv?domain=2").data
    )
    assert [r[0] for r in matrix] == ["2.1", "2.2", "2.3"]


def test_network_trends_pool_every_unit(client_as: Any, bench: BenchWorld) -> None:
    client = client_as("coordinator")
    nid = bench.network.id
    rows = csv_rows(client.get(f"/benchmarks/networks/{nid}/export/trends/trends.csv").data)
    assert [r[0] for r in rows] == [c.name for c in bench.cycles]
    for row, index in zip(rows, (0, 1), strict=True):
        values = list(series_values(bench, index, "bench").values())
        assert int(row[1]) == 4
        assert num(row[2]) == r1(pooled(values).score)
        assert num(row[3]) == r1(pooled(values, DOMAINS["1"]).score)
        assert num(row[4]) == r1(pooled(values, DOMAINS["2"]).score)
    changes = csv_rows(
        client.get(f"/benchmarks/networks/{nid}/export/trends/standard_changes.csv").data
    )
    for row in changes:
        i = CODES.index(row[0])
        before = scoring.met_pct(
            scoring.count([v[i] for v in series_values(bench, 0, "bench").values()])
        )
        after = scoring.met_pct(
            scoring.count([v[i] for v in series_values(bench, 1, "bench").values()])
        )
        assert num(row[4]) == r1(scoring.change(before, after))


def test_agreement_per_unit_and_per_standard(client_as: Any, bench: BenchWorld) -> None:
    client = client_as("coordinator")
    nid = bench.network.id
    units = {
        r[0]: r
        for r in csv_rows(
            client.get(f"/benchmarks/networks/{nid}/export/agreement/agreement_units.csv").data
        )
    }
    assert set(units) == {NAMES[k] for k in PEER_2}
    for key in PEER_2:
        a = scoring.agreement(zip(SELF_2[key], PEER_2[key], strict=True))
        row = units[NAMES[key]]
        assert int(row[1]) == a.n
        assert num(row[2]) == r1(a.percent)
        assert num(row[3]) == (None if a.kappa is None else round(a.kappa, 2))
    standards = csv_rows(
        client.get(f"/benchmarks/networks/{nid}/export/agreement/agreement_standards.csv").data
    )
    for row in standards:
        i = CODES.index(row[0])
        a = scoring.agreement((SELF_2[k][i], PEER_2[k][i]) for k in PEER_2)
        assert int(row[2]) == a.n
        assert num(row[3]) == r1(a.percent)


def test_annual_report_numbers_and_pdf(client_as: Any, bench: BenchWorld) -> None:
    client = client_as("member")
    nid = bench.network.id
    page = client.get(f"/benchmarks/networks/{nid}/annual-report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    current = list(series_values(bench, 1, "bench").values())
    previous = list(series_values(bench, 0, "bench").values())
    total = pooled(current).score
    assert f"{total:.1f}".replace(".", ",") in html
    rows = csv_rows(
        client.get(f"/benchmarks/networks/{nid}/annual-report/export/by_standard.csv").data
    )
    for row in rows:
        i = CODES.index(row[0])
        c = scoring.count([v[i] for v in current])
        assert int(row[2]) == c.applicable
        assert num(row[6]) == r1(scoring.score(c))
    improved = csv_rows(
        client.get(f"/benchmarks/networks/{nid}/annual-report/export/most_improved.csv").data
    )
    changes = sorted(
        (
            scoring.change(overall(b).score, overall(a).score)
            for a, b in zip(current, previous, strict=True)
        ),
        reverse=True,
    )
    assert [num(r[3]) for r in improved] == [r1(c) for c in changes if c and c > 0]
    assert all(r[0].startswith("Enhet ") for r in improved)
    pdf = client.get(f"/benchmarks/networks/{nid}/annual-report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_series_switch_uses_the_self_assessment(client_as: Any, bench: BenchWorld) -> None:
    client = client_as("coordinator")
    nid = bench.network.id
    rows = csv_rows(
        client.get(f"/benchmarks/networks/{nid}/export/overview/units.csv?series=self").data
    )
    for row in rows:
        key = next(k for k, n in NAMES.items() if n == row[0])
        assert num(row[4]) == r1(overall(SELF_2[key]).score)


def test_api_is_documented_and_answers_unknown_cycles_with_json(
    client_as: Any, bench: BenchWorld
) -> None:
    client = client_as("member")
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/cycles/{cycle_id}/benchmark"]["get"]
    assert "200" in operation["responses"] and "404" in operation["responses"]
    assert "BenchmarkUnit" in spec["components"]["schemas"]
    missing = client.get("/api/v1/cycles/999999/benchmark")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    other_network_cycle = client_as("outsider").get(f"/api/v1/cycles/{bench.cycle.id}/benchmark")
    assert other_network_cycle.status_code == 200  # the outsider leads Beta, in the same network


def test_english_pages_and_pseudonyms(client_as: Any, bench: BenchWorld) -> None:
    from kvip.extensions import db

    bench.users["member"].locale = "en"
    db.session.commit()
    html = (
        client_as("member").get(f"/benchmarks/units/{bench.units['own'].id}").get_data(as_text=True)
    )
    assert "Who to learn from" in html and "peer-reviewed" in html
    others = figures(html)["domains"]["data"][1]["text"]
    assert all(t.startswith("Unit ") for t in others)
    api = client_as("member").get(f"/api/v1/cycles/{bench.cycle.id}/benchmark").get_json()
    assert {u["label"][:5] for u in api["units"] if not u["own"]} == {"Unit "}


@pytest.mark.parametrize(
    ("locale", "sentence"),
    [("nb", "(oppfylt {n}\xa0%)"), ("en", "(met {n}%)")],
)
def test_annual_report_percentages_follow_the_locale(
    client_as: Any, bench: BenchWorld, locale: str, sentence: str
) -> None:
    """One "%" per percentage, placed as the language writes it: "46,6 %" (with a no-break
    space) in bokmål, "46.6%" in English; never the number followed by a hand-written " %"."""
    from decimal import ROUND_HALF_UP, Decimal

    from kvip.extensions import db

    bench.users["member"].locale = locale
    db.session.commit()
    html = (
        client_as("member")
        .get(f"/benchmarks/networks/{bench.network.id}/annual-report")
        .get_data(as_text=True)
    )
    met = pooled(list(series_values(bench, 1, "bench").values())).met_pct
    assert met is not None
    shown = str(Decimal(str(met)).quantize(Decimal("0.1"), ROUND_HALF_UP))
    assert sentence.format(n=shown.replace(".", "," if locale == "nb" else ".")) in html
    assert " %)" not in html and "%%" not in html

"""The pure chart functions: valid plotly figures (checked with plotly's own schema) that
carry exactly the numbers they are given."""

from __future__ import annotations

import json

import pytest

from kvip import scoring
from kvip.benchmarks import charts


def _valid(fig: charts.Figure) -> dict:
    charts.validate(fig)  # raises on any property plotly does not know
    return json.loads(charts.to_json(fig))


def test_domain_distribution_marks_the_own_unit() -> None:
    d = scoring.distribution([40.0, 60.0, 80.0])
    rows = [
        charts.DomainRow(
            box=charts.BoxStats("1 Miljø", d.median, d.q1, d.q3, d.low, d.high),
            others=[charts.Point("Enhet A", 40.0), charts.Point("Enhet B", 80.0)],
            own=charts.Point("Vår enhet", 60.0),
        ),
        charts.DomainRow(box=charts.BoxStats("2 Bemanning", None, None, None, None, None)),
    ]
    fig = _valid(
        charts.domain_distribution(
            rows, title="T", own_name="Vår", others_name="Andre", network_name="Nett"
        )
    )
    box, others, own = fig["data"]
    assert box["median"] == [60.0] and box["q1"] == [50.0] and box["upperfence"] == [80.0]
    assert others["x"] == [40.0, 80.0] and others["text"] == ["Enhet A", "Enhet B"]
    assert own["x"] == [60.0] and own["marker"]["symbol"] == "diamond"
    assert fig["layout"]["yaxis"]["ticktext"] == ["1 Miljø", "2 Bemanning"]


def test_funnel_draws_both_limits_and_the_points() -> None:
    points = [("Enhet A", 50, 40), ("Enhet B", 200, 150)]
    p_bar = scoring.pooled_proportion([(m, n) for _, n, m in points])
    assert p_bar is not None
    data = charts.FunnelData(
        p_bar=p_bar,
        points=[
            (label, n, 100 * m / n, scoring.funnel_position(p_bar, n, m)) for label, n, m in points
        ],
        limits95=scoring.funnel_curve(p_bar, 200, scoring.Z95),
        limits998=scoring.funnel_curve(p_bar, 200, scoring.Z998),
    )
    labels = {"limit95": "95", "limit998": "99.8", "network": "p", "units": "u", "x": "n", "y": "%"}
    fig = _valid(charts.funnel(data, title="F", labels=labels))
    traces = fig["data"]
    assert len(traces) == 6
    assert traces[4]["y"] == [pytest.approx(100 * p_bar)] * 2
    assert traces[5]["x"] == [50, 200] and traces[5]["y"] == [80.0, 75.0]
    upper95 = traces[2]
    assert upper95["y"][-1] == pytest.approx(
        100 * scoring.funnel_limits(p_bar, 200, scoring.Z95)[1]
    )


def test_heatmap_bars_lines_panels_and_agreement_are_valid() -> None:
    heat = _valid(
        charts.heatmap(
            [[2, 0], [None, -1]],
            ["Enhet A", "Enhet B"],
            ["1.1", "1.2"],
            [["a", "b"], ["c", "d"]],
            title="H",
            legend={"na": "NA", "not_met": "N", "partly_met": "P", "met": "M"},
        )
    )
    assert heat["data"][0]["z"] == [[2, 0], [None, -1]]
    bar = _valid(
        charts.bars([charts.Bar("1.1", 40.0), charts.Bar("1.2", 12.5)], title="B", x_title="%")
    )
    assert bar["data"][0]["x"] == [40.0, 12.5]
    div = _valid(
        charts.diverging(
            [charts.Bar("1.1", -20.0), charts.Bar("2.1", 10.0)], title="D", x_title="p"
        )
    )
    assert div["data"][0]["marker"]["color"] == [charts.NOT_MET, charts.MET]
    series = [charts.Series("Vår", ["2025", "2026"], [50.0, None], highlight=True)]
    assert _valid(charts.lines(series, title="L"))["data"][0]["y"] == [50.0, None]
    panels = _valid(
        charts.trend_panels([("Alle", series), ("1", series), ("2", series)], title="P", columns=2)
    )
    assert {t["xaxis"] for t in panels["data"]} == {"x", "x2", "x3"}
    assert [a["text"] for a in panels["layout"]["annotations"]] == ["Alle", "1", "2"]
    d = scoring.distribution([10.0, 20.0])
    rows = [
        charts.DomainRow(
            charts.BoxStats(str(i), d.median, d.q1, d.q3, d.low, d.high), [charts.Point("A", 10.0)]
        )
        for i in range(7)
    ]
    assert len(_valid(charts.domain_panels(rows, title="S"))["data"]) == 14
    agree = _valid(
        charts.agreement_scatter(
            [("A", 80.0, 0.5, 10), ("B", None, None, 0)], title="A", x_title="%", y_title="k"
        )
    )
    assert agree["data"][0]["x"] == [80.0]
    rates = _valid(
        charts.interval_bars(
            [
                charts.IntervalBar("1.1", 30.0, 10.78, 60.32),
                charts.IntervalBar("1.2", None, None, None),
            ],
            title="R",
            x_title="%",
        )
    )
    error = rates["data"][0]["error_x"]
    assert error["array"] == [pytest.approx(30.32), None]
    assert error["arrayminus"] == [pytest.approx(19.22), None]


def test_json_is_safe_inside_a_script_element() -> None:
    fig = charts.bars([charts.Bar("</script><b>&", 1.0)], title="<x>", x_title="%")
    text = charts.to_json(fig)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["data"][0]["y"] == ["</script><b>&"]


def test_jitter_is_stable_and_bounded() -> None:
    values = [charts.jitter(f"k{i}") for i in range(200)]
    assert all(-0.28 <= v <= 0.28 for v in values)
    assert charts.jitter("k1") == values[1]

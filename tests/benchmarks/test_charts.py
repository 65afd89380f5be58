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
    # Labelled without hover: the own unit's text is drawn (mode has "text").
    assert "text" in own["mode"] and own["text"] == ["Vår enhet"]
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
    assert traces[4]["y"] == [pytest.approx(100 * p_bar)] * 2
    units = traces[5:]
    assert sorted(x for t in units for x in t["x"]) == [50, 200]
    assert sorted(y for t in units for y in t["y"]) == [75.0, 80.0]
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


def _funnel(points: list[tuple[str, int, int]], **kwargs: object) -> dict:
    p_bar = scoring.pooled_proportion([(m, n) for _, n, m in points])
    assert p_bar is not None
    n_max = max(n for _, n, _ in points)
    data = charts.FunnelData(
        p_bar=p_bar,
        points=[
            (label, n, 100 * m / n, scoring.funnel_position(p_bar, n, m)) for label, n, m in points
        ],
        limits95=scoring.funnel_curve(p_bar, n_max, scoring.Z95),
        limits998=scoring.funnel_curve(p_bar, n_max, scoring.Z998),
    )
    labels = {"limit95": "95", "limit998": "99.8", "network": "p", "units": "u", "x": "n", "y": "%"}
    labels |= {"within": "W", "above998": "A998", "below998": "B998"}
    return _valid(charts.funnel(data, title="F", labels=labels, **kwargs))  # type: ignore[arg-type]


# Pooled p ≈ 0.58; at n = 200 the 99.8 % limits are about 48–69 %: A is far above, C far
# below, B and D inside.
FUNNEL_POINTS = [("A", 200, 190), ("B", 200, 120), ("C", 200, 30), ("D", 200, 126)]


def test_funnel_legend_symbols_equal_the_marker_symbols() -> None:
    fig = _funnel(FUNNEL_POINTS)
    markers = [t for t in fig["data"] if t["mode"].startswith("markers")]
    # One legend entry per position, each with one colour and one symbol (a legend shows the
    # first marker's symbol; a per-point list made "Enheter" a red triangle).
    for t in markers:
        assert isinstance(t["marker"]["symbol"], str) and isinstance(t["marker"]["color"], str)
    by_name = {t["name"]: t["marker"]["symbol"] for t in markers}
    assert by_name == {"W": "circle", "A998": "triangle-up", "B998": "triangle-down"}


def test_funnel_names_outliers_only_when_asked() -> None:
    named = _funnel(FUNNEL_POINTS, label_outliers=True)
    notes = named["layout"]["annotations"]
    assert {a["text"] for a in notes} == {"A", "C"}  # outside the limits, not B or D
    # Each name is tied to its point by a line.
    a = next(n for n in notes if n["text"] == "A")
    assert (a["x"], a["y"]) == (200, 95.0) and a["showarrow"] and a["axref"] == "x"
    plain = _funnel(FUNNEL_POINTS)
    assert "annotations" not in plain["layout"]


def test_outlier_labels_keep_apart() -> None:
    heights = charts._spread([99.0, 98.0, 97.5, 60.0], 6.0, 50.0, 100.0)
    assert heights == [99.0, 93.0, 87.0, 60.0]  # as close to each point as the gap allows
    assert all(a - b >= 6.0 for a, b in zip(heights, heights[1:], strict=False))
    low = charts._spread([3.0, 2.0, 1.0], 6.0, 0.0, 40.0)
    assert low[-1] >= 0.0 and all(a - b >= 6.0 for a, b in zip(low, low[1:], strict=False))


def test_panel_titles_wrap_to_the_panel_width() -> None:
    titles = [
        "5 Informasjon, samtykke og taushetsplikt",
        "6 Rettigheter og lovverket",
        "7 Klinisk virksomhetsstyring",
        "1 Miljø",
    ]
    series = [charts.Series("Nett", ["2025"], [50.0])]
    fig = _valid(charts.trend_panels([(t, series) for t in titles], title="P", columns=4))
    shown = [a["text"] for a in fig["layout"]["annotations"]]
    assert [s.replace("<br>", " ") for s in shown] == titles  # nothing lost
    assert all(len(line) <= charts.TITLE_WIDTH[4] for s in shown for line in s.split("<br>"))
    assert "<br>" in shown[0]
    assert (
        charts.wrap("Ubrytbartordsomerlangt og kort", 5) == "Ubrytbartordsomerlangt<br>og<br>kort"
    )


def test_heatmap_labels_every_row() -> None:
    codes = [f"4.{i}" for i in range(1, 48)]
    fig = _valid(
        charts.heatmap(
            [[2] for _ in codes],
            ["Enhet A"],
            codes,
            [["a"] for _ in codes],
            title="H",
            legend={"na": "NA", "not_met": "N", "partly_met": "P", "met": "M"},
        )
    )
    yaxis = fig["layout"]["yaxis"]
    assert yaxis["tickmode"] == "array" and yaxis["tickvals"] == codes
    assert yaxis["ticktext"] == codes
    # Room for each label: at least as many pixels per row as the tick font is tall.
    assert fig["layout"]["height"] / len(codes) >= yaxis["tickfont"]["size"]


def test_trend_bands_draw_own_median_and_band() -> None:
    panel = charts.TrendPanel(
        "Alle",
        ["2025", "2026", "2027"],
        median=[60.0, 62.0, 65.0],
        q1=[50.0, 55.0, 58.0],
        q3=[70.0, 72.0, 75.0],
        own=[55.0, 64.0, None],
    )
    fig = _valid(
        charts.trend_bands(
            [panel, panel], title="T", own_name="Vår", median_name="Median", band_name="IQR"
        )
    )
    first = [t for t in fig["data"] if t["xaxis"] == "x"]
    assert len(first) == 4  # q1 edge, q3 band, median, own — not one line per unit
    low, band, median, own = first
    assert low["y"] == [50.0, 55.0, 58.0] and band["y"] == [70.0, 72.0, 75.0]
    assert band["fill"] == "tonexty" and band["name"] == "IQR"
    assert median["y"] == [60.0, 62.0, 65.0] and median["line"]["dash"] == "dash"
    assert own["y"] == [55.0, 64.0, None] and own["name"] == "Vår"
    # The own unit's latest score is written on the chart (no hover on a tablet).
    assert "text" in own["mode"] and own["texttemplate"] == ["", "%{y:.0f}", ""]
    # Each legend entry once, not once per panel.
    legend = [t["name"] for t in fig["data"] if t.get("showlegend") is not False and "name" in t]
    assert sorted(legend) == ["IQR", "Median", "Vår"]


def test_own_unit_in_domain_distribution_is_labelled_with_its_tag() -> None:
    d = scoring.distribution([40.0, 60.0, 80.0])
    rows = [
        charts.DomainRow(
            box=charts.BoxStats("1", d.median, d.q1, d.q3, d.low, d.high),
            own=charts.Point("Vår enhet", 72.5, "Vår enhet: 72,5", tag="72,5"),
        )
    ]
    own = _valid(
        charts.domain_distribution(
            rows, title="T", own_name="Vår", others_name="A", network_name="N"
        )
    )["data"][-1]
    assert own["text"] == ["72,5"] and own["hovertext"] == ["Vår enhet: 72,5"]
    assert own["textposition"] == ["middle left"]  # the side with room (right of 60 is crowded)

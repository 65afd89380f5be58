"""Pure plotly figures: plain numbers and (already translated) labels in, a figure out.

No Flask, no database, no arithmetic on the data beyond placing it: every number plotted was
computed by :mod:`kvip.scoring` (box statistics included, passed precomputed so
plotly.js computes nothing either).

Figures are built in plotly's JSON form (``{"data": [...], "layout": {...}}``, exactly what
plotly.js draws) rather than through ``plotly.graph_objects``, whose validation costs
~0.2 s per figure; :func:`validate` runs that validation in the tests instead.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

# Accessible colours (WCAG AA against white) shared with static/css/kvip.css.
OWN = "#b3261e"
OTHERS = "#4a6fa5"
NETWORK = "#1b1f24"
MET = "#1e6b34"
PARTLY = "#c98a00"
NOT_MET = "#a4262c"
NA = "#9aa5b1"
LIMIT95 = "#6b7785"
LIMIT998 = "#1b1f24"
PALETTE = ["#0b5394", "#b3261e", "#1e6b34", "#8a5a00", "#6a3d9a", "#00707a", "#4a5361"]
FONT = "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif"


Figure = dict[str, Any]


def _axis(**extra: Any) -> dict[str, Any]:
    return {"gridcolor": "#e3e8ee", "zerolinecolor": "#c9d1db", "automargin": True, **extra}


def _figure(data: list[dict[str, Any]], title: str, height: int = 420, **layout: Any) -> Figure:
    """A plotly figure as its JSON form (what plotly.js draws); validated by plotly in tests."""
    base: dict[str, Any] = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
        "font": {"family": FONT, "size": 13, "color": NETWORK},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hoverlabel": {"font": {"family": FONT}},
        "legend": {"orientation": "h", "y": -0.18},
    }
    base.update(layout)
    return {"data": data, "layout": base}


def _span(a: float, b: float) -> list[float]:
    return [min(1.0, max(0.0, round(a, 6))), min(1.0, max(0.0, round(b, 6)))]


def wrap(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` characters (plotly's ``<br>``), at
    spaces; a single word longer than ``width`` stays whole. Panel titles use it so that
    neighbouring titles never run into each other ("…taushetsplikt" into "6 Rettigheter")."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


# Characters of a panel title per line for a grid of that many columns (a 10" tablet in
# portrait is the narrowest screen the charts are drawn on, at 12 px).
TITLE_WIDTH = {1: 60, 2: 34, 3: 24, 4: 18}


def _grid(
    n: int, columns: int, titles: Sequence[str], *, vspace: float = 0.16, hspace: float = 0.04
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Layout axes for ``n`` panels in a grid (what make_subplots does, without its cost):
    returns the layout entries and each panel's (xaxis, yaxis) trace references. Titles are
    wrapped to the panel's width."""
    width_chars = TITLE_WIDTH.get(columns, 16)
    rows = max(1, math.ceil(n / columns))
    width = (1 - hspace * (columns - 1)) / columns
    height = (1 - vspace * (rows - 1)) / rows
    # Room above the first row for its (possibly two-line) panel titles under the figure title.
    layout: dict[str, Any] = {"annotations": [], "margin": {"l": 60, "r": 20, "t": 100, "b": 50}}
    refs = []
    for i in range(n):
        r, c = divmod(i, columns)
        suffix = "" if i == 0 else str(i + 1)
        x0 = c * (width + hspace)
        y1 = 1 - r * (height + vspace)
        layout[f"xaxis{suffix}"] = _axis(domain=_span(x0, x0 + width), anchor=f"y{suffix}")
        layout[f"yaxis{suffix}"] = _axis(domain=_span(y1 - height, y1), anchor=f"x{suffix}")
        layout["annotations"].append(
            {
                "text": wrap(titles[i], width_chars),
                "x": x0 + width / 2,
                "y": y1,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12},
            }
        )
        refs.append((f"x{suffix}", f"y{suffix}"))
    return layout, refs


def to_json(fig: Figure) -> str:
    """The figure as JSON safe to place inside ``<script type="application/json">``."""
    text = json.dumps(fig, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def validate(fig: Figure) -> Any:
    """Check a figure against plotly's schema (raises ValueError on an unknown property).
    Imported here only: a web worker never loads plotly's Python package."""

    return go.Figure(fig)


def jitter(key: str, spread: float = 0.28) -> float:
    """A stable offset in [-spread, spread] for a point, so overlapping scores stay visible."""
    digest = hashlib.sha256(key.encode()).digest()
    return (int.from_bytes(digest[:4], "big") / 2**32 * 2 - 1) * spread


@dataclass(frozen=True)
class BoxStats:
    """Precomputed box: median, quartiles and range (from :func:`scoring.distribution`)."""

    label: str
    median: float | None
    q1: float | None
    q3: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    hover: str = ""
    tag: str = ""  # drawn beside the point without hover (the own unit: its score)


@dataclass
class DomainRow:
    """One domain row of a distribution chart: the network box, other units, the own unit."""

    box: BoxStats
    others: list[Point] = field(default_factory=list)
    own: Point | None = None


def _num(v: float | None) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _box(
    boxes: Sequence[tuple[float, BoxStats]], name: str, orientation: str, **extra: Any
) -> dict[str, Any]:
    position = "y" if orientation == "h" else "x"
    return {
        "type": "box",
        position: [p for p, _ in boxes],
        "q1": [_num(b.q1) for _, b in boxes],
        "median": [_num(b.median) for _, b in boxes],
        "q3": [_num(b.q3) for _, b in boxes],
        "lowerfence": [_num(b.low) for _, b in boxes],
        "upperfence": [_num(b.high) for _, b in boxes],
        "orientation": orientation,
        "name": name,
        "fillcolor": "rgba(74,111,165,0.12)",
        "line": {"color": NETWORK, "width": 1.5},
        "hoverinfo": "skip",
        **extra,
    }


def domain_distribution(
    rows: Sequence[DomainRow], *, title: str, own_name: str, others_name: str, network_name: str
) -> Figure:
    """Per domain (one row each): the network's box, the other units as points (pseudonymised
    labels), and the own unit highlighted."""
    data: list[dict[str, Any]] = []
    boxed = [(float(y), r.box) for y, r in enumerate(rows) if r.box.median is not None]
    if boxed:
        data.append(_box(boxed, network_name, "h", width=0.6))
    xs: list[float] = []
    ys: list[float] = []
    texts: list[str] = []
    for y, row in enumerate(rows):
        for p in row.others:
            if p.value is None:
                continue
            xs.append(p.value)
            ys.append(round(y + jitter(f"{row.box.label}:{p.label}"), 4))
            texts.append(p.hover or p.label)
    if xs:
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "markers",
                "name": others_name,
                "marker": {"color": OTHERS, "size": 6, "opacity": 0.55},
                "text": texts,
                "hovertemplate": "%{text}<extra></extra>",
            }
        )
    own = [(y, r.own) for y, r in enumerate(rows) if r.own and r.own.value is not None]
    if own:
        data.append(
            {
                "type": "scatter",
                "x": [p.value for _, p in own],
                "y": [y for y, _ in own],
                # Labelled without hover (a tablet has none): the score beside the diamond,
                # on the side with room, and the unit's name in the legend.
                "mode": "markers+text",
                "name": own_name,
                "marker": {
                    "color": OWN,
                    "size": 15,
                    "symbol": "diamond",
                    "line": {"color": "#ffffff", "width": 1.5},
                },
                "text": [p.tag or p.label for _, p in own],
                "textposition": [
                    "middle left" if (p.value or 0) > 60 else "middle right" for _, p in own
                ],
                "textfont": {"color": OWN, "size": 13},
                "hovertext": [p.hover or p.label for _, p in own],
                "hovertemplate": "%{hovertext}<extra></extra>",
                "cliponaxis": False,
            }
        )
    return _figure(
        data,
        title,
        height=max(260, 70 * len(rows) + 120),
        xaxis=_axis(range=[-2, 102], title={"text": "%"}),
        yaxis=_axis(
            tickmode="array",
            tickvals=list(range(len(rows))),
            ticktext=[r.box.label for r in rows],
            range=[len(rows) - 0.4, -0.6],
        ),
    )


@dataclass(frozen=True)
class Series:
    name: str
    x: list[str]
    y: list[float | None]
    highlight: bool = False
    dash: str | None = None


def _line(s: Series, color: str, **extra: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"color": color, "width": 3.5 if s.highlight else 2}
    if s.dash:
        line["dash"] = s.dash
    return {
        "type": "scatter",
        "x": s.x,
        "y": [_num(v) for v in s.y],
        "mode": "lines+markers",
        "name": s.name,
        "line": line,
        "marker": {"size": 9 if s.highlight else 6},
        "connectgaps": False,
        "hovertemplate": "%{x}: %{y:.1f}<extra>" + s.name + "</extra>",
        **extra,
    }


@dataclass(frozen=True)
class Mark:
    """A point to flag on a trend line (e.g. "the meaning of these standards changed here")."""

    x: str
    y: float
    text: str


CHANGED = "#8a5a00"


def _marks(
    marks: Sequence[Mark], name: str, *, showlegend: bool = True, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "scatter",
        "x": [m.x for m in marks],
        "y": [_num(m.y) for m in marks],
        "mode": "markers",
        "name": name,
        "legendgroup": "marks",
        "showlegend": showlegend,
        "marker": {
            "symbol": "star-diamond",
            "size": 15,
            "color": "#ffffff",
            "line": {"color": CHANGED, "width": 2.5},
        },
        "text": [m.text for m in marks],
        "hovertemplate": "%{x}: %{text}<extra></extra>",
        **extra,
    }


def lines(
    series: Sequence[Series],
    *,
    title: str,
    y_title: str = "%",
    marks: Sequence[Mark] = (),
    marks_name: str = "",
) -> Figure:
    """Line chart over cycles (trends); a highlighted series is drawn bold in the own colour;
    ``marks`` flag points (drawn as open stars, named ``marks_name`` in the legend)."""
    data = [
        _line(s, OWN if s.highlight else PALETTE[i % len(PALETTE)]) for i, s in enumerate(series)
    ]
    if marks:
        data.append(_marks(marks, marks_name))
    return _figure(
        data,
        title,
        height=400,
        xaxis=_axis(type="category"),
        yaxis=_axis(range=[0, 101], title={"text": y_title}),
    )


def trend_panels(
    panels: Sequence[tuple[str, Sequence[Series]]],
    *,
    title: str,
    columns: int = 4,
    marks: Sequence[Sequence[Mark]] = (),
    marks_name: str = "",
) -> Figure:
    """Small multiples of trend lines: one panel per domain; ``marks[i]`` flags points of
    panel i (open stars, named ``marks_name`` in the legend)."""
    layout, refs = _grid(len(panels), columns, [name for name, _ in panels])
    data = []
    seen: set[str] = set()
    for (_name, series), (xref, yref) in zip(panels, refs, strict=True):
        for j, s in enumerate(series):
            color = OWN if s.highlight else PALETTE[j % len(PALETTE)]
            data.append(
                _line(
                    s,
                    color,
                    xaxis=xref,
                    yaxis=yref,
                    legendgroup=s.name,
                    showlegend=s.name not in seen,
                )
            )
            seen.add(s.name)
    marked = False
    for i, (xref, yref) in enumerate(refs):
        panel_marks = marks[i] if i < len(marks) else ()
        if panel_marks:
            # Drawn after the lines, so that the stars sit on top of them.
            data.append(
                _marks(panel_marks, marks_name, showlegend=not marked, xaxis=xref, yaxis=yref)
            )
            marked = True
    for key in list(layout):
        if key.startswith("yaxis"):
            layout[key].update(range=[0, 101])
        elif key.startswith("xaxis"):
            layout[key].update(type="category", tickangle=0)
    rows = max(1, math.ceil(len(panels) / columns))
    return _figure(data, title, height=260 * rows + 120, **layout)


@dataclass(frozen=True)
class TrendPanel:
    """One panel of a trend: the network's median and quartiles over the units per cycle
    (from :func:`scoring.distribution`) and, for a unit's view, the unit's own scores."""

    title: str
    x: list[str]
    median: list[float | None]
    q1: list[float | None]
    q3: list[float | None]
    own: list[float | None] | None = None


BAND = "rgba(74,111,165,0.18)"


def trend_bands(
    panels: Sequence[TrendPanel],
    *,
    title: str,
    own_name: str,
    median_name: str,
    band_name: str,
    columns: int = 4,
    marks: Sequence[Sequence[Mark]] = (),
    marks_name: str = "",
) -> Figure:
    """Small multiples over cycles: per panel the network's middle half of the units as a
    shaded band, its median as a dashed line, and the own unit as a bold line whose latest
    score is written beside it (no hover needed). One line per unit would be spaghetti; the
    band shows the spread without singling any unit out."""
    layout, refs = _grid(len(panels), columns, [p.title for p in panels])
    data: list[dict[str, Any]] = []
    for i, (panel, (xref, yref)) in enumerate(zip(panels, refs, strict=True)):
        first = i == 0
        axes = {"xaxis": xref, "yaxis": yref}
        data.append(
            {
                "type": "scatter",
                "x": panel.x,
                "y": [_num(v) for v in panel.q1],
                "mode": "lines",
                "line": {"width": 0, "color": BAND},
                "showlegend": False,
                "legendgroup": "band",
                "hoverinfo": "skip",
                "connectgaps": False,
                **axes,
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": panel.x,
                "y": [_num(v) for v in panel.q3],
                "mode": "lines",
                "fill": "tonexty",
                "fillcolor": BAND,
                "line": {"width": 0, "color": BAND},
                "name": band_name,
                "showlegend": first,
                "legendgroup": "band",
                "customdata": [_num(v) for v in panel.q1],
                "hovertemplate": "%{x}: %{customdata:.1f}–%{y:.1f}<extra>" + band_name + "</extra>",
                "connectgaps": False,
                **axes,
            }
        )
        data.append(
            _line(
                Series(median_name, panel.x, panel.median, dash="dash"),
                NETWORK,
                legendgroup="median",
                showlegend=first,
                **axes,
            )
        )
        if panel.own is not None:
            own = [_num(v) for v in panel.own]
            last = max((j for j, v in enumerate(own) if v is not None), default=None)
            line = _line(
                Series(own_name, panel.x, own, highlight=True),
                OWN,
                legendgroup="own",
                showlegend=first,
                **axes,
            )
            line["mode"] = "lines+markers+text"
            line["texttemplate"] = ["%{y:.0f}" if j == last else "" for j in range(len(own))]
            line["textposition"] = "top center"
            line["textfont"] = {"color": OWN, "size": 13}
            line["cliponaxis"] = False
            data.append(line)
    marked = False
    for i, (xref, yref) in enumerate(refs):
        panel_marks = marks[i] if i < len(marks) else ()
        if panel_marks:
            data.append(
                _marks(panel_marks, marks_name, showlegend=not marked, xaxis=xref, yaxis=yref)
            )
            marked = True
    for key in list(layout):
        if key.startswith("yaxis"):
            layout[key].update(range=[0, 105])
        elif key.startswith("xaxis"):
            layout[key].update(type="category", tickangle=0)
    rows = max(1, math.ceil(len(panels) / columns))
    return _figure(data, title, height=270 * rows + 130, **layout)


def domain_panels(rows: Sequence[DomainRow], *, title: str, columns: int = 4) -> Figure:
    """Coordinator small multiples: one panel per domain with every unit (named) and the box."""
    layout, refs = _grid(len(rows), columns, [r.box.label for r in rows], vspace=0.18, hspace=0.05)
    data: list[dict[str, Any]] = []
    for row, (xref, yref) in zip(rows, refs, strict=True):
        b = row.box
        if b.median is not None:
            data.append(
                _box([(0.0, b)], b.label, "v", width=0.7, showlegend=False, xaxis=xref, yaxis=yref)
            )
        points = [p for p in row.others if p.value is not None]
        data.append(
            {
                "type": "scatter",
                "x": [round(jitter(f"{b.label}:{p.label}"), 4) for p in points],
                "y": [p.value for p in points],
                "mode": "markers",
                "showlegend": False,
                "marker": {"color": OTHERS, "size": 6, "opacity": 0.6},
                "text": [p.hover or p.label for p in points],
                "hovertemplate": "%{text}<extra></extra>",
                "xaxis": xref,
                "yaxis": yref,
            }
        )
    for key in list(layout):
        if key.startswith("yaxis"):
            layout[key].update(range=[-2, 102])
        elif key.startswith("xaxis"):
            layout[key].update(showticklabels=False, range=[-0.6, 0.6])
    n_rows = max(1, math.ceil(len(rows) / columns))
    return _figure(data, title, height=300 * n_rows + 80, **layout)


@dataclass(frozen=True)
class FunnelData:
    """Everything a funnel plot draws, computed by :mod:`scoring`."""

    p_bar: float
    points: list[tuple[str, int, float, str]]  # (label, applicable n, met %, position)
    limits95: list[tuple[int, float, float]]
    limits998: list[tuple[int, float, float]]


# Funnel positions (from scoring.funnel_position): colour and symbol of each.
FUNNEL_CLASSES = (
    ("within", OTHERS, "circle"),
    ("above95", MET, "circle"),
    ("above998", MET, "triangle-up"),
    ("below95", NOT_MET, "circle"),
    ("below998", NOT_MET, "triangle-down"),
)


def funnel(
    data: FunnelData, *, title: str, labels: dict[str, str], label_outliers: bool = False
) -> Figure:
    """Met % against the number of applicable standards, with 95 % and 99.8 % control limits.
    Units are drawn as one trace per funnel position (``labels[position]`` names it, else
    ``labels["units"]``); ``label_outliers`` writes the names of the units outside the 95 %
    limits beside them (only for a viewer who may see names)."""
    traces: list[dict[str, Any]] = []
    for limits, name, color, dash in (
        (data.limits998, labels["limit998"], LIMIT998, "dot"),
        (data.limits95, labels["limit95"], LIMIT95, "dash"),
    ):
        xs = [n for n, _, _ in limits]
        for side, show in ((2, True), (1, False)):
            traces.append(
                {
                    "type": "scatter",
                    "x": xs,
                    "y": [100 * lim[side] for lim in limits],
                    "mode": "lines",
                    "name": name,
                    "showlegend": show,
                    "legendgroup": name,
                    "line": {"color": color, "dash": dash, "width": 1.5},
                    "hoverinfo": "skip",
                }
            )
    n_max = max([n for _, n, _, _ in data.points] + [1])
    traces.append(
        {
            "type": "scatter",
            "x": [0, n_max],
            "y": [100 * data.p_bar] * 2,
            "mode": "lines",
            "name": labels["network"],
            "line": {"color": NETWORK, "width": 2},
            "hoverinfo": "skip",
        }
    )
    # One trace per position, each drawn with one colour and one symbol, so that every legend
    # entry shows exactly the marker it stands for.
    for position, colour, symbol in FUNNEL_CLASSES:
        pts = [p for p in data.points if p[3] == position]
        if not pts:
            continue
        outside = position != "within"
        traces.append(
            {
                "type": "scatter",
                "x": [n for _, n, _, _ in pts],
                "y": [pct for _, _, pct, _ in pts],
                "mode": "markers",
                "name": labels.get(position, labels["units"]),
                "legendgroup": "units",
                "text": [label for label, _, _, _ in pts],
                "hovertemplate": "%{text}: %{y:.1f} % (n = %{x})<extra></extra>",
                "marker": {
                    "color": colour,
                    "symbol": symbol,
                    "size": 10 if outside else 8,
                    "line": {"color": "#ffffff", "width": 0.5},
                },
            }
        )
    xaxis = _axis(title={"text": labels["x"]}, rangemode="tozero")
    ns = [n for _, n, _, _ in data.points]
    if ns and max(ns) > 40 and min(ns) > 0.3 * max(ns):
        # Units that all have most standards applicable sit far right: zoom in on them.
        xaxis["range"] = [max(0.0, min(ns) - 0.15 * max(ns)), max(ns) * 1.02]
    extra: dict[str, Any] = {}
    if label_outliers:
        right = xaxis["range"][1] if "range" in xaxis else max(ns + [1]) * 1.02
        notes = outlier_labels(data, right)
        if notes:
            # Names in a column right of the plot, each with a thin line to its point: a
            # coordinator reads them on a tablet without tapping, and they never overlap.
            extra = {"annotations": notes, "margin": {"l": 60, "r": 210, "t": 60, "b": 50}}
    # Below the x-axis title, not on it.
    extra["legend"] = {"orientation": "h", "y": -0.3}
    return _figure(
        traces,
        title,
        height=520,
        xaxis=xaxis,
        yaxis=_axis(title={"text": labels["y"]}, range=[0, 101]),
        **extra,
    )


OUTLIER_LABELS = 6  # per side of the funnel; the table under the chart lists every unit
LABEL_GAP = 8.0  # percentage points between two labels (16 px text on a 250 px high plot)


def _spread(ys: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Label heights for points at ``ys`` (descending): as close to each point as possible,
    at least ``gap`` apart, within [lo, hi]."""
    out: list[float] = []
    for y in ys:
        out.append(min(y, hi) if not out else min(y, out[-1] - gap))
    if out and out[-1] < lo:
        shift = lo - out[-1]
        out = [v + shift for v in out]
    for i in range(len(out) - 1, 0, -1):  # pushed up past hi: pull back from the bottom
        if out[i - 1] < out[i] + gap:
            out[i - 1] = out[i] + gap
    return [round(v, 3) for v in out]


def outlier_labels(data: FunnelData, right: float) -> list[dict[str, Any]]:
    """Annotations naming the units outside the 95 % limits (the most extreme
    :data:`OUTLIER_LABELS` above and below), placed at x = ``right`` and spread apart."""
    colour = {"above95": MET, "above998": MET, "below95": NOT_MET, "below998": NOT_MET}
    centre = 100 * data.p_bar
    notes: list[dict[str, Any]] = []
    for side, lo, hi in (("above", centre + 1, 100.0), ("below", 0.0, centre - 1)):
        group = [p for p in data.points if p[3].startswith(side)]
        group = sorted(group, key=lambda p: -abs(p[2] - centre))[:OUTLIER_LABELS]
        group.sort(key=lambda p: -p[2])
        heights = _spread([p[2] for p in group], LABEL_GAP, lo, hi)
        for (label, n, pct, pos), ay in zip(group, heights, strict=True):
            notes.append(
                {
                    "x": n,
                    "y": pct,
                    "xref": "x",
                    "yref": "y",
                    "ax": right,
                    "ay": ay,
                    "axref": "x",
                    "ayref": "y",
                    "text": label,
                    "showarrow": True,
                    "arrowhead": 0,
                    "arrowwidth": 1,
                    "arrowcolor": colour[pos],
                    "standoff": 5,
                    "xanchor": "left",
                    "font": {"color": colour[pos], "size": 12},
                }
            )
    return notes


VALUE_CODES = {"not_applicable": -1, "not_met": 0, "partly_met": 1, "met": 2}


def heatmap(
    z: list[list[int | None]],
    x: list[str],
    y: list[str],
    hover: list[list[str]],
    *,
    title: str,
    legend: dict[str, str],
) -> Figure:
    """Standards (rows) × units (columns); cells coded −1 N/A, 0 not met, 1 partly, 2 met."""
    colorscale = [
        [0.0, NA],
        [0.25, NA],
        [0.25, NOT_MET],
        [0.5, NOT_MET],
        [0.5, PARTLY],
        [0.75, PARTLY],
        [0.75, MET],
        [1.0, MET],
    ]
    trace = {
        "type": "heatmap",
        "z": z,
        "x": x,
        "y": y,
        "text": hover,
        "hovertemplate": "%{y} · %{x}: %{text}<extra></extra>",
        "zmin": -1.5,
        "zmax": 2.5,
        "colorscale": colorscale,
        "xgap": 1 if len(x) <= 200 else 0,
        "ygap": 1,
        "colorbar": {
            "tickmode": "array",
            "tickvals": [-1, 0, 1, 2],
            "ticktext": [legend["na"], legend["not_met"], legend["partly_met"], legend["met"]],
            "thickness": 14,
        },
    }
    return _figure(
        [trace],
        title,
        height=max(320, 18 * len(y) + 180),
        xaxis=_axis(type="category", showticklabels=len(x) <= 60, tickangle=-60),
        # Every standard labelled (plotly would otherwise skip every second code when rows
        # are close): one tick per row, 18 px per row, an 11 px font.
        yaxis=_axis(
            type="category",
            autorange="reversed",
            tickmode="array",
            tickvals=list(y),
            ticktext=list(y),
            tickfont={"size": 11},
        ),
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    hover: str = ""
    highlight: bool = False


def _bars(items: Sequence[Bar], colors: list[str], template: str) -> dict[str, Any]:
    return {
        "type": "bar",
        "x": [_num(b.value) for b in items],
        "y": [b.label for b in items],
        "orientation": "h",
        "marker": {"color": colors},
        "text": [b.hover or b.label for b in items],
        "hovertemplate": template,
        "textposition": "none",
    }


def bars(
    items: Sequence[Bar],
    *,
    title: str,
    x_title: str,
    x_range: tuple[float, float] | None = (0, 100),
) -> Figure:
    """Horizontal bars, top item first (lists such as 'most often not met')."""
    colors = [OWN if b.highlight else OTHERS for b in items]
    xaxis = _axis(title={"text": x_title})
    if x_range:
        xaxis["range"] = list(x_range)
    return _figure(
        [_bars(items, colors, "%{text}: %{x:.2f}<extra></extra>")],
        title,
        height=max(260, 26 * len(items) + 140),
        xaxis=xaxis,
        yaxis=_axis(type="category", autorange="reversed"),
    )


def diverging(items: Sequence[Bar], *, title: str, x_title: str) -> Figure:
    """Differences from the network: positive bars to the right (green), negative left (red)."""
    colors = [MET if (b.value or 0) >= 0 else NOT_MET for b in items]
    return _figure(
        [_bars(items, colors, "%{text}: %{x:+.1f}<extra></extra>")],
        title,
        height=max(260, 26 * len(items) + 140),
        xaxis=_axis(title={"text": x_title}, range=[-101, 101], zeroline=True, zerolinewidth=2),
        yaxis=_axis(type="category", autorange="reversed"),
    )


def agreement_scatter(
    points: Sequence[tuple[str, float | None, float | None, int]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    y_label: str = "κ",
) -> Figure:
    """Per unit: percent agreement (x) against an agreement coefficient (y: AC2 or kappa)."""
    usable = [p for p in points if p[1] is not None and p[2] is not None]
    trace = {
        "type": "scatter",
        "x": [p[1] for p in usable],
        "y": [p[2] for p in usable],
        "mode": "markers",
        "text": [f"{p[0]} (n = {p[3]})" for p in usable],
        "marker": {"color": OTHERS, "size": 8, "opacity": 0.75},
        "hovertemplate": "%{text}: %{x:.1f} %, " + y_label + " %{y:.2f}<extra></extra>",
    }
    return _figure(
        [trace],
        title,
        height=420,
        xaxis=_axis(title={"text": x_title}, range=[0, 101]),
        yaxis=_axis(title={"text": y_title}, range=[-1.02, 1.02]),
    )


@dataclass(frozen=True)
class IntervalBar:
    """A rate in percent with its confidence interval (e.g. Wilson, from :mod:`scoring`)."""

    label: str
    value: float | None
    low: float | None
    high: float | None
    hover: str = ""


def interval_bars(items: Sequence[IntervalBar], *, title: str, x_title: str) -> Figure:
    """Horizontal bars of rates (top item first) with their 95 % intervals as error bars."""
    values = [_num(b.value) for b in items]
    trace = {
        "type": "bar",
        "x": values,
        "y": [b.label for b in items],
        "orientation": "h",
        "marker": {"color": OTHERS},
        "text": [b.hover or b.label for b in items],
        "customdata": [[_num(b.low), _num(b.high)] for b in items],
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": [
                None if b.high is None or v is None else round(b.high - v, 6)
                for b, v in zip(items, values, strict=True)
            ],
            "arrayminus": [
                None if b.low is None or v is None else round(v - b.low, 6)
                for b, v in zip(items, values, strict=True)
            ],
            "color": NETWORK,
            "thickness": 1.5,
            "width": 4,
        },
        "hovertemplate": "%{text}: %{x:.1f} % (%{customdata[0]:.1f}–%{customdata[1]:.1f})"
        "<extra></extra>",
        "textposition": "none",
    }
    return _figure(
        [trace],
        title,
        height=max(260, 26 * len(items) + 140),
        xaxis=_axis(title={"text": x_title}, range=[0, 100]),
        yaxis=_axis(type="category", autorange="reversed"),
    )


# Four answers of the agree scale, strongly agree → strongly disagree: a diverging scheme that
# says nothing about good or bad (on some questions disagreeing is the positive answer).
AGREE_COLOURS = ("#0b5394", "#6fa8dc", "#e69138", "#8a4b08")


@dataclass(frozen=True)
class Shares:
    """One question's network distribution: its label and the count of each answer."""

    label: str
    hover: str
    counts: tuple[int, ...]


def stacked_shares(rows: Sequence[Shares], *, title: str, names: Sequence[str]) -> Figure:
    """Horizontal 100 % bars, one per question (top first), one segment per answer
    (``names[i]`` for ``counts[i]``), each segment's share written in its hover text."""
    traces = []
    for i, name in enumerate(names):
        pcts = [
            round(100 * r.counts[i] / total, 1) if (total := sum(r.counts)) else None for r in rows
        ]
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "x": pcts,
                "y": [r.label for r in rows],
                "text": [r.hover for r in rows],
                "customdata": [r.counts[i] for r in rows],
                "marker": {"color": AGREE_COLOURS[i % len(AGREE_COLOURS)]},
                "hovertemplate": name + ": %{x:.1f} % (%{customdata})<br>%{text}<extra></extra>",
                "textposition": "none",
            }
        )
    return _figure(
        traces,
        title,
        height=max(300, 34 * len(rows) + 170),
        barmode="stack",
        xaxis=_axis(title={"text": "%"}, range=[0, 100]),
        yaxis=_axis(type="category", autorange="reversed"),
        legend={"orientation": "h", "y": -0.12, "traceorder": "normal"},
    )


def paired_bars(
    labels: Sequence[str],
    own: Sequence[float | None],
    network: Sequence[float | None],
    *,
    title: str,
    names: tuple[str, str],
    x_title: str,
) -> Figure:
    """Per question (top first) two bars: the own unit and the network (None: not shown)."""
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "name": name,
            "x": [_num(v) for v in values],
            "y": list(labels),
            "marker": {"color": colour},
            "hovertemplate": name + ": %{x:.1f} %<extra>%{y}</extra>",
            "textposition": "none",
        }
        for name, values, colour in (
            (names[0], own, OWN),
            (names[1], network, OTHERS),
        )
    ]
    return _figure(
        traces,
        title,
        height=max(300, 44 * len(labels) + 170),
        barmode="group",
        xaxis=_axis(title={"text": x_title}, range=[0, 100]),
        yaxis=_axis(type="category", autorange="reversed"),
    )

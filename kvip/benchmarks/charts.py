"""Pure plotly figures: plain numbers and (already translated) labels in, a figure out.

No Flask, no database, no arithmetic on the data beyond placing it: every number plotted was
computed by :mod:`kvip.benchmarks.scoring` (box statistics included, passed precomputed so
plotly.js computes nothing either).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

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


def _layout(fig: go.Figure, title: str, height: int = 420, **extra: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        font={"family": FONT, "size": 13, "color": NETWORK},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        hoverlabel={"font": {"family": FONT}},
        legend={"orientation": "h", "y": -0.18},
        **extra,
    )
    fig.update_xaxes(gridcolor="#e3e8ee", zerolinecolor="#c9d1db")
    fig.update_yaxes(gridcolor="#e3e8ee", zerolinecolor="#c9d1db")
    return fig


def to_json(fig: go.Figure) -> str:
    """The figure as JSON safe to place inside ``<script type="application/json">``."""
    text = pio.to_json(fig, validate=False, pretty=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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


@dataclass
class DomainRow:
    """One domain row of a distribution chart: the network box, other units, the own unit."""

    box: BoxStats
    others: list[Point] = field(default_factory=list)
    own: Point | None = None


def _num(v: float | None) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def domain_distribution(
    rows: Sequence[DomainRow], *, title: str, own_name: str, others_name: str, network_name: str
) -> go.Figure:
    """Per domain (one row each): the network's box, the other units as points (pseudonymised
    labels), and the own unit highlighted."""
    fig = go.Figure()
    ys = list(range(len(rows)))
    boxed = [(y, r.box) for y, r in zip(ys, rows, strict=True) if r.box.median is not None]
    if boxed:
        fig.add_trace(
            go.Box(
                y=[y for y, _ in boxed],
                q1=[_num(b.q1) for _, b in boxed],
                median=[_num(b.median) for _, b in boxed],
                q3=[_num(b.q3) for _, b in boxed],
                lowerfence=[_num(b.low) for _, b in boxed],
                upperfence=[_num(b.high) for _, b in boxed],
                orientation="h",
                name=network_name,
                fillcolor="rgba(74,111,165,0.12)",
                line={"color": NETWORK, "width": 1.5},
                hoverinfo="skip",
                width=0.6,
            )
        )
    xs: list[float | None] = []
    py: list[float] = []
    texts: list[str] = []
    for y, row in zip(ys, rows, strict=True):
        for p in row.others:
            if p.value is None:
                continue
            xs.append(p.value)
            py.append(y + jitter(f"{row.box.label}:{p.label}"))
            texts.append(p.hover or p.label)
    if xs:
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=py,
                mode="markers",
                name=others_name,
                marker={"color": OTHERS, "size": 6, "opacity": 0.55},
                text=texts,
                hovertemplate="%{text}<extra></extra>",
            )
        )
    own = [(y, r.own) for y, r in zip(ys, rows, strict=True) if r.own and r.own.value is not None]
    if own:
        fig.add_trace(
            go.Scatter(
                x=[p.value for _, p in own],
                y=[y for y, _ in own],
                mode="markers",
                name=own_name,
                marker={
                    "color": OWN,
                    "size": 15,
                    "symbol": "diamond",
                    "line": {"color": "#ffffff", "width": 1.5},
                },
                text=[p.hover or p.label for _, p in own],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    fig.update_yaxes(
        tickmode="array",
        tickvals=ys,
        ticktext=[r.box.label for r in rows],
        autorange="reversed",
        range=[-0.6, len(rows) - 0.4],
    )
    fig.update_xaxes(range=[-2, 102], title_text="%")
    return _layout(fig, title, height=max(260, 70 * len(rows) + 120))


@dataclass(frozen=True)
class Series:
    name: str
    x: list[str]
    y: list[float | None]
    highlight: bool = False
    dash: str | None = None


def lines(series: Sequence[Series], *, title: str, y_title: str = "%") -> go.Figure:
    """Line chart over cycles (trends); a highlighted series is drawn bold in the own colour."""
    fig = go.Figure()
    for i, s in enumerate(series):
        color = OWN if s.highlight else PALETTE[i % len(PALETTE)]
        fig.add_trace(
            go.Scatter(
                x=s.x,
                y=[_num(v) for v in s.y],
                mode="lines+markers",
                name=s.name,
                line={"color": color, "width": 3.5 if s.highlight else 2, "dash": s.dash},
                marker={"size": 9 if s.highlight else 6},
                connectgaps=False,
                hovertemplate="%{x}: %{y:.1f}<extra>" + s.name + "</extra>",
            )
        )
    fig.update_yaxes(range=[0, 101], title_text=y_title)
    fig.update_xaxes(type="category")
    return _layout(fig, title, height=400)


def trend_panels(
    panels: Sequence[tuple[str, Sequence[Series]]], *, title: str, columns: int = 4
) -> go.Figure:
    """Small multiples of trend lines: one panel per domain."""
    rows = max(1, math.ceil(len(panels) / columns))
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[name for name, _ in panels],
        shared_yaxes=True,
        vertical_spacing=0.16,
        horizontal_spacing=0.04,
    )
    seen: set[str] = set()
    for i, (_name, series) in enumerate(panels):
        r, c = i // columns + 1, i % columns + 1
        for j, s in enumerate(series):
            color = OWN if s.highlight else PALETTE[j % len(PALETTE)]
            fig.add_trace(
                go.Scatter(
                    x=s.x,
                    y=[_num(v) for v in s.y],
                    mode="lines+markers",
                    name=s.name,
                    legendgroup=s.name,
                    showlegend=s.name not in seen,
                    line={"color": color, "width": 3 if s.highlight else 2, "dash": s.dash},
                    marker={"size": 6},
                    hovertemplate="%{x}: %{y:.1f}<extra>" + s.name + "</extra>",
                ),
                row=r,
                col=c,
            )
            seen.add(s.name)
    fig.update_yaxes(range=[0, 101])
    fig.update_xaxes(type="category", tickangle=-45)
    fig.update_annotations(font_size=12)
    return _layout(fig, title, height=260 * rows + 120)


def domain_panels(rows: Sequence[DomainRow], *, title: str, columns: int = 4) -> go.Figure:
    """Coordinator small multiples: one panel per domain with every unit (named) and the box."""
    n_rows = max(1, math.ceil(len(rows) / columns))
    fig = make_subplots(
        rows=n_rows,
        cols=columns,
        subplot_titles=[r.box.label for r in rows],
        shared_xaxes=False,
        vertical_spacing=0.18,
        horizontal_spacing=0.05,
    )
    for i, row in enumerate(rows):
        r, c = i // columns + 1, i % columns + 1
        b = row.box
        if b.median is not None:
            fig.add_trace(
                go.Box(
                    x=[0],
                    q1=[_num(b.q1)],
                    median=[_num(b.median)],
                    q3=[_num(b.q3)],
                    lowerfence=[_num(b.low)],
                    upperfence=[_num(b.high)],
                    name=b.label,
                    showlegend=False,
                    fillcolor="rgba(74,111,165,0.12)",
                    line={"color": NETWORK, "width": 1.5},
                    hoverinfo="skip",
                    width=0.7,
                ),
                row=r,
                col=c,
            )
        points = [p for p in row.others if p.value is not None]
        fig.add_trace(
            go.Scatter(
                x=[jitter(f"{b.label}:{p.label}") for p in points],
                y=[p.value for p in points],
                mode="markers",
                showlegend=False,
                marker={"color": OTHERS, "size": 6, "opacity": 0.6},
                text=[p.hover or p.label for p in points],
                hovertemplate="%{text}<extra></extra>",
            ),
            row=r,
            col=c,
        )
    fig.update_yaxes(range=[-2, 102])
    fig.update_xaxes(showticklabels=False, range=[-0.6, 0.6])
    fig.update_annotations(font_size=12)
    return _layout(fig, title, height=300 * n_rows + 80)


@dataclass(frozen=True)
class FunnelData:
    """Everything a funnel plot draws, computed by :mod:`scoring`."""

    p_bar: float
    points: list[tuple[str, int, float, str]]  # (label, applicable n, met %, position)
    limits95: list[tuple[int, float, float]]
    limits998: list[tuple[int, float, float]]


def funnel(data: FunnelData, *, title: str, labels: dict[str, str]) -> go.Figure:
    """Met % against the number of applicable standards, with 95 % and 99.8 % control limits."""
    fig = go.Figure()
    for limits, name, color, dash in (
        (data.limits998, labels["limit998"], LIMIT998, "dot"),
        (data.limits95, labels["limit95"], LIMIT95, "dash"),
    ):
        xs = [n for n, _, _ in limits]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[100 * hi for _, _, hi in limits],
                mode="lines",
                name=name,
                line={"color": color, "dash": dash, "width": 1.5},
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[100 * lo for _, lo, _ in limits],
                mode="lines",
                name=name,
                showlegend=False,
                line={"color": color, "dash": dash, "width": 1.5},
                hoverinfo="skip",
            )
        )
    n_max = max([n for _, n, _, _ in data.points] + [1])
    fig.add_trace(
        go.Scatter(
            x=[0, n_max],
            y=[100 * data.p_bar] * 2,
            mode="lines",
            name=labels["network"],
            line={"color": NETWORK, "width": 2},
            hoverinfo="skip",
        )
    )
    colours = {
        "within": OTHERS,
        "above95": MET,
        "above998": MET,
        "below95": NOT_MET,
        "below998": NOT_MET,
    }
    symbols = {"above998": "triangle-up", "below998": "triangle-down"}
    fig.add_trace(
        go.Scatter(
            x=[n for _, n, _, _ in data.points],
            y=[pct for _, _, pct, _ in data.points],
            mode="markers",
            name=labels["units"],
            text=[label for label, _, _, _ in data.points],
            marker={
                "color": [colours.get(pos, OTHERS) for *_, pos in data.points],
                "symbol": [symbols.get(pos, "circle") for *_, pos in data.points],
                "size": 8,
                "line": {"color": "#ffffff", "width": 0.5},
            },
            hovertemplate="%{text}: %{y:.1f} % (n = %{x})<extra></extra>",
        )
    )
    fig.update_xaxes(title_text=labels["x"], rangemode="tozero")
    fig.update_yaxes(title_text=labels["y"], range=[0, 101])
    return _layout(fig, title, height=460)


VALUE_CODES = {"not_applicable": -1, "not_met": 0, "partly_met": 1, "met": 2}


def heatmap(
    z: list[list[int | None]],
    x: list[str],
    y: list[str],
    hover: list[list[str]],
    *,
    title: str,
    legend: dict[str, str],
) -> go.Figure:
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
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=x,
            y=y,
            text=hover,
            hovertemplate="%{text}<extra></extra>",
            zmin=-1.5,
            zmax=2.5,
            colorscale=colorscale,
            xgap=1,
            ygap=1,
            colorbar={
                "tickmode": "array",
                "tickvals": [-1, 0, 1, 2],
                "ticktext": [legend["na"], legend["not_met"], legend["partly_met"], legend["met"]],
                "thickness": 14,
            },
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", showticklabels=len(x) <= 60, tickangle=-60)
    return _layout(fig, title, height=max(320, 18 * len(y) + 180))


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    hover: str = ""
    highlight: bool = False


def bars(
    items: Sequence[Bar],
    *,
    title: str,
    x_title: str,
    x_range: tuple[float, float] | None = (0, 100),
) -> go.Figure:
    """Horizontal bars, top item first (lists such as 'most often not met')."""
    fig = go.Figure(
        go.Bar(
            x=[_num(b.value) for b in items],
            y=[b.label for b in items],
            orientation="h",
            marker={"color": [OWN if b.highlight else OTHERS for b in items]},
            text=[b.hover or b.label for b in items],
            hovertemplate="%{text}: %{x:.1f}<extra></extra>",
            textposition="none",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title_text=x_title, range=list(x_range) if x_range else None)
    return _layout(fig, title, height=max(260, 26 * len(items) + 140))


def diverging(items: Sequence[Bar], *, title: str, x_title: str) -> go.Figure:
    """Differences from the network: positive bars to the right (green), negative left (red)."""
    fig = go.Figure(
        go.Bar(
            x=[_num(b.value) for b in items],
            y=[b.label for b in items],
            orientation="h",
            marker={"color": [MET if (b.value or 0) >= 0 else NOT_MET for b in items]},
            text=[b.hover or b.label for b in items],
            hovertemplate="%{text}: %{x:+.1f}<extra></extra>",
            textposition="none",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title_text=x_title, range=[-101, 101], zeroline=True, zerolinewidth=2)
    return _layout(fig, title, height=max(260, 26 * len(items) + 140))


def agreement_scatter(
    points: Sequence[tuple[str, float | None, float | None, int]],
    *,
    title: str,
    x_title: str,
    y_title: str,
) -> go.Figure:
    """Per unit: percent agreement (x) against weighted kappa (y)."""
    usable = [p for p in points if p[1] is not None and p[2] is not None]
    fig = go.Figure(
        go.Scatter(
            x=[p[1] for p in usable],
            y=[p[2] for p in usable],
            mode="markers",
            text=[f"{p[0]} (n = {p[3]})" for p in usable],
            marker={"color": OTHERS, "size": 8, "opacity": 0.75},
            hovertemplate="%{text}: %{x:.1f} %, κ %{y:.2f}<extra></extra>",
        )
    )
    fig.update_xaxes(title_text=x_title, range=[0, 101])
    fig.update_yaxes(title_text=y_title, range=[-1.02, 1.02])
    return _layout(fig, title, height=420)


def figure_dict(fig: go.Figure) -> dict[str, Any]:
    """The figure as plain JSON data (for tests and the annual report)."""
    result: dict[str, Any] = json.loads(pio.to_json(fig, validate=False))
    return result

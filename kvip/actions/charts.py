"""Plotly figures of the actions module, as pure functions of plain data (no Flask, no database).

Each returns a JSON-ready dict {"data": [...], "layout": {...}} that ``static/js/actions.js``
draws with the vendored plotly.js.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

ASPECT_COLOURS = {
    "leadership": "#0b5394",
    "staff_involvement": "#1e6b34",
    "user_involvement": "#8a5a00",
}
STATUS_COLOURS = {
    "planned": "#6b7785",
    "in_progress": "#8a5a00",
    "done": "#2f7d46",
    "verified": "#0b5394",
    "dropped": "#b9c1cc",
}


def _as_dict(fig: go.Figure) -> dict[str, Any]:
    return json.loads(fig.to_json())  # type: ignore[no-any-return]


def maturity_figure(
    points: Sequence[Mapping[str, Any]],
    aspect_names: Mapping[str, str],
    level_names: Mapping[int, str],
    title: str = "",
) -> dict[str, Any]:
    """Grouped bars: level (1–5) per aspect for each cycle (ties stay visible, one cycle works);
    ``points`` as from ``maturity.series``."""
    fig = go.Figure()
    cycles = [str(p["cycle"]) for p in points]
    for aspect, name in aspect_names.items():
        levels = [p["levels"].get(aspect) for p in points]
        fig.add_trace(
            go.Bar(
                x=cycles,
                y=levels,
                name=name,
                marker={"color": ASPECT_COLOURS.get(aspect)},
                text=[str(v) if v else "" for v in levels],
                textposition="outside",
                hovertemplate="%{x}: %{y}<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(
        title={"text": title} if title else None,
        barmode="group",
        yaxis={
            "range": [0, 5.6],
            "tickmode": "array",
            "tickvals": list(level_names),
            "ticktext": [f"{n} {level_names[n]}" for n in level_names],
            "fixedrange": True,
            "gridcolor": "#e3e7ec",
            "showgrid": True,
        },
        xaxis={"type": "category", "fixedrange": True},
        legend={"orientation": "h", "y": -0.15},
        margin={"l": 150, "r": 20, "t": 40 if title else 20, "b": 40},
        height=380,
        font={"size": 14},
        template="simple_white",
    )
    return _as_dict(fig)


def status_figure(
    units: Sequence[str],
    counts: Mapping[str, Sequence[int]],
    status_names: Mapping[str, str],
) -> dict[str, Any]:
    """Stacked horizontal bars: each unit's actions by status."""
    fig = go.Figure()
    for status, name in status_names.items():
        fig.add_trace(
            go.Bar(
                y=list(units),
                x=list(counts.get(status, [0] * len(units))),
                name=name,
                orientation="h",
                marker={"color": STATUS_COLOURS.get(status)},
                hovertemplate="%{y}: %{x}<extra>" + name + "</extra>",
            )
        )
    totals = [sum(values[i] for values in counts.values()) for i in range(len(units))]
    fig.update_layout(
        barmode="stack",
        height=max(220, 36 * len(units) + 120),
        margin={"l": 220, "r": 20, "t": 20, "b": 40},
        legend={"orientation": "h", "y": -0.15, "traceorder": "normal"},
        font={"size": 14},
        xaxis={"fixedrange": True, "dtick": 1 if max(totals, default=0) < 10 else None},
        yaxis={"autorange": "reversed", "fixedrange": True},
        template="simple_white",
    )
    return _as_dict(fig)

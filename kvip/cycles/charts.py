"""Plotly figures of the self-assessment, built by pure functions (data in, figure dict out).

The page renders them with the vendored plotly.js (static/js/cycles.js); nothing here touches
Flask or the database, so the figures are easy to test and to reuse in reports.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

MET_COLOUR = "#1e6b34"
PREVIOUS_COLOUR = "#8a9bb0"


@dataclass(frozen=True)
class Bar:
    """One domain (or type) on the chart: its label, this cycle's score, last cycle's score."""

    label: str
    score: float | None
    previous: float | None = None


def scores_figure(
    bars: Sequence[Bar],
    *,
    title: str,
    current_name: str,
    previous_name: str | None = None,
    axis_title: str = "Score",
) -> dict[str, Any]:
    """A horizontal bar chart of scores (0–100) per group, with last cycle beside it when
    given. Groups without a score (nothing applicable) show no bar; their label stays."""

    labels = [b.label for b in bars][::-1]  # plotly draws the first category at the bottom
    figure = go.Figure()
    if previous_name is not None and any(b.previous is not None for b in bars):
        figure.add_trace(
            go.Bar(
                name=previous_name,
                y=labels,
                x=[b.previous for b in bars][::-1],
                orientation="h",
                marker_color=PREVIOUS_COLOUR,
                hovertemplate="%{y}: %{x:.0f}<extra>" + previous_name + "</extra>",
            )
        )
    figure.add_trace(
        go.Bar(
            name=current_name,
            y=labels,
            x=[b.score for b in bars][::-1],
            orientation="h",
            marker_color=MET_COLOUR,
            text=["–" if b.score is None else f"{b.score:.0f}" for b in bars][::-1],
            textposition="outside",
            hovertemplate="%{y}: %{x:.0f}<extra>" + current_name + "</extra>",
        )
    )
    figure.update_layout(
        title={"text": title, "x": 0},
        barmode="group",
        xaxis={"range": [0, 105], "title": {"text": axis_title}, "dtick": 20},
        yaxis={"automargin": True},
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 10, "r": 20, "t": 50, "b": 40},
        height=120 + 48 * max(len(bars), 1),
        font={"family": "system-ui, sans-serif", "size": 14},
        plot_bgcolor="#ffffff",
    )
    result: dict[str, Any] = json.loads(figure.to_json())
    return result

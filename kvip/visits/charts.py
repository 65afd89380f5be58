"""The visit report's figure, pure plotly JSON (drawn by static/js/charts.js on the page and by
kvip.core.chart_images in the PDF): self-assessment against review team, score per domain."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _

FONT = "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif"
SELF = "#8a5a00"
PEER = "#0b5394"
INK = "#1b1f24"


def domain_scores(domains: Sequence[dict[str, Any]], lang: str) -> dict[str, Any] | None:
    """Horizontal bars per domain (first domain on top): the unit's own score and the review
    team's, with the value written beside each bar (no hover needed). None without scores."""
    rows = [
        d
        for d in domains
        if (d.get("self") or {}).get("score") is not None
        or (d.get("peer") or {}).get("score") is not None
    ]
    if not rows:
        return None
    names = [
        f"{d['code']} {d.get('title_' + lang) or d.get('title_nb') or ''}".strip() for d in rows
    ]
    names = [n if len(n) <= 40 else n[:39] + "…" for n in names]

    def trace(key: str, label: str, color: str) -> dict[str, Any]:
        values = [(d.get(key) or {}).get("score") for d in rows]
        return {
            "type": "bar",
            "orientation": "h",
            "name": label,
            "y": names,
            "x": values,
            "marker": {"color": color},
            "text": [f"{v:.0f}" if v is not None else "–" for v in values],
            "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": "%{y}: %{x:.0f}<extra>" + label + "</extra>",
        }

    return {
        "data": [
            trace("self", _("Self-assessment"), SELF),
            trace("peer", _("Review team"), PEER),
        ],
        "layout": {
            "title": {
                "text": _("Score per domain: self-assessment and review team"),
                "x": 0.01,
                "xanchor": "left",
                "font": {"size": 16},
            },
            "barmode": "group",
            "height": max(260, 90 + 60 * len(rows)),
            "margin": {"l": 20, "r": 30, "t": 60, "b": 50},
            "font": {"family": FONT, "size": 13, "color": INK},
            "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff",
            # No axis title: the chart's title and caption say it is the score (0–100), and the
            # legend below the axis has the room.
            "xaxis": {"range": [0, 108], "gridcolor": "#e3e8ee", "automargin": True},
            "yaxis": {"autorange": "reversed", "automargin": True, "ticksuffix": " "},
            "legend": {"orientation": "h", "y": -0.2, "yanchor": "top"},
        },
    }


def to_json(fig: dict[str, Any]) -> str:
    """The figure as JSON safe inside ``<script type="application/json">``."""
    text = json.dumps(fig, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

"""Screens of the benchmarks module.

This package makes the blueprint; the routes live in its modules: ``dashboards`` (the unit and
network dashboards, exports, the annual report, the good-practice library, navigation and home
links) and ``learning`` ("ask to learn": Forespørsler).
"""

from __future__ import annotations

from flask import Blueprint

from kvip.benchmarks import summaries

bp: Blueprint = Blueprint("benchmarks", __name__, url_prefix="/benchmarks")
# Cached summaries are invalidated by the writes they summarise.
summaries.register_listeners()

# The route modules import ``bp`` from here, so they come after it: the one conventional
# circular import of a Flask blueprint package (microblog's ``app/main/__init__.py``).
from kvip.benchmarks.views import dashboards, learning  # noqa: E402
from kvip.benchmarks.views.dashboards import (  # noqa: E402
    TABLES,
    nav_items,
    network_links,
    unit_links,
)

__all__ = ["TABLES", "bp", "dashboards", "learning", "nav_items", "network_links", "unit_links"]

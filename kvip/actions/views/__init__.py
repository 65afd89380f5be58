"""Screens of the actions module: action plans, GAP analysis, maturity, reminders, overview.

This package makes the blueprint; the routes live in its modules: ``home`` (entry points,
navigation, home links, shared helpers), ``plan`` (the plan, the action form, verification),
``gap_maturity`` (GAP analysis and maturity) and ``network`` (reminders, outbox, overview).
"""

from __future__ import annotations

from flask import Blueprint

bp: Blueprint = Blueprint("actions", __name__, url_prefix="/actions")

# The route modules import ``bp`` from here, so they come after it: the one conventional
# circular import of a Flask blueprint package (microblog's ``app/main/__init__.py``).
from kvip.actions.views import gap_maturity, home, network, plan  # noqa: E402
from kvip.actions.views.home import nav_items, network_links, unit_links  # noqa: E402

__all__ = [
    "bp",
    "gap_maturity",
    "home",
    "nav_items",
    "network",
    "network_links",
    "plan",
    "unit_links",
]

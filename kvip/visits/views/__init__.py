"""Screens of the visits module.

This package makes the blueprint; the routes live in its modules: ``visits`` (planning, the
visit page, team, dates, states, navigation and home links), ``schedule`` (date proposals,
invitations, calendar), ``mode`` (the tablet visit mode and consolidation) and ``report``.
"""

from __future__ import annotations

from flask import Blueprint

bp: Blueprint = Blueprint("visits", __name__, url_prefix="/visits")

# The route modules import ``bp`` from here, so they come after it: the one conventional
# circular import of a Flask blueprint package (microblog's ``app/main/__init__.py``).
from kvip.visits.views import mode, report, schedule, visits  # noqa: E402
from kvip.visits.views.visits import nav_items, network_links, report_of, unit_links  # noqa: E402

__all__ = [
    "bp",
    "mode",
    "nav_items",
    "network_links",
    "report",
    "report_of",
    "schedule",
    "unit_links",
    "visits",
]

"""Screens of the cycles module.

This package makes the blueprint; the routes live in its modules: ``cycles`` (the coordinator's
cycle screens, enrolment, navigation and home links) and ``assessments`` (self-assessment).
"""

from __future__ import annotations

from flask import Blueprint

bp: Blueprint = Blueprint("cycles", __name__, url_prefix="/cycles")

# The route modules import ``bp`` from here, so they come after it: the one conventional
# circular import of a Flask blueprint package (microblog's ``app/main/__init__.py``).
from kvip.cycles.views import assessments, cycles  # noqa: E402
from kvip.cycles.views.cycles import nav_items, network_links, unit_links  # noqa: E402

__all__ = ["assessments", "bp", "cycles", "nav_items", "network_links", "unit_links"]

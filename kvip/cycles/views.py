"""Views of the cycles module."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from kvip.core.nav import NavItem

bp = Blueprint("cycles", __name__, url_prefix="/cycles")


def nav_items(user: Any) -> list[NavItem]:
    return []

"""Views of the actions module."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from kvip.core.nav import NavItem

bp = Blueprint("actions", __name__, url_prefix="/actions")


def nav_items(user: Any) -> list[NavItem]:
    return []

"""Views of the visits module."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from kvip.core.nav import NavItem

bp = Blueprint("visits", __name__, url_prefix="/visits")


def nav_items(user: Any) -> list[NavItem]:
    return []

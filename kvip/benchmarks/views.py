"""Views of the benchmarks module."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from kvip.core.nav import NavItem

bp = Blueprint("benchmarks", __name__, url_prefix="/benchmarks")


def nav_items(user: Any) -> list[NavItem]:
    return []

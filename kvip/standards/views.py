"""Views of the standards module."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from kvip.core.nav import NavItem

bp = Blueprint("standards", __name__, url_prefix="/standards")


def nav_items(user: Any) -> list[NavItem]:
    return []

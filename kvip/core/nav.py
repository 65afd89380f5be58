"""The navigation: each module contributes the items a user may use."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from flask import g

from kvip.config import MODULES


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    order: int = 50
    values: tuple[tuple[str, Any], ...] = ()


def items_for(user: Any) -> list[NavItem]:
    """Items from every module's ``views.nav_items(user)``, ordered, cached per request."""
    if "kvip_nav" in g:
        return list(g.kvip_nav)

    items: list[NavItem] = []
    if user is not None and user.is_authenticated:
        for name in MODULES:
            views = importlib.import_module(f"kvip.{name}.views")
            provider = getattr(views, "nav_items", None)
            if provider is not None:
                items.extend(provider(user))
    items.sort(key=lambda i: (i.order, i.label))
    g.kvip_nav = items
    return items


def _collect(hook: str, *args: Any) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    for name in MODULES:
        views = importlib.import_module(f"kvip.{name}.views")
        provider = getattr(views, hook, None)
        if provider is not None:
            links.extend(provider(*args))
    return links


def unit_links(user: Any, unit: Any, role: str) -> list[tuple[str, str]]:
    """(label, url) links for a unit card on the home page, from each module's ``unit_links``."""
    return _collect("unit_links", user, unit, role)


def network_links(user: Any, network: Any, role: str) -> list[tuple[str, str]]:
    """(label, url) links for a network card on the home page, from each module's ``network_links``."""
    return _collect("network_links", user, network, role)


def home_panels(user: Any) -> list[tuple[str, dict[str, Any]]]:
    """(template, values) panels for the home page ("what should I do now?"), from each
    module's ``home_panels(user)``, in module order."""

    panels: list[tuple[str, dict[str, Any]]] = []
    for name in MODULES:
        views = importlib.import_module(f"kvip.{name}.views")
        provider = getattr(views, "home_panels", None)
        if provider is not None:
            panels.extend(provider(user))
    return panels

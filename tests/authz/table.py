"""The authorization table: every endpoint of ``app.url_map`` declares who gets what.

Each module adds ``tests/authz/rules_<module>.py`` with ``RULES: dict[endpoint, Rule | list[Rule]]``.
A route without a declared rule fails ``test_every_endpoint_has_a_rule``.

Roles (see ``tests.factories.World``): anon, admin, coordinator, lead, member (of ``unit``),
reviewer (lead reviewer on ``visit`` of ``unit``, home institution C), outsider (lead of ``other_unit``).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any

from tests.factories import ROLES

SIGNED_IN = frozenset(ROLES) - {"anon"}
EVERYONE = frozenset(ROLES)
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    """``path`` uses ``{placeholders}`` from ``World.ids()``; ``allow`` are the roles let through.

    Allowed roles must get neither 401/403/404 nor a 5xx; other signed-in roles get 403 or 404
    (``deny``); anonymous users are sent to sign in (302) or get 401 on the API.
    ``public`` endpoints need no sign-in at all.
    """

    path: str
    allow: frozenset[str] = NOBODY
    method: str = "GET"
    data: dict[str, Any] | None = None
    json: Any = None
    public: bool = False
    deny: tuple[int, ...] = (403, 404)
    note: str = ""
    extra_ok: tuple[int, ...] = field(default=())


def load_rules() -> dict[str, list[Rule]]:
    """Merge every ``rules_*.py`` module of this package."""
    import tests.authz as package

    merged: dict[str, list[Rule]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("rules_"):
            continue
        module = importlib.import_module(f"tests.authz.{info.name}")
        for endpoint, rules in module.RULES.items():
            if endpoint in merged:
                raise AssertionError(f"{endpoint} declared twice (in {info.name})")
            merged[endpoint] = list(rules) if isinstance(rules, (list, tuple)) else [rules]
    return merged

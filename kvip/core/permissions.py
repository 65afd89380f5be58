"""The permission vocabulary (DESIGN §7) and its dispatcher: who may do what, denied by default.

``core`` knows the names only. Each domain module registers the rule behind the names for its
own objects in its ``permissions.py`` (``@rule("visit.read")``), beside its models; the app
factory imports every module's ``permissions`` so all rules are registered before the first
request. Services call ``require(user, name, obj)`` before any write; views and templates ask
``can``. An unknown name, a name without a rule, an anonymous or inactive user: denied.

Visibility queries (``*_visible_to``: the same rules as SQL conditions, so that a request's cost
never grows with the number of objects a user may see) live beside the rules. Where a later
module widens what a user may see (reviewers see the units and assessments of their visits),
it contributes a condition with ``@visible("unit")``; the owner ORs the contributions with
:func:`visible_conditions`, so no module imports a later one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from kvip.core.errors import PermissionDenied

__all__ = [
    "PERMISSIONS",
    "AnyUser",
    "PermissionDenied",
    "can",
    "contributed",
    "real_user",
    "registered",
    "require",
    "rule",
    "visible",
    "visible_conditions",
]

# Every permission name, with the module whose permissions.py holds its rule.
PERMISSIONS: dict[str, str] = {
    "platform.admin": "accounts",
    "network.manage": "network",
    "audit.read": "network",
    "unit.read": "network",
    "editions.manage": "standards",
    "standards.read": "standards",
    "assessment.read": "cycles",
    "assessment.edit": "cycles",
    "assessment.submit": "cycles",
    "assessment.reopen": "cycles",
    "visit.read": "visits",
    "visit.record": "visits",
    "visit.lead": "visits",
    "visit.manage": "visits",
    "visit.propose_dates": "visits",
    "visit.schedule": "visits",
    "visit.reopen": "visits",
    "report.read": "visits",
    "report.comment": "visits",
    "report.view": "visits",
    "surveys.manage": "surveys",
    "surveys.kiosk": "surveys",
    "surveys.results": "surveys",
    "surveys.free_text": "surveys",
    "surveys.settings": "surveys",
    "surveys.record_audit": "surveys",
    "actions.read": "actions",
    "actions.edit": "actions",
    "actions.verify": "actions",
    "actions.overview": "actions",
    "benchmark.read": "benchmarks",
    "benchmark.named": "benchmarks",
    "benchmark.unit": "benchmarks",
    "benchmark.network": "benchmarks",
    "learning.send": "benchmarks",
    "learning.read": "benchmarks",
    "learning.forward": "benchmarks",
    "learning.answer": "benchmarks",
}

AnyUser = Any  # a User, an anonymous user or None
Check = Callable[[Any, Any], bool]
_RULES: dict[str, Check] = {}
Condition = Callable[..., ColumnElement[bool]]
_VISIBLE: dict[str, list[Condition]] = {}


def rule(name: str) -> Callable[[Check], Check]:
    """Register the check behind a permission name of the vocabulary (once)."""
    if name not in PERMISSIONS:
        raise KeyError(f"{name!r} is not in the permission vocabulary (kvip.core.permissions)")

    def register(fn: Check) -> Check:
        _RULES[name] = fn
        return fn

    return register


def registered() -> frozenset[str]:
    """The names that have a rule (for the test that every name has one)."""
    return frozenset(_RULES)


def contributed() -> frozenset[str]:
    """The kinds that have contributed conditions (for the test that each owner gets them)."""
    return frozenset(kind for kind, fns in _VISIBLE.items() if fns)


def real_user(user: AnyUser) -> Any | None:
    """``user`` if signed in and active, else None (duck-typed: core knows no User model)."""
    if (
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "active", False)
        and getattr(user, "id", None) is not None
    ):
        return user
    return None


def can(user: AnyUser, permission: str, obj: Any = None) -> bool:
    """True if ``user`` holds ``permission`` on ``obj``; unknown names and anonymous users: False."""
    real = real_user(user)
    check = _RULES.get(permission)
    if real is None or check is None:
        return False
    return bool(check(real, obj))


def require(user: AnyUser, permission: str, obj: Any = None) -> None:
    """Raise :class:`PermissionDenied` unless ``can(user, permission, obj)``."""
    if not can(user, permission, obj):
        raise PermissionDenied(permission)


def visible(kind: str) -> Callable[[Condition], Condition]:
    """Contribute an SQL condition of ``kind`` ("unit", "assessment", …): the owner of ``kind``
    documents the arguments and ORs the contributions with its own conditions."""

    def register(fn: Condition) -> Condition:
        _VISIBLE.setdefault(kind, []).append(fn)
        return fn

    return register


def visible_conditions(kind: str, *args: Any) -> list[ColumnElement[bool]]:
    """The contributed conditions of ``kind`` for ``args`` (usually the user)."""
    return [fn(*args) for fn in _VISIBLE.get(kind, [])]

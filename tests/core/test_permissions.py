"""The permission vocabulary: every name has a rule once the app exists, every name the code
asks for is in the vocabulary, and core dispatches without knowing any domain model."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from kvip.core import permissions
from kvip.core.errors import PermissionDenied

KVIP = Path(__file__).resolve().parents[2] / "kvip"


def _names_asked_for() -> dict[str, str]:
    """Permission names passed as literals to ``can``/``require`` anywhere in kvip/."""
    found: dict[str, str] = {}
    for path in KVIP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            arg = node.args[1]
            if name in ("can", "require") and isinstance(arg, ast.Constant):
                found.setdefault(str(arg.value), f"{path.relative_to(KVIP)}:{node.lineno}")
    return found


def test_every_name_has_a_rule_once_the_app_exists(app: Flask) -> None:
    assert permissions.registered() == set(permissions.PERMISSIONS)


def test_later_modules_contribute_what_they_widen(app: Flask) -> None:
    # Without these, reviewers would lose sight of their visits' units and assessments, and a
    # coordinator could change people who also belong to other networks.
    assert permissions.contributed() >= {
        "unit",
        "assessment",
        "user.in_networks",
        "user.outside_networks",
    }


def test_every_name_the_code_asks_for_is_in_the_vocabulary() -> None:
    asked = _names_asked_for()
    assert len(asked) > 20  # the scan finds the calls
    unknown = {name: where for name, where in asked.items() if name not in permissions.PERMISSIONS}
    assert unknown == {}


def test_a_rule_outside_the_vocabulary_is_refused() -> None:
    with pytest.raises(KeyError):
        permissions.rule("no.such.permission")


class _Person:
    def __init__(self, *, authenticated: bool = True, active: bool = True) -> None:
        self.id = 1
        self.is_authenticated = authenticated
        self.active = active
        self.is_admin = True


def test_dispatcher_denies_unknown_names_anonymous_and_inactive_users(app: Flask) -> None:
    admin: Any = _Person()
    assert permissions.can(admin, "platform.admin")
    assert not permissions.can(admin, "no.such.permission")
    assert not permissions.can(_Person(authenticated=False), "platform.admin")
    assert not permissions.can(_Person(active=False), "platform.admin")
    assert not permissions.can(None, "platform.admin")
    with pytest.raises(PermissionDenied) as denied:
        permissions.require(_Person(active=False), "platform.admin")
    assert denied.value.permission == "platform.admin"

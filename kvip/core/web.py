"""The two steps every HTML view repeats, written once.

- :func:`load_or_404`: load a row by primary key (404 when there is none), then check the
  permission on it: flaskr's ``get_post(id, check_author)``, Indico's load-then-check. The rule
  itself stays in the permission registry; this only calls :func:`require`.
- :func:`call_and_redirect`: call a service; a refusal (:class:`ServiceError`) becomes an error
  flash, success the given text; then redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect
from flask_login import current_user
from werkzeug.wrappers import Response

from kvip.core.errors import ServiceError
from kvip.core.permissions import require
from kvip.extensions import db

T = TypeVar("T")
R = TypeVar("R")


def load_or_404(
    model: type[T],
    ident: Any,
    permission: str | None = None,
    *,
    user: Any = None,
    on: Callable[[T], Any] | None = None,
) -> T:
    """The ``model`` row with primary key ``ident``, else 404; then ``require`` ``permission``
    of ``user`` (the signed-in user by default) on the row, or on ``on(row)`` when the rule
    guards something the row belongs to (an action's assessment, a cycle's network)."""
    obj = db.get_or_404(model, ident)
    if permission is not None:
        require(current_user if user is None else user, permission, obj if on is None else on(obj))
    return obj


def call_and_redirect(
    call: Callable[[], R],
    *,
    success: str | Callable[[R], str] | None,
    to: str | Callable[[R], str],
    failure_to: str | None = None,
    code: int = 302,
) -> Response:
    """Run ``call`` (a service call); on :class:`ServiceError` flash its message as an error and
    redirect to ``failure_to`` (else ``to``); on success flash ``success`` (text, or made from
    the result) and redirect to ``to`` (a URL, or made from the result)."""
    try:
        result = call()
    except ServiceError as exc:
        flash(exc.message, "error")
        if failure_to is not None:
            return redirect(failure_to, code)
        if callable(to):
            raise RuntimeError("call_and_redirect: a computed target needs failure_to") from exc
        return redirect(to, code)
    text = success(result) if callable(success) else success
    if text:
        flash(text, "success")
    return redirect(to(result) if callable(to) else to, code)

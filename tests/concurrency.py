"""Two people editing the same thing at once: helpers of the optimistic-locking tests."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, session


@contextmanager
def second_person(app: Flask, locale: str = "en") -> Iterator[None]:
    """Run the block as another person's request, with its own database session.

    Flask-SQLAlchemy scopes its session by app context, so a new app context is a separate
    session with its own transaction, committed on its own: exactly what a concurrent request
    of a second person is. Objects of the test's own session must not be used inside; load
    them again by id.
    """
    with app.app_context(), app.test_request_context("/"):
        session["locale"] = locale
        yield


def _input(page: str, name: str) -> str | None:
    for tag in re.findall(r"<input\b[^>]*>", page):
        if re.search(rf'\bname="{re.escape(name)}"', tag):
            found = re.search(r'\bvalue="([^"]*)"', tag)
            return html.unescape(found.group(1)) if found else ""
    return None


def hidden_version(page: str, name: str = "version") -> str:
    """The value of the form's hidden version field (fails the test when there is none)."""
    value = _input(page, name)
    assert value is not None, f"no <input name={name!r}> on the page"
    return value


def input_value(page: str, name: str) -> str | None:
    """The value an <input name=…> carries on the page (None: no such input)."""
    return _input(page, name)


def textarea_value(page: str, name: str) -> str | None:
    found = re.search(
        rf'<textarea\b[^>]*\bname="{re.escape(name)}"[^>]*>(.*?)</textarea>', page, re.S
    )
    return html.unescape(found.group(1)).strip() if found else None

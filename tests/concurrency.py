"""Two people editing the same thing at once: helpers of the optimistic-locking tests."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


def both_save(
    first: Any,
    second: Any,
    form_url: str,
    first_data: dict[str, Any],
    second_data: dict[str, Any],
    *,
    post_url: str | None = None,
    version_field: str = "version",
) -> str:
    """Two people open the same form, the first saves, then the second saves from the version
    they saw. Checks the first save went through and the second was refused with 409; returns
    the page the second person gets."""
    seen_first = hidden_version(first.get(form_url).get_data(as_text=True), version_field)
    seen_second = hidden_version(second.get(form_url).get_data(as_text=True), version_field)
    assert seen_first == seen_second != ""
    target = post_url or form_url
    saved = first.post(target, data={**first_data, version_field: seen_first})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    refused = second.post(target, data={**second_data, version_field: seen_second})
    assert refused.status_code == 409, refused.status_code
    return str(refused.get_data(as_text=True))


def form_block(page: str, action: str) -> str:
    """The HTML of the <form> on the page that posts to ``action``."""
    found = re.search(rf'<form\b[^>]*\baction="{re.escape(action)}"[^>]*>.*?</form>', page, re.S)
    assert found is not None, f"no form posting to {action}"
    return found.group(0)

"""The app's request class: JSON bodies are parsed safely, and one that cannot be taken whole
is a 400 with the usual error envelope, never a 500 further down.

Refused besides malformed JSON:
- nesting deeper than :data:`MAX_JSON_DEPTH` (no request of the API nests more than a few
  levels; deep nesting only exhausts the stack of whoever walks the value later);
- a lone UTF-16 surrogate (``"\\ud800"``): valid JSON syntax, but no character; neither the
  database nor an export can store it. A proper pair (``"\\ud83d\\ude00"``) is one character
  and fine.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _

from kvip.core.errors import ServiceError

MAX_JSON_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonRefused(ValueError):
    """A JSON body the app will not take; ``reason`` is ``deep`` or ``surrogate``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def message(self) -> str:
        if self.reason == "deep":
            return _(
                "The request contains invalid JSON: it is nested more than %(n)d levels deep.",
                n=MAX_JSON_DEPTH,
            )
        return _(
            "The request contains invalid JSON: it has an unpaired surrogate (\\ud800–\\udfff), "
            "which is no character."
        )


def check_json_value(value: Any) -> None:
    """Raise :class:`JsonRefused` if ``value`` nests too deeply or holds a lone surrogate.
    Iterative: it never recurses, whatever it is given."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise JsonRefused("surrogate")
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise JsonRefused("deep")
            if isinstance(item, dict):
                for key, child in item.items():
                    stack.append((key, depth + 1))
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON with the checks above on every ``loads`` (request bodies included)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError as exc:  # the decoder's own stack ran out first
            raise JsonRefused("deep") from exc
        check_json_value(value)
        return value


class KvipRequest(Request):
    """Turns JSON that cannot be read into a 400 with the error envelope, in the user's
    language (code ``bad_json``)."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:  # not a JSON content type: werkzeug's 415
            return super().on_json_loading_failed(e)

        message = (
            e.message()
            if isinstance(e, JsonRefused)
            else _("The request contains invalid JSON: it could not be read.")
        )
        raise ServiceError(message, status=400, code="bad_json")

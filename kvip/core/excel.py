"""Files people open in Excel: CSV in the reader's conventions, text never run as a formula."""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain_text(value: Any) -> Any:
    """Text that Excel would run as a formula (CSV injection) gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_dialect(locale: str) -> tuple[str, str]:
    """(separator, decimal mark) that Excel expects when it opens a CSV on the reader's
    machine: Norwegian Windows uses a decimal comma, so its list separator is ``;``."""
    return (";", ",") if locale.startswith("nb") else (",", ".")

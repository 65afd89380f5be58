"""Dates people type into forms: one range for all of them.

Python's ``date`` ends in year 9999, so a visit on 9999-12-31 breaks every page that adds a few
weeks to it (report deadlines, reminders); no cycle, visit or deadline of this product lies
outside the years cycles allow (2000–2100).
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

FIRST = date(2000, 1, 1)
LAST = date(2100, 12, 31)


def date_problem(value: date | None) -> str | None:
    """A message in the user's language if ``value`` lies outside the range, else None."""
    if value is None or FIRST <= value <= LAST:
        return None
    return _(
        "Enter a date between %(first)s and %(last)s.",
        first=FIRST.isoformat(),
        last=LAST.isoformat(),
    )

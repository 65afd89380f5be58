"""Dates people type into forms: one range for all of them.

Python's ``date`` ends in year 9999, so a visit on 9999-12-31 breaks every page that adds a few
weeks to it (report deadlines, reminders); no cycle, visit or deadline of this product lies
outside the years cycles allow (2000–2100).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import gettext as _

from kvip.core.formats import format_date

FIRST = date(2000, 1, 1)
LAST = date(2100, 12, 31)


def date_problem(value: date | None) -> str | None:
    """A message in the user's language if ``value`` lies outside the range, else None."""
    if value is None or FIRST <= value <= LAST:
        return None
    return _(
        "Enter a date between %(first)s and %(last)s.",
        first=format_date(FIRST),
        last=format_date(LAST),
    )


def today() -> date:
    """Today's date where the network works (Oslo, the app's time zone): the one the cycle's
    date rules (windows, visit days, comment periods) compare against.

    ``KVIP_TODAY`` (an ISO date in the app config) fixes it, for tests and demonstrations.
    """
    fixed = current_app.config.get("KVIP_TODAY") if has_app_context() else None
    if fixed:
        return fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
    return datetime.now(_zone()).date()


def _zone() -> ZoneInfo:
    zone = "Europe/Oslo"
    if has_app_context():
        zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or zone
    return ZoneInfo(zone)


def local_date(moment: datetime) -> date:
    """The Oslo date of a stored UTC moment (naive datetimes are UTC, see kvip.core.db)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone()).date()


def day_starts(day: date) -> datetime:
    """The stored (naive UTC) moment at which ``day`` begins in Oslo: to compare stored times
    with the network's dates ("shared on or before 1 March" is ``shared_at < day_starts(2 March)``)."""
    start = datetime.combine(day, time.min, tzinfo=_zone())
    return start.astimezone(UTC).replace(tzinfo=None)


def long_date(value: date) -> str:
    """A date in words in the user's language ("1 March 2027", "1. mars 2027"): English in the
    day-month order a Norwegian reader expects (British), not the American one."""
    return format_date(value, "long")

"""Dates, times, numbers and percentages for people, in their locale, through Babel.

Every user-visible date or number (pages, PDFs, e-mails, export headers) goes through these
functions, or the Jinja filters of the same names (``|date``, ``|datetime``, ``|time``,
``|number``, ``|percent``; see :func:`init_app`)::

    nb:  7. des. 2026   7. des. 2026, 15:43   46,6   46,6 %   1 234
    en:  7 Dec 2026     7 Dec 2026, 15:43     46.6   46.6%    1,234

English is British English (day before month, 24-hour clock): the product's English readers are
in Norway, and the American defaults of Babel's plain ``en`` ("12/7/26, 3:43 PM") confuse them.
The locale is Flask-Babel's (the request's, or ``force_locale``'s for mail and jobs); only its
formatting is mapped, the translations stay the ``en``/``nb`` ones.

Machine formats stay raw: ISO dates in data attributes, ``<time datetime>``, CSV/XLSX cells,
API JSON and CSS widths never go through here.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import current_app, has_app_context

if TYPE_CHECKING:
    from flask import Flask

#: Locale used for formatting, by language: anything else formats in its own locale.
FORMAT_LOCALES = {"en": "en_GB", "nb": "nb", "no": "nb"}
DASH = "–"
_WIDTHS = ("short", "medium", "long", "full")


def format_locale() -> Locale:
    """The Babel locale to format in: the current one, with English as British English."""
    from flask_babel import get_locale

    current = get_locale() if has_app_context() else None
    if current is None:
        default = (
            current_app.config.get("BABEL_DEFAULT_LOCALE", "nb") if has_app_context() else "nb"
        )
        current = Locale.parse(default)
    mapped = None if current.territory else FORMAT_LOCALES.get(current.language)
    return Locale.parse(mapped) if mapped else current


def _zone() -> tzinfo:
    if has_app_context():
        from flask_babel import get_timezone

        zone = get_timezone()
        if zone is not None:
            return zone
    return ZoneInfo("Europe/Oslo")


def _local(moment: datetime) -> datetime:
    """A stored moment in the app's time zone (naive datetimes are UTC, see kvip.core.db)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(_zone())


def format_date(value: date | datetime | None, fmt: str = "medium") -> str:
    """A date: ``medium`` "7. des. 2026" / "7 Dec 2026", ``long`` "7. desember 2026" /
    "7 December 2026", ``full`` with the weekday, ``short`` "07.12.2026" / "07/12/2026", or a
    Babel pattern ("MMMM y"). A datetime shows its local date; None shows "–"."""
    if value is None or value == "":
        return DASH
    if isinstance(value, datetime):
        value = _local(value).date()
    return babel_dates.format_date(value, fmt, locale=format_locale())


def format_time(value: datetime | time | None, fmt: str = "short") -> str:
    """A time of day on the 24-hour clock ("15:43"); a datetime is shown in local time."""
    if value is None:
        return DASH
    if isinstance(value, datetime):
        value = _local(value).timetz()
    return babel_dates.format_time(value, fmt, locale=format_locale())


def format_datetime(value: datetime | date | None, fmt: str = "medium") -> str:
    """Date and time of a stored moment, in local time: "7. des. 2026, 15:43" /
    "7 Dec 2026, 15:43" (the date as :func:`format_date` ``fmt``, the time without seconds).
    A plain date shows as a date."""
    if value is None or value == "":
        return DASH
    if not isinstance(value, datetime):
        return format_date(value, fmt)
    locale = format_locale()
    moment = _local(value)
    width: Literal["full", "long", "medium", "short"] = "medium"
    if fmt in ("full", "long", "short"):
        width = fmt  # type: ignore[assignment]
    joiner = babel_dates.get_datetime_format(width, locale=locale)
    day = babel_dates.format_date(moment.date(), fmt, locale=locale)
    clock = babel_dates.format_time(moment.timetz(), "short", locale=locale)
    return str(joiner).replace("'", "").replace("{1}", day).replace("{0}", clock)


def _pattern(digits: int, base: str = "#,##0") -> str:
    return base if digits <= 0 else base.replace("0", "0." + "0" * digits, 1)


def _decimal(value: float | int | Decimal) -> Decimal:
    # Through str: 46.65 is the 46.65 people see, not 46.649999…, so it rounds to 46.7.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def format_number(value: float | int | Decimal | None, digits: int = 0) -> str:
    """A number with ``digits`` decimals (always shown) and the locale's symbols:
    "1 234,6" / "1,234.6"; None or NaN shows "–". Halves round up (58.5 → 59), as people do."""
    if value is None or value == "" or value != value:
        return DASH
    with localcontext(rounding=ROUND_HALF_UP):
        return babel_numbers.format_decimal(
            _decimal(value), _pattern(digits), locale=format_locale(), decimal_quantization=True
        )


def format_percent(value: float | int | Decimal | None, digits: int = 0) -> str:
    """A percentage given in points (46.6 → "46,6 %" / "46.6%"), with ``digits`` decimals;
    None or NaN shows "–"."""
    if value is None or value == "" or value != value:
        return DASH
    locale = format_locale()
    base = locale.percent_formats[None].pattern.split(";")[0]
    with localcontext(rounding=ROUND_HALF_UP):
        return babel_numbers.format_percent(
            _decimal(value) / 100, _pattern(digits, base), locale=locale, decimal_quantization=True
        )


def date_filter(value: date | datetime | None, fmt: str = "medium") -> str:
    """``|date``: a date as :func:`format_date`; a stored moment (datetime) with its local time
    as :func:`format_datetime` (or only its date with a pattern such as ``'MMMM y'``)."""
    if isinstance(value, datetime) and fmt in _WIDTHS:
        return format_datetime(value, fmt)
    return format_date(value, fmt)


def init_app(app: Flask) -> None:
    """Register the Jinja filters ``date``, ``datetime``, ``time``, ``number``, ``percent``."""
    filters: dict[str, Any] = {
        "date": date_filter,
        "datetime": format_datetime,
        "time": format_time,
        "number": format_number,
        "percent": format_percent,
    }
    for name, fn in filters.items():
        app.add_template_filter(fn, name)

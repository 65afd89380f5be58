"""The visit's calendar invitation: an iCalendar (RFC 5545) file written by hand.

One all-day event per visit. Its UID is stable for the visit (``kvip-visit-<id>@<host>``) and its
SEQUENCE is ``Visit.ics_sequence``, which :mod:`kvip.visits.scheduling` raises whenever the date
changes, so a calendar that already holds the invitation updates it instead of adding another.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from kvip.core.db import utcnow
from kvip.core.urls import base_url, external_url
from kvip.visits.models import Visit

CONTENT_TYPE = "text/calendar; charset=utf-8"
PRODID = "-//KvIP//Visit scheduling//NB"


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def uid(visit: Visit) -> str:
    """The visit's event UID: the same in every invitation of this visit."""
    host = urlsplit(base_url()).hostname or "kvip"
    return f"kvip-visit-{visit.id}@{host}"


def _date(value: date) -> str:
    return value.strftime("%Y%m%d")


def _stamp(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def filename(visit: Visit) -> str:
    return f"kvip-visit-{visit.id}.ics"


def invitation(visit: Visit, *, summary: str, description: str, method: str = "PUBLISH") -> bytes:
    """The visit's calendar file (the visit must have a date). ``summary`` and ``description``
    are already in the reader's language; ``method`` PUBLISH (download) or REQUEST (e-mail)."""
    if visit.date is None:
        raise ValueError("a visit without a date has no calendar entry")
    unit = visit.assessment.unit
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{uid(visit)}",
        f"SEQUENCE:{int(visit.ics_sequence or 0)}",
        f"DTSTAMP:{_stamp(utcnow())}",
        f"DTSTART;VALUE=DATE:{_date(visit.date)}",
        f"DTEND;VALUE=DATE:{_date(visit.date + timedelta(days=1))}",
        f"SUMMARY:{escape_text(summary)}",
        f"LOCATION:{escape_text(f'{unit.name}, {unit.institution.name}')}",
        f"DESCRIPTION:{escape_text(description)}",
        f"URL:{external_url('visits.schedule', visit_id=visit.id)}",
        "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")

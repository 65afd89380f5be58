"""Declarative base with a naming convention so constraint names are stable in migrations."""

from datetime import UTC, date, datetime

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Timezone-naive UTC now (stored as naive UTC on every database)."""
    return datetime.now(UTC).replace(tzinfo=None)


def iso(value: date | datetime | None) -> str | None:
    """ISO 8601 for JSON: a date as is, a stored (naive UTC) timestamp with a trailing Z, so
    that a client in another time zone reads it right (RFC 3339 wants the zone); None stays."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat() + "Z"
    return value.isoformat()


def form_id(value: str | None) -> int:
    """A row id typed or posted in a form; 0 (no row) unless it fits a database INTEGER.

    ``int()`` alone lets 9223372036854775808 through to the query, where the driver fails.
    """
    try:
        number = int((value or "").strip())
    except ValueError:
        return 0
    return number if 0 < number <= 2**31 - 1 else 0

"""A network's audit log: validated filters, the one query behind the page and the exports.

Events are stored with naive UTC times; the date filters are plain dates in the network's
time zone (the app's display time zone, Europe/Oslo), both ends inclusive.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from kvip.accounts.models import User
from kvip.core import audit
from kvip.core.errors import ServiceError
from kvip.core.models import AuditEvent
from kvip.core.permissions import require
from kvip.extensions import db
from kvip.network.models import Network, Unit

PER_PAGE = 100
MAX_PAGE = (2**31 - 1) // PER_PAGE
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_NB_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def entity_labels() -> dict[str, str]:
    """What was changed: stored entity name → label in the user's language."""
    return {
        "action": _("Action plan item"),
        "api_token": _("API token"),
        "assessment": _("Self-assessment"),
        "audit": _("Change history"),
        "cycle": _("Cycle"),
        "edition": _("Standards edition"),
        "finding": _("Finding"),
        "gap_override": _("GAP assessment"),
        "institution": _("Institution"),
        "maturity_rating": _("Maturity"),
        "membership": _("Unit role"),
        "network": _("Network"),
        "network_role": _("Network role"),
        "observation": _("Observation"),
        "rating": _("Rating"),
        "report": _("Report"),
        "report_comment": _("Comment on the report"),
        "standard": _("Standard"),
        "team_member": _("Review team member"),
        "unit": _("Unit"),
        "user": _("User"),
        "visit": _("Visit"),
    }


def action_labels() -> dict[str, str]:
    """What was done: stored action name → label in the user's language."""
    return {
        "change_password": _("Changed password"),
        "closed": _("Closed"),
        "confirm": _("Confirmed"),
        "create": _("Created"),
        "delete": _("Deleted"),
        "enrol": _("Enrolled"),
        "export": _("Exported"),
        "freeze": _("Frozen"),
        "grant": _("Granted"),
        "mapping": _("Mapping changed"),
        "open": _("Opened"),
        "publish": _("Published"),
        "regenerate": _("Regenerated"),
        "reload": _("Reloaded"),
        "reopen": _("Reopened"),
        "revoke": _("Revoked"),
        "start": _("Started"),
        "submit": _("Submitted"),
        "update": _("Changed"),
        "verify": _("Verified"),
    }


@dataclass(frozen=True)
class AuditFilters:
    """The filters of the audit log as they travel in the URL (``who``, ``entity``, …)."""

    who: str = ""
    entity: str = ""
    action: str = ""
    unit: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    def query_args(self) -> dict[str, str]:
        """The non-empty filters as URL query arguments (for links, the pager, exports)."""
        args = {
            "who": self.who,
            "entity": self.entity,
            "action": self.action,
            "unit": str(self.unit) if self.unit is not None else "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in args.items() if v}

    def describe(self) -> str:
        """The filters as ``key=value; …`` for the export's own audit entry."""
        args = self.query_args()
        return "; ".join(f"{k}={v}" for k, v in args.items()) or "-"


def _parse_date(raw: str) -> date | None:
    """``yyyy-mm-dd`` (what a date input sends) or ``dd.mm.yyyy`` (how Norwegians type it)."""
    match = _NB_DATE.match(raw)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            value = date(year, month, day)
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            value = date.fromisoformat(raw)
        else:
            return None
    except ValueError:
        return None
    return value if 1900 <= value.year <= 2999 else None


def parse_filters(args: Mapping[str, str], network_id: int) -> AuditFilters:
    """Read the filters from query arguments; :class:`ServiceError` with every problem.

    A bad date, a reversed range or a unit of another network is refused with a message
    rather than ignored, so a reader never mistakes an unfiltered list for a filtered one.
    """
    errors: dict[str, str] = {}
    who = (args.get("who") or "").strip()[:200]
    entity = (args.get("entity") or "").strip()
    action = (args.get("action") or "").strip()
    if entity and not _IDENTIFIER.match(entity):
        errors["entity"] = _("Choose what was changed from the list.")
    if action and not _IDENTIFIER.match(action):
        errors["action"] = _("Choose an action from the list.")
    unit_id: int | None = None
    raw_unit = (args.get("unit") or "").strip()
    if raw_unit:
        if raw_unit.isdigit() and len(raw_unit) <= 10:
            unit_id = int(raw_unit)
            unit = db.session.get(Unit, unit_id) if unit_id <= 2**31 - 1 else None
            if unit is None or unit.network_id != network_id:
                errors["unit"] = _("Choose a unit of this network.")
        else:
            errors["unit"] = _("Choose a unit of this network.")
    dates: dict[str, date | None] = {}
    for key in ("from", "to"):
        raw = (args.get(key) or "").strip()
        dates[key] = _parse_date(raw) if raw else None
        if raw and dates[key] is None:
            errors[key] = _(
                "“%(value)s” is not a date. Use the form yyyy-mm-dd, e.g. 2026-03-31.",
                value=raw[:40],
            )
    if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        errors["to"] = _("The end date is before the start date.")
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors, status=422)
    return AuditFilters(
        who=who,
        entity=entity,
        action=action,
        unit=unit_id,
        date_from=dates["from"],
        date_to=dates["to"],
    )


def local_zone() -> ZoneInfo:
    """The time zone the network works in (the app's display time zone)."""
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Europe/Oslo")


def _utc_start_of(day: date) -> datetime:
    """Local midnight at the start of ``day`` as naive UTC (how events are stored)."""
    local = datetime.combine(day, time.min, tzinfo=local_zone())
    return local.astimezone(UTC).replace(tzinfo=None)


def _folded(column: Any) -> Any:
    """``lower(column)`` that folds æøå on SQLite too (see ``kvip_lower`` in core.setup)."""
    if db.engine.dialect.name == "sqlite":
        return sa.func.kvip_lower(column)
    return sa.func.lower(column)


def conditions(network_id: int, filters: AuditFilters) -> list[Any]:
    """The SQL conditions for ``filters`` on this network's events (no permission check)."""
    where: list[Any] = [AuditEvent.network_id == network_id]
    if filters.who:
        needle = filters.who.lower()
        where.append(
            AuditEvent.user_id.in_(
                sa.select(User.id).where(
                    sa.or_(
                        _folded(User.email).contains(needle, autoescape=True),
                        _folded(User.name).contains(needle, autoescape=True),
                    )
                )
            )
        )
    if filters.entity:
        where.append(AuditEvent.entity == filters.entity)
    if filters.action:
        where.append(AuditEvent.action == filters.action)
    if filters.unit is not None:
        where.append(AuditEvent.unit_id == filters.unit)
    if filters.date_from:
        where.append(AuditEvent.at >= _utc_start_of(filters.date_from))
    if filters.date_to:
        where.append(AuditEvent.at < _utc_start_of(filters.date_to + timedelta(days=1)))
    return where


def events_page(actor: Any, network: Network, filters: AuditFilters, page: int) -> Any:
    """One page (newest first) of the network's events matching ``filters``."""
    require(actor, "audit.read", network.id)
    query = (
        sa.select(AuditEvent)
        .where(*conditions(network.id, filters))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    page = min(max(1, page), MAX_PAGE)
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def filter_choices(network: Network) -> dict[str, list[tuple[str, str]]]:
    """The options of the entity, action and unit filters, as (value, label), by label.

    Entities and actions are the fixed vocabulary of the audit writers rather than a
    ``DISTINCT`` over the log, which would read every event of the network on each page.
    """
    units = db.session.execute(
        sa.select(Unit.id, Unit.name).where(Unit.network_id == network.id).order_by(Unit.name)
    ).all()
    return {
        "entities": sorted(entity_labels().items(), key=lambda p: p[1]),
        "actions": sorted(action_labels().items(), key=lambda p: p[1]),
        "units": [(str(u.id), u.name) for u in units],
    }


def export_query(actor: Any, network: Network, filters: AuditFilters, upto_id: int) -> Any:
    """The filtered events as plain columns, newest first (the page's order).

    Only events with an id below ``upto_id`` (the export's own audit entry) are included, so
    the file matches the page the user looked at.
    """
    require(actor, "audit.read", network.id)
    return (
        sa.select(
            AuditEvent.at,
            User.name,
            User.email,
            AuditEvent.entity,
            AuditEvent.entity_id,
            AuditEvent.action,
            AuditEvent.field,
            AuditEvent.old,
            AuditEvent.new,
            Unit.name.label("unit_name"),
            AuditEvent.note,
        )
        .select_from(AuditEvent)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .outerjoin(Unit, Unit.id == AuditEvent.unit_id)
        .where(*conditions(network.id, filters), AuditEvent.id < upto_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )


def stream_rows(query: Any, batch: int = 2000) -> Iterator[Any]:
    """Plain rows of ``query``, fetched ``batch`` at a time (a server-side cursor on
    PostgreSQL), never all in memory. The generator holds its own connection, opened on the
    first row and closed when it ends or is closed, so a streamed response needs neither the
    request nor its session."""
    engine = db.engine

    def rows() -> Iterator[Any]:
        with engine.connect() as connection:
            yield from connection.execution_options(yield_per=batch).execute(query)

    return rows()


def record_export(actor: Any, network: Network, filters: AuditFilters, fmt: str) -> int:
    """Write and commit the export's own audit entry first (an aborted download still counts);
    returns its id, the upper bound of what the export contains."""
    require(actor, "audit.read", network.id)
    (event,) = audit.record(
        actor,
        "audit",
        None,
        action="export",
        network_id=network.id,
        note=f"{fmt}: {filters.describe()}",
    )
    db.session.flush()
    event_id = int(event.id)
    db.session.commit()
    return event_id

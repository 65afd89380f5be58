"""The audit log: validated filters, the one query behind the page and the exports.

Two scopes share everything here: a network's log (``network`` given; permission
``audit.read`` on it: its coordinators and admins) and the platform log (``network`` None;
permission ``platform.admin``), which holds every network's events and the platform's own
(network NULL: accounts, API tokens, passwords, sign-ins) and filters by network as well.

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
from kvip.core.permissions import AnyUser, require
from kvip.extensions import db
from kvip.network.models import Network, Unit

PER_PAGE = 100
MAX_PAGE = (2**31 - 1) // PER_PAGE
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_NB_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
# The platform log's network filter: this value keeps the events that belong to no network.
PLATFORM_ONLY = "platform"


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
        "learning_request": _("Request to learn"),
        "maturity_rating": _("Maturity"),
        "membership": _("Unit role"),
        "network": _("Network"),
        "network_role": _("Network role"),
        "observation": _("Observation"),
        "rating": _("Rating"),
        "report": _("Report"),
        "report_comment": _("Comment on the report"),
        "rule_override": _("Exception to a date rule"),
        "session": _("Sign-in"),
        "standard": _("Standard"),
        "team_member": _("Review team member"),
        "unit": _("Unit"),
        "user": _("User"),
        "visit": _("Visit"),
    }


def action_labels() -> dict[str, str]:
    """What was done: stored action name → label in the user's language."""
    return {
        "accept": _("Accepted"),
        "change_password": _("Changed password"),
        "closed": _("Closed"),
        "confirm": _("Confirmed"),
        "create": _("Created"),
        "decline": _("Declined"),
        "delete": _("Deleted"),
        "enrol": _("Enrolled"),
        "export": _("Exported"),
        "forward": _("Passed on"),
        "freeze": _("Frozen"),
        "grant": _("Granted"),
        "mapping": _("Mapping changed"),
        "no_comments": _("Declared no comments"),
        "open": _("Opened"),
        "override": _("Exception made"),
        "publish": _("Published"),
        "refuse": _("Not passed on"),
        "regenerate": _("Regenerated"),
        "reload": _("Reloaded"),
        "reopen": _("Reopened"),
        "revoke": _("Revoked"),
        "sign_in": _("Signed in"),
        "sign_in_failed": _("Failed sign-in"),
        "sign_out": _("Signed out"),
        "start": _("Started"),
        "submit": _("Submitted"),
        "update": _("Changed"),
        "verify": _("Verified"),
    }


@dataclass(frozen=True)
class AuditFilters:
    """The filters of the audit log as they travel in the URL (``who``, ``entity``, …).

    ``network`` and ``platform_only`` are the platform log's network filter (one network, or
    only the events of no network); a network's own log never sets them."""

    who: str = ""
    entity: str = ""
    action: str = ""
    unit: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    network: int | None = None
    platform_only: bool = False

    def query_args(self) -> dict[str, str]:
        """The non-empty filters as URL query arguments (for links, the pager, exports)."""
        network = PLATFORM_ONLY if self.platform_only else self.network
        args = {
            "network": str(network) if network is not None else "",
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


def require_reader(actor: AnyUser, network: Network | None) -> None:
    """Who may read a log: ``audit.read`` on the network, ``platform.admin`` for the platform."""
    if network is None:
        require(actor, "platform.admin")
    else:
        require(actor, "audit.read", network.id)


def _parse_network(raw: str, errors: dict[str, str]) -> tuple[int | None, bool]:
    """The platform log's network filter: (network id, platform only)."""
    if not raw:
        return None, False
    if raw == PLATFORM_ONLY:
        return None, True
    known = raw.isdigit() and len(raw) <= 10 and int(raw) <= 2**31 - 1
    if known and db.session.get(Network, int(raw)) is not None:
        return int(raw), False
    errors["network"] = _("Choose a network from the list.")
    return None, False


def parse_filters(args: Mapping[str, str], network_id: int | None) -> AuditFilters:
    """Read the filters from query arguments; :class:`ServiceError` with every problem.

    ``network_id`` None reads the platform log's filters, which add ``network``. A bad date, a
    reversed range or a unit outside the network is refused with a message rather than
    ignored, so a reader never mistakes an unfiltered list for a filtered one.
    """
    errors: dict[str, str] = {}
    chosen, platform_only = None, False
    if network_id is None:
        chosen, platform_only = _parse_network((args.get("network") or "").strip(), errors)
    scope = network_id if network_id is not None else chosen
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
        wrong_unit = (
            _("Choose a unit of this network.")
            if scope is not None
            else _("Choose a unit from the list.")
        )
        if raw_unit.isdigit() and len(raw_unit) <= 10:
            unit_id = int(raw_unit)
            unit = db.session.get(Unit, unit_id) if unit_id <= 2**31 - 1 else None
            if unit is None or (scope is not None and unit.network_id != scope):
                errors["unit"] = wrong_unit
            elif platform_only:
                errors["unit"] = _("The platform's own events belong to no unit.")
        else:
            errors["unit"] = wrong_unit
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
        network=chosen,
        platform_only=platform_only,
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


def conditions(network_id: int | None, filters: AuditFilters) -> list[Any]:
    """The SQL conditions for ``filters`` on this network's events, or on every event of the
    platform when ``network_id`` is None (no permission check)."""
    where: list[Any] = []
    if network_id is not None:
        where.append(AuditEvent.network_id == network_id)
    elif filters.platform_only:
        where.append(AuditEvent.network_id.is_(None))
    elif filters.network is not None:
        where.append(AuditEvent.network_id == filters.network)
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


def _id(network: Network | None) -> int | None:
    return network.id if network is not None else None


def events_page(actor: Any, network: Network | None, filters: AuditFilters, page: int) -> Any:
    """One page (newest first) of the network's (or the platform's) events matching ``filters``."""
    require_reader(actor, network)
    query = (
        sa.select(AuditEvent)
        .where(*conditions(_id(network), filters))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    page = min(max(1, page), MAX_PAGE)
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def filter_choices(
    network: Network | None, filters: AuditFilters | None = None
) -> dict[str, list[tuple[str, str]]]:
    """The options of the entity, action, unit (and on the platform log, network) filters, as
    (value, label), by label.

    Entities and actions are the fixed vocabulary of the audit writers rather than a
    ``DISTINCT`` over the log, which would read every event of the network on each page. The
    platform log lists the units of the chosen network, or every unit named with its network.
    """
    choices = {
        "entities": sorted(entity_labels().items(), key=lambda p: p[1]),
        "actions": sorted(action_labels().items(), key=lambda p: p[1]),
    }
    scope = network.id if network is not None else (filters.network if filters else None)
    if scope is not None:
        units = db.session.execute(
            sa.select(Unit.id, Unit.name).where(Unit.network_id == scope).order_by(Unit.name)
        ).all()
        choices["units"] = [(str(u.id), u.name) for u in units]
    else:
        named = db.session.execute(
            sa.select(Unit.id, Unit.name, Network.name.label("network_name"))
            .join(Network, Network.id == Unit.network_id)
            .order_by(Network.name, Unit.name)
        ).all()
        choices["units"] = [(str(u.id), f"{u.name} ({u.network_name})") for u in named]
    if network is None:
        networks = db.session.execute(
            sa.select(Network.id, Network.name).order_by(Network.name)
        ).all()
        choices["networks"] = [(PLATFORM_ONLY, _("Only the platform (no network)"))] + [
            (str(n.id), n.name) for n in networks
        ]
    return choices


def names_on_page(events: Any) -> tuple[dict[int, str], dict[int, str]]:
    """(unit id → name, network id → name) for the events of one page: two small look-ups by
    the ids shown, whatever the number of units and networks."""
    unit_ids = {e.unit_id for e in events if e.unit_id is not None}
    network_ids = {e.network_id for e in events if e.network_id is not None}
    units: dict[int, str] = {}
    networks: dict[int, str] = {}
    if unit_ids:
        rows = db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)))
        units = {row.id: row.name for row in rows}
    if network_ids:
        rows = db.session.execute(
            sa.select(Network.id, Network.name).where(Network.id.in_(network_ids))
        )
        networks = {row.id: row.name for row in rows}
    return units, networks


def export_query(actor: Any, network: Network | None, filters: AuditFilters, upto_id: int) -> Any:
    """The filtered events as plain columns, newest first (the page's order).

    Only events with an id below ``upto_id`` (the export's own audit entry) are included, so
    the file matches the page the user looked at.
    """
    require_reader(actor, network)
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
            Network.name.label("network_name"),
        )
        .select_from(AuditEvent)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .outerjoin(Unit, Unit.id == AuditEvent.unit_id)
        .outerjoin(Network, Network.id == AuditEvent.network_id)
        .where(*conditions(_id(network), filters), AuditEvent.id < upto_id)
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


def record_export(actor: Any, network: Network | None, filters: AuditFilters, fmt: str) -> int:
    """Write and commit the export's own audit entry first (an aborted download still counts);
    returns its id, the upper bound of what the export contains. A platform export is an
    event of the platform (no network): it shows what was read across all networks."""
    require_reader(actor, network)
    (event,) = audit.record(
        actor,
        "audit",
        None,
        action="export",
        network_id=_id(network),
        note=f"{fmt}: {filters.describe()}",
    )
    db.session.flush()
    event_id = int(event.id)
    db.session.commit()
    return event_id

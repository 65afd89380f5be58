"""One reminder: what is due, where, when, and where it leads (kvip.actions.reminders)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import url_for
from werkzeug.routing import BuildError

from kvip.core import dates
from kvip.core.urls import external_url

Target = tuple[str, tuple[tuple[str, Any], ...]]


@dataclass(frozen=True)
class Reminder:
    kind: str
    title: str
    where: str
    due: date
    # Where the reminder leads: an endpoint and its values (built into a path for the page and
    # into an absolute link under KVIP_BASE_URL for the e-mail).
    target: Target
    # The item it is about (e.g. ``visit:12``): with the threshold, what is told only once.
    item: str = ""
    count: int | None = None  # how many things a summary reminder stands for

    def overdue(self, on: date) -> bool:
        return self.due < on

    def days_left(self, on: date) -> int:
        return (self.due - on).days

    @property
    def url(self) -> str:
        """The path, for a page the user has open."""
        endpoint, values = self.target
        return url_for(endpoint, **dict(values))

    def link(self, base: str | None = None) -> str:
        """The absolute link for an e-mail: always under the configured base URL."""
        endpoint, values = self.target
        return external_url(endpoint, _base=base, **dict(values))


def to(endpoint: str, **values: Any) -> Target:
    return endpoint, tuple(sorted(values.items()))


def first_url(candidates: Iterable[tuple[str, dict[str, Any]]]) -> Target:
    """The first endpoint of another module that exists (their names are theirs to choose)."""
    for endpoint, values in candidates:
        try:
            external_url(endpoint, **values)
        except BuildError:
            continue
        return to(endpoint, **values)
    return to("core.home")


def as_date(value: datetime | date | None) -> date:
    """Dates of rows the query already filtered to non-null ones."""
    if value is None:
        raise ValueError("a date was expected")
    # A stored moment is UTC: its date is the network's (Oslo) date, as everywhere else.
    return dates.local_date(value) if isinstance(value, datetime) else value

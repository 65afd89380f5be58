"""The coordinator's view across units: actions by status, share overdue, median time to done,
share verified at the next visit. Pure arithmetic first, then the one query per figure.

Definitions (shown on the page):
- overdue share = open (planned or in progress) actions past their deadline / actions not dropped;
- time to done = days from an action's creation to when it was marked done (done and verified);
- verified share = verified / actions not dropped, counted only for units whose next visit
  has taken place (a visit of a later cycle in progress or completed).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from kvip.actions import queries
from kvip.actions.models import Action
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.visits.models import Visit, VisitState


def share(part: int, whole: int) -> float | None:
    """Percent, or None when there is nothing to divide by."""
    return None if whole == 0 else 100.0 * part / whole


def median_days(durations: Sequence[float]) -> float | None:
    return float(statistics.median(durations)) if durations else None


def days_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400.0


@dataclass
class UnitStats:
    unit_id: int
    name: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(queries.STATUS_ORDER, 0))
    overdue: int = 0
    durations: list[float] = field(default_factory=list)
    next_visit: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def active(self) -> int:
        return self.total - self.counts["dropped"]

    @property
    def overdue_share(self) -> float | None:
        return share(self.overdue, self.active)

    @property
    def median_days_to_done(self) -> float | None:
        return median_days(self.durations)

    @property
    def verified_share(self) -> float | None:
        return share(self.counts["verified"], self.active) if self.next_visit else None


@dataclass
class Overview:
    cycle: Cycle
    units: list[UnitStats]

    def totals(self) -> UnitStats:
        total = UnitStats(0, "")
        for u in self.units:
            for key, value in u.counts.items():
                total.counts[key] += value
            total.overdue += u.overdue
            total.durations += u.durations
        return total

    @property
    def verified_share(self) -> float | None:
        visited = [u for u in self.units if u.next_visit]
        return share(sum(u.counts["verified"] for u in visited), sum(u.active for u in visited))

    def as_dict(self) -> dict[str, Any]:
        return {
            "cycle_id": self.cycle.id,
            "units": [
                {
                    "unit_id": u.unit_id,
                    "name": u.name,
                    "counts": u.counts,
                    "overdue": u.overdue,
                    "overdue_share": u.overdue_share,
                    "median_days_to_done": u.median_days_to_done,
                    "verified_share": u.verified_share,
                }
                for u in self.units
            ],
        }


def overview(cycle: Cycle, on: date | None = None) -> Overview:
    """Per unit of the cycle: counts by status (SQL aggregate), overdue, durations to done."""
    on = on or queries.today()
    units: dict[int, UnitStats] = {
        uid: UnitStats(uid, name)
        for uid, name in db.session.execute(
            sa.select(Unit.id, Unit.name)
            .join(Assessment, Assessment.unit_id == Unit.id)
            .where(Assessment.cycle_id == cycle.id)
            .order_by(Unit.name)
        )
    }
    for unit_id, status, n in db.session.execute(
        sa.select(Assessment.unit_id, Action.status, sa.func.count())
        .join(Assessment, Assessment.id == Action.assessment_id)
        .where(Assessment.cycle_id == cycle.id)
        .group_by(Assessment.unit_id, Action.status)
    ):
        stats = units[unit_id]
        stats.counts[status] = stats.counts.get(status, 0) + int(n)
    # Overdue from the one deadlines query, so "Due soon" and the reminders count the same.
    overdue = queries.deadlines(on).where(Assessment.cycle_id == cycle.id).subquery()
    for unit_id, n in db.session.execute(
        sa.select(overdue.c.unit_id, sa.func.count()).group_by(overdue.c.unit_id)
    ):
        if unit_id in units:
            units[unit_id].overdue = int(n)
    for unit_id, created, done in db.session.execute(
        sa.select(Assessment.unit_id, Action.created_at, Action.done_at)
        .join(Assessment, Assessment.id == Action.assessment_id)
        .where(
            Assessment.cycle_id == cycle.id,
            Action.status.in_(("done", "verified")),
            Action.done_at.is_not(None),
        )
    ):
        if done is not None:
            units[unit_id].durations.append(days_between(created, done))
    later = (
        sa.select(Assessment.unit_id)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .join(Visit, Visit.assessment_id == Assessment.id)
        .where(
            Cycle.network_id == cycle.network_id,
            Cycle.year > cycle.year,
            Visit.state.in_((VisitState.in_progress.value, VisitState.completed.value)),
        )
        .distinct()
    )
    for (unit_id,) in db.session.execute(later):
        if unit_id in units:
            units[unit_id].next_visit = True
    return Overview(cycle, list(units.values()))

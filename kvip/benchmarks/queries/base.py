"""Shared pieces of the benchmark reads: filters, the viewer's rights as SQL, editions, cycles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from kvip.benchmarks.models import (
    BenchmarkPseudonym,
)
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.standards.models import Domain, Standard
from kvip.visits.models import Visit

COUNT_COLUMNS = ("met", "partly_met", "not_met", "not_applicable", "total")


@dataclass(frozen=True)
class Filters:
    """Which units a view compares: by kind of unit and by region (empty = all)."""

    kinds: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.kinds or self.regions)

    def on_units(self) -> ColumnElement[bool]:
        """SQL condition on :class:`Unit`."""
        conditions: list[ColumnElement[bool]] = []
        if self.kinds:
            conditions.append(Unit.kind.in_(self.kinds))
        if self.regions:
            conditions.append(Unit.region.in_(self.regions))
        return sa.and_(sa.true(), *conditions)

    def on_groups(self, table: sa.Table) -> ColumnElement[bool]:
        """SQL condition on a standard-level summary table (unit_kind, region columns)."""
        conditions: list[ColumnElement[bool]] = []
        if self.kinds:
            conditions.append(table.c.unit_kind.in_(self.kinds))
        if self.regions:
            conditions.append(table.c.region.in_(self.regions))
        return sa.and_(sa.true(), *conditions)

    def as_args(self) -> dict[str, list[str]]:
        return {"kind": list(self.kinds), "region": list(self.regions)}


@dataclass(frozen=True)
class Viewer:
    """What the viewer may see, as SQL: names of units, and ids of assessments/visits/units."""

    named: ColumnElement[bool]  # condition on Unit: the name may be shown
    own: ColumnElement[bool]  # condition on Unit: the viewer's own unit
    assessment_visible: ColumnElement[bool]  # condition on Assessment
    visit_visible: ColumnElement[bool]  # condition on Visit


def frame(stmt: Any, columns: list[str] | None = None) -> pd.DataFrame:
    """Run a statement and return its rows as a DataFrame (column names from the query).

    Executed on the session's connection as Core SQL: rows skip the ORM's loading machinery,
    which costs more than the query itself for thousands of rows."""
    result = db.session.connection().execute(stmt)
    rows = result.all()
    keys = list(result.keys()) if columns is None else columns
    return pd.DataFrame([tuple(r) for r in rows], columns=keys)


# --- editions ---------------------------------------------------------------------------------


def domains_of(edition_id: int) -> pd.DataFrame:
    """Domains of an edition with their number of standards, in order."""
    sizes = (
        sa.select(Standard.domain_id, sa.func.count().label("n_standards"))
        .where(Standard.edition_id == edition_id)
        .group_by(Standard.domain_id)
        .subquery()
    )
    stmt = (
        sa.select(
            Domain.id.label("domain_id"),
            Domain.code,
            Domain.title_nb,
            Domain.title_en,
            Domain.position,
            sa.func.coalesce(sizes.c.n_standards, 0).label("n_standards"),
        )
        .outerjoin(sizes, sizes.c.domain_id == Domain.id)
        .where(Domain.edition_id == edition_id)
        .order_by(Domain.position, Domain.code)
    )
    return frame(stmt)


def standards_of(edition_id: int, domain_id: int | None = None) -> pd.DataFrame:
    """Standards of an edition (optionally one domain), in order."""
    stmt = (
        sa.select(
            Standard.id.label("standard_id"),
            Standard.code,
            Standard.type,
            Standard.text_nb,
            Standard.text_en,
            Standard.domain_id,
            Domain.code.label("domain_code"),
        )
        .join(Domain, Domain.id == Standard.domain_id)
        .where(Standard.edition_id == edition_id)
        .order_by(Domain.position, Standard.position, Standard.id)
    )
    if domain_id is not None:
        stmt = stmt.where(Standard.domain_id == domain_id)
    return frame(stmt)


# --- cycles -----------------------------------------------------------------------------------


def cycles_of(network_id: int) -> pd.DataFrame:
    """The network's cycles, newest first, with how many units are enrolled (assessments), how
    many count in the benchmark (submitted or visited) and how many are peer-reviewed (a
    completed visit)."""
    completed = (
        sa.select(Visit.id)
        .where(Visit.assessment_id == Assessment.id, Visit.state == "completed")
        .exists()
    )
    per_cycle = (
        sa.select(
            Assessment.cycle_id,
            sa.func.count().label("enrolled"),
            sa.func.sum(
                sa.case((sa.or_(Assessment.state == "submitted", completed), 1), else_=0)
            ).label("counted"),
            sa.func.sum(sa.case((completed, 1), else_=0)).label("peer_reviewed"),
        )
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .where(Cycle.network_id == network_id)
        .group_by(Assessment.cycle_id)
        .subquery()
    )
    stmt = (
        sa.select(
            Cycle.id.label("cycle_id"),
            Cycle.year,
            Cycle.name,
            Cycle.state,
            Cycle.edition_id,
            sa.func.coalesce(per_cycle.c.counted, 0).label("counted"),
            sa.func.coalesce(per_cycle.c.enrolled, 0).label("enrolled"),
            sa.func.coalesce(per_cycle.c.peer_reviewed, 0).label("peer_reviewed"),
        )
        .outerjoin(per_cycle, per_cycle.c.cycle_id == Cycle.id)
        .where(Cycle.network_id == network_id)
        .order_by(Cycle.year.desc(), Cycle.id.desc())
    )
    return frame(stmt)


def filter_options(network_id: int) -> tuple[list[str], list[str]]:
    """The kinds of unit and the regions present in the network (for filter menus)."""
    kinds = db.session.scalars(
        sa.select(Unit.kind).where(Unit.network_id == network_id).distinct().order_by(Unit.kind)
    ).all()
    regions = db.session.scalars(
        sa.select(Unit.region)
        .where(Unit.network_id == network_id, Unit.region != "")
        .distinct()
        .order_by(Unit.region)
    ).all()
    return list(kinds), list(regions)


def _unit_columns(viewer: Viewer) -> list[Any]:
    return [
        BenchmarkPseudonym.position,
        viewer.own.label("own"),
        sa.case((sa.or_(viewer.named, viewer.own), Unit.name), else_=None).label("name"),
        sa.case((sa.or_(viewer.named, viewer.own), Unit.id), else_=None).label("unit_id"),
        Unit.kind,
        Unit.region,
    ]


def _pseudonym_join(cycle_col: Any, unit_col: Any) -> ColumnElement[bool]:
    return sa.and_(BenchmarkPseudonym.cycle_id == cycle_col, BenchmarkPseudonym.unit_id == unit_col)

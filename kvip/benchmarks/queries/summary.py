"""Reads of the summary tables (:mod:`kvip.benchmarks.models`): SUM / GROUP BY over a few
thousand rows per cycle, filters and labels applied in SQL."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from kvip.benchmarks.models import (
    PAIR_COLUMNS,
    BenchmarkCycleState,
    BenchmarkPseudonym,
    domain_counts,
    domain_pairs,
    standard_counts,
    standard_pairs,
)
from kvip.benchmarks.queries.base import (
    COUNT_COLUMNS,
    Filters,
    Viewer,
    _pseudonym_join,
    _unit_columns,
    frame,
)
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.standards.models import Domain

# --- unit-level summaries ---------------------------------------------------------------------


def unit_domain_counts(
    cycle_id: int,
    series: str | None,
    filters: Filters,
    viewer: Viewer,
    *,
    only_unit_id: int | None = None,
) -> pd.DataFrame:
    """Per counted unit × domain: the §5 counts of one series (all series if None), with the
    unit's label fields."""
    t = domain_counts
    conditions: list[ColumnElement[bool]] = [t.c.cycle_id == cycle_id, filters.on_units()]
    if series is not None:
        conditions.append(t.c.series == series)
    if only_unit_id is not None:
        conditions.append(t.c.unit_id == only_unit_id)
    stmt = (
        sa.select(
            t.c.assessment_id.label("key"),
            *_unit_columns(viewer),
            sa.case((viewer.assessment_visible, t.c.assessment_id), else_=None).label(
                "assessment_id"
            ),
            t.c.peer_reviewed,
            t.c.series,
            Domain.code.label("domain_code"),
            *(t.c[c] for c in COUNT_COLUMNS),
        )
        .join(Unit, Unit.id == t.c.unit_id)
        .join(Assessment, Assessment.id == t.c.assessment_id)
        .join(Domain, Domain.id == t.c.domain_id)
        .outerjoin(BenchmarkPseudonym, _pseudonym_join(t.c.cycle_id, t.c.unit_id))
        .where(*conditions)
        .order_by(BenchmarkPseudonym.position, Domain.position)
    )
    return frame(stmt)


def unit_pair_counts(cycle_id: int, filters: Filters, viewer: Viewer) -> pd.DataFrame:
    """Per peer-reviewed unit: self × peer contingency summed over domains (SQL SUM)."""
    t = domain_pairs
    stmt = (
        sa.select(
            t.c.assessment_id.label("key"),
            *_unit_columns(viewer),
            *(sa.func.sum(t.c[c]).label(c) for c in PAIR_COLUMNS),
        )
        .join(Unit, Unit.id == t.c.unit_id)
        .outerjoin(BenchmarkPseudonym, _pseudonym_join(t.c.cycle_id, t.c.unit_id))
        .where(t.c.cycle_id == cycle_id, filters.on_units())
        .group_by(
            t.c.assessment_id,
            BenchmarkPseudonym.position,
            Unit.id,
            Unit.name,
            Unit.kind,
            Unit.region,
        )
        .order_by(BenchmarkPseudonym.position)
    )
    return frame(stmt)


def group_size(cycle_id: int, filters: Filters) -> int:
    """How many counted units the filtered group has (for the k threshold)."""
    t = domain_counts
    stmt = (
        sa.select(sa.func.count(sa.distinct(t.c.assessment_id)))
        .join(Unit, Unit.id == t.c.unit_id)
        .where(t.c.cycle_id == cycle_id, t.c.series == "bench", filters.on_units())
    )
    return int(db.session.scalar(stmt) or 0)


def counted_cells(cycle_id: int) -> dict[tuple[str, str], int]:
    """(unit kind, region) → how many counted units the cycle has there (for choosing which
    filters a pseudonymised viewer is offered)."""
    t = domain_counts
    stmt = (
        sa.select(Unit.kind, Unit.region, sa.func.count(sa.distinct(t.c.assessment_id)))
        .join(Unit, Unit.id == t.c.unit_id)
        .where(t.c.cycle_id == cycle_id, t.c.series == "bench")
        .group_by(Unit.kind, Unit.region)
    )
    return {(str(kind), str(region or "")): int(n) for kind, region, n in db.session.execute(stmt)}


def group_domain_counts(cycle_id: int, by: str, filters: Filters) -> pd.DataFrame:
    """Per unit kind or region × domain: summed bench counts and the number of units."""
    t = domain_counts
    column = Unit.kind if by == "kind" else Unit.region
    stmt = (
        sa.select(
            column.label("group"),
            Domain.code.label("domain_code"),
            sa.func.count(sa.distinct(t.c.assessment_id)).label("units"),
            *(sa.func.sum(t.c[c]).label(c) for c in COUNT_COLUMNS),
        )
        .join(Unit, Unit.id == t.c.unit_id)
        .join(Domain, Domain.id == t.c.domain_id)
        .where(t.c.cycle_id == cycle_id, t.c.series == "bench", filters.on_units())
        .group_by(column, Domain.code, Domain.position)
        .order_by(column, Domain.position)
    )
    return frame(stmt)


# --- standard-level summaries -----------------------------------------------------------------


def standard_totals(cycle_id: int, series: str, filters: Filters) -> pd.DataFrame:
    """Per standard: counts over the filtered group (SQL SUM over kind × region rows)."""
    t = standard_counts
    stmt = (
        sa.select(t.c.standard_id, *(sa.func.sum(t.c[c]).label(c) for c in COUNT_COLUMNS))
        .where(t.c.cycle_id == cycle_id, t.c.series == series, filters.on_groups(t))
        .group_by(t.c.standard_id)
    )
    return frame(stmt, ["standard_id", *COUNT_COLUMNS])


def standard_pair_totals(cycle_id: int, filters: Filters) -> pd.DataFrame:
    """Per standard: self × peer contingency over the filtered group."""
    t = standard_pairs
    stmt = (
        sa.select(t.c.standard_id, *(sa.func.sum(t.c[c]).label(c) for c in PAIR_COLUMNS))
        .where(t.c.cycle_id == cycle_id, filters.on_groups(t))
        .group_by(t.c.standard_id)
    )
    return frame(stmt, ["standard_id", *PAIR_COLUMNS])


# --- over cycles ------------------------------------------------------------------------------


def network_domain_trend(network_id: int, series: str, filters: Filters) -> pd.DataFrame:
    """Per cycle × domain code: counts summed over the network's (filtered) units.

    Domains are followed across editions by their code (1…7)."""
    t = domain_counts
    stmt = (
        sa.select(
            Cycle.id.label("cycle_id"),
            Cycle.year,
            Cycle.name.label("cycle_name"),
            Domain.code.label("domain_code"),
            sa.func.count(sa.distinct(t.c.assessment_id)).label("units"),
            *(sa.func.sum(t.c[c]).label(c) for c in COUNT_COLUMNS),
        )
        .join(Cycle, Cycle.id == t.c.cycle_id)
        .join(Domain, Domain.id == t.c.domain_id)
        .join(Unit, Unit.id == t.c.unit_id)
        .where(Cycle.network_id == network_id, t.c.series == series, filters.on_units())
        .group_by(Cycle.id, Cycle.year, Cycle.name, Domain.code)
        .order_by(Cycle.year, Cycle.id, Domain.code)
    )
    return frame(stmt)


def unit_spread_trend(network_id: int, series: str, filters: Filters) -> pd.DataFrame:
    """Per cycle × counted (filtered) unit × domain code: the counts, keyed by an opaque
    assessment id only — for the network's median and quartiles over the units per cycle
    (never shown per unit)."""
    t = domain_counts
    stmt = (
        sa.select(
            t.c.cycle_id,
            t.c.assessment_id.label("key"),
            Domain.code.label("domain_code"),
            *(t.c[c] for c in COUNT_COLUMNS),
        )
        .join(Cycle, Cycle.id == t.c.cycle_id)
        .join(Domain, Domain.id == t.c.domain_id)
        .join(Unit, Unit.id == t.c.unit_id)
        .where(Cycle.network_id == network_id, t.c.series == series, filters.on_units())
        .order_by(t.c.cycle_id, t.c.assessment_id, Domain.code)
    )
    return frame(stmt, ["cycle_id", "key", "domain_code", *COUNT_COLUMNS])


def unit_domain_trend(unit_id: int, series: str) -> pd.DataFrame:
    """Per cycle × domain code: one unit's counts (its own history)."""
    t = domain_counts
    stmt = (
        sa.select(
            Cycle.id.label("cycle_id"),
            Cycle.year,
            Cycle.name.label("cycle_name"),
            Domain.code.label("domain_code"),
            *(t.c[c] for c in COUNT_COLUMNS),
        )
        .join(Cycle, Cycle.id == t.c.cycle_id)
        .join(Domain, Domain.id == t.c.domain_id)
        .where(t.c.unit_id == unit_id, t.c.series == series)
        .order_by(Cycle.year, Cycle.id, Domain.code)
    )
    return frame(stmt)


def matched_domain_totals(cycle_id: int, previous_id: int, series: str = "bench") -> pd.DataFrame:
    """Per cycle × domain code: counts summed over only the units counted in *both* cycles, so
    that a change between the cycles compares like with like (domains followed by code)."""
    t = domain_counts
    both = (
        sa.select(t.c.unit_id)
        .where(t.c.cycle_id.in_([cycle_id, previous_id]), t.c.series == series)
        .group_by(t.c.unit_id)
        .having(sa.func.count(sa.distinct(t.c.cycle_id)) == 2)
    )
    stmt = (
        sa.select(
            t.c.cycle_id,
            Domain.code.label("domain_code"),
            sa.func.count(sa.distinct(t.c.unit_id)).label("units"),
            *(sa.func.sum(t.c[c]).label(c) for c in COUNT_COLUMNS),
        )
        .join(Domain, Domain.id == t.c.domain_id)
        .where(
            t.c.cycle_id.in_([cycle_id, previous_id]),
            t.c.series == series,
            t.c.unit_id.in_(both),
        )
        .group_by(t.c.cycle_id, Domain.code)
        .order_by(t.c.cycle_id, Domain.code)
    )
    return frame(stmt, ["cycle_id", "domain_code", "units", *COUNT_COLUMNS])


def unit_totals_by_cycle(network_id: int, cycle_ids: list[int], viewer: Viewer) -> pd.DataFrame:
    """Per cycle × counted unit: bench counts summed over domains (for 'most improved')."""
    t = domain_counts
    stmt = (
        sa.select(
            t.c.cycle_id,
            Unit.id.label("unit_key"),
            sa.case((sa.or_(viewer.named, viewer.own), Unit.name), else_=None).label("name"),
            viewer.own.label("own"),
            *(sa.func.sum(t.c[c]).label(c) for c in COUNT_COLUMNS),
        )
        .join(Unit, Unit.id == t.c.unit_id)
        .where(t.c.cycle_id.in_(cycle_ids), t.c.series == "bench", Unit.network_id == network_id)
        .group_by(t.c.cycle_id, Unit.id, Unit.name)
    )
    return frame(stmt)


def pseudonym_salt(cycle_id: int) -> str:
    """The cycle's secret salt (never leaves the server): the key of its pseudonyms."""
    return str(
        db.session.scalar(
            sa.select(BenchmarkCycleState.salt).where(BenchmarkCycleState.cycle_id == cycle_id)
        )
        or ""
    )


def pseudonym_positions(cycle_id: int) -> dict[int, int]:
    """unit id → pseudonym position for one cycle (used only server side for labels)."""
    rows = db.session.execute(
        sa.select(BenchmarkPseudonym.unit_id, BenchmarkPseudonym.position).where(
            BenchmarkPseudonym.cycle_id == cycle_id
        )
    )
    return {unit_id: position for unit_id, position in rows}

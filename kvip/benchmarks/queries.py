"""SQL → pandas: every benchmark read. Aggregation happens in the database (``GROUP BY`` over the
summary tables of :mod:`kvip.benchmarks.models` or, for one assessment or one domain, over the
ratings and findings); permissions are SQL conditions (which names and ids a row carries).

Rows about units carry ``position`` (the unit's pseudonym in that cycle), ``own`` (the
viewer's unit), ``name`` (only where the viewer may see it) and ``unit_id``/``assessment_id``
(only where the viewer may see them); labelling happens in :mod:`kvip.benchmarks.dashboards`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from kvip.benchmarks.models import (
    PAIR_COLUMNS,
    BenchmarkPseudonym,
    domain_counts,
    domain_pairs,
    standard_counts,
    standard_pairs,
)
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.standards.models import Domain, Standard
from kvip.visits.models import Finding, Observation, Report, Visit, observation_standards

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
    """The network's cycles, newest first, with how many assessments count in each."""
    completed = (
        sa.select(Visit.id)
        .where(Visit.assessment_id == Assessment.id, Visit.state == "completed")
        .exists()
    )
    counted = (
        sa.select(Assessment.cycle_id, sa.func.count().label("counted"))
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .where(Cycle.network_id == network_id)
        .where(sa.or_(Assessment.state == "submitted", completed))
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
            sa.func.coalesce(counted.c.counted, 0).label("counted"),
        )
        .outerjoin(counted, counted.c.cycle_id == Cycle.id)
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


# --- unit-level summaries ---------------------------------------------------------------------


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


def pseudonym_positions(cycle_id: int) -> dict[int, int]:
    """unit id → pseudonym position for one cycle (used only server side for labels)."""
    rows = db.session.execute(
        sa.select(BenchmarkPseudonym.unit_id, BenchmarkPseudonym.position).where(
            BenchmarkPseudonym.cycle_id == cycle_id
        )
    )
    return {unit_id: position for unit_id, position in rows}


# --- raw rows of one assessment or one domain ---------------------------------------------------


def completed_visits(cycle_id: int) -> Any:
    """SQL subquery (assessment_id, visit_id): each assessment's completed visit in a cycle
    (the latest, should there be several) — the visit whose findings are the benchmark."""
    return (
        sa.select(Visit.assessment_id, sa.func.max(Visit.id).label("visit_id"))
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .where(Assessment.cycle_id == cycle_id, Visit.state == "completed")
        .group_by(Visit.assessment_id)
        .subquery()
    )


def latest_completed_visit(assessment_id: int) -> int | None:
    return db.session.scalar(
        sa.select(sa.func.max(Visit.id)).where(
            Visit.assessment_id == assessment_id, Visit.state == "completed"
        )
    )


def assessment_values(assessment_id: int, edition_id: int) -> pd.DataFrame:
    """Per standard of the edition: the assessment's self value and the visit team's value."""
    visit_id = latest_completed_visit(assessment_id)
    self_values = (
        sa.select(Rating.standard_id, Rating.value)
        .where(Rating.assessment_id == assessment_id)
        .subquery()
    )
    peer_values = (
        sa.select(Finding.standard_id, Finding.value)
        .where(Finding.visit_id == (visit_id if visit_id is not None else -1))
        .subquery()
    )
    stmt = (
        sa.select(
            Standard.id.label("standard_id"),
            self_values.c.value.label("self_value"),
            peer_values.c.value.label("peer_value"),
        )
        .outerjoin(self_values, self_values.c.standard_id == Standard.id)
        .outerjoin(peer_values, peer_values.c.standard_id == Standard.id)
        .where(Standard.edition_id == edition_id)
    )
    df = frame(stmt)
    df["peer_reviewed"] = visit_id is not None
    return df


def domain_cells(cycle_id: int, domain_id: int, filters: Filters, viewer: Viewer) -> pd.DataFrame:
    """Per counted unit × standard of one domain: the benchmark value (findings of the completed
    visit, else the self rating) — the rows of a standards × units heatmap.

    Three small steps rather than one join: the units shown (from the summaries, filters and
    labels applied in SQL), then their findings and ratings through the (visit, standard) and
    (assessment, standard) unique indexes. As one statement, PostgreSQL's planner prefers a
    sequential scan of every cycle's ratings (0.5 s at 1,000 units × 10 cycles)."""
    d = domain_counts
    units = frame(
        sa.select(
            d.c.assessment_id.label("key"),
            d.c.peer_reviewed,
            *_unit_columns(viewer),
        )
        .join(Unit, Unit.id == d.c.unit_id)
        .outerjoin(BenchmarkPseudonym, _pseudonym_join(d.c.cycle_id, d.c.unit_id))
        .where(
            d.c.cycle_id == cycle_id,
            d.c.series == "bench",
            d.c.domain_id == domain_id,
            filters.on_units(),
        )
    )
    columns = [*units.columns, "standard_id", "value"]
    if units.empty:
        return pd.DataFrame(columns=columns)
    std_ids = list(
        db.session.scalars(sa.select(Standard.id).where(Standard.domain_id == domain_id))
    )
    keys = [int(k) for k in units["key"]]
    peer_keys = [int(k) for k, p in zip(units["key"], units["peer_reviewed"], strict=True) if p]
    self_keys = sorted(set(keys) - set(peer_keys))
    parts: list[pd.DataFrame] = []
    for chunk in _chunks(peer_keys):
        latest = dict(
            db.session.execute(
                sa.select(sa.func.max(Visit.id), Visit.assessment_id)
                .where(Visit.assessment_id.in_(chunk), Visit.state == "completed")
                .group_by(Visit.assessment_id)
            ).all()
        )
        findings = frame(
            sa.select(Finding.visit_id, Finding.standard_id, Finding.value).where(
                Finding.visit_id.in_(list(latest)), Finding.standard_id.in_(std_ids)
            )
        )
        findings["key"] = [latest[v] for v in findings["visit_id"].tolist()]
        parts.append(findings[["key", "standard_id", "value"]])
    for chunk in _chunks(self_keys):
        parts.append(
            frame(
                sa.select(
                    Rating.assessment_id.label("key"), Rating.standard_id, Rating.value
                ).where(Rating.assessment_id.in_(chunk), Rating.standard_id.in_(std_ids))
            )
        )
    cells = (
        pd.concat([p for p in parts if not p.empty]) if any(not p.empty for p in parts) else None
    )
    if cells is None:
        return pd.DataFrame(columns=columns)
    return units.merge(cells, on="key", how="inner")[columns]


def _chunks(ids: list[int], size: int = 5000) -> list[list[int]]:
    """Bounded IN lists (SQLite allows 32,766 parameters per statement)."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


# --- observations -----------------------------------------------------------------------------


def observations(
    network_id: int,
    viewer: Viewer,
    *,
    kind: str = "good_practice",
    cycle_id: int | None = None,
    standard_ids: list[int] | None = None,
    standard_code: str | None = None,
    domain_code: str | None = None,
    text: str = "",
    report_states: tuple[str, ...] = ("final",),
    unit_id: int | None = None,
    exclude_unit_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[pd.DataFrame, int]:
    """Observations of visits whose report is in ``report_states`` (final by default), newest
    cycle first, with the standards they name; returns (rows, total matching)."""
    linked_std = aliased(Standard)
    linked = (
        sa.select(observation_standards.c.observation_id)
        .join(linked_std, linked_std.id == observation_standards.c.standard_id)
        .where(observation_standards.c.observation_id == Observation.id)
        .correlate(Observation)
    )
    conditions: list[ColumnElement[bool]] = [
        Observation.kind == kind,
        Cycle.network_id == network_id,
        Report.state.in_(report_states),
    ]
    if cycle_id is not None:
        conditions.append(Assessment.cycle_id == cycle_id)
    if unit_id is not None:
        conditions.append(Assessment.unit_id == unit_id)
    if exclude_unit_id is not None:
        conditions.append(Assessment.unit_id != exclude_unit_id)
    if standard_ids:
        conditions.append(
            linked.where(observation_standards.c.standard_id.in_(standard_ids)).exists()
        )
    if standard_code:
        conditions.append(linked.where(linked_std.code == standard_code).exists())
    if domain_code:
        obs_domain = aliased(Domain)
        std_domain = aliased(Domain)
        own_domain = (
            sa.select(obs_domain.id)
            .where(obs_domain.id == Observation.domain_id, obs_domain.code == domain_code)
            .correlate(Observation)
        )
        via_standard = linked.join(std_domain, std_domain.id == linked_std.domain_id).where(
            std_domain.code == domain_code
        )
        conditions.append(sa.or_(own_domain.exists(), via_standard.exists()))
    if text.strip():
        # The user's words are matched literally: % and _ are not wildcards here.
        words = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(sa.func.lower(Observation.text).like(f"%{words}%", escape="\\"))
    base = (
        sa.select(Observation.id)
        .join(Visit, Visit.id == Observation.visit_id)
        .join(Report, Report.visit_id == Visit.id)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .where(*conditions)
    )
    total = int(db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0)
    stmt = (
        sa.select(
            Observation.id.label("observation_id"),
            Observation.text,
            Observation.domain_id,
            Domain.code.label("domain_code"),
            Domain.title_nb.label("domain_title_nb"),
            Domain.title_en.label("domain_title_en"),
            Assessment.cycle_id,
            Cycle.year,
            Cycle.name.label("cycle_name"),
            *_unit_columns(viewer),
        )
        .join(Visit, Visit.id == Observation.visit_id)
        .join(Report, Report.visit_id == Visit.id)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .outerjoin(Domain, Domain.id == Observation.domain_id)
        .outerjoin(BenchmarkPseudonym, _pseudonym_join(Assessment.cycle_id, Unit.id))
        .where(*conditions)
        .order_by(Cycle.year.desc(), Observation.id)
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    df = frame(stmt)
    links = pd.DataFrame(
        columns=["observation_id", "standard_id", "code", "d_code", "d_title_nb", "d_title_en"]
    )
    if not df.empty:
        links = frame(
            sa.select(
                observation_standards.c.observation_id,
                Standard.id.label("standard_id"),
                Standard.code,
                Domain.code.label("d_code"),
                Domain.title_nb.label("d_title_nb"),
                Domain.title_en.label("d_title_en"),
            )
            .join(Standard, Standard.id == observation_standards.c.standard_id)
            .join(Domain, Domain.id == Standard.domain_id)
            .where(observation_standards.c.observation_id.in_(df["observation_id"].tolist()))
            .order_by(Standard.position)
        )
    by_obs: dict[int, list[Any]] = {}
    link_rows: Any = links.itertuples()
    for link in link_rows:
        by_obs.setdefault(int(link.observation_id), []).append(link)
    obs_ids = [int(i) for i in df["observation_id"]] if not df.empty else []
    df["standard_codes"] = [[str(x.code) for x in by_obs.get(i, [])] for i in obs_ids]
    df["standard_ids"] = [[int(x.standard_id) for x in by_obs.get(i, [])] for i in obs_ids]
    # An observation without a domain of its own belongs to its first standard's domain.
    for column, attr in (
        ("domain_code", "d_code"),
        ("domain_title_nb", "d_title_nb"),
        ("domain_title_en", "d_title_en"),
    ):
        if df.empty:
            continue
        df[column] = [
            value
            if isinstance(value, str) and value
            else (getattr(by_obs[i][0], attr) if by_obs.get(i) else None)
            for value, i in zip(df[column], obs_ids, strict=True)
        ]
    return df, total


def meeting_units(
    cycle_id: int,
    standard_ids: list[int],
    exclude_unit_id: int,
    filters: Filters,
    viewer: Viewer,
) -> pd.DataFrame:
    """For each standard: the units whose benchmark value is ``met`` *and* whose final report
    has a good-practice observation on it (the people to learn from), with the observation."""
    columns = ["standard_id", "observation_id", "text", "position", "own", "name", "unit_id"]
    if not standard_ids:
        return pd.DataFrame(columns=columns)
    completed = completed_visits(cycle_id)
    unit_columns = _unit_columns(viewer)[:4]
    stmt = (
        sa.select(
            observation_standards.c.standard_id,
            Observation.id.label("observation_id"),
            Observation.text,
            *unit_columns,
        )
        .join(Observation, Observation.id == observation_standards.c.observation_id)
        .join(completed, completed.c.visit_id == Observation.visit_id)
        .join(Report, Report.visit_id == Observation.visit_id)
        .join(Assessment, Assessment.id == completed.c.assessment_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .join(
            Finding,
            sa.and_(
                Finding.visit_id == completed.c.visit_id,
                Finding.standard_id == observation_standards.c.standard_id,
            ),
        )
        .outerjoin(BenchmarkPseudonym, _pseudonym_join(Assessment.cycle_id, Unit.id))
        .where(
            observation_standards.c.standard_id.in_(standard_ids),
            Observation.kind == "good_practice",
            Report.state == "final",
            Finding.value == "met",
            Assessment.unit_id != exclude_unit_id,
            filters.on_units(),
        )
        .order_by(observation_standards.c.standard_id, BenchmarkPseudonym.position, Observation.id)
    )
    return frame(stmt)


def observation_counts(cycle_id: int, kinds: tuple[str, ...]) -> pd.DataFrame:
    """Per kind × domain code × standard (None for domain-only observations): how many
    observations of final reports name it, in one cycle (SQL COUNT)."""
    base = (
        sa.select(Observation.id, Observation.kind, Observation.domain_id)
        .join(Visit, Visit.id == Observation.visit_id)
        .join(Report, Report.visit_id == Visit.id)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .where(
            Assessment.cycle_id == cycle_id,
            Report.state == "final",
            Observation.kind.in_(kinds),
        )
        .subquery()
    )
    via_standard = (
        sa.select(
            base.c.kind,
            Domain.code.label("domain_code"),
            Standard.id.label("standard_id"),
            sa.func.count(sa.distinct(base.c.id)).label("n"),
        )
        .join(observation_standards, observation_standards.c.observation_id == base.c.id)
        .join(Standard, Standard.id == observation_standards.c.standard_id)
        .join(Domain, Domain.id == Standard.domain_id)
        .group_by(base.c.kind, Domain.code, Standard.id)
    )
    domain_only = (
        sa.select(
            base.c.kind,
            Domain.code.label("domain_code"),
            sa.null().label("standard_id"),
            sa.func.count().label("n"),
        )
        .join(Domain, Domain.id == base.c.domain_id)
        .where(
            ~sa.select(observation_standards.c.observation_id)
            .where(observation_standards.c.observation_id == base.c.id)
            .exists()
        )
        .group_by(base.c.kind, Domain.code)
    )
    return frame(sa.union_all(via_standard, domain_only))

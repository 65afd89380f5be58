"""Reads of the ratings, findings and observations themselves: one assessment, one domain's
cells, observations — through their indexes."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from kvip.benchmarks.models import (
    BenchmarkPseudonym,
    domain_counts,
)
from kvip.benchmarks.queries.base import Filters, Viewer, _pseudonym_join, _unit_columns, frame
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.standards.models import Domain, Standard
from kvip.visits.models import Finding, Observation, Report, Visit, observation_standards

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
    observations of final reports name it, in one cycle (SQL COUNT).

    One pass: an observation's links to standards are joined (none: its own domain counts),
    not a second scan whose NOT EXISTS made PostgreSQL hash every link of every cycle."""
    std_domain = aliased(Domain)
    own_domain = aliased(Domain)
    domain_code = sa.func.coalesce(std_domain.code, own_domain.code)
    stmt = (
        sa.select(
            Observation.kind,
            domain_code.label("domain_code"),
            Standard.id.label("standard_id"),
            sa.func.count(sa.distinct(Observation.id)).label("n"),
        )
        .join(Visit, Visit.id == Observation.visit_id)
        .join(Report, Report.visit_id == Visit.id)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .outerjoin(observation_standards, observation_standards.c.observation_id == Observation.id)
        .outerjoin(Standard, Standard.id == observation_standards.c.standard_id)
        .outerjoin(std_domain, std_domain.id == Standard.domain_id)
        .outerjoin(own_domain, own_domain.id == Observation.domain_id)
        .where(
            Assessment.cycle_id == cycle_id,
            Report.state == "final",
            Observation.kind.in_(kinds),
            sa.or_(Standard.id.is_not(None), own_domain.id.is_not(None)),
        )
        .group_by(Observation.kind, domain_code, Standard.id)
    )
    return frame(stmt)

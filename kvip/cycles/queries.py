"""Reads of the annual cycle, shaped for pages, exports and the API.

A self-assessment is read with a fixed number of queries whatever its size: one for the
domains, one for the standards, one for the ratings, two for last cycle's values. Every number
comes from :mod:`kvip.scoring`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from kvip import scoring
from kvip.accounts.permissions import member_unit_ids
from kvip.core import dates
from kvip.cycles.models import Assessment, Cycle, CycleState, Rating
from kvip.cycles.progress import Progress, progress_counts, progress_of_rows
from kvip.cycles.services import previous_assessments
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.standards.models import Domain, Standard


@dataclass
class StandardRow:
    """One standard of an assessment with its rating (None fields when unrated)."""

    id: int
    code: str
    type: int
    domain_code: str
    text_nb: str
    text_en: str
    guidance_nb: str
    guidance_en: str
    value: str | None = None
    # How a reviewer checks it (codes of standards.duties.METHODS); empty before kvip-2027.
    methods: list[str] = field(default_factory=list)
    comment: str = ""
    evidence: str = ""
    evidence_links: str = ""
    evidence_kinds: str = ""
    carried_over: bool = False
    version: int = 0
    updated_at: datetime | None = None
    updated_by_id: int | None = None
    rating_id: int | None = None
    previous_value: str | None = None

    @property
    def fresh_value(self) -> str | None:
        """The value as far as completeness goes: a carried-over rating is not fresh."""
        return None if self.carried_over else self.value

    @property
    def changed_since_last_cycle(self) -> bool:
        return self.value is not None and self.value != self.previous_value

    @property
    def links(self) -> list[str]:
        return [line for line in self.evidence_links.split("\n") if line]

    @property
    def kinds(self) -> list[str]:
        return [k for k in self.evidence_kinds.split(",") if k]


@dataclass
class DomainBlock:
    id: int
    code: str
    title_nb: str
    title_en: str
    standards: list[StandardRow] = field(default_factory=list)
    summary: scoring.Summary | None = None  # scores over the current values
    progress: scoring.Summary | None = None  # completeness over fresh values only
    carried_over: int = 0
    # Rated / carried over, not confirmed / not rated: the one set of counts every view shows.
    counts: Progress = field(default_factory=Progress)


@dataclass
class AssessmentData:
    assessment: Assessment
    domains: list[DomainBlock]
    summary: scoring.Summary
    progress: scoring.Summary
    by_type: dict[int, scoring.Summary]
    carried_over: int
    previous_assessment_id: int | None
    # Rated / carried over, not confirmed / not rated: the one set of counts every view shows.
    counts: Progress = field(default_factory=Progress)
    type_counts: dict[int, Progress] = field(default_factory=dict)

    @property
    def standards(self) -> list[StandardRow]:
        return [s for d in self.domains for s in d.standards]


def load_assessment(assessment: Assessment, *, with_previous: bool = True) -> AssessmentData:
    """Every standard of the assessment's edition with its rating, grouped by domain, scored."""
    edition_id = assessment.cycle.edition_id
    domains = [
        DomainBlock(id=d.id, code=d.code, title_nb=d.title_nb, title_en=d.title_en)
        for d in db.session.execute(
            sa.select(Domain.id, Domain.code, Domain.title_nb, Domain.title_en)
            .where(Domain.edition_id == edition_id)
            .order_by(Domain.position, Domain.code)
        )
    ]
    by_domain = {d.id: d for d in domains}
    rows: dict[int, StandardRow] = {}
    for s in db.session.execute(
        sa.select(
            Standard.id,
            Standard.code,
            Standard.type,
            Standard.domain_id,
            Standard.text_nb,
            Standard.text_en,
            Standard.guidance_nb,
            Standard.guidance_en,
            Standard.methods,
        )
        .where(Standard.edition_id == edition_id)
        .order_by(Standard.position, Standard.id)
    ):
        block = by_domain[s.domain_id]
        row = StandardRow(
            id=s.id,
            code=s.code,
            type=s.type,
            domain_code=block.code,
            text_nb=s.text_nb,
            text_en=s.text_en,
            guidance_nb=s.guidance_nb or "",
            guidance_en=s.guidance_en or "",
            methods=list(s.methods or ()),
        )
        block.standards.append(row)
        rows[s.id] = row
    for r in db.session.execute(
        sa.select(
            Rating.id,
            Rating.standard_id,
            Rating.value,
            Rating.comment,
            Rating.evidence,
            Rating.evidence_links,
            Rating.evidence_kinds,
            Rating.carried_over,
            Rating.version,
            Rating.updated_at,
            Rating.updated_by_id,
        ).where(Rating.assessment_id == assessment.id)
    ):
        found = rows.get(r.standard_id)
        if found is None:
            continue
        row = found
        row.rating_id = r.id
        row.value = r.value
        row.comment = r.comment or ""
        row.evidence = r.evidence or ""
        row.evidence_links = r.evidence_links or ""
        row.evidence_kinds = r.evidence_kinds or ""
        row.carried_over = bool(r.carried_over)
        row.version = r.version
        row.updated_at = r.updated_at
        row.updated_by_id = r.updated_by_id
    previous_id = None
    if with_previous:
        previous_id = previous_assessments(
            assessment.cycle.network_id, assessment.cycle.year, [assessment.unit_id]
        ).get(assessment.unit_id)
        if previous_id is not None:
            by_code = {row.code: row for row in rows.values()}
            for code, value in db.session.execute(
                sa.select(Standard.code, Rating.value)
                .join(Standard, Standard.id == Rating.standard_id)
                .where(Rating.assessment_id == previous_id)
            ):
                if code in by_code:
                    by_code[code].previous_value = value
    return _scored(assessment, domains, previous_id)


def _scored(
    assessment: Assessment, domains: list[DomainBlock], previous_id: int | None
) -> AssessmentData:
    values = {s.code: s.value for d in domains for s in d.standards}
    fresh = {s.code: s.fresh_value for d in domains for s in d.standards}
    groups = {d.code: [s.code for s in d.standards] for d in domains}
    domain_scores = scoring.group_summaries(values, groups)
    domain_progress = scoring.group_summaries(fresh, groups)
    for d in domains:
        d.summary = domain_scores[d.code]
        d.progress = domain_progress[d.code]
        d.counts = progress_of_rows((s.value, s.carried_over) for s in d.standards)
        d.carried_over = d.counts.carried_over
    all_rows = [s for d in domains for s in d.standards]
    types = sorted({s.type for s in all_rows})
    by_type = scoring.group_summaries(
        values, {str(t): [s.code for s in all_rows if s.type == t] for t in types}
    )
    return AssessmentData(
        assessment=assessment,
        domains=domains,
        summary=scoring.summary_of(values.values()),
        progress=scoring.summary_of(fresh.values()),
        by_type={int(k): v for k, v in by_type.items()},
        carried_over=sum(d.carried_over for d in domains),
        previous_assessment_id=previous_id,
        counts=sum((d.counts for d in domains), Progress()),
        type_counts={
            t: progress_of_rows((s.value, s.carried_over) for s in all_rows if s.type == t)
            for t in types
        },
    )


def previous_domain_scores(previous_id: int | None) -> dict[str, scoring.Summary]:
    """Scores per domain code of an earlier assessment (for the summary's comparison)."""
    if previous_id is None:
        return {}
    previous = db.session.get(Assessment, previous_id)
    if previous is None:
        return {}
    data = load_assessment(previous, with_previous=False)
    return {d.code: d.summary for d in data.domains if d.summary is not None}


@dataclass(frozen=True)
class AssessmentStatus:
    """One unit's line on a cycle dashboard."""

    assessment: Assessment
    progress: scoring.Summary
    carried_over: int


def _tallies(
    items: list[Assessment],
) -> tuple[dict[int, int], dict[int, dict[tuple[str | None, bool], int]]]:
    """(edition id → number of standards, assessment id → (value, carried) → rows): two grouped
    queries, sized by the assessments asked for."""
    totals: dict[int, int] = dict(
        db.session.execute(
            sa.select(Standard.edition_id, sa.func.count())
            .where(Standard.edition_id.in_({a.cycle.edition_id for a in items}))
            .group_by(Standard.edition_id)
        ).all()
    )
    tallies: dict[int, dict[tuple[str | None, bool], int]] = {a.id: {} for a in items}
    for assessment_id, value, is_carried, n in db.session.execute(
        sa.select(Rating.assessment_id, Rating.value, Rating.carried_over, sa.func.count())
        .where(Rating.assessment_id.in_([a.id for a in items]))
        .group_by(Rating.assessment_id, Rating.value, Rating.carried_over)
    ):
        key = (value, bool(is_carried))
        tallies[assessment_id][key] = tallies[assessment_id].get(key, 0) + n
    return totals, tallies


def counts_of(assessments: Iterable[Assessment]) -> dict[int, Progress]:
    """assessment id → rated / carried over, not confirmed / not rated (one grouped query)."""
    items = list(assessments)
    if not items:
        return {}
    totals, tallies = _tallies(items)
    result = {}
    for a in items:
        by_kind: dict[tuple[bool, bool], int] = {}
        for (value, carried), n in tallies[a.id].items():
            key = (value is not None, carried)
            by_kind[key] = by_kind.get(key, 0) + n
        result[a.id] = progress_counts(by_kind, totals.get(a.cycle.edition_id, 0))
    return result


def progress_of(assessments: Iterable[Assessment]) -> dict[int, tuple[scoring.Summary, int]]:
    """assessment id → (completeness over fresh ratings, carried-over count); one grouped query
    for all of them, sized by the assessments asked for."""
    items = list(assessments)
    if not items:
        return {}
    totals, tallies = _tallies(items)
    result = {}
    for a in items:
        c: dict[str, int] = {}
        carried = 0
        for (value, is_carried), n in tallies[a.id].items():
            if is_carried:
                carried += n
            elif value is not None:
                c[value] = c.get(value, 0) + n
        tally = scoring.Counts(
            met=c.get(scoring.MET, 0),
            partly_met=c.get(scoring.PARTLY, 0),
            not_met=c.get(scoring.NOT_MET, 0),
            not_applicable=c.get(scoring.NA, 0),
            total=totals.get(a.cycle.edition_id, 0),
        )
        result[a.id] = (scoring.summarise(tally), carried)
    return result


def dashboard(cycle: Cycle) -> list[AssessmentStatus]:
    """Every enrolled unit of a cycle with its state, completeness and carried-over count."""
    assessments = db.session.scalars(
        sa.select(Assessment)
        .join(Unit, Unit.id == Assessment.unit_id)
        .where(Assessment.cycle_id == cycle.id)
        .options(sa.orm.contains_eager(Assessment.unit))
        .order_by(Unit.name)
    ).all()
    progress = progress_of(assessments)
    return [AssessmentStatus(a, *progress[a.id]) for a in assessments]


def days_left(cycle: Cycle, today: date | None = None) -> int | None:
    """Days until the self-assessment deadline (negative when past)."""
    if cycle.self_assessment_closes is None:
        return None
    return (cycle.self_assessment_closes - (today or dates.today())).days


def current_assessment(unit_id: int) -> Assessment | None:
    """The unit's assessment in its current cycle: the newest open one, else the newest."""
    return db.session.scalar(
        sa.select(Assessment)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .where(Assessment.unit_id == unit_id, Cycle.state != CycleState.planned.value)
        .order_by((Cycle.state == CycleState.open.value).desc(), Cycle.year.desc())
        .limit(1)
    )


def assessments_of_user(user: Any) -> list[Assessment]:
    """The assessments of the user's own units, newest cycle first."""
    return list(
        db.session.scalars(
            sa.select(Assessment)
            .join(Cycle, Cycle.id == Assessment.cycle_id)
            .where(
                Assessment.unit_id.in_(member_unit_ids(user)),
                Cycle.state != CycleState.planned.value,
            )
            .order_by(Cycle.year.desc(), Assessment.id)
        )
    )

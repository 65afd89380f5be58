"""The network's annual report for one cycle: pseudonymised for every reader (it is shared
beyond the coordinators), as HTML with charts and as PDF (WeasyPrint) with printable bars."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from flask_babel import gettext as _

from kvip import scoring
from kvip.benchmarks import network_page, queries, summaries, survey_pages
from kvip.benchmarks.context import Column, Context, CycleInfo, Pseudonyms, Table, unit_label
from kvip.benchmarks.frames import (
    agreement_of,
    opt,
    rows_of,
    sum_counts,
    total_counts,
    with_scores,
)
from kvip.benchmarks.queries import Filters, Viewer

GOOD_PRACTICE_PER_DOMAIN = 3
MOST_IMPROVED = 10


def anonymous() -> Viewer:
    """Nobody's name, nobody's ids: the annual report's view of every unit."""
    return Viewer(
        named=sa.false(), own=sa.false(), assessment_visible=sa.false(), visit_visible=sa.false()
    )


@dataclass
class DomainFinding:
    code: str
    title: str
    score: float | None
    median: float | None
    q1: float | None
    q3: float | None
    change: float | None
    not_met: list[tuple[str, str, float | None]] = field(default_factory=list)
    good_practice: list[tuple[str, str]] = field(default_factory=list)
    improvement_mentions: int = 0
    good_practice_mentions: int = 0


@dataclass
class AnnualReport:
    ctx: Context
    previous: CycleInfo | None
    suppressed: bool
    facts: dict[str, Any] = field(default_factory=dict)
    domains: list[DomainFinding] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)


def _previous(ctx: Context) -> CycleInfo | None:
    earlier = [
        c
        for c in ctx.cycles
        if (c.year, c.id) < (ctx.cycle.year, ctx.cycle.id)
        and not scoring.suppressed(c.counted, ctx.k)
    ]
    return max(earlier, key=lambda c: (c.year, c.id), default=None)


def _domain_scores(cycle_id: int, viewer: Viewer) -> pd.DataFrame:
    return with_scores(queries.unit_domain_counts(cycle_id, "bench", Filters(), viewer))


@dataclass(frozen=True)
class _CycleFigures:
    """The numbers of one cycle the report is made of, from its summaries (kept in process
    under their revision: only numbers, never labels or texts)."""

    units: int
    peer_reviewed: int
    network: scoring.Summary
    pooled: dict[str, float | None]  # domain code → pooled score
    spread: dict[str, scoring.Distribution]  # domain code → the units' scores
    agreement: scoring.Agreement
    # standard id → its pooled counts and self × peer agreement
    standards: dict[int, tuple[scoring.Counts, scoring.Agreement]]


def _cycle_figures(ctx: Context) -> _CycleFigures:
    return summaries.cached(
        "annual.cycle", ctx.revision, ctx.cycle.id, lambda: _compute_cycle_figures(ctx.cycle.id)
    )


def _compute_cycle_figures(cycle_id: int) -> _CycleFigures:
    viewer = anonymous()
    units = _domain_scores(cycle_id, viewer)
    n_units = units["key"].nunique() if not units.empty else 0
    totals = with_scores(sum_counts(units, ["key", "peer_reviewed"]))
    pooled = with_scores(sum_counts(units, ["domain_code"]))
    spread = {}
    if not units.empty:
        for code, scores in units.groupby("domain_code", sort=False)["score"]:
            spread[str(code)] = scoring.distribution(scores)
    pair_rows = queries.unit_pair_counts(cycle_id, Filters(), viewer)
    overall_pairs = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]
    for r in rows_of(pair_rows):
        table = scoring.pair_table([getattr(r, f"n{i}{j}") for i in range(3) for j in range(3)])
        for i in range(3):
            for j in range(3):
                overall_pairs[i][j] += table[i][j]
    net_std = queries.standard_totals(cycle_id, "bench", Filters())
    pairs = {
        int(r.standard_id): agreement_of(r)
        for r in rows_of(queries.standard_pair_totals(cycle_id, Filters()))
    }
    no_pairs = scoring.Agreement(0, None, None)
    return _CycleFigures(
        units=int(n_units),
        peer_reviewed=int(totals["peer_reviewed"].astype(bool).sum()),
        network=scoring.summarise(total_counts(units)),
        pooled={str(r.domain_code): opt(r.score) for r in rows_of(pooled)},
        spread=spread,
        agreement=scoring.agreement_from_table(overall_pairs),
        standards={
            int(r.standard_id): (
                scoring.counts_of(r._asdict()),
                pairs.get(int(r.standard_id), no_pairs),
            )
            for r in rows_of(net_std)
        },
    )


def _matched(
    ctx: Context, previous: CycleInfo | None
) -> tuple[dict[int, dict[str | None, scoring.Counts]], int]:
    """Counts per cycle (the current one and ``previous``) × domain code (None = all standards)
    over the units counted in both cycles, and how many units that is. Empty when fewer than k
    units are in both: then there is no fair comparison to make."""
    if previous is None:
        return {}, 0
    df = queries.matched_domain_totals(ctx.cycle.id, previous.id)
    units = int(df["units"].max()) if not df.empty else 0
    if scoring.suppressed(units, ctx.k):
        return {}, units
    out: dict[int, dict[str | None, scoring.Counts]] = {}
    for r in rows_of(df):
        per_cycle = out.setdefault(int(r.cycle_id), {})
        counts = scoring.counts_of(r._asdict())
        per_cycle[str(r.domain_code)] = counts
        before = per_cycle.get(None, scoring.Counts())
        per_cycle[None] = scoring.Counts(
            *(getattr(before, c) + getattr(counts, c) for c in queries.COUNT_COLUMNS)
        )
    return out, units


def _score(counts: dict[str | None, scoring.Counts] | None, code: str | None) -> float | None:
    if counts is None or code not in counts:
        return None
    return scoring.score(counts[code])


@dataclass(frozen=True)
class _Changes:
    """Since the previous cycle, from both cycles' summaries (kept in process, numbers only):
    the matched comparison and, per unit that improved, (pseudonym position, before, after,
    change)."""

    matched: dict[int, dict[str | None, scoring.Counts]]
    matched_units: int
    improved: tuple[tuple[int | None, float | None, float | None, float], ...]


def _changes(ctx: Context, previous: CycleInfo | None) -> _Changes:
    if previous is None:
        return _Changes({}, 0, ())
    revision = summaries.ensure_fresh([ctx.cycle.id, previous.id])
    return summaries.cached(
        "annual.changes",
        revision,
        (ctx.cycle.id, previous.id, ctx.k, ctx.network.id),
        lambda: _compute_changes(ctx, previous),
    )


def _compute_changes(ctx: Context, previous: CycleInfo) -> _Changes:
    matched, matched_units = _matched(ctx, previous)
    df = with_scores(
        queries.unit_totals_by_cycle(ctx.network.id, [previous.id, ctx.cycle.id], anonymous())
    )
    positions = queries.pseudonym_positions(ctx.cycle.id)
    before = {int(r.unit_key): opt(r.score) for r in rows_of(df[df["cycle_id"] == previous.id])}
    improved = []
    for r in rows_of(df[df["cycle_id"] == ctx.cycle.id]):
        delta = scoring.change(before.get(int(r.unit_key)), opt(r.score))
        if delta is None or delta <= 0:
            continue
        improved.append(
            (positions.get(int(r.unit_key)), before.get(int(r.unit_key)), opt(r.score), delta)
        )
    return _Changes(matched, matched_units, tuple(improved))


def build(ctx: Context, *, figures: bool = True) -> AnnualReport:
    viewer = anonymous()
    cycle_figures = _cycle_figures(ctx)
    n_units = cycle_figures.units
    report = AnnualReport(ctx, _previous(ctx), scoring.suppressed(int(n_units), ctx.k))
    if report.suppressed:
        report.facts["units"] = int(n_units)
        return report
    previous = report.previous
    # Changes since the previous cycle compare only the units counted in both (like with like).
    changes = _changes(ctx, previous)
    matched, matched_units = changes.matched, changes.matched_units
    before_all = matched.get(previous.id) if previous is not None else None
    after_all = matched.get(ctx.cycle.id)
    network = cycle_figures.network
    report.facts.update(
        units=int(n_units),
        peer_reviewed=cycle_figures.peer_reviewed,
        score=network.score,
        met_pct=network.met_pct,
        matched_units=matched_units,
        previous_units=previous.counted if previous is not None else None,
        matched_before=_score(before_all, None),
        matched_after=_score(after_all, None),
        change=scoring.change(_score(before_all, None), _score(after_all, None)),
        agreement=cycle_figures.agreement,
    )
    # Key findings per domain.
    stds = queries.standards_of(ctx.cycle.edition_id)
    std_counts = cycle_figures.standards
    lang_text = "text_en" if ctx.lang == "en" else "text_nb"
    obs = queries.observation_counts(
        ctx.cycle.id, ("good_practice", "improvement", "recommendation")
    )
    gp, _total = _good_practice(ctx, viewer)
    # Each domain's standards, mentions and good practice in one pass over each frame (never
    # a pandas selection per domain: ~1 ms each).
    stds_in: dict[str, list[Any]] = {}
    for s in rows_of(stds):
        stds_in.setdefault(str(s.domain_code), []).append(s)
    mentions: dict[tuple[str, str], int] = {}
    for r in rows_of(obs):
        key = (str(r.domain_code), str(r.kind))
        mentions[key] = mentions.get(key, 0) + int(r.n)
    pseudonyms = Pseudonyms(ctx.lang)
    practice_in: dict[str, list[tuple[str, str]]] = {}
    for p in rows_of(gp[["domain_code", "position", "text"]] if not gp.empty else gp):
        shown = practice_in.setdefault(str(p.domain_code), [])
        if len(shown) < GOOD_PRACTICE_PER_DOMAIN:
            shown.append((unit_label(None, p.position, pseudonyms), str(p.text)))
    no_spread = scoring.distribution([])
    for d in rows_of(ctx.domains):
        code = str(d.code)
        dist = cycle_figures.spread.get(code, no_spread)
        finding = DomainFinding(
            code=code,
            title=ctx.domain_title(code),
            score=cycle_figures.pooled.get(code),
            median=dist.median,
            q1=dist.q1,
            q3=dist.q3,
            change=scoring.change(_score(before_all, code), _score(after_all, code)),
        )
        in_domain: list[tuple[str, str, float | None]] = []
        for s in stds_in.get(code, ()):
            found = std_counts.get(int(s.standard_id))
            if found is None:
                continue
            pct = scoring.value_pct(found[0], scoring.NOT_MET)
            if pct is not None:
                in_domain.append((str(s.code), str(getattr(s, lang_text)), pct))
        in_domain.sort(key=lambda t: (-(t[2] or 0), t[0]))
        finding.not_met = in_domain[:3]
        finding.improvement_mentions = mentions.get((code, "improvement"), 0)
        finding.good_practice_mentions = mentions.get((code, "good_practice"), 0)
        finding.good_practice = practice_in.get(code, [])
        report.domains.append(finding)
    report.facts["strongest"] = max(
        (f for f in report.domains if f.score is not None), key=lambda f: f.score or 0, default=None
    )
    report.facts["weakest"] = min(
        (f for f in report.domains if f.score is not None), key=lambda f: f.score or 0, default=None
    )
    report.facts["good_practice"] = int(_total)
    _trends(report, figures)
    _most_improved(report, previous, changes)
    _themes(report, obs, stds, lang_text)
    _by_standard(report, stds, std_counts, lang_text)
    report.tables.update(survey_pages.annual_tables(ctx))
    return report


GOOD_PRACTICE_READ = 2000  # the report picks each domain's examples among the first 2,000
GOOD_PRACTICE_FIRST = 200


def _good_practice(ctx: Context, viewer: Viewer) -> tuple[pd.DataFrame, int]:
    """The cycle's good-practice observations the domains' examples are picked from (the
    first :data:`GOOD_PRACTICE_READ`, oldest first) and how many there are. The first
    :data:`GOOD_PRACTICE_FIRST` are read first: enough when they hold every domain's examples
    (the usual case), so the texts and standards of the other ~2,000 are not read for nothing."""
    gp, total = queries.observations(
        ctx.network.id,
        viewer,
        kind="good_practice",
        cycle_id=ctx.cycle.id,
        limit=GOOD_PRACTICE_FIRST,
    )
    if total <= GOOD_PRACTICE_FIRST:
        return gp, total
    found = gp["domain_code"].value_counts() if not gp.empty else pd.Series(dtype=int)
    if all(found.get(str(code), 0) >= GOOD_PRACTICE_PER_DOMAIN for code in ctx.domains["code"]):
        return gp, total
    return queries.observations(
        ctx.network.id,
        viewer,
        kind="good_practice",
        cycle_id=ctx.cycle.id,
        limit=GOOD_PRACTICE_READ,
    )


def _trends(report: AnnualReport, figures: bool) -> None:
    ctx = report.ctx
    shown = [c for c in ctx.cycles if (c.year, c.id) <= (ctx.cycle.year, ctx.cycle.id)]
    table, figure = network_page.trend_table(
        ctx, shown, Filters(), figures=figures, skip_small=True
    )
    report.tables["trends"] = table
    if figure:
        report.figures["trends"] = figure


def _most_improved(report: AnnualReport, previous: CycleInfo | None, changes: _Changes) -> None:
    ctx = report.ctx
    pseudonyms = Pseudonyms(ctx.lang)
    rows: list[dict[str, Any]] = [
        {
            "unit": unit_label(None, position, pseudonyms),
            "before": before,
            "after": after,
            "change": delta,
        }
        for position, before, after, delta in changes.improved
    ]
    rows.sort(key=lambda r: (-r["change"], r["unit"]))
    report.tables["most_improved"] = Table(
        name="most_improved",
        title=_("Most improved units"),
        columns=[
            Column("unit", _("Unit")),
            Column("before", previous.name if previous else _("Previous cycle"), "score"),
            Column("after", ctx.cycle.name, "score"),
            Column("change", _("Change (points)"), "score"),
        ],
        rows=rows[:MOST_IMPROVED],
        note=_("Units are pseudonymised with this cycle's labels."),
    )


def _themes(report: AnnualReport, obs: pd.DataFrame, stds: pd.DataFrame, lang_text: str) -> None:
    ctx = report.ctx
    rows = []
    if not obs.empty:
        text_of = {
            int(r.standard_id): (str(r.code), str(getattr(r, lang_text))) for r in rows_of(stds)
        }
        imp = obs[(obs["kind"] == "improvement") & obs["standard_id"].notna()]
        imp = imp.sort_values(["n", "standard_id"], ascending=[False, True]).head(15)
        for r in rows_of(imp):
            code, text = text_of.get(int(r.standard_id), ("?", ""))
            rows.append(
                {
                    "code": code,
                    "standard": text,
                    "domain": ctx.domain_title(str(r.domain_code)),
                    "n": int(r.n),
                }
            )
    report.tables["themes"] = Table(
        name="themes",
        title=_("Themes: standards most often named as areas for improvement"),
        columns=[
            Column("code", _("Standard")),
            Column("standard", _("Text")),
            Column("domain", _("Domain")),
            Column("n", _("Review teams naming it"), "int"),
        ],
        rows=rows,
    )


def _by_standard(
    report: AnnualReport,
    stds: pd.DataFrame,
    std_counts: dict[int, tuple[scoring.Counts, scoring.Agreement]],
    lang_text: str,
) -> None:
    rows = []
    for s in rows_of(stds):
        found = std_counts.get(int(s.standard_id))
        if found is None:
            continue
        counts, a = found
        rows.append(
            {
                "code": s.code,
                "standard": getattr(s, lang_text),
                "applicable": counts.applicable,
                "met_pct": scoring.value_pct(counts, scoring.MET),
                "partly_pct": scoring.value_pct(counts, scoring.PARTLY),
                "not_met_pct": scoring.value_pct(counts, scoring.NOT_MET),
                "score": scoring.score(counts),
                "kappa": a.kappa_shown,  # "–" where one side is constant (kappa paradox)
                "ac2": a.ac2,
            }
        )
    report.tables["by_standard"] = Table(
        name="by_standard",
        title=_("Aggregated data by standard"),
        columns=[
            Column("code", _("Standard")),
            Column("standard", _("Text")),
            Column("applicable", _("Applicable in units"), "int"),
            Column("met_pct", _("Met %"), "score"),
            Column("partly_pct", _("Partly met %"), "score"),
            Column("not_met_pct", _("Not met %"), "score"),
            Column("score", _("Score"), "score"),
            Column("kappa", _("Self-vs-peer kappa"), "kappa"),
            Column("ac2", _("Gwet's AC2 (weighted)"), "kappa"),
        ],
        rows=rows,
    )

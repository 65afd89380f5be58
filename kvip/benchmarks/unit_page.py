"""The unit's benchmark: its scores against the network, its trend, where it differs most,
and who to learn from. Others are pseudonymised unless the viewer may see names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from flask_babel import gettext as _

from kvip import scoring
from kvip.benchmarks import charts, lineage, queries, summaries
from kvip.benchmarks.context import (
    Column,
    Context,
    Table,
    add_labels,
    filters_offered_in,
    format_number,
    source_label,
)
from kvip.benchmarks.frames import (
    index_by,
    opt,
    records,
    rows_of,
    sum_counts,
    total_counts,
    with_scores,
)
from kvip.benchmarks.queries import Filters
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.network.models import Unit

IMPROVEMENT_VALUES = ("not_met", "partly_met")
TOP_DIFFERENCES = 10


@dataclass
class LearnEntry:
    label: str
    text: str
    observation_id: int | None = None  # what an "ask to learn" request refers to


@dataclass
class Area:
    """One area for improvement and the units to learn from."""

    standard_id: int
    code: str
    text: str
    type: int
    value: str | None
    flagged_by_team: bool
    met: int
    applicable: int
    learn_from: list[LearnEntry] = field(default_factory=list)


@dataclass
class UnitDashboard:
    ctx: Context
    unit: Unit
    assessment_id: int | None
    counted: bool
    peer_reviewed: bool
    overall: scoring.Summary | None
    network_median: float | None
    tables: dict[str, Table] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    areas: list[Area] = field(default_factory=list)

    @property
    def source(self) -> str:
        return source_label(self.peer_reviewed)


def _fmt(value: float | None) -> str:
    return format_number(value)


def _middle(dist: scoring.Distribution) -> str:
    """Q1–Q3 as text for the screen (the export has both numbers)."""
    if dist.q1 is None or dist.q3 is None:
        return "–"
    return f"{format_number(dist.q1)}–{format_number(dist.q3)}"


def build(ctx: Context, unit: Unit, *, figures: bool = True) -> UnitDashboard:
    """Everything the unit dashboard shows, computed from summaries by the scoring module."""
    cycle = ctx.cycle
    assessment_id = db.session.scalar(
        sa.select(Assessment.id).where(
            Assessment.cycle_id == cycle.id, Assessment.unit_id == unit.id
        )
    )
    own = queries.unit_domain_counts(cycle.id, None, Filters(), ctx.viewer, only_unit_id=unit.id)
    own = with_scores(own)
    counted = not own.empty
    peer_reviewed = bool(counted and own["peer_reviewed"].astype(bool).any())
    own_overall = None
    if counted:
        own_overall = scoring.summarise(total_counts(own[own["series"] == "bench"]))
    dash = UnitDashboard(
        ctx=ctx,
        unit=unit,
        assessment_id=assessment_id,
        counted=counted,
        peer_reviewed=peer_reviewed,
        overall=own_overall,
        network_median=None,
    )
    _domains(dash, own, figures)
    _trend(dash, figures)
    if counted and assessment_id is not None and not ctx.suppressed:
        values = queries.assessment_values(assessment_id, cycle.edition_id)
        standards = queries.standards_of(cycle.edition_id)
        _differences(dash, values, standards, figures)
        _areas(dash, values, standards)
    return dash


def _domains(dash: UnitDashboard, own: pd.DataFrame, figures: bool) -> None:
    ctx = dash.ctx
    group = pd.DataFrame()
    if not ctx.suppressed:
        group = add_labels(
            with_scores(
                queries.unit_domain_counts(ctx.cycle.id, ctx.series, ctx.filters, ctx.viewer)
            ),
            ctx.pseudonyms,
        )
        overall = with_scores(sum_counts(group, ["key"]))
        dash.network_median = scoring.distribution(overall["score"]).median
    rows: list[dict[str, Any]] = []
    chart_rows: list[charts.DomainRow] = []
    mine = index_by(own, "series", "domain_code")
    by_domain: dict[str, list[dict[str, Any]]] = {}
    for r in records(group):
        by_domain.setdefault(str(r["domain_code"]), []).append(r)

    def score_of(series: str, code: str) -> float | None:
        row = mine.get((series, code))
        return None if row is None else opt(row["score"])

    for domain in rows_of(ctx.domains):
        code = str(domain.code)
        title = ctx.domain_title(code)
        own_series = score_of(ctx.series, code)
        in_domain = by_domain.get(code, [])
        dist = scoring.distribution(opt(r["score"]) for r in in_domain)
        rows.append(
            {
                "domain": title,
                "score": score_of("bench", code),
                "source": source_label(dash.peer_reviewed) if dash.counted else "–",
                "self": score_of("self", code),
                "peer": score_of("peer", code),
                "median": dist.median,
                "q1": dist.q1,
                "q3": dist.q3,
                "middle": _middle(dist),
                "units": dist.n,
                "difference": scoring.change(dist.median, own_series),
            }
        )
        others = [
            charts.Point(r["label"], opt(r["score"]), f"{r['label']}: {_fmt(opt(r['score']))}")
            for r in in_domain
            if not r["own"]
        ]
        own_label = dash.unit.name
        chart_rows.append(
            charts.DomainRow(
                box=charts.BoxStats(title, dist.median, dist.q1, dist.q3, dist.low, dist.high),
                others=others,
                own=charts.Point(
                    own_label,
                    own_series,
                    f"{own_label}: {_fmt(own_series)}",
                    tag=format_number(own_series),
                )
                if own_series is not None
                else None,
            )
        )
    dash.tables["domains"] = Table(
        name="domains",
        title=_("Scores per domain"),
        columns=[
            Column("domain", _("Domain")),
            Column("score", _("Your score"), "score"),
            Column("source", _("Source")),
            Column("self", _("Self-assessment"), "score"),
            Column("peer", _("Peer review"), "score"),
            Column("median", _("Network median"), "score"),
            Column("middle", _("Middle half of the units"), screen=True, export=False),
            Column("q1", _("Lower quartile"), "score", screen=False),
            Column("q3", _("Upper quartile"), "score", screen=False),
            Column("units", _("Units compared"), "int"),
            Column("difference", _("Difference from median"), "score"),
        ],
        rows=rows,
        note=_("Difference = your score in the chosen series minus the network median."),
    )
    if figures:
        dash.figures["domains"] = charts.to_json(
            charts.domain_distribution(
                chart_rows,
                title=_("Your scores per domain and the network's spread"),
                own_name=dash.unit.name,
                others_name=_("Other units"),
                network_name=_("Network (median and quartiles)"),
            )
        )


def _trend(dash: UnitDashboard, figures: bool) -> None:
    """The unit's score per cycle, overall and per domain, beside the network's. Cycles on an
    earlier edition are restated on the standards of the newest one through the mapping
    (:mod:`kvip.benchmarks.lineage`); where standards changed meaning the chart and the table
    say so."""
    ctx = dash.ctx
    cycle_ids = [c.id for c in ctx.cycles]
    revision = summaries.ensure_fresh(cycle_ids)
    lin = lineage.build(ctx.cycles)
    own_raw = queries.unit_domain_trend(dash.unit.id, ctx.series)
    net_raw = queries.network_domain_trend(ctx.network.id, ctx.series, ctx.filters)
    own_per_std: dict[int, dict[int, dict[str, int]]] = {}
    if lin.crosses_editions:
        own_per_std = lineage.unit_standard_counts(
            dash.unit.id, ctx.cycles, ctx.series, only_other_editions=lin
        )
        own_raw = lineage.restate_domains(own_raw, ctx.cycles, lin, own_per_std)
        net_raw = lineage.restate_domains(
            net_raw,
            ctx.cycles,
            lin,
            lineage.network_standard_counts(ctx.cycles, ctx.series, ctx.filters, lin),
        )
    own = with_scores(own_raw)
    own_total = with_scores(sum_counts(own, ["cycle_id", "year", "cycle_name"]))
    net = with_scores(net_raw)
    net_units = net.groupby("cycle_id")["units"].max().to_dict() if not net.empty else {}
    net_total = with_scores(sum_counts(net, ["cycle_id", "year", "cycle_name"]))
    order = sorted(ctx.cycles, key=lambda c: (c.year, c.id))
    names = [str(c.year) for c in order]
    scores = {
        "own": index_by(own, "cycle_id", "domain_code"),
        "own_total": index_by(own_total, "cycle_id"),
        "net": index_by(net, "cycle_id", "domain_code"),
        "net_total": index_by(net_total, "cycle_id"),
    }

    def lookup(which: str, cycle_id: int, code: str | None) -> float | None:
        table = scores[which if code is not None else f"{which}_total"]
        row = table.get(cycle_id if code is None else (cycle_id, code))
        return None if row is None else opt(row["score"])

    # The network's spread per cycle: median and quartiles of the units' scores (overall and
    # per domain), for cycles on the basis edition (a restated cycle's units are not restated
    # one by one; its pooled score stays in the table).
    restated_ids = tuple(
        c.id for c in order if lin.crosses_editions and c.edition_id != lin.basis_edition_id
    )
    network_id, series, filters = ctx.network.id, ctx.series, ctx.filters
    # The same for every unit of the network: kept under the summaries' revision.
    spreads_of = summaries.cached(
        "unit_spreads",
        revision,
        (network_id, series, filters, restated_ids),
        lambda: _spreads(network_id, series, filters, restated_ids),
    )

    def spread(cycle_id: int, code: str | None) -> scoring.Distribution | None:
        if not offered[cycle_id] or scoring.suppressed(int(net_units.get(cycle_id, 0)), ctx.k):
            return None
        units, dist = spreads_of.get((cycle_id, code), (0, None))
        if dist is None or scoring.suppressed(units, ctx.k):
            return None
        return dist

    # A filtered network line of another cycle only where the same filters are offered there
    # (the offered set is chosen per cycle; otherwise subtracting lines could single out a unit).
    offered = {c.id: filters_offered_in(ctx, c.id) for c in order}

    def network_value(cycle_id: int, code: str | None) -> float | None:
        if not offered[cycle_id] or scoring.suppressed(int(net_units.get(cycle_id, 0)), ctx.k):
            return None
        return lookup("net", cycle_id, code)

    bounds = {b.cycle_id: b for b in lineage.boundaries(ctx.cycles, lin)}
    basis_slug = lin.slugs.get(lin.basis_edition_id, "")
    restated = {
        c.id for c in order if lin.crosses_editions and c.edition_id != lin.basis_edition_id
    }
    rows = []
    panels = []
    panel_marks: list[list[charts.Mark]] = []
    codes: list[str | None] = [None, *[str(c) for c in ctx.domains["code"]]]
    for code in codes:
        title = _("All standards") if code is None else ctx.domain_title(code)
        mine = [lookup("own", c.id, code) for c in order]
        theirs = [network_value(c.id, code) for c in order]
        spreads = [spread(c.id, code) for c in order]
        panels.append(
            charts.TrendPanel(
                title,
                names,
                median=[d.median if d else None for d in spreads],
                q1=[d.q1 if d else None for d in spreads],
                q3=[d.q3 if d else None for d in spreads],
                own=mine,
            )
        )
        marks = []
        for c, name, m, t in zip(order, names, mine, theirs, strict=True):
            bound = bounds.get(c.id)
            changed = bound.codes(code) if bound else []
            if changed and (m is not None or t is not None):
                marks.append(
                    charts.Mark(
                        name,
                        m if m is not None else t,  # type: ignore[arg-type]
                        lineage.meaning_note(bound.edition_slug, changed),  # type: ignore[union-attr]
                    )
                )
        panel_marks.append(marks)
        for c, m, t, d in zip(order, mine, theirs, spreads, strict=True):
            if m is None and t is None:
                continue
            notes = []
            if c.id in restated:
                notes.append(
                    _(
                        "Restated on the standards of %(edition)s through the mapping.",
                        edition=basis_slug,
                    )
                )
            bound = bounds.get(c.id)
            if bound is not None:
                changed = bound.codes(code)
                notes.append(
                    lineage.meaning_note(bound.edition_slug, changed)
                    if changed
                    else _("New edition %(edition)s from this cycle.", edition=bound.edition_slug)
                )
            rows.append(
                {
                    "cycle": c.name,
                    "domain": title,
                    "score": m,
                    "network": t,
                    "median": d.median if d else None,
                    "q1": d.q1 if d else None,
                    "q3": d.q3 if d else None,
                    "note": " ".join(notes),
                }
            )
    dash.tables["trend"] = Table(
        name="trend",
        title=_("Trend over cycles"),
        columns=[
            Column("cycle", _("Cycle")),
            Column("domain", _("Domain")),
            Column("score", _("Your score"), "score"),
            Column("network", _("Network score"), "score"),
            Column("note", _("Note")),
            Column("median", _("Network median"), "score"),
            Column("q1", _("Lower quartile"), "score"),
            Column("q3", _("Upper quartile"), "score"),
        ],
        rows=rows,
        note=_(
            "Network score: all units' ratings pooled. Across editions, standards and domains are followed through the mapping between the editions: merged standards are pooled, a split standard continues into each part, dropped and new standards break the line."
        ),
    )
    if figures:
        dash.figures["trend"] = charts.to_json(
            charts.trend_bands(
                panels,
                title=_("Your trend over cycles"),
                own_name=dash.unit.name,
                median_name=_("Network median"),
                band_name=_("Middle half of the units"),
                marks=panel_marks,
                marks_name=_("Standards changed meaning"),
            )
        )
    _standard_trend(dash, lin, order, own_per_std)


def _spreads(
    network_id: int, series: str, filters: Any, restated_ids: tuple[int, ...]
) -> dict[tuple[int, str | None], tuple[int, scoring.Distribution]]:
    """Per (cycle, domain code; None for all standards): how many units have a score row and
    the distribution of their scores. Restated cycles are left out (their units are not
    restated one by one). One pass over the rows instead of a selection per cycle and domain."""
    raw = queries.unit_spread_trend(network_id, series, filters)
    raw = raw[~raw["cycle_id"].isin(restated_ids)]
    if raw.empty:
        return {}
    groups: dict[tuple[int, str | None], list[float | None]] = {}
    units = with_scores(raw)
    for cycle_id, code, score in zip(
        units["cycle_id"].tolist(),
        units["domain_code"].tolist(),
        units["score"].tolist(),
        strict=True,
    ):
        groups.setdefault((int(cycle_id), str(code)), []).append(opt(score))
    totals = with_scores(sum_counts(raw, ["cycle_id", "key"]))
    for cycle_id, score in zip(totals["cycle_id"].tolist(), totals["score"].tolist(), strict=True):
        groups.setdefault((int(cycle_id), None), []).append(opt(score))
    return {key: (len(scores), scoring.distribution(scores)) for key, scores in groups.items()}


def _standard_trend(
    dash: UnitDashboard,
    lin: lineage.Lineage,
    order: list[Any],
    other_editions: dict[int, dict[int, dict[str, int]]],
) -> None:
    """The unit's score per standard (of the newest edition) in every cycle: a standard's
    earlier cycles show the standards it continues (pooled where several were merged)."""
    ctx = dash.ctx
    per_cycle = dict(other_editions)
    basis_cycles = [c for c in order if c.edition_id == lin.basis_edition_id]
    # Only cycles the unit's own assessment counts in (submitted or peer-reviewed).
    per_cycle.update(
        lineage.unit_standard_counts(
            dash.unit.id, basis_cycles, ctx.series, only_other_editions=None
        )
    )
    shown = [c for c in order if c.id in per_cycle]
    if not shown or not lin.basis_order:
        return
    texts = {
        int(r.standard_id): (r.text_en if ctx.lang == "en" else r.text_nb)
        for r in rows_of(queries.standards_of(lin.basis_edition_id))
    }
    bounds = lineage.boundaries(ctx.cycles, lin)
    rows = []
    for std_id in lin.basis_order:
        row: dict[str, Any] = {"code": lin.codes[std_id], "standard": texts.get(std_id, "")}
        for c in shown:
            counts = lineage.restated_standard(lin, std_id, c.edition_id, per_cycle[c.id])
            row[f"c{c.id}"] = scoring.score(counts) if counts is not None else None
        notes = []
        earlier = lin.continued_codes(std_id)
        if earlier:
            notes.append(
                "; ".join(
                    _("in %(edition)s: %(codes)s", edition=slug, codes=", ".join(codes))
                    if codes
                    else _("new after %(edition)s", edition=slug)
                    for slug, codes in earlier
                )
            )
        for bound in bounds:
            if lin.codes[std_id] in bound.codes(lin.basis_domain[std_id]):
                notes.append(_("meaning changed from %(edition)s", edition=bound.edition_slug))
        row["note"] = " · ".join(notes)
        rows.append(row)
    dash.tables["standard_trend"] = Table(
        name="standard_trend",
        title=_("Your score per standard over cycles"),
        columns=[
            Column("code", _("Standard")),
            Column("standard", _("Text")),
            *[Column(f"c{c.id}", c.name, "score") for c in shown],
            Column("note", _("Earlier codes and changes")),
        ],
        rows=rows,
        note=_(
            "Score of one standard: met 100, partly met 50, not met 0. Cycles on an earlier edition show the standards this one continues (through the mapping); where several were merged, their ratings are pooled."
        ),
    )


def _differences(
    dash: UnitDashboard, values: pd.DataFrame, standards: pd.DataFrame, figures: bool
) -> None:
    ctx = dash.ctx
    net = with_scores(queries.standard_totals(ctx.cycle.id, ctx.series, ctx.filters))
    net_by_id = {int(r.standard_id): r for r in rows_of(net)}
    vals = {int(r.standard_id): r for r in rows_of(values)}
    rows = []
    for std in rows_of(standards):
        mine = vals.get(int(std.standard_id))
        if mine is None:
            continue
        value = _series_value(mine, ctx.series)
        own_points = scoring.summary_of([value]).score
        other = net_by_id.get(int(std.standard_id))
        network_score = opt(other.score) if other is not None else None
        diff = scoring.change(network_score, own_points)
        if diff is None:
            continue
        rows.append(
            {
                "code": std.code,
                "standard": std.text_en if ctx.lang == "en" else std.text_nb,
                "value": value,
                "points": own_points,
                "network": network_score,
                "network_met": opt(other.met_pct) if other is not None else None,
                "difference": diff,
            }
        )
    behind = sorted((r for r in rows if r["difference"] < 0), key=lambda r: r["difference"])
    ahead = sorted((r for r in rows if r["difference"] > 0), key=lambda r: -r["difference"])
    chosen = behind[:TOP_DIFFERENCES] + ahead[:TOP_DIFFERENCES]
    dash.tables["differences"] = Table(
        name="differences",
        title=_("Standards where you differ most from the network"),
        columns=[
            Column("code", _("Standard")),
            Column("standard", _("Text")),
            Column("value", _("Your rating"), "value"),
            Column("points", _("Your score"), "score"),
            Column("network", _("Network score"), "score"),
            Column("network_met", _("Network met %"), "score"),
            Column("difference", _("Difference"), "score"),
        ],
        rows=chosen,
        note=_(
            "Score of one standard: met 100, partly met 50, not met 0. Network: all units pooled."
        ),
    )
    if figures and chosen:
        dash.figures["differences"] = charts.to_json(
            charts.diverging(
                [
                    charts.Bar(r["code"], r["difference"], f"{r['code']}: {_fmt(r['difference'])}")
                    for r in chosen
                ],
                title=_("Your score minus the network's, per standard"),
                x_title=_("Percentage points"),
            )
        )


def _series_value(row: Any, series: str) -> str | None:
    if series == "self":
        return row.self_value
    if series == "peer":
        return row.peer_value
    return row.peer_value if row.peer_reviewed else row.self_value


def _areas(dash: UnitDashboard, values: pd.DataFrame, standards: pd.DataFrame) -> None:
    ctx = dash.ctx
    by_id = {int(r.standard_id): r for r in rows_of(standards)}
    own_values = {int(r.standard_id): _series_value(r, "bench") for r in rows_of(values)}
    flagged: set[int] = set()
    improvement, _total = queries.observations(
        ctx.network.id,
        ctx.viewer,
        kind="improvement",
        cycle_id=ctx.cycle.id,
        unit_id=dash.unit.id,
        report_states=("shared_with_unit", "final"),
    )
    for ids in improvement.get("standard_ids", []):
        flagged.update(int(i) for i in ids)
    area_ids = [sid for sid in by_id if own_values.get(sid) in IMPROVEMENT_VALUES or sid in flagged]
    net = queries.standard_totals(ctx.cycle.id, "bench", ctx.filters)
    net_by_id = {int(r.standard_id): scoring.counts_of(r._asdict()) for r in rows_of(net)}
    learn = add_labels(
        queries.meeting_units(ctx.cycle.id, area_ids, dash.unit.id, ctx.filters, ctx.viewer),
        ctx.pseudonyms,
    )
    entries: dict[int, list[LearnEntry]] = {}
    for r in rows_of(learn):
        entries.setdefault(int(r.standard_id), []).append(
            LearnEntry(r.label, r.text, int(r.observation_id))
        )
    areas = []
    for sid in area_ids:
        std = by_id[sid]
        counts = net_by_id.get(sid, scoring.Counts())
        areas.append(
            Area(
                standard_id=sid,
                code=str(std.code),
                text=str(std.text_en if ctx.lang == "en" else std.text_nb),
                type=int(std.type),
                value=own_values.get(sid),
                flagged_by_team=sid in flagged,
                met=counts.met,
                applicable=counts.applicable,
                learn_from=entries.get(sid, []),
            )
        )
    rank = {"not_met": 0, "partly_met": 1}
    areas.sort(key=lambda a: (not a.learn_from, a.type, rank.get(a.value or "", 2)))
    dash.areas = areas
    dash.tables["learn"] = Table(
        name="learn",
        title=_("Who to learn from"),
        columns=[
            Column("code", _("Standard")),
            Column("standard", _("Text")),
            Column("value", _("Your rating"), "value"),
            Column("flagged", _("Named by the review team")),
            Column("met", _("Units that meet it"), "int"),
            Column("applicable", _("Units where it applies"), "int"),
            Column("learn", _("Good practice from")),
        ],
        rows=[
            {
                "code": a.code,
                "standard": a.text,
                "value": a.value,
                "flagged": _("Yes") if a.flagged_by_team else "",
                "met": a.met,
                "applicable": a.applicable,
                "learn": " | ".join(f"{e.label}: {e.text}" for e in a.learn_from),
            }
            for a in areas
        ],
    )

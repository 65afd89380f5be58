"""The coordinator's benchmarks (named): domains across units, funnel plots instead of league
tables, the standards × units heatmap, trends over cycles, and self-vs-peer agreement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from flask_babel import gettext as _

from kvip import scoring
from kvip.benchmarks import charts, lineage, queries, summaries
from kvip.benchmarks.context import (
    Column,
    Context,
    Table,
    add_labels,
    source_label,
    value_labels,
)
from kvip.benchmarks.frames import agreement_of, index_by, opt, rows_of, sum_counts, with_scores
from kvip.benchmarks.queries import COUNT_COLUMNS, Filters
from kvip.cycles.vocabulary import rating_labels
from kvip.network.labels import unit_kind_labels

TOP_NOT_MET = 20
REWORDING = 10


@dataclass
class NetworkDashboard:
    ctx: Context
    tables: dict[str, Table] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def position_labels() -> dict[str, str]:
    return {
        "within": _("Within the limits"),
        "above95": _("Above the limit at 95 %"),
        "above998": _("Above the limit at 99.8 %"),
        "below95": _("Below the limit at 95 %"),
        "below998": _("Below the limit at 99.8 %"),
    }


def _unit_frame(ctx: Context) -> pd.DataFrame:
    return add_labels(
        with_scores(queries.unit_domain_counts(ctx.cycle.id, ctx.series, ctx.filters, ctx.viewer)),
        ctx.pseudonyms,
    )


# --- overview: domains across units, funnel plot, groups ---------------------------------------


def overview(
    ctx: Context, *, funnel_domain: str | None = None, figures: bool = True
) -> NetworkDashboard:
    dash = NetworkDashboard(ctx)
    if ctx.suppressed:
        return dash
    units = _unit_frame(ctx)
    totals = with_scores(sum_counts(units, ["key", "label", "kind", "region", "peer_reviewed"]))
    # Funnel: met % against applicable standards (all, or one domain).
    source = units[units["domain_code"] == funnel_domain] if funnel_domain else totals
    points = [(r.label, int(r.met), int(r.applicable)) for r in rows_of(source)]
    p_bar = scoring.pooled_proportion([(m, n) for _, m, n in points])
    positions: dict[str, str] = {}
    if p_bar is not None:
        n_max = max(n for _, _, n in points)
        data = charts.FunnelData(
            p_bar=p_bar,
            points=[
                (label, n, 100.0 * m / n if n else 0.0, scoring.funnel_position(p_bar, n, m))
                for label, m, n in points
                if n > 0
            ],
            limits95=scoring.funnel_curve(p_bar, n_max, scoring.Z95),
            limits998=scoring.funnel_curve(p_bar, n_max, scoring.Z998),
        )
        positions = {label: pos for label, _, _, pos in data.points}
        dash.facts["p_bar"] = 100 * p_bar
        if figures:
            dash.figures["funnel"] = charts.to_json(
                charts.funnel(
                    data,
                    title=_("Funnel plot: met % against the number of applicable standards")
                    + (f" – {ctx.domain_title(funnel_domain)}" if funnel_domain else ""),
                    labels={
                        "limit95": _("Limits at 95 %"),
                        "limit998": _("Limits at 99.8 %"),
                        "network": _("Network average"),
                        "units": _("Units"),
                        **position_labels(),
                        "within": _("Units within the limits"),
                        "x": _("Applicable standards (n)"),
                        "y": _("Met %"),
                    },
                    label_outliers=ctx.named,
                )
            )
    kinds = unit_kind_labels()
    codes = [str(c) for c in ctx.domains["code"]]
    domain_scores = {(r.key, r.domain_code): opt(r.score) for r in rows_of(units)}
    pos_labels = position_labels()
    rows = []
    for r in rows_of(totals.sort_values("label")):
        met_pct = opt(r.met_pct)
        row: dict[str, Any] = {
            "unit": r.label,
            "kind": kinds.get(r.kind, r.kind),
            "region": r.region,
            "source": source_label(bool(r.peer_reviewed)),
            "score": opt(r.score),
            "met_pct": met_pct,
            "applicable": int(r.applicable),
            "position": pos_labels.get(positions.get(r.label, ""), "–")
            if not funnel_domain
            else "–",
        }
        for code in codes:
            row[f"d{code}"] = domain_scores.get((r.key, code))
        rows.append(row)
    dash.tables["units"] = Table(
        name="units",
        title=_("Units (alphabetical – not a ranking)"),
        columns=[
            Column("unit", _("Unit")),
            Column("kind", _("Kind of unit")),
            Column("region", _("Region")),
            Column("source", _("Source")),
            Column("score", _("Score"), "score"),
            Column("met_pct", _("Met %"), "score"),
            Column("applicable", _("Applicable"), "int"),
            Column("position", _("Funnel plot")),
            *[Column(f"d{code}", _("Domain %(code)s", code=code), "score") for code in codes],
        ],
        rows=rows,
    )
    # Small multiples: each domain's spread across units.
    panels = []
    for code in codes:
        sel = units[units["domain_code"] == code]
        dist = scoring.distribution(sel["score"])
        title = ctx.domain_title(code)
        panels.append(
            charts.DomainRow(
                box=charts.BoxStats(title, dist.median, dist.q1, dist.q3, dist.low, dist.high),
                others=[
                    charts.Point(r.label, opt(r.score), f"{r.label}: {_fmt(opt(r.score))}")
                    for r in rows_of(sel)
                ],
            )
        )
    if figures:
        dash.figures["domains"] = charts.to_json(
            charts.domain_panels(panels, title=_("Each domain across the units"))
        )
    dash.tables["groups"] = _groups(ctx)
    dash.facts["units"] = len(totals)
    dash.facts["peer_reviewed"] = (
        int(totals["peer_reviewed"].astype(bool).sum()) if len(totals) else 0
    )
    return dash


def _groups(ctx: Context) -> Table:
    """Scores per kind of unit and per region; groups under k are suppressed."""
    kinds = unit_kind_labels()
    codes = [str(c) for c in ctx.domains["code"]]
    rows = []
    for by, heading in (("kind", _("Kind of unit")), ("region", _("Region"))):
        df = with_scores(queries.group_domain_counts(ctx.cycle.id, by, ctx.filters))
        if df.empty:
            continue
        units = df.groupby("group")["units"].max().to_dict()
        overall = with_scores(sum_counts(df, ["group"]))
        cells = index_by(df, "group", "domain_code")
        for r in rows_of(overall):
            n = int(units.get(r.group, 0))
            label = kinds.get(r.group, r.group) if by == "kind" else (r.group or "–")
            row: dict[str, Any] = {"by": heading, "group": label, "units": n}
            if scoring.suppressed(n, ctx.k):
                row["note"] = _("Fewer than %(k)d units: not shown", k=ctx.k)
            else:
                row["score"] = opt(r.score)
                for code in codes:
                    cell = cells.get((r.group, code))
                    row[f"d{code}"] = None if cell is None else opt(cell["score"])
            rows.append(row)
    return Table(
        name="groups",
        title=_("By kind of unit and region"),
        columns=[
            Column("by", _("Grouped by")),
            Column("group", _("Group")),
            Column("units", _("Units"), "int"),
            Column("score", _("Score"), "score"),
            *[Column(f"d{code}", _("Domain %(code)s", code=code), "score") for code in codes],
            Column("note", _("Note")),
        ],
        rows=rows,
        note=_("Scores pool all ratings of the group's units."),
    )


# --- standards: heatmap, standards table, most often not met ------------------------------------


def standards(
    ctx: Context, *, domain_code: str | None = None, figures: bool = True
) -> NetworkDashboard:
    dash = NetworkDashboard(ctx)
    if ctx.suppressed:
        return dash
    stds = queries.standards_of(ctx.cycle.edition_id)
    net = with_scores(queries.standard_totals(ctx.cycle.id, ctx.series, ctx.filters))
    by_id = {int(r.standard_id): r for r in rows_of(net)}
    text_col = "text_en" if ctx.lang == "en" else "text_nb"
    rows = []
    for s in rows_of(stds):
        r = by_id.get(int(s.standard_id))
        if r is None:
            continue
        applicable = int(r.applicable)
        counts = scoring.counts_of(r._asdict())
        rows.append(
            {
                "standard_id": int(s.standard_id),
                "code": s.code,
                "domain": s.domain_code,
                "type": int(s.type),
                "standard": getattr(s, text_col),
                "units": int(r.total),
                "applicable": applicable,
                "not_applicable": int(r.not_applicable),
                "met_pct": opt(r.met_pct),
                "partly_pct": scoring.value_pct(counts, scoring.PARTLY),
                "not_met_pct": scoring.value_pct(counts, scoring.NOT_MET),
                "score": opt(r.score),
            }
        )
    columns = [
        Column("code", _("Standard")),
        Column("type", _("Type"), "int"),
        Column("standard", _("Text")),
        Column("applicable", _("Applicable in units"), "int"),
        Column("not_applicable", _("Not applicable"), "int"),
        Column("met_pct", _("Met %"), "score"),
        Column("partly_pct", _("Partly met %"), "score"),
        Column("not_met_pct", _("Not met %"), "score"),
        Column("score", _("Score"), "score"),
    ]
    dash.tables["standards"] = Table(
        name="standards",
        title=_("Every standard across the units"),
        columns=columns,
        rows=rows,
        note=_("Percentages of the units where the standard applies."),
    )
    ranked = sorted(
        (r for r in rows if r["not_met_pct"] is not None and r["applicable"] > 0),
        key=lambda r: (-r["not_met_pct"], r["code"]),
    )[:TOP_NOT_MET]
    dash.tables["not_met"] = Table(
        name="not_met",
        title=_("Standards most often not met"),
        columns=columns,
        rows=ranked,
    )
    if figures and ranked:
        dash.figures["not_met"] = charts.to_json(
            charts.bars(
                [
                    charts.Bar(r["code"], r["not_met_pct"], f"{r['code']} {r['standard'][:80]}")
                    for r in ranked
                ],
                title=_("Standards most often not met (share of units where it applies, %)"),
                x_title=_("Not met %"),
            )
        )
    # Heatmap of one domain: standards × units.
    codes = [str(c) for c in ctx.domains["code"]]
    chosen = domain_code if domain_code in codes else (codes[0] if codes else None)
    dash.facts["domain_code"] = chosen
    if chosen is not None:
        domain_id = int(ctx.domains[ctx.domains["code"] == chosen].iloc[0]["domain_id"])
        cells = add_labels(
            queries.domain_cells(ctx.cycle.id, domain_id, ctx.filters, ctx.viewer), ctx.pseudonyms
        )
        dom_stds = stds[stds["domain_id"] == domain_id]
        std_codes = [str(c) for c in dom_stds["code"]]
        code_of = {int(r.standard_id): str(r.code) for r in rows_of(dom_stds)}
        units = sorted(set(cells["label"])) if not cells.empty else []
        col = {u: i for i, u in enumerate(units)}
        row_of = {c: i for i, c in enumerate(std_codes)}
        z: list[list[int | None]] = [[None] * len(units) for _ in std_codes]
        names = value_labels()
        not_rated = names[None]
        hover = [[not_rated for _u in units] for _c in std_codes]
        matrix_rows: dict[str, dict[str, Any]] = {c: {"code": c} for c in std_codes}
        for r in rows_of(cells):
            code = code_of.get(int(r.standard_id))
            if code is None or r.value is None:
                continue
            i, j = row_of[code], col[r.label]
            z[i][j] = charts.VALUE_CODES.get(r.value)
            hover[i][j] = names.get(r.value, r.value)
            matrix_rows[code][r.label] = names.get(r.value, r.value)
        dash.tables["heatmap"] = Table(
            name="heatmap",
            title=_("Standards × units: %(domain)s", domain=ctx.domain_title(chosen)),
            columns=[Column("code", _("Standard")), *[Column(u, u) for u in units]],
            rows=[matrix_rows[c] for c in std_codes],
        )
        if figures:
            dash.figures["heatmap"] = charts.to_json(
                charts.heatmap(
                    z,
                    units,
                    std_codes,
                    hover,
                    title=_("Standards × units: %(domain)s", domain=ctx.domain_title(chosen)),
                    legend={
                        "na": _("N/A"),
                        **{v: rating_labels()[v] for v in ("not_met", "partly_met", "met")},
                    },
                )
            )
    return dash


# --- trends over cycles -------------------------------------------------------------------------


def _network_trend(
    ctx: Context, shown: tuple[int, ...], revision: summaries.Revision, filters: Filters
) -> pd.DataFrame:
    """The rows of :func:`queries.network_domain_trend` of the ``shown`` cycles, their numbers
    kept in process under those cycles' revision; the cycles' years and names are added per
    request (they may change without a rebuild)."""

    def numbers() -> pd.DataFrame:
        df = queries.network_domain_trend(ctx.network.id, ctx.series, filters)
        return df[df["cycle_id"].isin(shown)].drop(columns=["year", "cycle_name"])

    cached = summaries.cached(
        "network_domain_trend", revision, (ctx.network.id, shown, ctx.series, filters), numbers
    )
    df = cached.copy()
    year = {c.id: c.year for c in ctx.cycles}
    name = {c.id: c.name for c in ctx.cycles}
    df.insert(1, "year", [year[int(c)] for c in df["cycle_id"]])
    df.insert(2, "cycle_name", [name[int(c)] for c in df["cycle_id"]])
    # The query's order (year, cycle, domain code), with the years of now.
    return df.sort_values(["year", "cycle_id"], kind="stable").reset_index(drop=True)


def trend_table(
    ctx: Context, cycles: list[Any], filters: Filters, *, figures: bool, skip_small: bool = False
) -> tuple[Table, str | None]:
    """The network's pooled score per cycle and domain (domains followed by their code), and
    its chart. Cycles with fewer than k units are noted (or left out with ``skip_small``)."""
    cycle_ids = tuple(sorted({c.id for c in cycles}))
    revision = summaries.ensure_fresh(cycle_ids)
    lin = lineage.build(cycles)
    raw = _network_trend(ctx, cycle_ids, revision, filters)
    if lin.crosses_editions:
        raw = lineage.restate_domains(
            raw, cycles, lin, lineage.network_standard_counts(cycles, ctx.series, filters, lin)
        )
    net = with_scores(raw)
    bounds = {b.cycle_id: b for b in lineage.boundaries(cycles, lin)}
    order = sorted(cycles, key=lambda c: (c.year, c.id))
    units = net.groupby("cycle_id")["units"].max().to_dict() if not net.empty else {}
    total = with_scores(sum_counts(net, ["cycle_id"]))
    codes = [str(c) for c in ctx.domains["code"]]
    by_domain = index_by(net, "cycle_id", "domain_code")
    by_cycle = index_by(total, "cycle_id")
    rows = []
    for c in order:
        n = int(units.get(c.id, 0))
        small = scoring.suppressed(n, ctx.k)
        if small and skip_small:
            continue
        row: dict[str, Any] = {"cycle": c.name, "units": n}
        if small:
            row["note"] = _("Fewer than %(k)d units: not shown", k=ctx.k)
        else:
            row["score"] = opt(by_cycle.get(c.id, {}).get("score"))
            for code in codes:
                row[f"d{code}"] = opt(by_domain.get((c.id, code), {}).get("score"))
            bound = bounds.get(c.id)
            if bound is not None:
                changed = bound.codes(None)
                row["note"] = (
                    lineage.meaning_note(bound.edition_slug, changed)
                    if changed
                    else _("New edition %(edition)s from this cycle.", edition=bound.edition_slug)
                )
        rows.append(row)
    table = Table(
        name="trends",
        title=_("Network score per cycle"),
        columns=[
            Column("cycle", _("Cycle")),
            Column("units", _("Units"), "int"),
            Column("score", _("All standards"), "score"),
            *[Column(f"d{code}", _("Domain %(code)s", code=code), "score") for code in codes],
            Column("note", _("Note")),
        ],
        rows=rows,
        note=_(
            "Scores pool all units' ratings. Across editions, standards and domains are followed through the mapping between the editions: merged standards are pooled, a split standard continues into each part, dropped and new standards break the line."
        ),
    )
    figure = None
    if figures and rows:
        shown = [
            c
            for c in order
            if not (skip_small and scoring.suppressed(int(units.get(c.id, 0)), ctx.k))
        ]
        # The year on the axis ("Syklus 2025" four times side by side runs together).
        names = [str(c.year) for c in shown]
        # One small panel per domain (one line each) instead of eight lines in one narrow band.
        panels = [
            (
                _("All standards"),
                [charts.Series(_("Network"), names, [r.get("score") for r in rows])],
            )
        ]
        panels += [
            (
                ctx.domain_title(code),
                [charts.Series(_("Network"), names, [r.get(f"d{code}") for r in rows])],
            )
            for code in codes
        ]
        marks = [
            charts.Mark(str(c.year), r["score"], r["note"])
            for c, r in zip(shown, rows, strict=True)
            if c.id in bounds and bounds[c.id].codes(None) and r.get("score") is not None
        ]
        figure = charts.to_json(
            charts.trend_panels(
                panels,
                title=_("Network score per domain over cycles"),
                marks=[marks],
                marks_name=_("Standards changed meaning"),
            )
        )
    return table, figure


def trends(ctx: Context, *, figures: bool = True) -> NetworkDashboard:
    dash = NetworkDashboard(ctx)
    table, figure = trend_table(ctx, ctx.cycles, ctx.filters, figures=figures)
    dash.tables["trends"] = table
    if figure:
        dash.figures["trends"] = figure
    order = sorted(ctx.cycles, key=lambda c: (c.year, c.id))
    # Standards followed by code: the largest changes between the first and last shown cycles
    # (the table has one row per cycle, in this order; small cycles carry a note).
    visible = [
        c
        for c, row in zip(order, table.rows, strict=True)
        if not scoring.suppressed(int(row.get("units") or 0), ctx.k)
    ]
    if len(visible) >= 2:
        first, last = visible[0], visible[-1]
        lin = lineage.build(ctx.cycles)
        stds_first = _met_by_standard(first, ctx, lin)
        stds_last = _met_by_standard(last, ctx, lin)
        texts = queries.standards_of(lin.basis_edition_id)
        text_of = {
            int(r.standard_id): (r.text_en if ctx.lang == "en" else r.text_nb)
            for r in rows_of(texts)
        }
        changes = []
        for std_id, after in stds_last.items():
            delta = scoring.change(stds_first.get(std_id), after)
            if delta is not None:
                note = ""
                if first.edition_id != last.edition_id and lin.meaning_changed_since(
                    std_id, first.edition_id
                ):
                    note = _("Meaning changed since %(cycle)s", cycle=first.name)
                earlier = [
                    f"{slug}: {', '.join(codes)}" for slug, codes in lin.continued_codes(std_id)
                ]
                changes.append(
                    {
                        "code": lin.codes.get(std_id, ""),
                        "standard": text_of.get(std_id, ""),
                        "before": stds_first.get(std_id),
                        "after": after,
                        "change": delta,
                        "note": " · ".join(x for x in (note, "; ".join(earlier)) if x),
                    }
                )
        changes.sort(key=lambda r: (-abs(r["change"]), r["code"]))
        dash.tables["standard_changes"] = Table(
            name="standard_changes",
            title=_(
                "Largest changes in met %% from %(first)s to %(last)s",
                first=first.name,
                last=last.name,
            ),
            columns=[
                Column("code", _("Standard")),
                Column("standard", _("Text")),
                Column("before", first.name, "score"),
                Column("after", last.name, "score"),
                Column("change", _("Change (points)"), "score"),
                Column("note", _("Note")),
            ],
            rows=changes[:20],
        )
    return dash


def _met_by_standard(cycle: Any, ctx: Context, lin: lineage.Lineage) -> dict[int, float | None]:
    """Basis standard id → the network's met % in ``cycle``, through the mapping where the
    cycle is on an earlier edition (merged standards pooled)."""
    totals = queries.standard_totals(cycle.id, ctx.series, ctx.filters)
    per_standard = {
        int(r.standard_id): {col: int(getattr(r, col)) for col in COUNT_COLUMNS}
        for r in rows_of(totals)
    }
    out: dict[int, float | None] = {}
    for std_id in lin.basis_order:
        counts = lineage.restated_standard(lin, std_id, cycle.edition_id, per_standard)
        if counts is not None:
            out[std_id] = scoring.met_pct(counts)
    return out


# --- self vs peer agreement -----------------------------------------------------------------------


REWORDING_MIN_N = 5  # units compared before a standard's disagreement rate is ranked


def kappa_notes() -> dict[str | None, str]:
    """Why kappa is shown as '–' (one side gave one rating throughout: the kappa paradox)."""
    return {
        "self": _("Self-ratings all alike"),
        "peer": _("Peer ratings all alike"),
        "both": _("Both sides all alike"),
        None: "",
    }


def _agreement_cells(a: scoring.Agreement, notes: dict[str | None, str]) -> dict[str, Any]:
    """The agreement numbers of one row as the tables show them (kappa only where it means
    something; its reason otherwise)."""
    interval = a.disagreement_interval
    return {
        "n": a.n,
        "percent": a.percent,
        "kappa": a.kappa_shown,
        "kappa_note": notes[a.kappa_constant] if a.n else "",
        "ac1": a.ac1,
        "ac2": a.ac2,
        "disagreement": a.disagreement_rate,
        "ci_low": interval[0] if interval else None,
        "ci_high": interval[1] if interval else None,
    }


def rewording_candidates(
    rows: list[dict[str, Any]], minimum: int, limit: int = REWORDING
) -> list[dict[str, Any]]:
    """Standards where units and review teams disagree most: by disagreement rate (highest
    first), then by the lower end of its 95 % Wilson interval (the surer one first), then code.
    Only standards compared in at least ``minimum`` units with at least one disagreement; never
    by kappa, which is 0 or undefined when one side gives the same rating throughout."""
    usable = [
        r
        for r in rows
        if r["n"] >= minimum and r["disagreement"] is not None and r["disagreement"] > 0
    ]
    return sorted(usable, key=lambda r: (-r["disagreement"], -(r["ci_low"] or 0.0), r["code"]))[
        :limit
    ]


def agreement(ctx: Context, *, figures: bool = True) -> NetworkDashboard:
    dash = NetworkDashboard(ctx)
    if ctx.suppressed:
        return dash
    notes = kappa_notes()
    units = add_labels(
        queries.unit_pair_counts(ctx.cycle.id, ctx.filters, ctx.viewer), ctx.pseudonyms
    )
    unit_rows = []
    overall = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]
    for r in rows_of(units.sort_values("label")) if not units.empty else []:
        a = agreement_of(r)
        table = scoring.pair_table(
            [getattr(r, c) for c in ("n00", "n01", "n02", "n10", "n11", "n12", "n20", "n21", "n22")]
        )
        for i in range(3):
            for j in range(3):
                overall[i][j] += table[i][j]
        unit_rows.append({"unit": r.label, **_agreement_cells(a, notes)})
    total = scoring.agreement_from_table(overall)
    dash.facts["agreement"] = total
    dash.facts["kappa_note"] = notes[total.kappa_constant] if total.n else ""
    statistic_columns = [
        Column("percent", _("Exact agreement %"), "score"),
        Column("kappa", _("Weighted kappa"), "kappa"),
        Column("kappa_note", _("Why no kappa")),
        Column("ac1", _("Gwet's AC1"), "kappa"),
        Column("ac2", _("Gwet's AC2 (weighted)"), "kappa"),
    ]
    dash.tables["agreement_units"] = Table(
        name="agreement_units",
        title=_("Agreement per unit"),
        columns=[
            Column("unit", _("Unit")),
            Column("n", _("Standards compared"), "int"),
            *statistic_columns,
        ],
        rows=unit_rows,
        note=_("Standards rated by both the unit and the review team, N/A left out."),
    )
    stds = queries.standards_of(ctx.cycle.edition_id)
    pairs = queries.standard_pair_totals(ctx.cycle.id, ctx.filters)
    by_id = {int(r.standard_id): r for r in rows_of(pairs)}
    std_rows = []
    for s in rows_of(stds):
        r = by_id.get(int(s.standard_id))
        if r is None:
            continue
        a = agreement_of(r)
        if a.n == 0:
            continue
        std_rows.append(
            {
                "code": s.code,
                "standard": s.text_en if ctx.lang == "en" else s.text_nb,
                **_agreement_cells(a, notes),
            }
        )
    dash.tables["agreement_standards"] = Table(
        name="agreement_standards",
        title=_("Agreement per standard"),
        columns=[
            Column("code", _("Standard")),
            Column("standard", _("Text")),
            Column("n", _("Units compared"), "int"),
            *statistic_columns,
        ],
        rows=std_rows,
    )
    minimum = max(ctx.k, REWORDING_MIN_N)
    candidates = rewording_candidates(std_rows, minimum)
    dash.tables["rewording"] = Table(
        name="rewording",
        title=_("Candidates for rewording in the next edition"),
        columns=[
            Column("code", _("Standard")),
            Column("standard", _("Text")),
            Column("n", _("Units compared"), "int"),
            Column("disagreement", _("Disagreement %"), "score"),
            Column("ci_low", _("95 % CI, from"), "score"),
            Column("ci_high", _("95 % CI, to"), "score"),
            Column("ac2", _("Gwet's AC2 (weighted)"), "kappa"),
        ],
        rows=candidates,
        note=_(
            "Ranked by how often the unit's own rating differs from the review team's (with a "
            "95 %% Wilson interval), among standards compared in at least %(n)d units.",
            n=minimum,
        ),
    )
    if figures:
        dash.figures["agreement_units"] = charts.to_json(
            charts.agreement_scatter(
                [(r["unit"], r["percent"], r["ac2"], r["n"]) for r in unit_rows],
                title=_("Self-assessment against peer review, per unit"),
                x_title=_("Exact agreement %"),
                y_title=_("Gwet's AC2 (weighted)"),
                y_label="AC2",
            )
        )
        if candidates:
            dash.figures["rewording"] = charts.to_json(
                charts.interval_bars(
                    [
                        charts.IntervalBar(
                            r["code"],
                            r["disagreement"],
                            r["ci_low"],
                            r["ci_high"],
                            f"{r['code']} (n = {r['n']})",
                        )
                        for r in candidates
                    ],
                    title=_("Most disagreement between units and review teams"),
                    x_title=_("Disagreement % (95 % interval)"),
                )
            )
    return dash


__all__ = ["Filters", "NetworkDashboard", "agreement", "overview", "standards", "trends"]

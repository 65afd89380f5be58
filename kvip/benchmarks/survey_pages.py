"""Questionnaires on the benchmark pages (issue 15 §5): the network's page (per instrument and
question the distribution of the four answers and a funnel of units), the unit's page (its
own results against the network) and the annual report's tables.

Every number comes from :mod:`kvip.benchmarks.surveys`, which counts an instrument of a unit
only from the respondent threshold, shows network figures for a question only from k units
and labels other units with the cycle's pseudonyms. Nothing here reads an answer: no single
respondent, no free text, no other unit's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from kvip import scoring
from kvip.benchmarks import charts
from kvip.benchmarks.context import Column, Context, Table
from kvip.benchmarks.network_page import position_labels
from kvip.benchmarks.surveys import (
    QuestionBenchmark,
    UnitPoint,
    question_benchmarks,
    response_counts,
    widest_spread,
)
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.surveys.models import Collection, Instrument, InstrumentKind, Response
from kvip.surveys.results import AGREE_WORDS, source_label
from kvip.surveys.services import min_respondents

ORDER = ("young_person", "parent", "staff")
LABEL_CHARS = 48  # question text beside a bar, before "…" (the table has it whole)


def agree_names() -> list[str]:
    names = {
        "strongly_agree": _("Strongly agree"),
        "agree": _("Agree"),
        "disagree": _("Disagree"),
        "strongly_disagree": _("Strongly disagree"),
    }
    return [names[w] for w in AGREE_WORDS]


def _short(b: QuestionBenchmark) -> str:
    text = b.text if len(b.text) <= LABEL_CHARS else b.text[: LABEL_CHARS - 1].rstrip() + "…"
    return charts.wrap(f"{b.code} {text}", 30)


def _key(b: QuestionBenchmark) -> str:
    return f"{b.instrument}.{b.code}"


def _instrument_order(code: str) -> tuple[int, str]:
    return (ORDER.index(code) if code in ORDER else len(ORDER), code)


def position_of(b: QuestionBenchmark, point: UnitPoint) -> str:
    """Where a unit's point lies in the question's funnel (as :func:`scoring.funnel_position`)."""
    if b.positive_pct is None or point.positive_pct is None or point.n <= 0:
        return "within"
    return scoring.funnel_place(b.positive_pct / 100, point.n, point.positive_pct / 100)


def _suppressed_note(k: int) -> str:
    return _(
        "Fewer than %(k)d units have enough answers to this question: no network figures, so "
        "that no unit can be recognised.",
        k=k,
    )


# --- the network's page ------------------------------------------------------------------------


@dataclass
class InstrumentSection:
    code: str
    title: str
    questions: list[QuestionBenchmark]
    table: Table
    units: int = 0
    respondents: int = 0
    below_threshold: int = 0


@dataclass
class SurveyDashboard:
    ctx: Context
    threshold: int
    sections: list[InstrumentSection] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    choices: list[tuple[str, str]] = field(default_factory=list)  # (key, label) in the funnel menu
    chosen: QuestionBenchmark | None = None


def _question_columns() -> list[Column]:
    names = agree_names()
    return [
        Column("label", _("Question"), export=False),
        Column("code", _("Question"), screen=False),
        Column("question", _("Text"), screen=False),
        Column("units", _("Units"), "int"),
        Column("n", _("Answers"), "int"),
        *[Column(w, f"{name} %", "score") for w, name in zip(AGREE_WORDS, names, strict=True)],
        Column("positive", _("Positive %"), "score"),
        Column("note", _("Note"), screen=False),
    ]


def _question_row(b: QuestionBenchmark, k: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "label": f"{b.code} {b.text}",
        "code": b.code,
        "question": b.text,
        "units": b.units,
    }
    if b.suppressed:
        return {**row, "note": _suppressed_note(k)}
    total = sum(b.distribution.values())
    row["n"] = total
    for w in AGREE_WORDS:
        row[w] = round(100 * b.distribution.get(w, 0) / total, 1) if total else None
    row["positive"] = b.positive_pct
    return row


def network(ctx: Context, *, question: str | None = None, figures: bool = True) -> SurveyDashboard:
    """The coordinator's questionnaires page for ``ctx.cycle``: filters do not apply (the
    figures are the whole network's), and no unit is named, not even to a coordinator."""
    dash = SurveyDashboard(ctx, min_respondents(ctx.network.id))
    benches = question_benchmarks(ctx.cycle.id, None, ctx.lang)
    counts = {c.instrument: c for c in response_counts(ctx.cycle.id)}
    by_instrument: dict[str, list[QuestionBenchmark]] = {}
    for b in benches:
        by_instrument.setdefault(b.instrument, []).append(b)
    all_rows: list[dict[str, Any]] = []
    names = agree_names()
    for code in sorted(by_instrument, key=_instrument_order):
        questions = by_instrument[code]
        title = source_label(code)
        rows = [_question_row(b, ctx.k) for b in questions]
        all_rows += [{"instrument": title, **r} for r in rows]
        section = InstrumentSection(
            code,
            title,
            questions,
            Table(
                name=f"questions-{code}",
                title=_("%(instrument)s: answers per question", instrument=title),
                columns=_question_columns(),
                rows=rows,
            ),
        )
        if code in counts:
            c = counts[code]
            section.units, section.respondents = c.units, c.respondents
            section.below_threshold = c.below_threshold
        dash.sections.append(section)
        shown = [b for b in questions if not b.suppressed]
        dash.choices += [(_key(b), f"{title}: {b.code} {b.text}") for b in shown]
        if figures and shown:
            dash.figures[f"shares-{code}"] = charts.to_json(
                charts.stacked_shares(
                    [
                        charts.Shares(
                            _short(b),
                            f"{b.code} {b.text} · n = {b.n}",
                            tuple(b.distribution.get(w, 0) for w in AGREE_WORDS),
                        )
                        for b in shown
                    ],
                    title=_("%(instrument)s: the network's answers", instrument=title),
                    names=names,
                )
            )
    dash.tables["questions"] = Table(
        name="questions",
        title=_("Answers per question"),
        columns=[Column("instrument", _("Questionnaire")), *_question_columns()],
        rows=all_rows,
        note=_(
            "A unit's questionnaire counts from %(n)d answers; a question shows network figures "
            "from %(k)d units.",
            n=dash.threshold,
            k=ctx.k,
        ),
    )
    shown_all = [b for b in benches if not b.suppressed]
    dash.chosen = next((b for b in shown_all if _key(b) == question), None) or next(
        iter(shown_all), None
    )
    _funnel(dash, figures)
    return dash


def _funnel(dash: SurveyDashboard, figures: bool) -> None:
    b = dash.chosen
    labels = position_labels()
    rows: list[dict[str, Any]] = []
    data_points: list[tuple[str, int, float, str]] = []
    if b is not None:
        for p in b.points:
            position = position_of(b, p)
            label = _("Your unit") if p.own else p.label
            rows.append(
                {"unit": label, "n": p.n, "positive": p.positive_pct, "position": labels[position]}
            )
            if p.positive_pct is not None:
                data_points.append((label, p.n, p.positive_pct, position))
    dash.tables["funnel"] = Table(
        name="funnel",
        title=_("Units in the funnel plot: %(q)s", q=b.code if b else "–"),
        columns=[
            Column("unit", _("Unit")),
            Column("n", _("Answers"), "int"),
            Column("positive", _("Positive %"), "score"),
            Column("position", _("Funnel position")),
        ],
        rows=sorted(rows, key=lambda r: str(r["unit"])),
        note=_("Units are shown with this cycle's pseudonyms."),
    )
    if not figures or b is None or b.positive_pct is None or not data_points:
        return
    p_bar = b.positive_pct / 100
    n_max = max(n for _l, n, _p, _pos in data_points)
    dash.figures["funnel"] = charts.to_json(
        charts.funnel(
            charts.FunnelData(
                p_bar=p_bar,
                points=data_points,
                limits95=b.funnel or scoring.funnel_curve(p_bar, n_max, scoring.Z95),
                limits998=scoring.funnel_curve(p_bar, n_max, scoring.Z998),
            ),
            title=charts.wrap(f"{b.code} {b.text}", 60),
            labels={
                "limit95": _("Limits at 95 %"),
                "limit998": _("Limits at 99.8 %"),
                "network": _("Network average"),
                "units": _("Units"),
                **labels,
                "within": _("Units within the limits"),
                "x": _("Answers (n)"),
                "y": _("Positive %"),
            },
        )
    )


# --- the unit's page ---------------------------------------------------------------------------


@dataclass
class OwnInstrument:
    code: str
    title: str
    respondents: int
    counted: bool  # at or above the threshold
    table: Table | None = None


@dataclass
class UnitSurveys:
    ctx: Context
    unit: Unit
    threshold: int
    instruments: list[OwnInstrument] = field(default_factory=list)
    figures: dict[str, str] = field(default_factory=dict)


def unit_respondents(cycle_id: int, unit_id: int) -> dict[str, int]:
    """Respondents per questionnaire of the unit in the cycle (a count only)."""
    rows = db.session.execute(
        sa.select(Instrument.code, sa.func.count(Response.id))
        .select_from(Collection)
        .join(Assessment, Assessment.id == Collection.assessment_id)
        .join(Instrument, Instrument.id == Collection.instrument_id)
        .outerjoin(Response, Response.collection_id == Collection.id)
        .where(
            Assessment.cycle_id == cycle_id,
            Assessment.unit_id == unit_id,
            Instrument.kind == InstrumentKind.questionnaire.value,
        )
        .group_by(Instrument.code)
    ).all()
    return {str(code): int(n) for code, n in rows}


def unit(ctx: Context, unit: Unit, *, figures: bool = True) -> UnitSurveys:
    """The unit's questionnaires against the network; an instrument below the threshold shows
    its count of answers only."""
    threshold = min_respondents(ctx.network.id)
    page = UnitSurveys(ctx, unit, threshold)
    respondents = unit_respondents(ctx.cycle.id, unit.id)
    if not respondents:
        return page
    benches = question_benchmarks(ctx.cycle.id, unit.id, ctx.lang)
    labels = position_labels()
    for code in sorted(respondents, key=_instrument_order):
        n = respondents[code]
        own = OwnInstrument(code, source_label(code), n, n >= threshold)
        page.instruments.append(own)
        if not own.counted:
            continue
        questions = [b for b in benches if b.instrument == code and b.own_pct is not None]
        rows = []
        for b in questions:
            row: dict[str, Any] = {
                "label": f"{b.code} {b.text}",
                "code": b.code,
                "question": b.text,
                "own_n": b.own_n,
                "own": b.own_pct,
                "units": b.units,
            }
            if b.suppressed:
                row["note"] = _suppressed_note(ctx.k)
            else:
                mine = next((p for p in b.points if p.own), None)
                row["network"] = b.positive_pct
                row["difference"] = (
                    round(b.own_pct - b.positive_pct, 1)
                    if b.own_pct is not None and b.positive_pct is not None
                    else None
                )
                row["position"] = labels[position_of(b, mine)] if mine else "–"
            rows.append(row)
        own.table = Table(
            name=f"own-{code}",
            title=_("%(instrument)s: your unit and the network", instrument=own.title),
            columns=[
                Column("label", _("Question"), export=False),
                Column("code", _("Question"), screen=False),
                Column("question", _("Text"), screen=False),
                Column("own_n", _("Your answers"), "int"),
                Column("own", _("Your unit, positive %"), "score"),
                Column("units", _("Units"), "int"),
                Column("network", _("Network, positive %"), "score"),
                Column("difference", _("Difference (points)"), "score"),
                Column("position", _("Funnel position")),
                Column("note", _("Note"), screen=False),
            ],
            rows=rows,
        )
        if figures and questions:
            page.figures[f"own-{code}"] = charts.to_json(
                charts.paired_bars(
                    [_short(b) for b in questions],
                    [b.own_pct for b in questions],
                    [None if b.suppressed else b.positive_pct for b in questions],
                    title=_("%(instrument)s: positive answers", instrument=own.title),
                    names=(_("Your unit"), _("Network")),
                    x_title=_("Positive %"),
                )
            )
    return page


# --- the annual report -------------------------------------------------------------------------


def annual_tables(ctx: Context) -> dict[str, Table]:
    """The annual report's questionnaire tables: response counts per instrument and the
    questions whose results differ most between units (no unit named or pseudonymised)."""
    threshold = min_respondents(ctx.network.id)
    counts = sorted(response_counts(ctx.cycle.id), key=lambda c: _instrument_order(c.instrument))
    return {
        "survey_counts": Table(
            name="survey_counts",
            title=_("Questionnaires: answers per instrument"),
            columns=[
                Column("instrument", _("Questionnaire")),
                Column("units", _("Units counted"), "int"),
                Column("respondents", _("Respondents"), "int"),
                Column("below", _("Units below the threshold"), "int"),
            ],
            rows=[
                {
                    "instrument": source_label(c.instrument),
                    "units": c.units,
                    "respondents": c.respondents,
                    "below": c.below_threshold,
                }
                for c in counts
            ],
            note=_(
                "A unit's questionnaire counts from %(n)d answers; units with fewer are not in "
                "any figure.",
                n=threshold,
            ),
        ),
        "survey_spread": Table(
            name="survey_spread",
            title=_("Questions where the units differ most"),
            columns=[
                Column("question", _("Question")),
                Column("spread", _("Spread (points)"), "score"),
            ],
            rows=[
                {"question": text, "spread": spread}
                for text, spread in widest_spread(ctx.cycle.id, 10, ctx.lang)
            ],
            note=_(
                "The difference in positive answers between the highest and the lowest unit, "
                "for questions answered in at least %(k)d units.",
                k=ctx.k,
            ),
        ),
    }

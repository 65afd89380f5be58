"""Aggregates of the questionnaires (DESIGN §5 "questionnaire result"): per question the
number answering (without "won't say"), the share positive and the distribution; an
instrument's results exist only from the network's threshold of respondents (never below 5).

Nothing here returns one respondent's answers: counts per (question, value) only, and free
texts without any order or date that could tie them together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from kvip.core.evidence import EvidenceLine, EvidenceSection
from kvip.core.formats import format_percent
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.surveys.models import (
    AGREE4,
    Answer,
    Collection,
    Instrument,
    InstrumentKind,
    Question,
    Response,
    Scale,
)
from kvip.surveys.services import min_respondents

AGREE_WORDS = [w for w, v in sorted(AGREE4.items(), key=lambda kv: -kv[1]) if v]  # 4 → 1


@dataclass
class QuestionResult:
    code: str
    text: str
    standards: list[str]
    positive: str
    n: int  # answering on the scale ("won't say" not counted)
    positive_count: int
    positive_pct: float | None
    wont_say: int
    distribution: dict[str, int]  # strongly_agree … strongly_disagree


@dataclass
class InstrumentResult:
    code: str
    title: str
    respondents: int
    threshold: int
    suppressed: bool
    opens: Any = None
    closes: Any = None
    questions: list[QuestionResult] = field(default_factory=list)
    free_texts: list[str] = field(default_factory=list)
    # Every standard a question of the instrument evidences (also when suppressed).
    standards: set[str] = field(default_factory=set)


def question_result(counts: Mapping[int, int], positive: str) -> tuple[int, int, float | None]:
    """(n, positive count, % positive) of one question from its counts per stored value
    (4 strongly agree … 1 strongly disagree, 0 won't say). Pure."""
    n = sum(c for v, c in counts.items() if v)
    good = (3, 4) if positive == "agree" else (1, 2)
    pos = sum(counts.get(v, 0) for v in good)
    return n, pos, (round(100 * pos / n, 1) if n else None)


def lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "nb"


def results_for(assessment: Assessment, *, free_text: bool = False) -> list[InstrumentResult]:
    """The results of every questionnaire collected for the assessment. Suppressed (below the
    threshold) instruments carry the count only. ``free_text`` adds the free-text answers of
    instruments above the threshold (callers check ``surveys.free_text`` first)."""
    cycle: Cycle = assessment.cycle
    threshold = min_respondents(cycle.network_id)
    lang_code = lang()
    rows = db.session.execute(
        sa.select(Collection, Instrument)
        .join(Instrument, Instrument.id == Collection.instrument_id)
        .where(
            Collection.assessment_id == assessment.id,
            Instrument.kind == InstrumentKind.questionnaire.value,
        )
        .order_by(Instrument.position)
    ).all()
    # The same statements whether or not anything was collected: a page's query count does
    # not depend on the data (tests count them).
    collection_ids = [c.id for c, _i in rows]
    respondents = dict(
        db.session.execute(
            sa.select(Response.collection_id, sa.func.count())
            .where(Response.collection_id.in_(collection_ids))
            .group_by(Response.collection_id)
        ).all()
    )
    questions: dict[int, list[Question]] = defaultdict(list)
    for question in db.session.scalars(
        sa.select(Question)
        .where(Question.instrument_id.in_([i.id for _c, i in rows]))
        .order_by(Question.position)
    ):
        questions[question.instrument_id].append(question)
    open_ids = [c.id for c, _i in rows if respondents.get(c.id, 0) >= threshold]
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    texts: dict[int, list[str]] = defaultdict(list)
    for question_id, value, count in db.session.execute(
        sa.select(Answer.question_id, Answer.value, sa.func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(Response.collection_id.in_(open_ids), Answer.value.is_not(None))
        .group_by(Answer.question_id, Answer.value)
    ):
        counts[question_id][int(value or 0)] = int(count)
    if free_text:
        for collection_id, text in db.session.execute(
            sa.select(Response.collection_id, Answer.text)
            .join(Response, Response.id == Answer.response_id)
            .where(Response.collection_id.in_(open_ids), Answer.value.is_(None))
        ):
            texts[collection_id].append(text)
    out = []
    for collection, instrument in rows:
        n_resp = int(respondents.get(collection.id, 0))
        result = InstrumentResult(
            code=instrument.code,
            title=getattr(instrument, f"title_{lang_code}"),
            respondents=n_resp,
            threshold=threshold,
            suppressed=n_resp < threshold,
            opens=collection.opens,
            closes=collection.closes,
            standards={c for q in questions[instrument.id] for c in q.standards},
        )
        if not result.suppressed:
            for q in questions[instrument.id]:
                if q.scale == Scale.text.value:
                    continue
                qc = counts.get(q.id, {})
                n, pos, pct = question_result(qc, q.positive)
                result.questions.append(
                    QuestionResult(
                        code=q.code,
                        text=getattr(q, f"text_{lang_code}"),
                        standards=list(q.standards),
                        positive=q.positive,
                        n=n,
                        positive_count=pos,
                        positive_pct=pct,
                        wont_say=qc.get(0, 0),
                        distribution={w: qc.get(AGREE4[w], 0) for w in AGREE_WORDS},
                    )
                )
            # Sorted, so that the order of arrival ties no text to another answer or a day.
            result.free_texts = sorted(texts.get(collection.id, []), key=str.casefold)
        out.append(result)
    return out


def source_label(code: str) -> str:
    """The short name of an instrument beside a standard ("Ungdom", "Foreldre", …)."""
    return {
        "young_person": _("Young people"),
        "parent": _("Parents"),
        "staff": _("Staff"),
        "record_audit": _("Record audit"),
    }.get(code, code)


def summary_of(q: QuestionResult) -> str:
    if q.positive == "agree":
        return _("%(pos)d of %(n)d agree", pos=q.positive_count, n=q.n)
    return _("%(pos)d of %(n)d disagree", pos=q.positive_count, n=q.n)


def too_few(result: InstrumentResult) -> str:
    return _(
        "too few answers yet (%(n)d of at least %(k)d)", n=result.respondents, k=result.threshold
    )


def evidence_lines(
    assessment_id: int, standard_codes: Sequence[str] | None = None
) -> dict[str, list[EvidenceLine]]:
    """The evidence provider for :mod:`kvip.core.evidence`: per standard, one line per
    question mapped to it ("Ungdom: 7 av 9 enige"), or "too few answers yet" per instrument."""
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        return {}
    results = results_for(assessment)
    if not results:
        return {}
    wanted = set(standard_codes) if standard_codes is not None else None
    out: dict[str, list[EvidenceLine]] = defaultdict(list)
    for r in results:
        if r.suppressed:
            for code in sorted(c for c in r.standards if wanted is None or c in wanted):
                out[code].append(EvidenceLine(source_label(r.code), too_few(r), muted=True))
    for r in results:
        for q in r.questions:
            for code in q.standards:
                if (wanted is None or code in wanted) and q.n:
                    out[code].append(EvidenceLine(source_label(r.code), summary_of(q), q.text))
    return dict(out)


def evidence_sections(assessment_id: int) -> list[EvidenceSection]:
    """The section "What young people, parents and staff told us" for the visit pack and the
    report: per questionnaire its count and, above the threshold, % positive per question."""
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        return []
    results = results_for(assessment)
    if not results:
        return []
    threshold = results[0].threshold
    groups: list[tuple[str, str, list[tuple[str, str]]]] = []
    for r in results:
        if r.suppressed:
            status = _(
                "Too few answers yet: %(n)d of at least %(k)d.", n=r.respondents, k=r.threshold
            )
            groups.append((r.title, status, []))
            continue
        status = _("%(n)d respondents", n=r.respondents)
        rows = [
            (
                q.text,
                summary_of(q)
                + (f" ({format_percent(q.positive_pct)})" if q.positive_pct is not None else ""),
            )
            for q in r.questions
        ]
        groups.append((r.title, status, rows))
    return [
        EvidenceSection(
            title=_("What young people, parents and staff told us"),
            note=_(
                "Anonymous questionnaires. Results are shown only when at least %(k)d people "
                "have answered.",
                k=threshold,
            ),
            groups=groups,
        )
    ]

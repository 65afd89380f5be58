"""Record (case-note) audits: the unit before the visit and the visit team during it check a
sample of records ("Journal 1…N", never a patient identifier) against the criteria of the
edition's ``record-audit`` instrument: yes / no / not applicable.

Results are counts per criterion ("7 of 10", with the sample size), shown as evidence beside
the standards each criterion is mapped to and in the visit pack and report. Records are not
people who answer, so there is no respondent threshold; no record is ever more than its number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from kvip.accounts.models import User
from kvip.core import audit
from kvip.core.db import utcnow
from kvip.core.errors import ServiceError
from kvip.core.evidence import EvidenceLine, EvidenceSection
from kvip.core.permissions import require
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.surveys.models import (
    RECORD_AUDIT_SAMPLE,
    YES_NO_NA,
    Instrument,
    InstrumentKind,
    Question,
    RecordAuditEntry,
    SurveySettings,
)
from kvip.visits.models import Visit

SOURCES = ("unit", "visit")
VALUE_WORDS = {v: w for w, v in YES_NO_NA.items()}  # 2 → "yes", 1 → "no", 0 → "not_applicable"
# At most this many entries in one save (criteria × records of a full sample, with room).
MAX_ENTRIES = 2000


def sample_size(network_id: int) -> int:
    """How many records the network's record audits sample (default 10)."""
    value = db.session.scalar(
        sa.select(SurveySettings.record_audit_sample).where(SurveySettings.network_id == network_id)
    )
    return int(value or RECORD_AUDIT_SAMPLE)


def instrument_of(edition_id: int) -> Instrument | None:
    """The edition's record-audit instrument (with its criteria), or None."""
    return db.session.scalar(
        sa.select(Instrument).where(
            Instrument.edition_id == edition_id,
            Instrument.kind == InstrumentKind.record_audit.value,
        )
    )


@dataclass
class CriterionResult:
    code: str
    text: str
    standards: list[str]
    yes: int = 0
    no: int = 0
    not_applicable: int = 0

    @property
    def audited(self) -> int:
        """Records in which the criterion was checked (any answer)."""
        return self.yes + self.no + self.not_applicable

    @property
    def applicable(self) -> int:
        return self.yes + self.no


@dataclass
class AuditResult:
    source: str  # "unit" | "visit"
    sample: int
    records: int  # distinct records with at least one answer
    criteria: list[CriterionResult] = field(default_factory=list)


def entries_of(
    assessment_id: int, source: str, visit_id: int | None = None
) -> dict[tuple[str, int], str]:
    """The saved answers of one audit: {(criterion code, record number): "yes"|"no"|…}."""
    stmt = (
        sa.select(Question.code, RecordAuditEntry.record_number, RecordAuditEntry.value)
        .join(Question, Question.id == RecordAuditEntry.question_id)
        .where(RecordAuditEntry.assessment_id == assessment_id, RecordAuditEntry.source == source)
    )
    if visit_id is not None:
        stmt = stmt.where(RecordAuditEntry.visit_id == visit_id)
    return {(code, n): VALUE_WORDS.get(v, "") for code, n, v in db.session.execute(stmt)}


def results_for(assessment: Assessment, lang_code: str = "nb") -> list[AuditResult]:
    """Per source that audited anything, per criterion the counts of yes / no / n.a."""
    instrument = instrument_of(assessment.cycle.edition_id)
    if instrument is None:
        return []
    sample = sample_size(assessment.cycle.network_id)
    counts: dict[str, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for source, question_id, value, count in db.session.execute(
        sa.select(
            RecordAuditEntry.source,
            RecordAuditEntry.question_id,
            RecordAuditEntry.value,
            sa.func.count(),
        )
        .where(RecordAuditEntry.assessment_id == assessment.id)
        .group_by(RecordAuditEntry.source, RecordAuditEntry.question_id, RecordAuditEntry.value)
    ):
        counts[source][question_id][int(value)] = int(count)
    records = dict(
        db.session.execute(
            sa.select(
                RecordAuditEntry.source,
                sa.func.count(sa.distinct(RecordAuditEntry.record_number)),
            )
            .where(RecordAuditEntry.assessment_id == assessment.id)
            .group_by(RecordAuditEntry.source)
        ).all()
    )
    out = []
    for source in SOURCES:
        if source not in counts:
            continue
        result = AuditResult(source=source, sample=sample, records=int(records.get(source, 0)))
        for q in instrument.questions:
            qc = counts[source].get(q.id, {})
            result.criteria.append(
                CriterionResult(
                    code=q.code,
                    text=getattr(q, f"text_{lang_code}"),
                    standards=list(q.standards),
                    yes=qc.get(YES_NO_NA["yes"], 0),
                    no=qc.get(YES_NO_NA["no"], 0),
                    not_applicable=qc.get(YES_NO_NA["not_applicable"], 0),
                )
            )
        out.append(result)
    return out


def source_label(source: str) -> str:
    return _("Record audit (unit)") if source == "unit" else _("Record audit (visit team)")


def summary_of(c: CriterionResult, sample: int) -> str:
    """ "7 of 9 records (1 not applicable; sample 10)"."""
    text = _("%(yes)d of %(n)d records", yes=c.yes, n=c.applicable)
    if c.not_applicable:
        text += " " + _("(%(na)d not applicable)", na=c.not_applicable)
    return text + " · " + _("sample %(k)d", k=sample)


def save(
    user: User,
    assessment: Assessment,
    entries: Sequence[Mapping[str, Any]],
    *,
    visit: Visit | None = None,
) -> int:
    """Save answers of the unit's audit (``visit`` None) or a visit team's: each entry
    ``{"criterion", "record", "value"}`` with value "yes", "no", "not_applicable" or "" (clear).
    All or nothing: a bad entry raises :class:`ServiceError` (422) and nothing is saved.
    Saving the same answers again changes nothing (a replay from the tablet's queue is
    harmless). Returns how many answers changed."""
    if visit is None:
        require(user, "surveys.record_audit", assessment)
        source = "unit"
    else:
        require(user, "visit.record", visit)
        if visit.assessment_id != assessment.id:
            raise ServiceError(_("The visit is not to this self-assessment."), status=422)
        source = "visit"
    instrument = instrument_of(assessment.cycle.edition_id)
    if instrument is None:
        raise ServiceError(_("This edition has no record audit."), status=422)
    sample = sample_size(assessment.cycle.network_id)
    criteria = {q.code: q for q in instrument.questions}
    if len(entries) > MAX_ENTRIES:
        raise ServiceError(_("Too many answers in one go."), status=422)
    wanted: dict[tuple[int, int], int | None] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise ServiceError(
                _("Each answer needs a criterion, a record and a value."), status=422
            )
        code, record, value = entry.get("criterion"), entry.get("record"), entry.get("value")
        if code not in criteria:
            raise ServiceError(_("Unknown criterion: %(code)s.", code=str(code)[:20]), status=422)
        if not isinstance(record, int) or isinstance(record, bool) or not 1 <= record <= sample:
            raise ServiceError(
                _("Records are numbered 1 to %(k)d (the sample).", k=sample), status=422
            )
        if value not in (*YES_NO_NA, ""):
            raise ServiceError(_("An answer is yes, no, not applicable or empty."), status=422)
        wanted[(criteria[code].id, record)] = YES_NO_NA[value] if value else None
    visit_id = visit.id if visit is not None else None
    existing = {
        (e.question_id, e.record_number): e
        for e in db.session.scalars(
            sa.select(RecordAuditEntry).where(
                RecordAuditEntry.assessment_id == assessment.id,
                RecordAuditEntry.source == source,
            )
        )
    }
    changed = 0
    now = utcnow()
    for (question_id, record), value in wanted.items():
        row = existing.get((question_id, record))
        if value is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
            continue
        if row is None:
            db.session.add(
                RecordAuditEntry(
                    assessment_id=assessment.id,
                    source=source,
                    visit_id=visit_id,
                    question_id=question_id,
                    record_number=record,
                    value=value,
                    updated_at=now,
                    updated_by_id=user.id,
                )
            )
            changed += 1
        elif row.value != value:
            row.value = value
            row.visit_id = visit_id
            row.updated_at = now
            row.updated_by_id = user.id
            changed += 1
    if changed:
        audit.record(
            user,
            "record_audit",
            assessment.id,
            changes={"source": (None, source), "answers": (None, changed)},
            unit_id=assessment.unit_id,
            network_id=assessment.cycle.network_id,
        )
    db.session.commit()
    return changed


# --- evidence (kvip.core.evidence) ------------------------------------------------------------


def _lang() -> str:
    from kvip.surveys.results import lang

    return lang()


def evidence_lines(
    assessment_id: int, standard_codes: Sequence[str] | None = None
) -> dict[str, list[EvidenceLine]]:
    """Per standard, one line per criterion mapped to it: "Journalgjennomgang: 6 av 10"."""
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        return {}
    wanted = set(standard_codes) if standard_codes is not None else None
    out: dict[str, list[EvidenceLine]] = defaultdict(list)
    for r in results_for(assessment, _lang()):
        for c in r.criteria:
            if not c.audited:
                continue
            for code in c.standards:
                if wanted is None or code in wanted:
                    out[code].append(
                        EvidenceLine(source_label(r.source), summary_of(c, r.sample), c.text)
                    )
    return dict(out)


def evidence_sections(assessment_id: int) -> list[EvidenceSection]:
    """The record audit in the visit pack and the report: per source, per criterion."""
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        return []
    results = results_for(assessment, _lang())
    if not results:
        return []
    groups = []
    for r in results:
        status = _("%(n)d of %(k)d records audited", n=r.records, k=r.sample)
        rows = [(c.text, summary_of(c, r.sample)) for c in r.criteria if c.audited]
        groups.append((source_label(r.source), status, rows))
    return [
        EvidenceSection(
            title=_("Record audit"),
            note=_(
                "Records are numbered Journal 1 to %(k)d; no patient is identified.",
                k=results[0].sample,
            ),
            groups=groups,
        )
    ]

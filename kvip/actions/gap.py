"""The regulation GAP analysis: for each of the 21 duties of §§ 6–9, is it in place?

Status of a duty, derived from the standards that serve it (their score by ``scoring``):
- no standard of the edition serves the duty → ``not_covered`` ("not assessed by the network
  method");
- standards serve it but none is rated applicable yet → ``no_data``;
- the score as shown (a whole number, halves rounded up: :func:`shown_score`) ≥ 90 →
  ``in_place``; 60–89 → ``partly``; under 60 → ``gap`` (:func:`status_of_score`, the one
  place the thresholds are applied: page, legend, PDF and API all use it);
- an essential (type 1, legal) standard of the duty that is not met caps the status at
  ``partly``: a legal requirement is not in place while one of its standards is not met.
Derived risk: ``gap`` or any type 1 standard not met → high; ``partly`` → medium; ``in_place``
→ low; otherwise none. The unit may override status and risk with a reason (GapOverride).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from kvip import scoring
from kvip.actions import duties_ref, queries
from kvip.actions.models import Action, ActionDuty, ActionStatus, GapOverride, Risk
from kvip.core import audit, versioning
from kvip.core.db import utcnow
from kvip.core.errors import ServiceError
from kvip.core.i18n import localized
from kvip.core.permissions import require
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from kvip.standards.models import Standard, StandardDuty
from kvip.surveys.results import results_for
from kvip.visits.models import Finding

IN_PLACE_FROM = 90  # the shown (whole-number) score from which a duty is in place
PARTLY_FROM = 60  # … from which it is partly in place; below it, a gap
STATUSES = ("in_place", "partly", "gap", "no_data", "not_covered")
OVERRIDE_STATUSES = ("in_place", "partly", "gap")


def status_labels() -> dict[str, str]:
    return {
        "in_place": _("In place"),
        "partly": _("Partly in place"),
        "gap": _("Gap"),
        "no_data": _("Not rated yet"),
        "not_covered": _("Not assessed by the network method"),
    }


def status_badge(status: str) -> str:
    return {"in_place": "ok", "partly": "warn", "gap": "bad"}.get(status, "")


def legend() -> list[tuple[str, str]]:
    """(status, the scores that give it) for the page's and the PDF's legend, from the same
    thresholds as :func:`status_of_score`."""
    return [
        ("in_place", _("score %(n)d or more", n=IN_PLACE_FROM)),
        ("partly", _("%(low)d to %(high)d", low=PARTLY_FROM, high=IN_PLACE_FROM - 1)),
        ("gap", _("under %(n)d", n=PARTLY_FROM)),
    ]


# --- the pure derivation --------------------------------------------------------------------


def shown_score(score: float | None) -> int | None:
    """A duty's score as every view shows it: a whole number, halves rounded up (59.5 → 60,
    59.4 → 59). Python's ``round`` and ``'%.0f'`` round halves to even (58.5 → 58), so views
    never format the score themselves. The 1e-6 guard absorbs float noise (59.4999999 → 60)."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    return math.floor(round(float(score), 6) + 0.5)


def status_of_score(score: float | None) -> str:
    """``in_place``, ``partly``, ``gap`` (or ``no_data``) from the shown score, so that a duty
    shown as "score 60" always has the status of 60."""
    shown = shown_score(score)
    if shown is None:
        return "no_data"
    if shown >= IN_PLACE_FROM:
        return "in_place"
    if shown >= PARTLY_FROM:
        return "partly"
    return "gap"


@dataclass(frozen=True)
class Derived:
    status: str
    risk: str | None
    summary: scoring.Summary | None
    standards: tuple[str, ...]
    type1_not_met: tuple[str, ...]

    @property
    def score(self) -> float | None:
        return self.summary.score if self.summary else None

    @property
    def shown_score(self) -> int | None:
        """The score as shown (whole number); the status is derived from it."""
        return shown_score(self.score)


def derive(values: Sequence[tuple[str, int, str | None]]) -> Derived:
    """Status and risk of one duty from its standards as (code, type, rating value or None)."""
    codes = tuple(code for code, _type, _value in values)
    if not values:
        return Derived("not_covered", None, None, codes, ())
    summary = scoring.summary_of([value for _code, _type, value in values])
    type1_not_met = tuple(
        code for code, kind, value in values if kind == 1 and value == scoring.NOT_MET
    )
    status = status_of_score(summary.score)
    if status == "in_place" and type1_not_met:
        status = "partly"
    risk: str | None
    if status == "gap" or type1_not_met:
        risk = Risk.high.value
    elif status == "partly":
        risk = Risk.medium.value
    elif status == "in_place":
        risk = Risk.low.value
    else:
        risk = None
    return Derived(status, risk, summary, codes, type1_not_met)


def derive_all(
    serving: Mapping[str, Sequence[tuple[str, int]]], ratings: Mapping[str, str | None]
) -> dict[str, Derived]:
    """Every duty: ``serving`` maps duty → [(standard code, type)], ``ratings`` code → value."""
    return {
        code: derive([(s, t, ratings.get(s)) for s, t in serving.get(code, ())])
        for code in duties_ref.CODES
    }


# --- reading an assessment's GAP ------------------------------------------------------------


@dataclass
class GapRow:
    duty: duties_ref.DutyRef
    derived: Derived
    override: GapOverride | None
    actions: list[Action] = field(default_factory=list)
    # Evidence from questionnaires (duties 7e and 8d): shown beside the status, never a rating.
    voices: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.override is not None and self.override.status:
            return self.override.status
        return self.derived.status

    @property
    def risk(self) -> str | None:
        if self.override is not None and self.override.risk:
            return self.override.risk
        return self.derived.risk

    @property
    def open_actions(self) -> list[Action]:
        return [a for a in self.actions if a.status in queries.OPEN]

    @property
    def deadline(self) -> date | None:
        dates = [a.deadline for a in self.open_actions if a.deadline is not None]
        return min(dates) if dates else None

    @property
    def responsible(self) -> list[str]:
        names: list[str] = []
        for action in sorted(self.open_actions, key=lambda a: (a.deadline or date.max, a.id)):
            if action.responsible and action.responsible not in names:
                names.append(action.responsible)
        return names


def preferred_action(actions: Sequence[Action], assessment_id: int) -> Action | None:
    """The action a GAP row points to ("action exists"): a live (not dropped) one, this plan's
    before an earlier cycle's, then the oldest. None when there is none: a new one may be made."""
    live = [a for a in actions if a.status != ActionStatus.dropped.value]
    return min(live, key=lambda a: (a.assessment_id != assessment_id, a.id), default=None)


@dataclass
class Gap:
    assessment: Assessment
    source: str  # "peer" (visit team's ratings, self where the team gave none) or "self"
    rows: list[GapRow]

    def sections(self) -> list[tuple[duties_ref.SectionRef, list[GapRow]]]:
        by_code = {row.duty.code: row for row in self.rows}
        return [(s, [by_code[d.code] for d in ds]) for s, ds in duties_ref.by_section()]

    def existing_action(self, row: GapRow) -> Action | None:
        """The row's action, if it has one (see :func:`preferred_action`)."""
        return preferred_action(row.actions, self.assessment.id)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for row in self.rows:
            counts[row.status] += 1
        return counts


def serving_standards(edition_id: int) -> dict[str, list[tuple[str, int]]]:
    """duty → [(standard code, type)] for one edition."""
    rows = db.session.execute(
        sa.select(StandardDuty.duty, Standard.code, Standard.type)
        .join(Standard, Standard.id == StandardDuty.standard_id)
        .where(Standard.edition_id == edition_id)
        .order_by(Standard.position, Standard.id)
    )
    serving: dict[str, list[tuple[str, int]]] = {}
    for duty, code, kind in rows:
        serving.setdefault(duty, []).append((code, kind))
    return serving


def ratings_for(assessment: Assessment) -> tuple[dict[str, str | None], str]:
    """standard code → value by the §5 source rule, and which source it is."""
    values: dict[str, str | None] = dict(
        db.session.execute(  # type: ignore[arg-type]
            sa.select(Standard.code, Rating.value)
            .join(Standard, Standard.id == Rating.standard_id)
            .where(Rating.assessment_id == assessment.id)
        ).all()
    )
    visit = queries.completed_visit(assessment.id)
    if visit is None:
        return values, "self"
    for code, value in db.session.execute(
        sa.select(Standard.code, Finding.value)
        .join(Standard, Standard.id == Finding.standard_id)
        .where(Finding.visit_id == visit.id, Finding.value.is_not(None))
    ):
        values[code] = value
    return values, "peer"


def linked_actions(assessment: Assessment) -> dict[str, list[Action]]:
    """duty → actions: all of this assessment's, plus still open ones of earlier cycles."""
    earlier = (
        sa.select(Assessment.id)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .where(
            Assessment.unit_id == assessment.unit_id,
            Assessment.id != assessment.id,
            Cycle.year <= assessment.cycle.year,
        )
    )
    rows = db.session.execute(
        sa.select(ActionDuty.duty, Action)
        .join(Action, Action.id == ActionDuty.action_id)
        .where(
            sa.or_(
                Action.assessment_id == assessment.id,
                sa.and_(Action.assessment_id.in_(earlier), Action.status.in_(queries.OPEN)),
            )
        )
        .order_by(Action.deadline.is_(None), Action.deadline, Action.id)
    )
    linked: dict[str, list[Action]] = {}
    for duty, action in rows:
        linked.setdefault(duty, []).append(action)
    return linked


def gap_of(assessment: Assessment) -> Gap:
    """The GAP analysis of one assessment: 21 rows in regulation order."""
    ratings, source = ratings_for(assessment)
    derived = derive_all(serving_standards(assessment.cycle.edition_id), ratings)
    overrides = {
        o.duty: o
        for o in db.session.scalars(
            sa.select(GapOverride).where(GapOverride.assessment_id == assessment.id)
        )
    }
    linked = linked_actions(assessment)
    voices = voices_of(assessment)
    rows = [
        GapRow(
            d,
            derived[d.code],
            overrides.get(d.code),
            linked.get(d.code, []),
            voices.get(d.code, []),
        )
        for d in duties_ref.DUTIES
    ]
    return Gap(assessment, source, rows)


# Duties the voices of patients, users and relatives serve: §7 e (make use of their
# experiences) and §8 d (assess the service against them).
VOICE_DUTIES = ("7e", "8d")


def voices_of(assessment: Assessment) -> dict[str, list[str]]:
    """Questionnaire evidence for duties 7e and 8d: for 7e that (and what) was collected, for
    8d the results (average % positive, only above the respondent threshold)."""
    results = [r for r in results_for(assessment) if r.code != "staff"]
    if not results:
        return {}
    collected, used = [], []
    for r in results:
        collected.append(_("%(title)s: %(n)d respondents", title=r.title, n=r.respondents))
        pcts = [q.positive_pct for q in r.questions if q.positive_pct is not None]
        if r.suppressed or not pcts:
            used.append(_("%(title)s: too few answers yet", title=r.title))
        else:
            used.append(
                _(
                    "%(title)s: %(pct)d %% positive on average (%(q)d questions)",
                    title=r.title,
                    pct=round(sum(pcts) / len(pcts)),
                    q=len(pcts),
                )
            )
    return {"7e": collected, "8d": used}


def row_json(row: GapRow) -> dict[str, Any]:
    summary = row.derived.summary
    return {
        "duty": row.duty.code,
        "section": row.duty.section,
        "title": duties_ref_title(row.duty),
        "status": row.status,
        "derived_status": row.derived.status,
        "risk": row.risk,
        "derived_risk": row.derived.risk,
        "score": summary.score if summary else None,
        "score_shown": row.derived.shown_score,
        "standards": list(row.derived.standards),
        "type1_not_met": list(row.derived.type1_not_met),
        "applicable": summary.counts.applicable if summary else 0,
        "override": (
            {
                "status": row.override.status,
                "risk": row.override.risk,
                "reason": row.override.reason,
            }
            if row.override
            else None
        ),
        "actions": [
            {
                "id": a.id,
                "title": a.title,
                "status": a.status,
                "deadline": a.deadline.isoformat() if a.deadline else None,
                "responsible": a.responsible,
                "assessment_id": a.assessment_id,
            }
            for a in row.actions
        ],
        "deadline": row.deadline.isoformat() if row.deadline else None,
        "responsible": row.responsible,
    }


def duties_ref_title(duty: duties_ref.DutyRef) -> str:
    return localized(duty, "title")


# --- the unit's override --------------------------------------------------------------------


def set_override(
    actor: Any,
    assessment: Assessment,
    duty: str,
    *,
    status: str | None,
    risk: str | None,
    reason: str,
    version: Any = None,
) -> GapOverride | None:
    """Record the unit's own judgement of a duty (status and/or risk, with a reason); both
    empty removes the override and the derived values apply again. ``version`` is the one the
    person saw (0: no override yet); an older one or a lost race raises ``EditConflict``."""
    require(actor, "actions.edit", assessment)
    if duty not in duties_ref.CODES:
        raise ServiceError(_("Unknown duty."), status=404, code="not_found")
    status = status or None
    risk = risk or None
    reason = reason.strip()
    errors: dict[str, str] = {}
    if status is not None and status not in OVERRIDE_STATUSES:
        errors["status"] = _("Choose in place, partly in place or gap.")
    if risk is not None and risk not in {r.value for r in Risk}:
        errors["risk"] = _("Choose low, medium or high risk.")
    if (status or risk) and not reason:
        errors["reason"] = _("Say why the unit judges this differently from the scores.")
    if len(reason) > 2000:
        errors["reason"] = _("Keep this text under %(n)d characters.", n=2000)
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors)

    def stored() -> GapOverride | None:
        return db.session.scalar(
            sa.select(GapOverride).where(
                GapOverride.assessment_id == assessment.id, GapOverride.duty == duty
            )
        )

    override = stored()
    versioning.check_version("gap_override", override, version)
    scope = {"network_id": assessment.cycle.network_id, "unit_id": assessment.unit_id}
    creating = override is None
    with versioning.guarded("gap_override", override, reload=stored, creating=creating):
        if status is None and risk is None:
            if override is not None:
                audit.record(
                    actor,
                    "gap_override",
                    override.id,
                    action="delete",
                    changes={"status": (override.status, None), "risk": (override.risk, None)},
                    note=duty,
                    **scope,
                )
                db.session.delete(override)  # DELETE … WHERE version = the one checked
                db.session.commit()
            return None
        fields = ("status", "risk", "reason")
        if override is None:
            # One INSERT (version 1), no follow-up UPDATE.
            override = GapOverride(assessment_id=assessment.id, duty=duty)
            db.session.add(override)
            before: dict[str, Any] = dict.fromkeys(fields)
        else:
            before = audit.snapshot(override, fields)
        override.status, override.risk, override.reason = status, risk, reason
        override.updated_at = utcnow()
        override.updated_by_id = getattr(actor, "id", None)
        db.session.flush()
        audit.record_diff(
            actor,
            "gap_override",
            override,
            before,
            action="create" if creating else "update",
            note=duty,
            **scope,
        )
        db.session.commit()
    return override

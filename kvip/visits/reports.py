"""The visit report: generated from the visit's data (every number from
:mod:`kvip.scoring`), stored as a snapshot, and moved draft → shared_with_unit → final
with the unit's comments on factual accuracy kept beside the draft."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from kvip.accounts.permissions import unit_role
from kvip.core import audit, dates, evidence, pdf, versioning
from kvip.core.db import utcnow
from kvip.core.errors import PermissionDenied, ServiceError
from kvip.core.formats import format_date
from kvip.core.permissions import require
from kvip.extensions import db
from kvip.network.overrides import RuleBlocked, is_overridden
from kvip.scoring import agreement, group_summaries, summary_of
from kvip.visits.models import (
    Observation,
    ObservationKind,
    Report,
    ReportComment,
    ReportState,
    Visit,
    VisitState,
)
from kvip.visits.pack import visit_rows
from kvip.visits.services import audit_scope

DRAFT_DUE_DAYS = 28  # draft report to the unit ≤ 4 weeks after the visit
FINAL_DUE_DAYS = 56  # final report ≤ 8 weeks after the visit
MAX_COMMENT = 5_000


def _agreement_dict(pairs: list[tuple[str | None, str | None]]) -> dict[str, Any]:
    result = agreement(pairs)
    return {
        "n": result.n,
        "percent": result.percent,
        "kappa": result.kappa,
        # kappa says nothing where one side gave one rating throughout (shown as "–")
        "kappa_degenerate": result.kappa_degenerate,
        "ac1": result.ac1,
        "ac2": result.ac2,
    }


def build_content(visit: Visit) -> dict[str, Any]:
    """The report's content from the data, in both languages (a JSON-ready snapshot)."""
    assessment = visit.assessment
    unit = assessment.unit
    cycle = assessment.cycle
    domains, standards, self_rows, peer_rows = visit_rows(visit)
    code_of = {s.id: s.code for s in standards}
    self_values = {code_of[k]: r.value for k, r in self_rows.items() if k in code_of}
    peer_values = {code_of[k]: f.value for k, f in peer_rows.items() if k in code_of}
    domain_code = {d.id: d.code for d in domains}
    groups: dict[str, list[str]] = {d.code: [] for d in domains}
    for s in standards:
        groups.setdefault(domain_code.get(s.domain_id, "?"), []).append(s.code)
    self_summaries = group_summaries(self_values, groups)
    peer_summaries = group_summaries(peer_values, groups)
    all_codes = [s.code for s in standards]
    domain_rows = []
    for d in domains:
        codes = groups[d.code]
        domain_rows.append(
            {
                "code": d.code,
                "title_nb": d.title_nb,
                "title_en": d.title_en,
                "total": len(codes),
                "self": self_summaries[d.code].as_dict(),
                "peer": peer_summaries[d.code].as_dict(),
                "agreement": _agreement_dict(
                    [(self_values.get(c), peer_values.get(c)) for c in codes]
                ),
            }
        )
    observations = db.session.scalars(
        sa.select(Observation)
        .options(selectinload(Observation.standards), joinedload(Observation.domain))
        .where(Observation.visit_id == visit.id)
        .order_by(Observation.created_at, Observation.id)
    ).all()
    grouped: dict[str, list[dict[str, Any]]] = {k.value: [] for k in ObservationKind}
    for o in observations:
        grouped.setdefault(o.kind, []).append(
            {
                "text": o.text,
                "domain": o.domain.code if o.domain else None,
                "standards": sorted(s.code for s in o.standards),
            }
        )
    return {
        "generated_at": utcnow().isoformat() + "Z",
        "unit": {
            "name": unit.name,
            "institution": unit.institution.name,
            "kind": unit.kind,
            "beds": unit.beds,
        },
        "cycle": {"name": cycle.name, "year": cycle.year},
        "visit": {
            "date": visit.date.isoformat() if visit.date else None,
            "completed_at": visit.completed_at.isoformat() if visit.completed_at else None,
        },
        "team": [
            {
                "name": m.user.name,
                "role": m.role,
                "institution": m.user.home_institution.name if m.user.home_institution else None,
            }
            for m in sorted(visit.team, key=lambda m: (m.role != "lead_reviewer", m.user.name))
        ],
        "overall": {
            "self": summary_of((self_values.get(c) for c in all_codes), len(all_codes)).as_dict(),
            "peer": summary_of((peer_values.get(c) for c in all_codes), len(all_codes)).as_dict(),
            "agreement": _agreement_dict(
                [(self_values.get(c), peer_values.get(c)) for c in all_codes]
            ),
        },
        "domains": domain_rows,
        "observations": grouped,
        # What young people, parents and staff told us (kvip.core.evidence; above threshold).
        "voices": [asdict(section) for section in evidence.sections_for(visit.assessment_id)],
        "standards": [
            {
                "code": s.code,
                "domain": domain_code.get(s.domain_id),
                "type": s.type,
                "text_nb": s.text_nb,
                "text_en": s.text_en,
                "self_value": self_values.get(s.code),
                "self_comment": self_rows[s.id].comment if s.id in self_rows else "",
                "peer_value": peer_values.get(s.code),
                "peer_comment": peer_rows[s.id].comment if s.id in peer_rows else "",
            }
            for s in standards
        ],
    }


def content_of(report: Report) -> dict[str, Any]:
    """The stored snapshot; built on the fly (not saved) if none was generated yet."""
    try:
        content = json.loads(report.content or "{}")
    except ValueError:
        content = {}
    return content if content.get("domains") is not None else build_content(report.visit)


def regenerate(report: Report) -> None:
    """Replace the snapshot with the current data (the caller audits and commits)."""
    report.content = json.dumps(build_content(report.visit), default=str)
    report.generated_at = utcnow()


def revision_note(report: Report) -> str | None:
    """Why the report may differ from the visit's findings now, after the visit was reopened:
    the report keeps what the unit was shown until the lead reviewer refreshes a draft."""
    visit = report.visit
    made = report.generated_at
    if visit.state != VisitState.completed.value:
        return _(
            "The visit has been reopened and its team is revising the findings. This report "
            "shows them as they were when it was made."
        )
    if made is None or visit.completed_at is None or visit.completed_at <= made:
        return None
    if report.state == ReportState.final.value:
        return _(
            "The team revised its findings on %(date)s, after this report became final. "
            "The final report is kept as it was issued.",
            date=format_date(visit.completed_at),
        )
    return _(
        "The team revised its findings on %(date)s, after this report was made. The lead "
        "reviewer can update the report from the visit data to show them.",
        date=format_date(visit.completed_at),
    )


# --- deadlines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    label: str
    due: date
    done_on: date | None
    overdue: bool


def deadlines(visit: Visit, report: Report | None, today: date | None = None) -> list[Deadline]:
    """Draft to the unit within 4 weeks of the visit, final within 8; overdue if passed undone."""
    base = visit.date or (dates.local_date(visit.completed_at) if visit.completed_at else None)
    if base is None:
        return []
    today = today or dates.today()
    shared = dates.local_date(report.shared_at) if report and report.shared_at else None
    final = dates.local_date(report.finalised_at) if report and report.finalised_at else None
    draft_due = base + timedelta(days=DRAFT_DUE_DAYS)
    final_due = base + timedelta(days=FINAL_DUE_DAYS)
    return [
        Deadline(
            _("Draft report to the unit"), draft_due, shared, shared is None and today > draft_due
        ),
        Deadline(_("Final report"), final_due, final, final is None and today > final_due),
    ]


# --- state changes ----------------------------------------------------------------------------


def _visit_completed(report: Report) -> None:
    """A reopened visit's findings are being revised: the report waits until it is completed."""
    if report.visit.state != VisitState.completed.value:
        raise ServiceError(
            _("The visit has been reopened; complete it again before changing the report.")
        )


def _lead_transition(actor: Any, report: Report, expected: str, new: str) -> Report:
    require(actor, "visit.lead", report.visit)
    _visit_completed(report)
    if report.state != expected:
        raise ServiceError(
            _(
                "The report is not in the right state for this (it is %(state)s).",
                state=report.state,
            )
        )
    scope = audit_scope(report.visit)
    # Two devices moving the report at once: the second's UPDATE finds a newer version.
    with versioning.guarded("report", report):
        before = audit.snapshot(report, ("state",))
        report.state = new
        now = utcnow()
        if new == ReportState.shared_with_unit.value:
            report.shared_at = now
        if new == ReportState.final.value:
            report.finalised_at = now
            report.finalised_by_id = actor.id
        regenerate(report)
        audit.record_diff(actor, "report", report, before, **scope)
        db.session.commit()
    return report


def share_report(actor: Any, report: Report) -> Report:
    """draft → shared_with_unit: the unit can now read it and comment on its facts."""
    return _lead_transition(
        actor, report, ReportState.draft.value, ReportState.shared_with_unit.value
    )


def comment_period_end(report: Report) -> date | None:
    """The last day of the unit's comment period (the network's days from sharing, Oslo date)."""
    if report.shared_at is None:
        return None
    days = max(int(report.visit.assessment.cycle.network.comment_period_days or 0), 0)
    return dates.local_date(report.shared_at) + timedelta(days=days)


def finalise_problem(report: Report, today: date | None = None) -> str | None:
    """Why the shared report cannot be made final yet (None when it can): the unit's comment
    period runs, the unit lead has not declared "no comments", and no coordinator made an
    exception."""
    end = comment_period_end(report)
    if end is None or report.no_comments_at is not None:
        return None
    today = today or dates.today()
    if today > end or is_overridden("comment_period", report.id):
        return None
    return _(
        "The unit can comment on the report until %(date)s. It can be made final after that, or earlier if the unit lead declares that the unit has no comments.",
        date=dates.long_date(end),
    )


def finalise_report(actor: Any, report: Report) -> Report:
    """shared_with_unit → final after the unit's comment period: the snapshot is frozen for
    good."""
    if report.state == ReportState.shared_with_unit.value:
        require(actor, "visit.lead", report.visit)
        problem = finalise_problem(report)
        if problem:
            raise RuleBlocked(
                problem,
                rule="comment_period",
                entity_id=report.id,
                network_id=report.visit.assessment.cycle.network_id,
            )
    return _lead_transition(
        actor, report, ReportState.shared_with_unit.value, ReportState.final.value
    )


def may_declare_no_comments(actor: Any, report: Report) -> bool:
    """The unit lead of the visited unit, while the report is shared and nothing declared."""
    return (
        report.state == ReportState.shared_with_unit.value
        and report.no_comments_at is None
        and bool(getattr(actor, "is_authenticated", False))
        and unit_role(actor, report.visit.assessment.unit_id) == "unit_lead"
    )


def declare_no_comments(actor: Any, report: Report) -> Report:
    """The unit lead declares the unit has no (more) comments: the report may be made final
    before the comment period ends (audited)."""
    require(actor, "report.view", report)
    if unit_role(actor, report.visit.assessment.unit_id) != "unit_lead":
        raise PermissionDenied(
            "report.no_comments", _("Only the unit lead can declare that the unit has no comments.")
        )
    if report.state != ReportState.shared_with_unit.value:
        raise ServiceError(_("Comments are taken while the draft is shared with the unit."))
    if report.no_comments_at is not None:
        return report
    with versioning.guarded("report", report):
        before = audit.snapshot(report, ("no_comments_at", "no_comments_by_id"))
        report.no_comments_at = utcnow()
        report.no_comments_by_id = actor.id
        audit.record_diff(
            actor, "report", report, before, action="no_comments", **audit_scope(report.visit)
        )
        db.session.commit()
    return report


def refresh_report(actor: Any, report: Report) -> Report:
    """Regenerate the draft from the visit's data (after the lead corrected something)."""
    require(actor, "visit.lead", report.visit)
    if report.state == ReportState.final.value:
        raise ServiceError(_("A final report no longer changes."))
    _visit_completed(report)
    scope = audit_scope(report.visit)
    with versioning.guarded("report", report):
        regenerate(report)
        audit.record(actor, "report", report.id, action="regenerate", **scope)
        db.session.commit()
    return report


def valid_sections(report: Report) -> set[str]:
    content = content_of(report)
    sections = {"general"}
    sections.update(f"domain:{d['code']}" for d in content.get("domains", []))
    sections.update(f"standard:{s['code']}" for s in content.get("standards", []))
    return sections


def add_comment(actor: Any, report: Report, section: str, text: str) -> ReportComment:
    """The unit's comment on the factual accuracy of one section of the shared draft."""
    require(actor, "report.view", report)
    require(actor, "report.comment", report.visit)
    if report.state != ReportState.shared_with_unit.value:
        raise ServiceError(_("Comments are taken while the draft is shared with the unit."))
    text = (text or "").strip()
    errors = {}
    if not text:
        errors["text"] = _("Write your comment.")
    elif len(text) > MAX_COMMENT:
        errors["text"] = _("The comment is too long (at most %(n)s characters).", n=MAX_COMMENT)
    if section not in valid_sections(report):
        errors["section"] = _("Unknown section of the report.")
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors)
    comment = ReportComment(report_id=report.id, section=section, text=text, author_id=actor.id)
    db.session.add(comment)
    db.session.flush()
    audit.record(
        actor,
        "report_comment",
        comment.id,
        action="create",
        changes={"section": (None, section), "text": (None, text)},
        **audit_scope(report.visit),
    )
    db.session.commit()
    return comment


def respond_to_comment(
    actor: Any, comment: ReportComment, response: str, *, version: Any = None
) -> ReportComment:
    """The lead reviewer's answer to a unit comment (what was corrected, or why not).
    ``version`` is the one the person saw: an older one or a lost race raises EditConflict."""
    report = comment.report
    require(actor, "visit.lead", report.visit)
    versioning.check_version("report_comment", comment, version)
    if report.state == ReportState.final.value:
        raise ServiceError(_("A final report no longer changes."))
    response = (response or "").strip()
    if not response:
        raise ServiceError(_("Write your response."), fields={"response": _("Required.")})
    if len(response) > MAX_COMMENT:
        raise ServiceError(
            _("The comment is too long (at most %(n)s characters).", n=MAX_COMMENT),
            fields={"response": _("Too long.")},
        )
    scope = audit_scope(report.visit)
    with versioning.guarded("report_comment", comment):
        before = audit.snapshot(comment, ("response",))
        comment.response = response
        comment.responded_at = utcnow()
        comment.responded_by_id = actor.id
        audit.record_diff(actor, "report_comment", comment, before, **scope)
        db.session.commit()
    return comment


def render_pdf(html: str, images: Mapping[str, bytes] | None = None) -> bytes:
    """The printable report (page numbers and the unit's name come from @page margin boxes);
    ``images`` are its chart (``chart_images.for_pdf``)."""
    return pdf.render_pdf(html, images)

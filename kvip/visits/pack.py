"""The visit pack: everything a team member's tablet needs for the visit, as one JSON document
(``GET /api/v1/visits/<id>``), stored on the tablet by "prepare for visit"."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from kvip.core import evidence
from kvip.core.db import iso, utcnow
from kvip.core.i18n import lang, localized
from kvip.core.permissions import can
from kvip.cycles.models import Rating
from kvip.extensions import db
from kvip.standards.duties import method_labels
from kvip.standards.models import Domain, Standard
from kvip.visits.models import Finding, Observation, Report, ReportState, Visit, VisitState
from kvip.visits.permissions import team_role
from kvip.visits.sync import finding_dict, observation_dict


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def self_rating_dict(rating: Rating | None) -> dict[str, Any] | None:
    if rating is None:
        return None
    return {
        "value": rating.value,
        "comment": rating.comment or "",
        "evidence": rating.evidence or "",
        "evidence_links": _lines(rating.evidence_links),
        "evidence_kinds": [k for k in (rating.evidence_kinds or "").split(",") if k],
        "carried_over": bool(rating.carried_over),
    }


def evidence_dict(line: evidence.EvidenceLine) -> dict[str, Any]:
    """One evidence line of a standard ("Ungdom: 7 av 9 enige"; muted: too few answers yet)."""
    return {
        "source": line.source,
        "summary": line.summary,
        "detail": line.detail,
        "muted": line.muted,
    }


def visit_summary(visit: Visit) -> dict[str, Any]:
    """The short form of a visit (``GET /api/v1/visits``)."""
    assessment = visit.assessment
    return {
        "id": visit.id,
        "state": visit.state,
        "date": iso(visit.date),
        "unit": {"id": assessment.unit.id, "name": assessment.unit.name},
        "institution": assessment.unit.institution.name,
        "cycle": {"id": assessment.cycle.id, "name": assessment.cycle.name},
        "assessment_id": assessment.id,
    }


def may_record_now(user: Any, visit: Visit) -> bool:
    """Whether the tablet should offer the rating controls at all (the server decides anyway)."""
    if not can(user, "visit.record", visit):
        return False
    if visit.state in (VisitState.scheduled.value, VisitState.in_progress.value):
        return True
    if visit.state == VisitState.completed.value:
        report_state = db.session.scalar(sa.select(Report.state).where(Report.visit_id == visit.id))
        return team_role(user, visit.id) == "lead_reviewer" and report_state != (
            ReportState.final.value
        )
    return False


def visit_rows(
    visit: Visit,
) -> tuple[list[Domain], list[Standard], dict[int, Rating], dict[int, Finding]]:
    """The edition's domains and standards in order, and the self ratings and team findings of
    the visit by standard id: four queries, shared by the visit pack and the report."""
    assessment = visit.assessment
    edition_id = assessment.cycle.edition_id
    domains = list(
        db.session.scalars(
            sa.select(Domain).where(Domain.edition_id == edition_id).order_by(Domain.position)
        )
    )
    standards = list(
        db.session.scalars(
            sa.select(Standard)
            .where(Standard.edition_id == edition_id)
            .order_by(Standard.position, Standard.id)
        )
    )
    ratings = {
        r.standard_id: r
        for r in db.session.scalars(sa.select(Rating).where(Rating.assessment_id == assessment.id))
    }
    findings = {
        f.standard_id: f
        for f in db.session.scalars(
            sa.select(Finding)
            .options(joinedload(Finding.updated_by))
            .where(Finding.visit_id == visit.id)
        )
    }
    return domains, standards, ratings, findings


def visit_pack(visit: Visit, user: Any) -> dict[str, Any]:
    """The whole pack: unit, team, every standard with its self rating and team finding (with
    version), and the observations. A handful of queries whatever the instance's size."""
    assessment = visit.assessment
    unit = assessment.unit
    cycle = assessment.cycle
    domains, standards, ratings, findings = visit_rows(visit)
    observations = db.session.scalars(
        sa.select(Observation)
        .options(
            selectinload(Observation.standards),
            joinedload(Observation.domain),
            joinedload(Observation.created_by),
        )
        .where(Observation.visit_id == visit.id)
        .order_by(Observation.created_at, Observation.id)
    ).all()
    by_domain: dict[int, list[dict[str, Any]]] = {d.id: [] for d in domains}
    # What the instruments mapped to each standard say (questionnaires, record audits; the
    # providers apply their thresholds): drawn on each standard's card, offline too.
    lines = evidence.evidence_for(assessment.id)
    language = lang()
    how = _("How it is checked:")
    for std in standards:
        methods = list(std.methods or ())
        guidance = localized(std, "guidance")
        if methods:
            # Shown where the tablet shows the guidance, until it shows "methods" by itself.
            line = f"{how} {' · '.join(method_labels(methods, language))}"
            guidance = f"{line}\n\n{guidance}" if guidance else line
        by_domain.setdefault(std.domain_id, []).append(
            {
                "code": std.code,
                "type": std.type,
                "text": localized(std, "text"),
                "guidance": guidance,
                "methods": methods,
                "duties": std.duties,
                "self": self_rating_dict(ratings.get(std.id)),
                "finding": finding_dict(findings.get(std.id), std.code),
                "evidence": [evidence_dict(line) for line in lines.get(std.code, ())],
            }
        )
    role = team_role(user, visit.id)
    return {
        "id": visit.id,
        "state": visit.state,
        "date": iso(visit.date),
        "generated_at": iso(utcnow()),
        "writable": may_record_now(user, visit),
        "unit": {
            "id": unit.id,
            "name": unit.name,
            "institution": unit.institution.name,
            "kind": unit.kind,
            "beds": unit.beds,
            "region": unit.region,
        },
        "cycle": {"id": cycle.id, "name": cycle.name, "year": cycle.year},
        "assessment": {
            "id": assessment.id,
            "state": assessment.state,
            "submitted_at": iso(assessment.submitted_at),
        },
        "team": [
            {
                "user_id": m.user_id,
                "name": m.user.name,
                "role": m.role,
                "home_institution": m.user.home_institution.name
                if m.user.home_institution
                else None,
            }
            for m in sorted(visit.team, key=lambda m: (m.role != "lead_reviewer", m.user.name))
        ],
        "me": {"id": user.id, "name": user.name, "role": role},
        "domains": [
            {"code": d.code, "title": localized(d, "title"), "standards": by_domain.get(d.id, [])}
            for d in domains
        ],
        "observations": [observation_dict(o) for o in observations],
    }

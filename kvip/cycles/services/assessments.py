"""An assessment's own states: started by the first save, submitted by the unit lead when
complete (it then locks), reopened by a coordinator with a reason."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from kvip.core import audit, dates
from kvip.core.db import utcnow
from kvip.core.errors import ServiceError
from kvip.core.permissions import require
from kvip.cycles.models import Assessment, AssessmentState, CycleState, Rating
from kvip.extensions import db
from kvip.network.overrides import RuleBlocked, is_overridden
from kvip.standards.models import Standard


def window_problem(assessment: Assessment, today: date | None = None) -> str | None:
    """Why today lies outside the cycle's self-assessment window (opens..closes, inclusive,
    Oslo dates), or None when it is inside, unset, or a coordinator lifted it for this unit."""
    cycle = assessment.cycle
    today = today or dates.today()
    message = None
    if cycle.self_assessment_opens and today < cycle.self_assessment_opens:
        message = _(
            "The self-assessment window opens %(date)s.",
            date=dates.long_date(cycle.self_assessment_opens),
        )
    elif cycle.self_assessment_closes and today > cycle.self_assessment_closes:
        message = _(
            "The self-assessment window closed on %(date)s.",
            date=dates.long_date(cycle.self_assessment_closes),
        )
    if message is None or is_overridden("assessment_window", assessment.id):
        return None
    return message


def require_in_window(assessment: Assessment, today: date | None = None) -> None:
    """Rating and submitting happen inside the self-assessment window (409 outside it)."""
    problem = window_problem(assessment, today)
    if problem:
        raise RuleBlocked(
            problem,
            rule="assessment_window",
            entity_id=assessment.id,
            network_id=assessment.cycle.network_id,
        )


def require_editable(assessment: Assessment) -> None:
    """Ratings change only while the cycle is open, inside its self-assessment window, and the
    assessment not submitted (409)."""
    if assessment.cycle.state != CycleState.open.value:
        raise ServiceError(
            _("The cycle is not open: the self-assessment cannot be changed."),
            status=409,
            code="locked",
        )
    if assessment.state == AssessmentState.submitted.value:
        raise ServiceError(
            _("The self-assessment is submitted and locked. A coordinator can reopen it."),
            status=409,
            code="locked",
        )
    require_in_window(assessment)


def _set_state(
    actor: Any, assessment: Assessment, state: AssessmentState, action: str, note: str | None = None
) -> None:
    """Move the assessment to ``state`` with its audit entry (the caller commits)."""
    old = assessment.state
    assessment.state = state.value
    audit.record(
        actor,
        "assessment",
        assessment.id,
        action=action,
        changes={"state": (old, assessment.state)},
        network_id=assessment.cycle.network_id,
        unit_id=assessment.unit_id,
        note=note,
    )


def mark_started(actor: Any, assessment: Assessment) -> None:
    """not_started → in_progress at the first change (audited; committed by the caller)."""
    if assessment.state == AssessmentState.not_started.value:
        _set_state(actor, assessment, AssessmentState.in_progress, "start")


def open_work(assessment: Assessment) -> tuple[int, int]:
    """(standards not rated, ratings still carried over unconfirmed) of an assessment."""
    total = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Standard)
        .where(Standard.edition_id == assessment.cycle.edition_id)
    )
    rated, carried = db.session.execute(
        sa.select(
            sa.func.count(Rating.value),
            sa.func.coalesce(sa.func.sum(sa.case((Rating.carried_over.is_(True), 1), else_=0)), 0),
        ).where(Rating.assessment_id == assessment.id)
    ).one()
    return int(total or 0) - int(rated or 0), int(carried or 0)


def submit_assessment(actor: Any, assessment: Assessment) -> Assessment:
    """The unit lead submits when every standard is rated (N/A counts) and confirmed; it locks."""
    require(actor, "assessment.submit", assessment)
    require_editable(assessment)
    unrated, carried = open_work(assessment)
    if unrated:
        raise ServiceError(
            ngettext(
                "%(num)d standard is not rated yet. Every standard needs a rating before you submit (Not applicable counts).",
                "%(num)d standards are not rated yet. Every standard needs a rating before you submit (Not applicable counts).",
                unrated,
            ),
            code="incomplete",
        )
    if carried:
        raise ServiceError(
            ngettext(
                "%(num)d rating carried over from the last cycle is not confirmed yet. Confirm or change it before you submit.",
                "%(num)d ratings carried over from the last cycle are not confirmed yet. Confirm or change them before you submit.",
                carried,
            ),
            code="unconfirmed",
        )
    _set_state(actor, assessment, AssessmentState.submitted, "submit")
    assessment.submitted_at = utcnow()
    assessment.submitted_by_id = actor.id
    db.session.commit()
    return assessment


def reopen_assessment(actor: Any, assessment: Assessment, reason: str) -> Assessment:
    """A coordinator reopens a submitted self-assessment, giving the unit a reason."""
    require(actor, "assessment.reopen", assessment)
    if assessment.state != AssessmentState.submitted.value:
        raise ServiceError(_("Only a submitted self-assessment can be reopened."), status=409)
    if assessment.cycle.state != CycleState.open.value:
        raise ServiceError(_("The cycle is closed: the self-assessment stays locked."), status=409)
    reason = reason.strip()
    if not reason:
        raise ServiceError(
            _("Give the unit a reason for reopening."),
            fields={"reason": _("Enter a reason.")},
        )
    if len(reason) > 2000:
        raise ServiceError(
            _("At most %(n)d characters.", n=2000),
            fields={"reason": _("At most %(n)d characters.", n=2000)},
        )
    _set_state(actor, assessment, AssessmentState.in_progress, "reopen", note=reason)
    assessment.submitted_at = None
    assessment.submitted_by_id = None
    db.session.commit()
    return assessment

"""Maturity of the management system: once a cycle the unit rates itself 1–5 on leadership, staff
involvement and user involvement against five levels (seed 000: Tilfeldig, Organisert,
Formalisert, Forebyggende, Integrert)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from kvip.actions.models import MaturityAspect, MaturityRating
from kvip.core import audit, versioning
from kvip.core.db import utcnow
from kvip.core.errors import ServiceError
from kvip.core.permissions import require
from kvip.cycles.models import Assessment, Cycle, CycleState
from kvip.extensions import db

ASPECTS = tuple(a.value for a in MaturityAspect)
LEVELS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Level:
    number: int
    name: str
    description: str


def aspect_labels() -> dict[str, str]:
    return {
        "leadership": _("Leadership"),
        "staff_involvement": _("Staff involvement"),
        "user_involvement": _("User involvement"),
    }


def levels() -> list[Level]:
    """The five levels with their general description (seed 000)."""
    return [
        Level(
            1,
            _("Ad hoc"),
            _(
                "Systems and competence are lacking; improvement happens ad hoc and "
                "unsystematically."
            ),
        ),
        Level(
            2,
            _("Organised"),
            _("A management system is in place; improvement is reactive, after incidents."),
        ),
        Level(
            3,
            _("Formalised"),
            _(
                "The necessary structure and leadership are in place, and the organisation builds "
                "improvement competence."
            ),
        ),
        Level(
            4,
            _("Preventive"),
            _("Proactive and ahead of incidents, with a culture of continuous improvement."),
        ),
        Level(
            5,
            _("Integrated"),
            _(
                "Improvement culture, improvement competence and risk management throughout the "
                "organisation."
            ),
        ),
    ]


def aspect_level_hints() -> dict[str, dict[int, str]]:
    """What each level looks like for each aspect (to help a unit place itself)."""
    return {
        "leadership": {
            1: _(
                "Leaders act on problems when they arise; goals and responsibilities are unclear."
            ),
            2: _("Responsibilities are described; leaders follow up after incidents and audits."),
            3: _(
                "Leaders set goals, ask for results and give time and training for improvement work."
            ),
            4: _("Leaders review risks and results regularly and start improvements before harm."),
            5: _("Improvement and risk management are part of how the unit is led every day."),
        },
        "staff_involvement": {
            1: _("Staff rarely take part in improvement; knowledge stays with individuals."),
            2: _("Staff report incidents and are asked for input when something has gone wrong."),
            3: _("Staff take part in improvement teams and are trained in the improvement model."),
            4: _("Staff propose and test changes themselves (PDSA) and share what they learn."),
            5: _("All staff see improving their work as part of their job."),
        },
        "user_involvement": {
            1: _("Patients and relatives are seldom asked about their experience."),
            2: _("Complaints and feedback are handled when they come in."),
            3: _("User surveys and a user representative feed into the unit's plans."),
            4: _("Patients and relatives take part in planning and evaluating changes."),
            5: _("User experience shapes goals, priorities and daily practice throughout."),
        },
    }


def level_name(number: int | None) -> str:
    for level in levels():
        if level.number == number:
            return level.name
    return "–"


def ratings_of(assessment_id: int) -> dict[str, MaturityRating]:
    return {
        r.aspect: r
        for r in db.session.scalars(
            sa.select(MaturityRating).where(MaturityRating.assessment_id == assessment_id)
        )
    }


def series(unit_id: int) -> list[dict[str, Any]]:
    """The unit's maturity over its cycles, oldest first: [{cycle, year, levels: {aspect: n}}]."""
    rows = db.session.execute(
        sa.select(Cycle.id, Cycle.name, Cycle.year, MaturityRating.aspect, MaturityRating.level)
        .join(Assessment, Assessment.cycle_id == Cycle.id)
        .join(MaturityRating, MaturityRating.assessment_id == Assessment.id)
        .where(Assessment.unit_id == unit_id)
        .order_by(Cycle.year, Cycle.id)
    )
    by_cycle: dict[int, dict[str, Any]] = {}
    for cycle_id, name, year, aspect, level in rows:
        entry = by_cycle.setdefault(cycle_id, {"cycle": name, "year": year, "levels": {}})
        entry["levels"][aspect] = level
    return list(by_cycle.values())


def rate(
    actor: Any,
    assessment: Assessment,
    levels_by_aspect: dict[str, Any],
    comments: dict[str, str] | None = None,
    versions: dict[str, Any] | None = None,
) -> list[MaturityRating]:
    """Save the unit's self-rating for one cycle (all three aspects, 1–5, comment optional).

    ``versions`` holds, per aspect, the version the person saw (0: not rated yet): if any is
    no longer the stored one, or the save loses a race, nothing is saved (``EditConflict``)."""
    require(actor, "actions.edit", assessment)
    if assessment.cycle.state == CycleState.closed.value:
        raise ServiceError(
            _("The cycle is closed; its maturity rating can no longer change."), status=409
        )
    comments = comments or {}
    errors: dict[str, str] = {}
    clean: dict[str, int] = {}
    for aspect in ASPECTS:
        raw = levels_by_aspect.get(aspect)
        try:
            value = int(raw) if raw not in (None, "") else None
        except (TypeError, ValueError):
            value = None
        if value not in LEVELS:
            errors[aspect] = _("Choose a level from 1 to 5.")
        else:
            clean[aspect] = value
        if len(comments.get(aspect, "") or "") > 2000:
            errors[aspect] = _("Keep this text under %(n)d characters.", n=2000)
    if errors:
        raise ServiceError(_("Choose a level for each of the three aspects."), fields=errors)
    existing = ratings_of(assessment.id)
    for aspect in ASPECTS:
        versioning.check_version(
            "maturity_rating", existing.get(aspect), (versions or {}).get(aspect)
        )
    scope = {"network_id": assessment.cycle.network_id, "unit_id": assessment.unit_id}
    assessment_id = assessment.id

    def stored() -> MaturityRating | None:
        return latest_of(assessment_id)

    saved = []
    # creating: two first ratings at once meet on the unique (assessment, aspect).
    with versioning.guarded("maturity_rating", reload=stored, creating=True):
        for aspect, level in clean.items():
            row = existing.get(aspect)
            creating = row is None
            if row is None:
                # One INSERT (version 1), no follow-up UPDATE.
                row = MaturityRating(assessment_id=assessment.id, aspect=aspect, level=level)
                db.session.add(row)
                before: dict[str, Any] = {"level": None, "comment": None}
            else:
                before = audit.snapshot(row, ("level", "comment"))
            row.level = level
            row.comment = (comments.get(aspect) or "").strip()
            row.updated_at = utcnow()
            row.updated_by_id = getattr(actor, "id", None)
            db.session.flush()
            audit.record_diff(
                actor,
                "maturity_rating",
                row,
                before,
                action="create" if creating else "update",
                note=aspect,
                **scope,
            )
            saved.append(row)
        db.session.commit()
    return saved


def latest_of(assessment_id: int) -> MaturityRating | None:
    """The aspect's rating changed last (who changed the self-rating last, and when)."""
    return db.session.scalar(
        sa.select(MaturityRating)
        .where(MaturityRating.assessment_id == assessment_id)
        .order_by(MaturityRating.updated_at.desc(), MaturityRating.id.desc())
        .limit(1)
    )

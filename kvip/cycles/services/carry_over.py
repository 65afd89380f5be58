"""Where a new self-assessment starts: the unit's previous assessment (one meaning for
carry-over, the visit pack and reminders: its last *submitted* one in an earlier cycle of the
same network), copying its ratings as carried over (across editions through the mapping), and
the unit lead's choice between last year's answers and a blank start."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from kvip.core import audit
from kvip.core.db import utcnow
from kvip.core.errors import ServiceError
from kvip.core.models import AuditEvent
from kvip.core.permissions import require
from kvip.cycles.models import Assessment, AssessmentState, Cycle, CycleState, Rating
from kvip.cycles.services.assessments import mark_started
from kvip.extensions import db
from kvip.standards import queries as standard_queries
from kvip.standards.models import Edition, Standard


def _earlier_submitted(network_id: int, year: int) -> sa.Select[Any]:
    """Submitted assessments of the network's cycles before ``year``, the latest first."""
    return (
        sa.select(Assessment)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .where(
            Cycle.network_id == network_id,
            Cycle.year < year,
            Assessment.state == AssessmentState.submitted.value,
        )
        .order_by(Cycle.year.desc(), Cycle.id.desc())
    )


def previous_assessments(network_id: int, year: int, unit_ids: Iterable[int]) -> dict[int, int]:
    """unit id → id of the unit's previous assessment (see :func:`previous_assessment`)."""
    ids = list(unit_ids)
    if not ids:
        return {}
    query = (
        _earlier_submitted(network_id, year)
        .where(Assessment.unit_id.in_(ids))
        .with_only_columns(Assessment.unit_id, Assessment.id)
    )
    found: dict[int, int] = {}
    for unit_id, assessment_id in db.session.execute(query):
        found.setdefault(unit_id, assessment_id)
    return found


def previous_assessment(assessment: Assessment) -> Assessment | None:
    """The unit's previous assessment: its last *submitted* one in an earlier cycle of the same
    network. Carry-over starts from it and the next visit reads its action plan; a cycle
    still open (or an assessment never submitted) is never a source."""
    cycle = assessment.cycle
    return db.session.scalar(
        _earlier_submitted(cycle.network_id, cycle.year)
        .where(Assessment.unit_id == assessment.unit_id)
        .limit(1)
    )


def earlier_assessments(assessment: Assessment) -> list[Assessment]:
    """Every assessment of the unit in an earlier cycle of the same network, latest first."""
    cycle = assessment.cycle
    return list(
        db.session.scalars(
            sa.select(Assessment)
            .join(Cycle, Cycle.id == Assessment.cycle_id)
            .where(
                Cycle.network_id == cycle.network_id,
                Cycle.year < cycle.year,
                Assessment.unit_id == assessment.unit_id,
            )
            .order_by(Cycle.year.desc(), Cycle.id.desc())
        )
    )


def carried_targets(source_edition_id: int, target_edition_id: int) -> dict[int, int]:
    """source standard id → the standard of the target edition its rating carries into.

    Within one edition every standard carries into itself. Across editions the mapping
    (saved, else suggested from equal codes and texts) decides: a rating carries only where the
    standard continues with the same meaning (``same``, or ``reworded`` without
    ``meaning_changed``) — its main line, so a standard merged into another or split carries
    nothing — and never into a standard whose meaning changed."""
    if source_edition_id == target_edition_id:
        ids = db.session.scalars(
            sa.select(Standard.id).where(Standard.edition_id == source_edition_id)
        )
        return {i: i for i in ids}
    old = db.session.get(Edition, source_edition_id)
    new = db.session.get(Edition, target_edition_id)
    if old is None or new is None:
        return {}
    links, _saved = standard_queries.links(old, new)
    changed = {x.new_id for x in links if x.meaning_changed}
    continuing = [
        x
        for x in links
        if x.old_id is not None
        and x.new_id is not None
        and x.change in ("same", "reworded")
        and not x.meaning_changed
        and x.new_id not in changed
    ]
    into: dict[int, int] = {}
    out_of: dict[int, int] = {}
    for x in continuing:
        assert x.new_id is not None and x.old_id is not None
        into[x.new_id] = into.get(x.new_id, 0) + 1
        out_of[x.old_id] = out_of.get(x.old_id, 0) + 1
    found: dict[int, int] = {}
    for x in continuing:
        assert x.new_id is not None and x.old_id is not None
        if into[x.new_id] == 1 and out_of[x.old_id] == 1:  # an ambiguous mapping carries nothing
            found[x.old_id] = x.new_id
    return found


def carry_over_ratings(actor: Any, cycle: Cycle, assessments: list[Assessment]) -> dict[int, int]:
    """Copy each unit's ratings of its previous assessment (:func:`previous_assessment`: the
    last *submitted* one) into its new assessment, marked carried over (bulk insert); returns
    the number copied per new assessment id. A rating that was itself carried over and never
    confirmed is not carried again; across editions ratings follow the edition mapping
    (:func:`carried_targets`); a standard already rated in the new assessment is left alone."""
    by_unit = {a.unit_id: a for a in assessments}
    previous = previous_assessments(cycle.network_id, cycle.year, by_unit)
    if not previous:
        return {}
    new_of_previous = {prev: by_unit[unit].id for unit, prev in previous.items()}
    source_editions = dict(
        db.session.execute(
            sa.select(Assessment.id, Cycle.edition_id)
            .join(Cycle, Cycle.id == Assessment.cycle_id)
            .where(Assessment.id.in_(list(new_of_previous)))
        ).all()
    )
    targets = {
        edition_id: carried_targets(edition_id, cycle.edition_id)
        for edition_id in set(source_editions.values())
    }
    existing = db.session.execute(
        sa.select(Rating.id, Rating.assessment_id, Rating.standard_id).where(
            Rating.assessment_id.in_(list(new_of_previous.values()))
        )
    ).all()
    taken = {(r.assessment_id, r.standard_id) for r in existing}
    rows = db.session.execute(
        sa.select(
            Rating.assessment_id,
            Rating.standard_id,
            Rating.value,
            Rating.comment,
            Rating.evidence,
            Rating.evidence_links,
            Rating.evidence_kinds,
        ).where(
            Rating.assessment_id.in_(list(new_of_previous)),
            Rating.value.is_not(None),
            Rating.carried_over.is_(False),
        )
    )
    now = utcnow()
    inserts: list[dict[str, Any]] = []
    for prev_id, source_id, value, comment, evidence, links, kinds in rows:
        standard_id = targets[source_editions[prev_id]].get(source_id)
        if standard_id is None:  # no continuation with the same meaning in this edition
            continue
        if (new_of_previous[prev_id], standard_id) in taken:
            continue
        taken.add((new_of_previous[prev_id], standard_id))
        inserts.append(
            {
                "assessment_id": new_of_previous[prev_id],
                "standard_id": standard_id,
                "value": value,
                "comment": comment,
                "evidence": evidence,
                "evidence_links": links,
                "evidence_kinds": kinds,
                "carried_over": True,
                "version": 1,
                "updated_at": now,
                "updated_by_id": getattr(actor, "id", None),
            }
        )
    if not inserts:
        return {}
    db.session.execute(sa.insert(Rating), inserts)
    unit_of = {a.id: a.unit_id for a in assessments}
    created = db.session.execute(
        sa.select(Rating.id, Rating.assessment_id, Rating.value).where(
            Rating.assessment_id.in_(list(unit_of)), Rating.id.not_in([r.id for r in existing])
        )
    ).all()
    events = [
        {
            "at": now,
            "user_id": getattr(actor, "id", None),
            "network_id": cycle.network_id,
            "unit_id": unit_of[assessment_id],
            "entity": "rating",
            "entity_id": rating_id,
            "action": "carry_over",
            "field": "value",
            "old": None,
            "new": value,
            "note": None,
        }
        for rating_id, assessment_id, value in created
    ]
    db.session.execute(sa.insert(AuditEvent), events)
    counts: dict[int, int] = {}
    for _rid, assessment_id, _v in created:
        counts[assessment_id] = counts.get(assessment_id, 0) + 1
    return counts


START_CHOICES = ("last", "blank")


def choose_start(actor: Any, assessment: Assessment, start: str) -> int:
    """The unit lead's choice before the self-assessment is started: ``last`` starts from the
    unit's last submitted answers (carried over, each to be confirmed), ``blank`` starts with
    nothing rated. Returns how many ratings the assessment now has carried over; the
    assessment is then started (the choice is made once)."""
    require(actor, "assessment.submit", assessment)
    if start not in START_CHOICES:
        raise ServiceError(
            _("Choose how to start the self-assessment."),
            fields={"start": _("Unknown choice.")},
        )
    cycle = assessment.cycle
    if cycle.state == CycleState.closed.value:
        raise ServiceError(_("The cycle is closed and can no longer change."), status=409)
    if assessment.state != AssessmentState.not_started.value:
        raise ServiceError(
            _("The self-assessment has already started: how it starts is chosen before that."),
            status=409,
            code="started",
        )
    carried = db.session.scalars(
        sa.select(Rating).where(
            Rating.assessment_id == assessment.id, Rating.carried_over.is_(True)
        )
    ).all()
    if start == "blank":
        for rating in carried:
            db.session.delete(rating)
        count = 0
    else:
        if previous_assessment(assessment) is None:
            raise ServiceError(
                _("The unit has no submitted self-assessment from an earlier cycle to start from."),
                status=409,
                code="no_previous",
            )
        copied = carry_over_ratings(actor, cycle, [assessment]).get(assessment.id, 0)
        count = len(carried) + copied
    audit.record(
        actor,
        "assessment",
        assessment.id,
        action="choose_start",
        changes={"carried_over": (len(carried), count)},
        network_id=cycle.network_id,
        unit_id=assessment.unit_id,
        note=start,
    )
    mark_started(actor, assessment)
    db.session.commit()
    return count

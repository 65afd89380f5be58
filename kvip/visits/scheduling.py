"""Scheduling a visit: the unit lead proposes up to three dates inside the cycle's visit window;
the coordinator picks one (or answers with other dates and a note, which the unit lead then
picks from). The picked date becomes the visit's date, a planned visit with a lead reviewer
becomes scheduled (DESIGN §3), and the team and the unit's leads are told by e-mail with the
visit's calendar invitation (:mod:`kvip.visits.ics`) attached.

Every write takes the acting user explicitly, checks the permission, validates, audits and
commits; e-mails go through the outbox (:mod:`kvip.core.mail`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from kvip.core import audit
from kvip.core.dates import date_problem
from kvip.core.db import utcnow
from kvip.core.errors import ServiceError
from kvip.core.formats import format_date
from kvip.core.permissions import can, require
from kvip.core.text import clean_text
from kvip.extensions import db
from kvip.visits import invitations
from kvip.visits.models import (
    ProposalSide,
    ProposalState,
    Visit,
    VisitDateProposal,
    VisitState,
)
from kvip.visits.services import audit_scope, schedule_problems

MAX_DATES = 3
NOTE_MAX = 2000
_OPEN_STATES = (VisitState.planned.value, VisitState.scheduled.value)


# --- look-ups ---------------------------------------------------------------------------------


def open_proposal(visit: Visit) -> VisitDateProposal | None:
    """The proposal waiting for an answer, if any (at most one is open at a time)."""
    return db.session.scalar(
        sa.select(VisitDateProposal)
        .where(
            VisitDateProposal.visit_id == visit.id,
            VisitDateProposal.state == ProposalState.open.value,
        )
        .order_by(VisitDateProposal.id.desc())
        .limit(1)
    )


def proposals(visit: Visit) -> list[VisitDateProposal]:
    """Every proposal for the visit, newest first."""
    return list(
        db.session.scalars(
            sa.select(VisitDateProposal)
            .where(VisitDateProposal.visit_id == visit.id)
            .order_by(VisitDateProposal.id.desc())
            .limit(50)
        )
    )


def side_of(actor: Any, visit: Visit) -> str | None:
    """Which side ``actor`` speaks for on this visit: the unit (its lead) or the network
    (coordinator, admin); None if neither."""
    if can(actor, "visit.manage", visit):
        return ProposalSide.network.value
    if can(actor, "visit.propose_dates", visit):
        return ProposalSide.unit.value
    return None


def may_pick(actor: Any, proposal: VisitDateProposal) -> bool:
    """Whether ``actor`` answers this proposal: the side that did not make it."""
    side = side_of(actor, proposal.visit)
    return side is not None and side != proposal.side


def window_problem(visit: Visit, value: date) -> str | None:
    """Why ``value`` cannot be proposed for this visit (outside the cycle's visit window)."""
    cycle = visit.assessment.cycle
    start, end = cycle.visit_window_start, cycle.visit_window_end
    if (start and value < start) or (end and value > end):
        return _(
            "%(date)s lies outside the cycle's visit window (%(start)s – %(end)s).",
            date=format_date(value, "medium"),
            start=format_date(start, "medium") if start else "…",
            end=format_date(end, "medium") if end else "…",
        )
    return None


# --- proposing and picking ----------------------------------------------------------------------


def propose_dates(
    actor: Any, visit: Visit, dates: list[date | None], note: str = ""
) -> VisitDateProposal:
    """Propose one to three dates for the visit. The unit lead proposes; a coordinator who
    proposes answers the unit with other dates. Replaces the open proposal; tells the other side."""
    side = side_of(actor, visit)
    if side is None:
        require(actor, "visit.propose_dates", visit)  # raises PermissionDenied
    assert side is not None
    if visit.state not in _OPEN_STATES:
        raise ServiceError(
            _("The visit has started or is completed; its date can no longer change.")
        )
    chosen = [d for d in dates if d is not None]
    errors: dict[str, str] = {}
    if not chosen:
        errors["date_1"] = _("Propose at least one date.")
    if len(chosen) > MAX_DATES:
        errors["date_1"] = _("Propose at most %(n)d dates.", n=MAX_DATES)
    if len(set(chosen)) != len(chosen):
        errors["date_1"] = _("Each proposed date must be different.")
    for index, value in enumerate(dates[:MAX_DATES], start=1):
        if value is None:
            continue
        problem = date_problem(value) or window_problem(visit, value)
        if problem:
            errors[f"date_{index}"] = problem
    note = clean_text(note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = _("Keep the note under %(n)d characters.", n=NOTE_MAX)
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors)
    chosen.sort()
    previous = open_proposal(visit)
    if previous is not None:
        previous.state = ProposalState.superseded.value
        previous.decided_by_id, previous.decided_at = actor.id, utcnow()
    proposal = VisitDateProposal(
        visit_id=visit.id,
        side=side,
        date_1=chosen[0],
        date_2=chosen[1] if len(chosen) > 1 else None,
        date_3=chosen[2] if len(chosen) > 2 else None,
        note=note,
        state=ProposalState.open.value,
        proposed_by_id=actor.id,
    )
    db.session.add(proposal)
    db.session.flush()
    audit.record(
        actor,
        "visit_date_proposal",
        proposal.id,
        action="create",
        changes={"dates": (None, ", ".join(d.isoformat() for d in chosen))},
        note=f"visit {visit.id}; {side}" + (f"; {note}" if note else ""),
        **audit_scope(visit),
    )
    recipients = (
        invitations.coordinators(visit)
        if side == ProposalSide.unit.value
        else invitations.unit_leads(visit)
    )
    messages = [invitations.proposal_message(visit, proposal, actor, user) for user in recipients]
    db.session.add_all(messages)
    db.session.commit()
    invitations.deliver(messages)
    return proposal


def pick_date(actor: Any, proposal: VisitDateProposal, chosen: date | None) -> Visit:
    """Pick one date of an open proposal (the side that did not propose it). The visit gets the
    date; a planned visit with a lead reviewer becomes scheduled; everyone is told."""
    visit = proposal.visit
    if not may_pick(actor, proposal):
        require(actor, "visit.manage" if proposal.side == "unit" else "visit.propose_dates", visit)
        raise ServiceError(_("You made this proposal: the other side picks the date."), status=403)
    if proposal.state != ProposalState.open.value:
        raise ServiceError(_("This proposal has already been answered."), status=409)
    if visit.state not in _OPEN_STATES:
        raise ServiceError(
            _("The visit has started or is completed; its date can no longer change.")
        )
    if chosen is None or chosen not in proposal.dates:
        message = _("Choose one of the proposed dates.")
        raise ServiceError(message, fields={"date": message})
    proposal.state = ProposalState.accepted.value
    proposal.chosen_date = chosen
    proposal.decided_by_id, proposal.decided_at = actor.id, utcnow()
    audit.record(
        actor,
        "visit_date_proposal",
        proposal.id,
        action="accept",
        changes={"chosen_date": (None, chosen)},
        note=f"visit {visit.id}",
        **audit_scope(visit),
    )
    _apply_date(actor, visit, chosen, note=f"picked from proposal {proposal.id}")
    if visit.state == VisitState.planned.value and not schedule_problems(visit):
        before = audit.snapshot(visit, ("state",))
        visit.state = VisitState.scheduled.value
        audit.record_diff(actor, "visit", visit, before, note="date picked", **audit_scope(visit))
    messages = invitations.date_messages(visit, actor)
    db.session.add_all(messages)
    db.session.commit()
    invitations.deliver(messages)
    return visit


def _apply_date(actor: Any, visit: Visit, new_date: date, *, note: str | None = None) -> bool:
    """Set the visit's date (audited); the invitation's SEQUENCE rises when it changes."""
    if visit.date == new_date:
        return False
    before = audit.snapshot(visit, ("date", "ics_sequence"))
    had_date = visit.date is not None
    visit.date = new_date
    if had_date:
        visit.ics_sequence = int(visit.ics_sequence or 0) + 1
    audit.record_diff(actor, "visit", visit, before, note=note, **audit_scope(visit))
    return True

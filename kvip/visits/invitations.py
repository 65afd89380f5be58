"""E-mails about a visit's date: the calendar invitation (:mod:`kvip.visits.ics`) for the team
and the unit's leads, and the message that dates were proposed. Messages go to the outbox
(:mod:`kvip.core.mail`); the caller commits, then delivers them with :func:`deliver`."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from kvip.accounts.models import Membership, UnitRole, User
from kvip.accounts.services import coordinators_of
from kvip.core import mail
from kvip.core.formats import format_date
from kvip.core.models import OutboxAttachment, OutboxEmail
from kvip.core.urls import external_url
from kvip.extensions import db
from kvip.visits import ics
from kvip.visits.models import TeamMember, Visit, VisitDateProposal, VisitState

_OPEN_STATES = (VisitState.planned.value, VisitState.scheduled.value)


def date_changed(actor: Any, visit: Visit, old: date | None) -> list[OutboxEmail]:
    """After the date was set or changed (``old`` the date before): raise the invitation's
    SEQUENCE when an earlier date is replaced, and add the invitation for everyone to the
    session. The caller commits, then :func:`deliver`s the returned messages."""
    if visit.date is None or visit.date == old:
        return []
    if old is not None:
        visit.ics_sequence = int(visit.ics_sequence or 0) + 1
    messages = date_messages(visit, actor)
    db.session.add_all(messages)
    return messages


def member_added(actor: Any, visit: Visit, user: User) -> OutboxEmail | None:
    """The invitation for a reviewer added to a team whose visit already has a date."""
    if visit.date is None or visit.state not in _OPEN_STATES:
        return None
    message = _date_message(visit, actor, user)
    db.session.add(message)
    return message


# --- who is told --------------------------------------------------------------------------------


def unit_leads(visit: Visit) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.unit_id == visit.assessment.unit_id,
                Membership.role == UnitRole.unit_lead.value,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def coordinators(visit: Visit) -> list[User]:
    return coordinators_of(visit.assessment.cycle.network_id)


def _team(visit: Visit) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.visit_id == visit.id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def date_messages(visit: Visit, actor: Any) -> list[OutboxEmail]:
    """One message with the calendar invitation for each team member and unit lead."""
    seen: set[int] = set()
    messages = []
    for user in _team(visit) + unit_leads(visit):
        if user.id in seen:
            continue
        seen.add(user.id)
        messages.append(_date_message(visit, actor, user))
    return messages


def event_text(visit: Visit) -> tuple[str, str]:
    """The calendar event's summary and description in the current language."""
    unit = visit.assessment.unit
    summary = _("Peer-review visit: %(unit)s", unit=unit.name)
    description = _(
        "Peer-review visit to %(unit)s (%(institution)s), cycle %(cycle)s.",
        unit=unit.name,
        institution=unit.institution.name,
        cycle=visit.assessment.cycle.name,
    )
    return str(summary), str(description)


def _date_message(visit: Visit, actor: Any, user: User) -> OutboxEmail:
    assert visit.date is not None
    link = external_url("visits.schedule", visit_id=visit.id)
    with force_locale(user.locale or "nb"):
        when = format_date(visit.date, "full")
        summary, description = event_text(visit)
        if visit.ics_sequence:
            subject = _("KvIP: new date for the visit to %(unit)s", unit=visit.assessment.unit.name)
        else:
            subject = _(
                "KvIP: the visit to %(unit)s is on %(date)s",
                unit=visit.assessment.unit.name,
                date=when,
            )
        body = "\n".join(
            [
                str(_("Hello %(name)s,", name=user.name)),
                "",
                str(
                    _(
                        "The visit to %(unit)s is on %(date)s.",
                        unit=visit.assessment.unit.name,
                        date=when,
                    )
                ),
                str(
                    _(
                        "The calendar invitation is attached; it replaces any earlier one for this visit."
                    )
                ),
                "",
                link,
            ]
        )
        content = ics.invitation(visit, summary=summary, description=description)
    message = OutboxEmail(
        user_id=user.id,
        to=user.email,
        subject=str(subject),
        body=body,
        dedup_key=f"visit-date:{visit.id}:{user.id}:{visit.ics_sequence}:{secrets.token_hex(6)}",
    )
    message.attachments.append(
        OutboxAttachment(
            filename=ics.filename(visit), content_type=ics.CONTENT_TYPE, content=content
        )
    )
    return message


def proposal_message(
    visit: Visit, proposal: VisitDateProposal, actor: Any, user: User
) -> OutboxEmail:
    link = external_url("visits.schedule", visit_id=visit.id)
    with force_locale(user.locale or "nb"):
        dates = "\n".join(f"- {format_date(d, 'full')}" for d in proposal.dates)
        subject = _(
            "KvIP: dates proposed for the visit to %(unit)s", unit=visit.assessment.unit.name
        )
        lines = [
            str(_("Hello %(name)s,", name=user.name)),
            "",
            str(
                _(
                    "%(actor)s proposed these dates for the visit to %(unit)s:",
                    actor=actor.name,
                    unit=visit.assessment.unit.name,
                )
            ),
            dates,
        ]
        if proposal.note:
            lines += ["", str(_("Note: %(note)s", note=proposal.note))]
        lines += ["", str(_("Pick one, or propose others, here:")), link]
    return OutboxEmail(
        user_id=user.id,
        to=user.email,
        subject=str(subject),
        body="\n".join(lines),
        dedup_key=f"visit-proposal:{proposal.id}:{user.id}:{secrets.token_hex(6)}",
    )


def deliver(messages: list[OutboxEmail]) -> None:
    for message in messages:
        mail.try_deliver(message)

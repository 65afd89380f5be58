"""Ask to learn: a unit lead asks another unit how it does a piece of good practice; the
network's coordinator passes the request on (or declines with a reason); the other unit's lead
accepts or declines. Only after acceptance do the two units see each other's name and a
contact person: until then every page and e-mail keeps the pseudonym (issue 16).

Every step is a service with its permission check (deny by default; the acting user passed in)
and an audit entry; e-mails go through the outbox with links built from ``KVIP_BASE_URL``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kvip.accounts import services as accounts
from kvip.accounts.models import Membership, UnitRole, User
from kvip.accounts.permissions import (
    coordinated_network_ids,
    coordinates,
    member_unit_ids,
)
from kvip.benchmarks.models import LEARNING_MESSAGE_MAX, LEARNING_NOTE_MAX, LearningRequest
from kvip.core import audit, mail
from kvip.core.db import utcnow
from kvip.core.errors import Conflict, ServiceError
from kvip.core.models import OutboxEmail
from kvip.core.permissions import require
from kvip.core.urls import external_url
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.visits.models import Observation, Report, Visit

# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Practice:
    """A good-practice observation one may ask about: its text and the unit it belongs to."""

    observation_id: int
    text: str
    unit: Unit


def practice_of(observation_id: Any, from_unit: Unit) -> Practice:
    """The good practice a request is about: a good-practice observation of a final report of
    another unit in the same network. Anything else is refused as bad input (400), without
    saying whose observation it is."""
    try:
        oid = int(observation_id)
    except (TypeError, ValueError):
        oid = 0
    row = db.session.execute(
        sa.select(Observation, Unit)
        .join(Visit, Visit.id == Observation.visit_id)
        .join(Report, Report.visit_id == Visit.id)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .where(
            Observation.id == oid,
            Observation.kind == "good_practice",
            Report.state == "final",
            Unit.network_id == from_unit.network_id,
        )
    ).first()
    if row is None:
        raise ServiceError(
            _("This good practice cannot be asked about."), status=400, code="bad_practice"
        )
    observation, unit = row
    if unit.id == from_unit.id:
        raise ServiceError(
            _("This is your own unit's good practice."), status=400, code="own_practice"
        )
    return Practice(observation.id, observation.text, unit)


def get(request_id: int) -> LearningRequest | None:
    return db.session.get(LearningRequest, request_id)


def lead_units(user: User, network_id: int | None = None) -> list[Unit]:
    """The units the user leads (optionally in one network): where they may send from."""
    stmt = (
        sa.select(Unit)
        .join(Membership, Membership.unit_id == Unit.id)
        .where(Membership.user_id == user.id, Membership.role == UnitRole.unit_lead.value)
        .order_by(Unit.name)
    )
    if network_id is not None:
        stmt = stmt.where(Unit.network_id == network_id)
    return list(db.session.scalars(stmt))


@dataclass
class Inbox:
    """What one user sees on "Forespørsler": their units' requests, those to their units
    (once passed on), and those waiting in the networks they coordinate."""

    sent: list[LearningRequest]
    received: list[LearningRequest]
    coordinated: list[LearningRequest]

    @property
    def empty(self) -> bool:
        return not (self.sent or self.received or self.coordinated)


def inbox(user: User) -> Inbox:
    """The requests visible to ``user``, filtered in SQL (their units, their networks)."""
    order = LearningRequest.created_at.desc(), LearningRequest.id.desc()
    mine = member_unit_ids(user)
    sent = db.session.scalars(
        sa.select(LearningRequest).where(LearningRequest.from_unit_id.in_(mine)).order_by(*order)
    )
    received = db.session.scalars(
        sa.select(LearningRequest)
        .where(
            LearningRequest.to_unit_id.in_(mine),
            LearningRequest.state.not_in(("sent", "refused")),
        )
        .order_by(*order)
    )
    coordinated = db.session.scalars(
        sa.select(LearningRequest)
        .where(LearningRequest.network_id.in_(coordinated_network_ids(user)))
        .order_by(*order)
    )
    return Inbox(list(sent), list(received), list(coordinated))


def may_see_names(user: User, req: LearningRequest) -> bool:
    """Unit names on a request: the coordinator (and admin) always; the two units only after
    acceptance."""
    return bool(user.is_admin or coordinates(user, req.network_id) or req.names_revealed)


def contacts(unit_id: int) -> list[User]:
    """Who may be named as the contact person of a unit: its active staff."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id == unit_id, User.active.is_(True))
            .order_by(User.name)
        )
    )


# --- the steps ----------------------------------------------------------------------------------


def _text(value: Any, limit: int, *, field: str, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ServiceError(
            _("Please write a few words."), status=400, fields={field: _("Required.")}
        )
    if len(text) > limit:
        raise ServiceError(
            _("At most %(n)d characters, please.", n=limit),
            status=400,
            fields={field: _("At most %(n)d characters, please.", n=limit)},
        )
    return text


def _expect(req: LearningRequest, *states: str) -> None:
    if req.state not in states:
        raise Conflict(_("This request has already been answered."), code="state")


# Who moves a request to each state: the coordinator (forwarded_*) or the other unit (answered_*).
_MOVED_BY = {
    "forwarded": "forwarded",
    "refused": "forwarded",
    "accepted": "answered",
    "declined": "answered",
}


def _move(
    user: User,
    req: LearningRequest,
    to: str,
    *,
    action: str,
    unit_id: int,
    note: str | None = None,
    **changes: tuple[Any, Any],
) -> None:
    """One step of a request: its new state, who took it and when, and its audit entry."""
    before = req.state
    req.state = to
    by = _MOVED_BY[to]
    setattr(req, f"{by}_by_id", user.id)
    setattr(req, f"{by}_at", utcnow())
    audit.record(
        user,
        "learning_request",
        req.id,
        action=action,
        changes={"state": (before, to), **changes},
        network_id=req.network_id,
        unit_id=unit_id,
        note=note,
    )


def send(
    user: User, from_unit: Unit, observation_id: Any, message: Any, label: Any = ""
) -> LearningRequest:
    """A unit lead asks to learn from another unit's good practice; the network's coordinators
    are told. The other unit is named only by the pseudonym the lead saw (``label``)."""
    require(user, "learning.send", from_unit)
    practice = practice_of(observation_id, from_unit)
    text = _text(message, LEARNING_MESSAGE_MAX, field="message", required=True)
    open_one = db.session.scalar(
        sa.select(LearningRequest.id).where(
            LearningRequest.from_unit_id == from_unit.id,
            LearningRequest.observation_id == practice.observation_id,
            LearningRequest.state.in_(("sent", "forwarded")),
        )
    )
    if open_one is not None:
        raise Conflict(_("Your unit has already asked about this; it is waiting for an answer."))
    req = LearningRequest(
        network_id=from_unit.network_id,
        from_unit_id=from_unit.id,
        to_unit_id=practice.unit.id,
        observation_id=practice.observation_id,
        practice=practice.text,
        to_label=str(label or "").strip()[:80] or _("Another unit"),
        message=text,
        state="sent",
        requested_by_id=user.id,
    )
    db.session.add(req)
    db.session.flush()
    audit.record(
        user,
        "learning_request",
        req.id,
        action="create",
        changes={"state": (None, "sent"), "message": (None, text)},
        network_id=req.network_id,
        unit_id=from_unit.id,
    )
    notices = [
        _notice(
            c,
            req,
            "sent",
            _l("KvIP: a unit asks to learn from another unit"),
            _l(
                "A unit in your network would like to learn from another unit's good practice. "
                "Please read the request and pass it on, or decline it with a reason."
            ),
        )
        for c in accounts.coordinators_of(req.network_id)
    ]
    return _commit(req, notices)


def forward(user: User, req: LearningRequest, note: Any = "") -> LearningRequest:
    """The coordinator passes the request on to the other unit's leads (still pseudonymous)."""
    require(user, "learning.forward", req)
    _expect(req, "sent")
    text = _text(note, LEARNING_NOTE_MAX, field="note", required=False)
    req.coordinator_note = text
    _move(user, req, "forwarded", action="forward", unit_id=req.to_unit_id, note=text or None)
    notices = [
        _notice(
            lead,
            req,
            "forwarded",
            _l("KvIP: another unit would like to learn from you"),
            _l(
                "Another unit in the network would like to learn from your unit's good practice. "
                "You decide: if you accept, both units see each other's name and a contact "
                "person; if you decline, nobody is told who you are."
            ),
        )
        for lead in _leads(req.to_unit_id)
    ]
    return _commit(req, notices)


def refuse(user: User, req: LearningRequest, reason: Any) -> LearningRequest:
    """The coordinator does not pass the request on, with a reason the requesting unit sees."""
    require(user, "learning.forward", req)
    _expect(req, "sent")
    text = _text(reason, LEARNING_NOTE_MAX, field="reason", required=True)
    req.coordinator_note = text
    _move(user, req, "refused", action="refuse", unit_id=req.from_unit_id, note=text)
    notices = [
        _notice(
            lead,
            req,
            "refused",
            _l("KvIP: your request to learn was not passed on"),
            _l("The network coordinator did not pass your request on. The reason is on the page."),
        )
        for lead in _requesters(req)
    ]
    return _commit(req, notices)


def accept(user: User, req: LearningRequest, contact_id: Any = None) -> LearningRequest:
    """The other unit's lead accepts: both units now see each other's name and contact person
    (the accepting lead, or a member of their unit they choose)."""
    require(user, "learning.answer", req)
    _expect(req, "forwarded")
    contact = user
    if contact_id not in (None, ""):
        chosen = {u.id: u for u in contacts(req.to_unit_id)}
        try:
            contact = chosen[int(contact_id)]
        except (KeyError, TypeError, ValueError):
            raise ServiceError(
                _("Choose a contact person from your unit."),
                status=400,
                fields={"contact": _("Choose a contact person from your unit.")},
            ) from None
    req.contact_id = contact.id
    _move(
        user,
        req,
        "accepted",
        action="accept",
        unit_id=req.to_unit_id,
        contact_id=(None, contact.id),
    )
    recipients = {u.id: u for u in [*_requesters(req), *accounts.coordinators_of(req.network_id)]}
    notices = [
        _notice(
            u,
            req,
            "accepted",
            _l("KvIP: your request to learn was accepted"),
            _l(
                "The other unit accepted the request. Both units can now see each other's name "
                "and a contact person on the page."
            ),
        )
        for u in recipients.values()
    ]
    return _commit(req, notices)


def decline(user: User, req: LearningRequest, note: Any = "") -> LearningRequest:
    """The other unit's lead declines; the requesting unit is told, names stay hidden."""
    require(user, "learning.answer", req)
    _expect(req, "forwarded")
    text = _text(note, LEARNING_NOTE_MAX, field="note", required=False)
    req.answer_note = text
    _move(user, req, "declined", action="decline", unit_id=req.to_unit_id, note=text or None)
    recipients = {u.id: u for u in [*_requesters(req), *accounts.coordinators_of(req.network_id)]}
    notices = [
        _notice(
            u,
            req,
            "declined",
            _l("KvIP: your request to learn was declined"),
            _l("The other unit declined the request this time. Names stay pseudonymous."),
        )
        for u in recipients.values()
    ]
    return _commit(req, notices)


# --- mail ---------------------------------------------------------------------------------------


def _leads(unit_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.unit_id == unit_id,
                Membership.role == UnitRole.unit_lead.value,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def _requesters(req: LearningRequest) -> list[User]:
    """Whom the requesting side's notices go to: its leads (the sender among them)."""
    return _leads(req.from_unit_id)


def _notice(user: User, req: LearningRequest, step: str, subject: Any, text: Any) -> OutboxEmail:
    """A notice without any unit's name (e-mail is not the place to reveal one); the link
    leads to the request page, which shows what the reader may see."""
    with force_locale(user.locale or "nb"):
        body = "\n".join(
            [
                str(_("Hello %(name)s,", name=user.name)),
                "",
                str(text),
                "",
                external_url("benchmarks.learning_request", request_id=req.id),
            ]
        )
        subject_text = str(subject)
    return OutboxEmail(
        user_id=user.id,
        to=user.email,
        subject=subject_text,
        body=body,
        dedup_key=f"learn:{req.id}:{step}:{user.id}:{secrets.token_hex(4)}",
    )


def _commit(req: LearningRequest, notices: Iterable[OutboxEmail]) -> LearningRequest:
    queued = list(notices)
    db.session.add_all(queued)
    db.session.commit()
    for notice in queued:
        mail.try_deliver(notice)
    return req

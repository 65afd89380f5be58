"""Verifying actions from the visit mode's outbox, written the way an offline tablet needs it:
idempotent by the client-made ``op_id``, bound to the person who made the change
(``author_id``), and optimistic by the action's ``version`` (409 with the current state) — the
same rules as findings (:mod:`kvip.visits.sync`), around :func:`services.verify_action`, which
keeps the permission rules of the plain verify form."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from kvip.actions import services
from kvip.actions.models import Action
from kvip.core.db import iso
from kvip.core.errors import Conflict, NotFound, ServiceError
from kvip.core.permissions import require
from kvip.extensions import db
from kvip.visits import sync
from kvip.visits.models import Visit


def verification_dict(action: Action) -> dict[str, Any]:
    """The verification state of an action as the visit mode shows it."""
    by = action.verified_by
    return {
        "action_id": action.id,
        "status": action.status,
        "outcome": action.verification_outcome,
        "comment": action.verification_comment or "",
        "version": action.version,
        "verified_at": iso(action.verified_at),
        "verified_by": {"id": by.id, "name": by.name} if by is not None else None,
    }


def _conflict(action_id: int, message: str) -> ServiceError:
    db.session.rollback()
    current = db.session.get(Action, action_id)
    if current is None:
        return NotFound(_("No such action."))
    return Conflict(message, payload={"current": verification_dict(current)})


def record_verification(
    actor: Any,
    visit: Visit,
    action_id: int,
    *,
    outcome: Any,
    comment: Any,
    version: Any,
    op_id: Any,
    author_id: Any = None,
) -> dict[str, Any]:
    """The visit team's verdict on an action of the unit's previous plan, sent from a tablet.

    Answers ``{"verification": …, "op_id": …}``; a repeated op_id is answered as the first time
    and applied once; a ``version`` (optional) that is not the action's current one raises
    :class:`Conflict` with the current state, and so does an action that cannot be verified
    now (not done, dropped)."""
    action = db.session.get(Action, action_id)
    if action is None:
        raise NotFound(_("No such action."))
    require(actor, "actions.verify", action.assessment)
    op_id = sync.check_op_id(op_id)
    sync.check_author(actor, author_id)
    print_ = sync.fingerprint(
        f"verification:{visit.id}:{action.id}",
        {"outcome": outcome, "comment": comment, "version": version, "author_id": author_id},
    )
    replayed = sync.replay(actor, op_id, print_)
    if replayed is not None:
        return replayed
    errors: dict[str, str] = {}
    if outcome not in ("verified", "not_verified"):
        errors["outcome"] = _("Choose verified or not verified.")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        errors["comment"] = _("The comment must be text.")
    if version is not None and (
        isinstance(version, bool) or not isinstance(version, int) or version < 1
    ):
        errors["version"] = _("Invalid.")
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors)
    if version is not None and version != action.version:
        raise _conflict(action.id, _("Someone else changed this action in the meantime."))
    try:
        services.verify_action(actor, action, outcome, comment, visit=visit, commit=False)
    except Conflict as exc:
        raise _conflict(action.id, exc.message) from None
    except StaleDataError:
        raise _conflict(action.id, _("Someone else changed this action in the meantime.")) from None
    body = {"verification": verification_dict(action), "op_id": op_id}

    def race() -> None:
        raise _conflict(action_id, _("Someone else changed this action in the meantime."))

    return sync.commit_applied(actor, op_id, print_, body, race)

"""Coordinators lift one of the cycle's date rules for one object, with a reason (issue 18).

The rules themselves live with their objects (the self-assessment window in
``kvip.cycles.services``, the visit day in ``kvip.visits.services``, the comment period in
``kvip.visits.reports``); each asks :func:`is_overridden` before refusing, and raises
:class:`RuleBlocked` so the page can offer a coordinator the one override form.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from kvip.core import audit
from kvip.core.errors import ServiceError
from kvip.core.permissions import can, require
from kvip.extensions import db
from kvip.network.models import RuleOverride

RULES = ("assessment_window", "visit_date", "comment_period")
REASON_MAX = 2000


class RuleBlocked(ServiceError):
    """A date rule refused the operation; a coordinator of ``network_id`` may lift it."""

    status = 409
    code = "rule_blocked"

    def __init__(self, message: str, *, rule: str, entity_id: int, network_id: int) -> None:
        super().__init__(message, payload={"rule": rule})
        self.rule = rule
        self.entity_id = entity_id
        self.network_id = network_id


def is_overridden(rule: str, entity_id: int) -> bool:
    """Whether a coordinator lifted ``rule`` for this assessment, visit or report."""
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(RuleOverride.rule == rule, RuleOverride.entity_id == entity_id)
            )
        )
    )


def override_of(rule: str, entity_id: int) -> RuleOverride | None:
    return db.session.scalar(
        sa.select(RuleOverride).where(
            RuleOverride.rule == rule, RuleOverride.entity_id == entity_id
        )
    )


def may_override(actor: Any, network_id: int) -> bool:
    """Who may lift a rule: the network's coordinators (and platform admins)."""
    return bool(getattr(actor, "is_authenticated", False)) and can(
        actor, "network.manage", network_id
    )


def grant_override(
    actor: Any,
    *,
    rule: str,
    entity_id: int,
    network_id: int,
    reason: str | None,
    unit_id: int | None = None,
) -> RuleOverride:
    """Lift ``rule`` for one object; the reason is required and goes to the audit log."""
    require(actor, "network.manage", network_id)
    if rule not in RULES:
        raise ServiceError(_("Unknown choice."))
    reason = (reason or "").strip()
    if not reason:
        message = _("Enter a reason.")
        raise ServiceError(
            _("Give a reason for making an exception to the rule."), fields={"reason": message}
        )
    if len(reason) > REASON_MAX:
        message = _("At most %(n)d characters.", n=REASON_MAX)
        raise ServiceError(message, fields={"reason": message})
    existing = override_of(rule, entity_id)
    if existing is not None:
        return existing
    override = RuleOverride(
        network_id=network_id,
        rule=rule,
        entity_id=entity_id,
        reason=reason,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(override)
    try:
        db.session.flush()
    except IntegrityError:  # two coordinators at once: the first one's stands
        db.session.rollback()
        found = override_of(rule, entity_id)
        if found is None:
            raise
        return found
    audit.record(
        actor,
        "rule_override",
        override.id,
        action="override",
        changes={"rule": (None, rule), "entity_id": (None, entity_id)},
        network_id=network_id,
        unit_id=unit_id,
        note=reason,
    )
    db.session.commit()
    return override

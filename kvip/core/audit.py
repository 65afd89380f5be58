"""The one audit writer: every change of every entity goes through :func:`record`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from kvip.core.models import AuditEvent
from kvip.extensions import db


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, set, dict)):
        return json.dumps(sorted(value) if isinstance(value, set) else value, default=str)
    return str(value)


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` on ``obj``, to diff after a change."""
    return {name: getattr(obj, name) for name in fields}


def record(
    user: Any,
    entity: str,
    entity_id: int | None,
    *,
    action: str = "update",
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    network_id: int | None = None,
    unit_id: int | None = None,
    note: str | None = None,
) -> list[AuditEvent]:
    """Write audit events: one per changed field, or one event without fields.

    Nothing is committed here; the caller's transaction commits the change and its audit
    entries together, so neither exists without the other.
    """
    user_id = getattr(user, "id", None)
    events: list[AuditEvent] = []
    items = [(f, o, n) for f, (o, n) in (changes or {}).items() if _text(o) != _text(n)]
    if not items:
        items = [(None, None, None)]  # type: ignore[list-item]
    for field, old, new in items:
        event = AuditEvent(
            user_id=user_id,
            entity=entity,
            entity_id=entity_id,
            action=action,
            field=field,
            old=_text(old),
            new=_text(new),
            network_id=network_id,
            unit_id=unit_id,
            note=note,
        )
        db.session.add(event)
        events.append(event)
    return events


def record_diff(
    user: Any,
    entity: str,
    obj: Any,
    before: Mapping[str, Any],
    *,
    action: str = "update",
    network_id: int | None = None,
    unit_id: int | None = None,
    note: str | None = None,
) -> list[AuditEvent]:
    """Audit the fields of ``obj`` that differ from the ``before`` snapshot (no-op if none)."""
    changes = {
        k: (v, getattr(obj, k)) for k, v in before.items() if _text(v) != _text(getattr(obj, k))
    }
    if not changes:
        return []
    return record(
        user,
        entity,
        obj.id,
        action=action,
        changes=changes,
        network_id=network_id,
        unit_id=unit_id,
        note=note,
    )


def history(entity: str, entity_id: int, limit: int = 200) -> list[AuditEvent]:
    """The audit events of one entity, newest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )

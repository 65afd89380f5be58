"""Optimistic locking for every editable entity: one conflict error, one way to check and save,
one way to show a conflict on a form.

Every editable model maps an integer ``version`` column as SQLAlchemy's ``version_id_col``:
each ORM UPDATE or DELETE says ``WHERE version = <the version loaded>`` and bumps it, so a
write that lost a race matches no row and raises ``StaleDataError``. On top of that every save
carries the version the person *saw* (a hidden ``version`` form field, ``version`` in an API
body): a save based on an older version is refused before anything is written.

Both ways end in one domain error, :class:`EditConflict` (409). It knows the current version,
who changed the thing last and when (from the audit log), and carries the current object, so a
view can show the form again with the person's own typed values kept and the other person's
values beside them (:func:`form_conflict` and the ``conflict_panel`` macro). Nothing is lost:
the person chooses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from kvip.core.db import iso
from kvip.core.errors import Conflict
from kvip.core.formats import format_date
from kvip.core.models import AuditEvent
from kvip.extensions import db

# Form fields that are never compared or shown in a conflict.
_SKIPPED_FIELD_TYPES = frozenset(
    {"CSRFTokenField", "HiddenField", "PasswordField", "FileField", "SubmitField"}
)


class EditConflict(Conflict):
    """A save based on a version that is no longer the current one (or lost a race)."""

    def __init__(
        self,
        message: str,
        *,
        entity: str,
        current: Any = None,
        changed_by: str | None = None,
        changed_at: datetime | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        self.entity = entity
        self.current = current
        self.current_version = version_of(current)
        self.deleted = current is None
        self.changed_by = changed_by
        self.changed_at = changed_at
        if payload is None:
            payload = {
                "current": {
                    "version": self.current_version,
                    "deleted": self.deleted,
                    "changed_by": changed_by,
                    "changed_at": iso(changed_at),
                }
            }
        super().__init__(message, payload=payload)


def version_of(obj: Any) -> int:
    """The stored version of ``obj``; 0 for "does not exist (yet)"."""
    return int(getattr(obj, "version", 0) or 0) if obj is not None else 0


def seen_version(raw: Any) -> int | None:
    """The version a person saw, from a form field or a JSON body.

    None when none was sent (older scripts: no check before the write; the database still
    refuses a lost race). Anything that is not a whole number is a version that cannot be
    current (-1): the save is refused as a conflict, the typed values are shown again.
    """
    if raw is None or isinstance(raw, bool):
        return None if raw is None else -1
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else -1


def last_change(entity: str, entity_id: int | None) -> tuple[str | None, datetime | None]:
    """Who changed an entity last and when, from the audit log."""
    if not entity_id:
        return None, None
    event = db.session.scalar(
        sa.select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if event is None:
        return None, None
    return (event.user.name if event.user is not None else None), event.at


def default_message(current: Any) -> str:
    if current is None:
        return _("Someone else deleted this in the meantime. Your changes were not saved.")
    return _("Someone else changed this in the meantime. Your changes were not saved yet.")


def conflict(
    entity: str,
    current: Any,
    *,
    message: str | None = None,
    payload: dict[str, Any] | None = None,
) -> EditConflict:
    """The conflict error for ``current`` (the stored object now, None if it is gone)."""
    entity_id = getattr(current, "id", None) if current is not None else None
    who, when = last_change(entity, entity_id)
    if when is None and current is not None:
        when = getattr(current, "updated_at", None)
    return EditConflict(
        message or default_message(current),
        entity=entity,
        current=current,
        changed_by=who,
        changed_at=when,
        payload=payload,
    )


def check_version(
    entity: str,
    obj: Any,
    seen: Any,
    *,
    message: str | None = None,
    payload: Callable[[Any], dict[str, Any]] | None = None,
) -> None:
    """Refuse a save based on another version than the stored one (``obj`` None: not stored
    yet, version 0). ``seen`` None (no version sent) is not checked here."""
    wanted = seen_version(seen)
    if wanted is None or wanted == version_of(obj):
        return
    raise conflict(entity, obj, message=message, payload=payload(obj) if payload else None)


def _reloader(obj: Any) -> Callable[[], Any]:
    if obj is None:
        return lambda: None
    state = sa.inspect(obj)
    cls, identity = type(obj), state.identity
    if identity is None:
        return lambda: None
    return lambda: db.session.get(cls, identity)


@contextmanager
def guarded(
    entity: str,
    obj: Any = None,
    *,
    reload: Callable[[], Any] | None = None,
    creating: bool = False,
    message: str | None = None,
    payload: Callable[[Any], dict[str, Any]] | None = None,
) -> Iterator[None]:
    """Run a flush/commit; a lost race (StaleDataError, or when ``creating`` a unique key
    someone else took first) rolls back and raises :class:`EditConflict` with the stored state.

    ``reload`` finds the stored object after the rollback (default: ``obj`` by its primary key).
    """
    find = reload or _reloader(obj)
    try:
        yield
    except (StaleDataError, IntegrityError) as exc:
        if isinstance(exc, IntegrityError) and not creating:
            raise
        db.session.rollback()
        current = find()
        raise conflict(
            entity, current, message=message, payload=payload(current) if payload else None
        ) from None


def commit(
    entity: str,
    obj: Any,
    *,
    reload: Callable[[], Any] | None = None,
    creating: bool = False,
    message: str | None = None,
) -> None:
    """Commit the session; a lost race on ``obj`` becomes :class:`EditConflict`."""
    with guarded(entity, obj, reload=reload, creating=creating, message=message):
        db.session.commit()


# --- showing a conflict --------------------------------------------------------------------


@dataclass
class ConflictRow:
    label: str
    theirs: str
    yours: str


@dataclass
class ConflictNotice:
    """What the ``conflict_panel`` macro shows: who changed what, their values beside yours."""

    message: str
    changed_by: str | None = None
    changed_at: datetime | None = None
    deleted: bool = False
    rows: list[ConflictRow] = field(default_factory=list)
    # Where "take theirs" goes (the form loaded afresh); None: no such link.
    reload_url: str | None = None


def notice(
    exc: EditConflict,
    rows: Sequence[tuple[str, Any, Any]] = (),
    *,
    reload_url: str | None = None,
) -> ConflictNotice:
    """A notice for a page that is not a WTForms form: ``rows`` are (label, theirs, yours);
    only rows that differ are shown."""
    shown = [
        ConflictRow(str(label), display(theirs), display(yours))
        for label, theirs, yours in rows
        if display(theirs) != display(yours)
    ]
    return _notice(exc, shown, reload_url)


def _notice(exc: EditConflict, rows: list[ConflictRow], reload_url: str | None) -> ConflictNotice:
    return ConflictNotice(
        message=exc.message,
        changed_by=exc.changed_by,
        changed_at=exc.changed_at,
        deleted=exc.deleted,
        rows=rows,
        reload_url=reload_url,
    )


def display(value: Any) -> str:
    """A value as the conflict panel shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return format_date(value)  # its Oslo date
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, (list, tuple, set)):
        return ", ".join(display(v) for v in value)
    return str(value).strip()


def _field_display(f: Any) -> str:
    data = f.data
    choices = getattr(f, "choices", None)
    if choices is not None and not callable(choices):
        pairs = [(c[0], c[1]) for c in choices if isinstance(c, (list, tuple)) and len(c) >= 2]
        names = {str(k): str(v) for k, v in pairs}
        if isinstance(data, (list, tuple, set)):
            return ", ".join(names.get(str(d), str(d)) for d in data)
        if data is None or data == "":
            return ""
        return names.get(str(data), str(data))
    return display(data)


def form_conflict(
    form: Any,
    exc: EditConflict,
    theirs: Any = None,
    *,
    reload_url: str | None = None,
) -> ConflictNotice:
    """Prepare a WTForms form that lost a conflict to be shown again: the person's typed
    values stay in ``form``; its hidden ``version`` becomes the current one, so saving again
    deliberately replaces the other person's version. ``theirs`` is the same form filled from
    the stored object (default: the form class with ``obj=`` the stored object; choices are
    copied from ``form``); the fields that differ are listed."""
    if hasattr(form, "version"):
        form.version.data = str(exc.current_version) if not exc.deleted else ""
    if theirs is None and exc.current is not None:
        theirs = stored_form(type(form), exc.current)
    rows: list[ConflictRow] = []
    if theirs is not None:
        for name, mine in form._fields.items():
            if mine.type in _SKIPPED_FIELD_TYPES or name == "version":
                continue
            other = theirs._fields.get(name)
            if other is None:
                continue
            if getattr(mine, "choices", None) is not None and not callable(mine.choices):
                other.choices = mine.choices
            yours, stored = _field_display(mine), _field_display(other)
            if yours != stored:
                rows.append(ConflictRow(str(mine.label.text), stored, yours))
    return _notice(exc, rows, reload_url)


def stored_form(form_class: type, obj: Any, **kwargs: Any) -> Any:
    """``form_class`` filled from the stored ``obj`` only (never from the request)."""
    return form_class(formdata=None, obj=obj, meta={"csrf": False}, **kwargs)

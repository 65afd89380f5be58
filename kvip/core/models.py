"""The audit log: one row per changed field of any entity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kvip.core.db import utcnow
from kvip.extensions import db


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_entity", "entity", "entity_id"),
        # The network's audit log, newest first, pages through this index.
        sa.Index("ix_audit_events_network_at", "network_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    network_id: Mapped[int | None] = mapped_column(index=True)
    unit_id: Mapped[int | None] = mapped_column(index=True)
    entity: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(sa.String(40), default="update")
    field: Mapped[str | None] = mapped_column(sa.String(60))
    old: Mapped[str | None] = mapped_column(sa.Text)
    new: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)

    user = db.relationship("User", lazy="joined")


class OutboxEmail(db.Model):  # type: ignore[name-defined,misc]
    """An e-mail the platform sent or would send (reminders, sign-in links). Without SMTP configured, messages
    stay here with status ``held`` so an admin can read what would have gone out."""

    __tablename__ = "outbox_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    to: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # One reminder digest per user and day: re-running the command sends nothing twice.
    dedup_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    # held (no SMTP) | queued (waiting for the job queue, or for its next try) | sending |
    # sent | failed (every try failed: an admin can send it again from the outbox page)
    status: Mapped[str] = mapped_column(sa.String(10), default="held")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    # Delivery tries so far (kvip.jobs retries with exponential backoff).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]


class OutboxAttachment(db.Model):  # type: ignore[name-defined,misc]
    """A file sent with an outbox message (a visit's calendar invitation, ``.ics``)."""

    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outbox_emails.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(200))
    # "type/subtype" plus optional parameters, e.g. "text/calendar; method=REQUEST"
    content_type: Mapped[str] = mapped_column(sa.String(100))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)

    email = db.relationship(
        "OutboxEmail",
        backref=db.backref(
            "attachments", cascade="all, delete-orphan", order_by="OutboxAttachment.id"
        ),
    )


class ExportJob(db.Model):  # type: ignore[name-defined,misc]
    """A file made by the job queue for one person (a PDF or a spreadsheet too slow for a
    request). Only its owner may see its state or download the file, and only while the
    original export's permission still holds (kvip.jobs.exports)."""

    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    # The original export's URL values (ids and query arguments), so the job makes the same file.
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    state: Mapped[str] = mapped_column(
        sa.String(10), default="queued"
    )  # queued|running|done|failed
    progress: Mapped[int] = mapped_column(default=0, server_default="0")  # 0-100
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    file_path: Mapped[str | None] = mapped_column(sa.String(500))
    file_name: Mapped[str | None] = mapped_column(sa.String(200))
    mimetype: Mapped[str | None] = mapped_column(sa.String(120))
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    owner = db.relationship("User")

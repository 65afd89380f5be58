"""The audit log: one row per changed field of any entity."""

from __future__ import annotations

from datetime import datetime

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
    status: Mapped[str] = mapped_column(sa.String(10), default="held")  # held | sent | failed
    error: Mapped[str] = mapped_column(sa.Text, default="")
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

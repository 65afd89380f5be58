"""Actions of a unit's action plan, GAP overrides per duty, and maturity ratings."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvip.core.db import utcnow
from kvip.core.models import OutboxEmail  # noqa: F401  (re-exported: it lived here first)
from kvip.extensions import db


class ActionStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    verified = "verified"
    dropped = "dropped"


class Risk(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class PdsaStage(StrEnum):
    plan = "plan"
    do = "do"
    study = "study"
    act = "act"


class MaturityAspect(StrEnum):
    leadership = "leadership"
    staff_involvement = "staff_involvement"
    user_involvement = "user_involvement"


action_standards = sa.Table(
    "action_standards",
    db.metadata,
    sa.Column("action_id", sa.ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("standard_id", sa.ForeignKey("standards.id", ondelete="CASCADE"), primary_key=True),
)

action_duties = sa.Table(
    "action_duties",
    db.metadata,
    sa.Column("action_id", sa.ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("duty", sa.String(4), primary_key=True),
)


class Action(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    responsible: Mapped[str] = mapped_column(sa.String(200), default="")
    deadline: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(20), default=ActionStatus.planned.value)
    dropped_reason: Mapped[str] = mapped_column(sa.Text, default="")
    risk: Mapped[str] = mapped_column(sa.String(10), default=Risk.medium.value)
    pdsa_stage: Mapped[str] = mapped_column(sa.String(10), default=PdsaStage.plan.value)
    success_measure: Mapped[str] = mapped_column(sa.Text, default="")
    # Where the action came from: observation, standard or manual.
    source_kind: Mapped[str] = mapped_column(sa.String(20), default="manual")
    source_id: Mapped[int | None]
    done_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    verification_comment: Mapped[str] = mapped_column(sa.Text, default="")
    # The next visit's judgement: "verified" or "not_verified" (None until a team looked).
    verification_outcome: Mapped[str | None] = mapped_column(sa.String(20))
    verification_visit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("visits.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessment = relationship("Assessment")
    standards = relationship("Standard", secondary=action_standards, order_by="Standard.position")
    verified_by = relationship("User", foreign_keys=[verified_by_id])
    _duty_rows = relationship("ActionDuty", cascade="all, delete-orphan", lazy="selectin")

    # Optimistic locking (kvip.core.versioning): every ORM update checks and bumps ``version``.
    __mapper_args__ = {"version_id_col": version}

    @property
    def duties(self) -> list[str]:
        return sorted(r.duty for r in self._duty_rows)


class ActionDuty(db.Model):  # type: ignore[name-defined,misc]
    __table__ = action_duties


class GapOverride(db.Model):  # type: ignore[name-defined,misc]
    """A unit's own judgement of a duty's status or risk, overriding the derived one."""

    __tablename__ = "gap_overrides"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "duty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"))
    duty: Mapped[str] = mapped_column(sa.String(4))
    status: Mapped[str | None] = mapped_column(sa.String(20))
    risk: Mapped[str | None] = mapped_column(sa.String(10))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Optimistic locking (kvip.core.versioning): every ORM update checks and bumps it.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class MaturityRating(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "maturity_ratings"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "aspect"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"))
    aspect: Mapped[str] = mapped_column(sa.String(30))
    level: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Optimistic locking (kvip.core.versioning): every ORM update checks and bumps it.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class SentReminder(db.Model):  # type: ignore[name-defined,misc]
    """One reminder told to one person: an item (``kind:id``) at one threshold (e.g. ``14d``).
    The same item and threshold is never told twice (kvip.actions.reminders)."""

    __tablename__ = "sent_reminders"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(120))
    sent_on: Mapped[date] = mapped_column(sa.Date)

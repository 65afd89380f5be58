"""Cycles, assessments and the unit's self ratings."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvip.core.db import utcnow
from kvip.extensions import db


class CycleState(StrEnum):
    planned = "planned"
    open = "open"
    closed = "closed"


class AssessmentState(StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    submitted = "submitted"


class RatingValue(StrEnum):
    met = "met"
    partly_met = "partly_met"
    not_met = "not_met"
    not_applicable = "not_applicable"


class Cycle(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "cycles"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        sa.ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id", ondelete="RESTRICT"))
    year: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(sa.String(20), default=CycleState.planned.value)
    self_assessment_opens: Mapped[date | None]
    self_assessment_closes: Mapped[date | None]
    visit_window_start: Mapped[date | None]
    visit_window_end: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Optimistic locking (kvip.core.versioning): every ORM update checks and bumps it.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    network = relationship("Network")
    edition = relationship("Edition")
    assessments: Mapped[list[Assessment]] = relationship(back_populates="cycle")

    __mapper_args__ = {"version_id_col": version}


class Assessment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "assessments"
    __table_args__ = (sa.UniqueConstraint("cycle_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(sa.ForeignKey("cycles.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default=AssessmentState.not_started.value)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    cycle: Mapped[Cycle] = relationship(back_populates="assessments")
    unit = relationship("Unit")
    submitted_by = relationship("User")


class Rating(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "ratings"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "standard_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"))
    standard_id: Mapped[int] = mapped_column(
        sa.ForeignKey("standards.id", ondelete="RESTRICT"), index=True
    )
    value: Mapped[str | None] = mapped_column(sa.String(20))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    evidence_links: Mapped[str] = mapped_column(sa.Text, default="")
    # Comma-separated kinds: procedure, record_audit, incidents, user_survey, observation, interview.
    evidence_kinds: Mapped[str] = mapped_column(sa.String(200), default="")
    carried_over: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    assessment: Mapped[Assessment] = relationship()
    standard = relationship("Standard")

    # Optimistic locking: every ORM update checks and increments ``version`` (a lost race
    # raises StaleDataError instead of overwriting someone else's save).
    __mapper_args__ = {"version_id_col": version}

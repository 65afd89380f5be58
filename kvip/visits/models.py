"""Visits, their teams, the team's findings and observations, and the visit report."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvip.core.db import utcnow
from kvip.extensions import db


class VisitState(StrEnum):
    planned = "planned"
    scheduled = "scheduled"
    in_progress = "in_progress"
    completed = "completed"


class TeamRole(StrEnum):
    lead_reviewer = "lead_reviewer"
    peer_reviewer = "peer_reviewer"
    expert_by_experience = "expert_by_experience"


class ObservationKind(StrEnum):
    good_practice = "good_practice"
    improvement = "improvement"
    recommendation = "recommendation"


class ProposalSide(StrEnum):
    unit = "unit"
    network = "network"


class ProposalState(StrEnum):
    open = "open"
    accepted = "accepted"
    superseded = "superseded"


class ReportState(StrEnum):
    draft = "draft"
    shared_with_unit = "shared_with_unit"
    final = "final"


class Visit(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[date | None]
    state: Mapped[str] = mapped_column(sa.String(20), default=VisitState.planned.value)
    completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # iCalendar SEQUENCE of the visit's invitation: raised each time the date changes, so a
    # calendar that already holds the event (same UID) replaces it instead of adding one.
    ics_sequence: Mapped[int] = mapped_column(default=0, server_default="0")

    assessment = relationship("Assessment")
    team: Mapped[list[TeamMember]] = relationship(
        back_populates="visit", cascade="all, delete-orphan"
    )


class TeamMember(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "team_members"
    __table_args__ = (sa.UniqueConstraint("visit_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(30))

    visit: Mapped[Visit] = relationship(back_populates="team")
    user = relationship("User")


class Finding(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "findings"
    __table_args__ = (sa.UniqueConstraint("visit_id", "standard_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"))
    standard_id: Mapped[int] = mapped_column(
        sa.ForeignKey("standards.id", ondelete="RESTRICT"), index=True
    )
    value: Mapped[str | None] = mapped_column(sa.String(20))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Set when a team member overwrote another member's different rating; the lead reviewer
    # resolves it (a lead's write or confirmation clears it) before the visit can be completed.
    # Server default too, so bulk loads (demo generate) need not name it.
    disputed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    visit: Mapped[Visit] = relationship()
    standard = relationship("Standard")
    updated_by = relationship("User")

    # Optimistic locking (kvip.core.versioning). The offline sync writes findings with its own
    # conditional UPDATE; any ORM write (the lead's corrections) is checked here as well.
    __mapper_args__ = {"version_id_col": version}


class VisitDateProposal(db.Model):  # type: ignore[name-defined,misc]
    """Up to three possible dates for a visit, proposed by one side (the unit lead, or the
    coordinator answering with other dates); the other side picks one (DESIGN §3: the picked
    date becomes the visit's date). A newer proposal supersedes the open one."""

    __tablename__ = "visit_date_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True
    )
    side: Mapped[str] = mapped_column(sa.String(10))  # ProposalSide
    date_1: Mapped[date]
    date_2: Mapped[date | None]
    date_3: Mapped[date | None]
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    state: Mapped[str] = mapped_column(sa.String(12), default=ProposalState.open.value)
    proposed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    chosen_date: Mapped[date | None]
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]

    visit: Mapped[Visit] = relationship()
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def dates(self) -> list[date]:
        return [d for d in (self.date_1, self.date_2, self.date_3) if d is not None]


class AppliedOperation(db.Model):  # type: ignore[name-defined,misc]
    """A client-made op_id already applied, with the answer it got (idempotent replay)."""

    __tablename__ = "applied_operations"

    id: Mapped[int] = mapped_column(primary_key=True)
    op_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[int] = mapped_column(default=200)
    response: Mapped[str] = mapped_column(sa.Text, default="{}")
    # sha256 of the op's target and body: the same op_id with another change is refused.
    # None for ops applied before the column existed (they replay as before).
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


observation_standards = sa.Table(
    "observation_standards",
    db.metadata,
    sa.Column(
        "observation_id", sa.ForeignKey("observations.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("standard_id", sa.ForeignKey("standards.id", ondelete="CASCADE"), primary_key=True),
    # Benchmarks look observations up by standard ("who to learn from", the library).
    sa.Index("ix_observation_standards_standard_id", "standard_id"),
)


class Observation(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20))
    text: Mapped[str] = mapped_column(sa.Text)
    domain_id: Mapped[int | None] = mapped_column(sa.ForeignKey("domains.id", ondelete="SET NULL"))
    # Client-made id so an offline-created observation is stored once.
    client_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    visit: Mapped[Visit] = relationship()
    domain = relationship("Domain")
    standards = relationship("Standard", secondary=observation_standards)
    created_by = relationship("User")

    # Optimistic locking (kvip.core.versioning): every ORM update checks and bumps ``version``.
    __mapper_args__ = {"version_id_col": version}


class Report(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("visits.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[str] = mapped_column(sa.String(20), default=ReportState.draft.value)
    content: Mapped[str] = mapped_column(sa.Text, default="{}")
    unit_comments: Mapped[str] = mapped_column(sa.Text, default="")
    shared_at: Mapped[datetime | None]
    finalised_at: Mapped[datetime | None]
    finalised_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # When ``content`` was last generated from the visit's data.
    generated_at: Mapped[datetime | None]
    # The unit lead declared the unit has no comments: the report may be made final at once.
    no_comments_at: Mapped[datetime | None]
    no_comments_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Optimistic locking (kvip.core.versioning): every ORM update checks and bumps it.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    visit: Mapped[Visit] = relationship()
    comments: Mapped[list[ReportComment]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportComment.id"
    )

    __mapper_args__ = {"version_id_col": version}


class ReportComment(db.Model):  # type: ignore[name-defined,misc]
    """The unit's comment on the factual accuracy of one section of a shared draft report,
    with the lead reviewer's response; kept beside the draft (DESIGN §3)."""

    __tablename__ = "report_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    # "general", "domain:<code>" or "standard:<code>"
    section: Mapped[str] = mapped_column(sa.String(40), default="general")
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    response: Mapped[str] = mapped_column(sa.Text, default="")
    responded_at: Mapped[datetime | None]
    responded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Optimistic locking (kvip.core.versioning): every ORM update checks and bumps it.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    report: Mapped[Report] = relationship(back_populates="comments")
    author = relationship("User", foreign_keys=[author_id])
    responded_by = relationship("User", foreign_keys=[responded_by_id])

    __mapper_args__ = {"version_id_col": version}

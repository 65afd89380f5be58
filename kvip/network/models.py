"""A network, its member institutions and their units."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvip.core.db import utcnow
from kvip.extensions import db


class BenchmarkVisibility(StrEnum):
    pseudonymised = "pseudonymised"
    named = "named"


UNIT_KINDS = ("acute", "general", "specialised", "forensic", "outpatient")
# The smallest group a benchmark shows (DESIGN §4: k = 3): a network may raise it, never lower.
MIN_GROUP_SIZE = 3
# Issue 18: a visit may start this many days either side of its date; the unit may comment on a
# shared report for this many days before it can be made final.
VISIT_DATE_TOLERANCE_DAYS = 0
COMMENT_PERIOD_DAYS = 14


class Network(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    benchmark_visibility: Mapped[str] = mapped_column(
        sa.String(20), default=BenchmarkVisibility.pseudonymised.value
    )
    min_group_size: Mapped[int] = mapped_column(default=MIN_GROUP_SIZE)
    visit_date_tolerance_days: Mapped[int] = mapped_column(
        default=VISIT_DATE_TOLERANCE_DAYS, server_default=str(VISIT_DATE_TOLERANCE_DAYS)
    )
    comment_period_days: Mapped[int] = mapped_column(
        default=COMMENT_PERIOD_DAYS, server_default=str(COMMENT_PERIOD_DAYS)
    )
    # A new self-assessment starts from the unit's last submitted answers (carried over, to be
    # confirmed) unless the network says blank; the unit lead chooses at the start anyway.
    carry_over_default: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Optimistic locking (kvip.core.versioning): every ORM update checks and bumps it.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    @property
    def group_size_k(self) -> int:
        """The k benchmarks use: the setting, but never below 3 (older rows may hold less)."""
        return max(int(self.min_group_size or MIN_GROUP_SIZE), MIN_GROUP_SIZE)


class Institution(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "institutions"
    __table_args__ = (sa.UniqueConstraint("network_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        sa.ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str] = mapped_column(sa.String(60), default="")
    # Optimistic locking (kvip.core.versioning): every ORM update checks and bumps it.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    network: Mapped[Network] = relationship()
    units: Mapped[list[Unit]] = relationship(back_populates="institution")

    __mapper_args__ = {"version_id_col": version}


class Unit(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "units"
    __table_args__ = (sa.UniqueConstraint("institution_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        sa.ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    institution_id: Mapped[int] = mapped_column(
        sa.ForeignKey("institutions.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(30), default="general")
    beds: Mapped[int] = mapped_column(default=0)
    region: Mapped[str] = mapped_column(sa.String(60), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Optimistic locking (kvip.core.versioning): every ORM update checks and bumps it.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    network: Mapped[Network] = relationship()
    institution: Mapped[Institution] = relationship(back_populates="units")

    __mapper_args__ = {"version_id_col": version}


class RuleOverride(db.Model):  # type: ignore[name-defined,misc]
    """A coordinator lifted one date rule of the cycle for one object, with a reason (issue 18).

    ``rule`` names the rule (``assessment_window``, ``visit_date``, ``comment_period``) and
    ``entity_id`` the assessment, visit or report it was lifted for.
    """

    __tablename__ = "rule_overrides"
    __table_args__ = (sa.UniqueConstraint("rule", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        sa.ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(sa.String(30))
    entity_id: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

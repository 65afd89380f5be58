"""Summary tables of the benchmarks: per-cycle aggregates built by SQL ``GROUP BY`` from the
ratings and findings, so that a dashboard reads thousands of small rows instead of millions.

They are a cache: :mod:`kvip.benchmarks.summaries` rebuilds a cycle's rows when its
``version`` (bumped by every relevant change) differs from ``built_version``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kvip.core.db import utcnow
from kvip.extensions import db

# The series of a benchmark (DESIGN §5): the unit's own ratings, the visit team's findings,
# and the benchmark value (findings where the visit is completed, else the self rating).
SERIES = ("self", "peer", "bench")
# Self (row) × peer (column) contingency cells over not_met=0 < partly_met=1 < met=2.
PAIR_COLUMNS = tuple(f"n{s}{p}" for s in range(3) for p in range(3))


class BenchmarkCycleState(db.Model):  # type: ignore[name-defined,misc]
    """Freshness of one cycle's summaries and the secret salt of its pseudonyms."""

    __tablename__ = "benchmark_cycle_states"

    cycle_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True
    )
    # Secret per cycle: pseudonym order is a hash of (salt, cycle, unit), so it reveals nothing.
    salt: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int] = mapped_column(default=1)
    built_version: Mapped[int] = mapped_column(default=0)
    built_at: Mapped[datetime | None]
    build_ms: Mapped[int | None]


class BenchmarkPseudonym(db.Model):  # type: ignore[name-defined,misc]
    """A unit's pseudonym in one cycle ("Enhet K" = position 10); never changes once given."""

    __tablename__ = "benchmark_pseudonyms"
    __table_args__ = (sa.UniqueConstraint("cycle_id", "position"),)

    cycle_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int]


def _count_columns() -> list[sa.Column[int]]:
    return [
        sa.Column("met", sa.Integer, nullable=False, default=0),
        sa.Column("partly_met", sa.Integer, nullable=False, default=0),
        sa.Column("not_met", sa.Integer, nullable=False, default=0),
        sa.Column("not_applicable", sa.Integer, nullable=False, default=0),
        sa.Column("total", sa.Integer, nullable=False, default=0),
    ]


def _pair_columns() -> list[sa.Column[int]]:
    return [sa.Column(name, sa.Integer, nullable=False, default=0) for name in PAIR_COLUMNS]


# One row per counted assessment × domain × series: the §5 counts of that set of standards.
domain_counts = sa.Table(
    "benchmark_domain_counts",
    db.metadata,
    sa.Column(
        "assessment_id",
        sa.ForeignKey("assessments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("domain_id", sa.ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("series", sa.String(5), primary_key=True),
    sa.Column("cycle_id", sa.ForeignKey("cycles.id", ondelete="CASCADE"), nullable=False),
    sa.Column("unit_id", sa.Integer, nullable=False, index=True),
    # Whether the assessment's visit is completed: the benchmark series is then the peer one.
    sa.Column("peer_reviewed", sa.Boolean, nullable=False, default=False),
    *_count_columns(),
    sa.Index("ix_benchmark_domain_counts_cycle_series", "cycle_id", "series"),
)

# One row per peer-reviewed assessment × domain: self × peer contingency (agreement).
domain_pairs = sa.Table(
    "benchmark_domain_pairs",
    db.metadata,
    sa.Column(
        "assessment_id",
        sa.ForeignKey("assessments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("domain_id", sa.ForeignKey("domains.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "cycle_id", sa.ForeignKey("cycles.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("unit_id", sa.Integer, nullable=False),
    *_pair_columns(),
)

# One row per cycle × standard × unit kind × region × series: counts over the group's units,
# so that filtered standard-level views sum a few rows per standard.
standard_counts = sa.Table(
    "benchmark_standard_counts",
    db.metadata,
    sa.Column("cycle_id", sa.ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("standard_id", sa.ForeignKey("standards.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_kind", sa.String(30), primary_key=True),
    sa.Column("region", sa.String(60), primary_key=True),
    sa.Column("series", sa.String(5), primary_key=True),
    *_count_columns(),
)

# Self × peer contingency per cycle × standard × unit kind × region (agreement per standard).
standard_pairs = sa.Table(
    "benchmark_standard_pairs",
    db.metadata,
    sa.Column("cycle_id", sa.ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("standard_id", sa.ForeignKey("standards.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_kind", sa.String(30), primary_key=True),
    sa.Column("region", sa.String(60), primary_key=True),
    *_pair_columns(),
)


# --- questionnaires (issue 15 §5): per-cycle summaries of the answers --------------------------

# Stored answer values summarised: 0 ("won't say") … 4 (AGREE4; YES_NO_NA uses 0…2). Free text
# (value NULL) never enters a summary.
SURVEY_VALUES = range(5)
SURVEY_VALUE_COLUMNS = tuple(f"v{v}" for v in SURVEY_VALUES)


class BenchmarkSurveyState(db.Model):  # type: ignore[name-defined,misc]
    """Freshness of one cycle's questionnaire summaries as a whole. A submitted questionnaire
    does not touch it (see :data:`survey_changes`); bulk changes bump ``version``."""

    __tablename__ = "benchmark_survey_states"

    cycle_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(default=1)
    built_version: Mapped[int] = mapped_column(default=0)
    # A new random value at every rebuild, whole or partial: readers may cache what they
    # computed from the summaries under it.
    revision: Mapped[str] = mapped_column(sa.String(32), default="")
    built_at: Mapped[datetime | None]
    build_ms: Mapped[int | None]


# One row per questionnaire collection (= cycle × unit × instrument): its respondents, also 0.
survey_respondents = sa.Table(
    "benchmark_survey_respondents",
    db.metadata,
    sa.Column(
        "collection_id", sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "cycle_id", sa.ForeignKey("cycles.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("unit_id", sa.Integer, nullable=False),
    sa.Column("instrument_id", sa.Integer, nullable=False),
    sa.Column("respondents", sa.Integer, nullable=False, default=0),
)

# One row per collection × question (= cycle × unit × question): how many answered each value.
survey_counts = sa.Table(
    "benchmark_survey_counts",
    db.metadata,
    sa.Column(
        "collection_id", sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("question_id", sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "cycle_id", sa.ForeignKey("cycles.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("unit_id", sa.Integer, nullable=False),
    *[sa.Column(name, sa.Integer, nullable=False, default=0) for name in SURVEY_VALUE_COLUMNS],
)

# Collections whose answers changed since their summary rows were built: a submitted
# questionnaire appends a row here (no lock on anything shared); the next read of the cycle
# takes the rows and rebuilds only those collections.
survey_changes = sa.Table(
    "benchmark_survey_changes",
    db.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("cycle_id", sa.Integer, nullable=False, index=True),
    sa.Column("collection_id", sa.Integer, nullable=False),
)


# --- "ask to learn": consent-based contact between units (issue 16) ----------------------------

# sent → forwarded (by the network's coordinator) → accepted | declined (by the other unit's
# lead); or sent → refused (the coordinator does not forward it, with a reason).
LEARNING_STATES = ("sent", "forwarded", "accepted", "declined", "refused")
LEARNING_MESSAGE_MAX = 1000
LEARNING_NOTE_MAX = 500


class LearningRequest(db.Model):  # type: ignore[name-defined,misc]
    """A unit lead asks to learn from another unit's good practice. Names stay pseudonymous on
    both sides until the other unit's lead accepts; the coordinator passes it on."""

    __tablename__ = "learning_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        sa.ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    from_unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("units.id", ondelete="CASCADE"), index=True
    )
    to_unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("units.id", ondelete="CASCADE"), index=True
    )
    # The good-practice observation the request is about (from "who to learn from" or the
    # library); kept as text too, so the request still reads well if the report changes.
    observation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("observations.id", ondelete="SET NULL")
    )
    practice: Mapped[str] = mapped_column(sa.Text, default="")
    # The other unit as the requester saw it (its pseudonym in that view), shown until accepted.
    to_label: Mapped[str] = mapped_column(sa.String(80), default="")
    message: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(12), default="sent", index=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    forwarded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # The coordinator's note when forwarding, or the reason for not forwarding.
    coordinator_note: Mapped[str] = mapped_column(sa.Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # The other unit's contact person once accepted (the accepting lead or one they chose).
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    answer_note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    forwarded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def names_revealed(self) -> bool:
        """Both units see each other's name and contact person only after acceptance."""
        return self.state == "accepted"

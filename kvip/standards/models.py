"""Editions of the standards: domains and standards with their duties and dimensions."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvip.core.db import utcnow
from kvip.extensions import db


class Edition(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "editions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name_nb: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[str] = mapped_column(sa.String(20))
    published: Mapped[date | None]
    total: Mapped[int] = mapped_column(default=0)
    # True once any cycle uses the edition: it can no longer change.
    frozen: Mapped[bool] = mapped_column(default=False)
    # Hash of the loaded source, so an unchanged re-load is a no-op.
    content_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    # Where the content came from: a folder of YAML files or an uploaded spreadsheet.
    source: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    domains: Mapped[list[Domain]] = relationship(
        back_populates="edition", order_by="Domain.position", cascade="all, delete-orphan"
    )
    # The cycles that use the edition (kvip.cycles names its model by string here: standards
    # sits below cycles and imports nothing of it). Read-only: cycles set their edition.
    cycles = relationship("Cycle", viewonly=True)


class Domain(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "domains"
    __table_args__ = (sa.UniqueConstraint("edition_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("editions.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(10))
    slug: Mapped[str] = mapped_column(sa.String(80))
    title_nb: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)

    edition: Mapped[Edition] = relationship(back_populates="domains")
    standards: Mapped[list[Standard]] = relationship(
        back_populates="domain", order_by="Standard.position", cascade="all, delete-orphan"
    )


standard_duties = sa.Table(
    "standard_duties",
    db.metadata,
    sa.Column("standard_id", sa.ForeignKey("standards.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("duty", sa.String(4), primary_key=True, index=True),
)

standard_dimensions = sa.Table(
    "standard_dimensions",
    db.metadata,
    sa.Column("standard_id", sa.ForeignKey("standards.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("dimension", sa.String(30), primary_key=True, index=True),
)


class Standard(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "standards"
    __table_args__ = (sa.UniqueConstraint("edition_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("editions.id", ondelete="CASCADE"), index=True
    )
    domain_id: Mapped[int] = mapped_column(
        sa.ForeignKey("domains.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(10))
    type: Mapped[int]
    text_nb: Mapped[str] = mapped_column(sa.Text)
    text_en: Mapped[str] = mapped_column(sa.Text)
    guidance_nb: Mapped[str] = mapped_column(sa.Text, default="")
    guidance_en: Mapped[str] = mapped_column(sa.Text, default="")
    # How a reviewer checks it: codes of duties.METHODS in vocabulary order (a short list read
    # with the standard, never searched on, so a JSON list rather than an association table).
    methods: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )
    position: Mapped[int] = mapped_column(default=0)

    domain: Mapped[Domain] = relationship(back_populates="standards")
    edition: Mapped[Edition] = relationship(viewonly=True)
    _duty_rows = relationship("StandardDuty", cascade="all, delete-orphan", lazy="selectin")
    _dimension_rows = relationship(
        "StandardDimension", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def duties(self) -> list[str]:
        return sorted(r.duty for r in self._duty_rows)

    @property
    def dimensions(self) -> list[str]:
        return sorted(r.dimension for r in self._dimension_rows)


class StandardDuty(db.Model):  # type: ignore[name-defined,misc]
    __table__ = standard_duties


class StandardDimension(db.Model):  # type: ignore[name-defined,misc]
    __table__ = standard_dimensions


CHANGE_KINDS = ("same", "reworded", "merged", "split", "dropped", "new")


class StandardMapping(db.Model):  # type: ignore[name-defined,misc]
    """One link between a standard of an older edition and one of a newer edition.

    Saved together for a pair of editions (from a mapping file or the coordinator's mapping
    page). Every standard of the newer edition has at least one row: ``from_standard_id`` is
    None for a standard that is new; several rows for one newer standard mean older standards
    merged into it, several rows for one older standard mean it was split. A dropped older
    standard has a row with ``to_standard_id`` None. ``change`` is the kind of change
    (:data:`CHANGE_KINDS`; None for rows saved before kinds existed), ``meaning_changed`` says a
    rating under the old text does not mean the same under the new one. Trends follow a
    standard across editions through these rows (or the suggestion when none are saved).
    """

    __tablename__ = "standard_mappings"
    __table_args__ = (
        sa.UniqueConstraint(
            "from_edition_id",
            "to_standard_id",
            "from_standard_id",
            name="uq_standard_mappings_link",
        ),
        sa.CheckConstraint(
            "from_standard_id IS NOT NULL OR to_standard_id IS NOT NULL", name="linked"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_edition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("editions.id", ondelete="CASCADE"), index=True
    )
    to_edition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("editions.id", ondelete="CASCADE"), index=True
    )
    from_standard_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("standards.id", ondelete="CASCADE"), index=True
    )
    to_standard_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("standards.id", ondelete="CASCADE"), index=True
    )
    change: Mapped[str | None] = mapped_column(sa.String(10))
    meaning_changed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    from_standard: Mapped[Standard | None] = relationship(foreign_keys=[from_standard_id])
    to_standard: Mapped[Standard | None] = relationship(foreign_keys=[to_standard_id])


class EditionImport(db.Model):  # type: ignore[name-defined,misc]
    """An uploaded spreadsheet, parsed and valid, waiting for its uploader to confirm it.

    Kept in the database (not in a worker's memory or local disk) so that any worker can
    answer the confirmation; removed once confirmed, and stale ones are swept on each upload.
    """

    __tablename__ = "edition_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    payload: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

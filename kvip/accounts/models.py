"""Users and their roles: unit memberships, network roles, the admin flag, API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvip.core.db import utcnow
from kvip.extensions import db


class UnitRole(StrEnum):
    unit_member = "unit_member"
    unit_lead = "unit_lead"


class NetworkRoleKind(StrEnum):
    coordinator = "coordinator"
    reviewer = "reviewer"


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased; uniqueness is therefore case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    locale: Mapped[str] = mapped_column(sa.String(5), default="nb")
    active: Mapped[bool] = mapped_column(default=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    home_institution_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("institutions.id", ondelete="SET NULL"), index=True
    )
    # In every session and "keep me signed in" cookie (get_id). Rotated at password change,
    # sign-out and e-mail change: every session and remember cookie of the user ends.
    auth_nonce: Mapped[str] = mapped_column(sa.String(32), default=new_nonce)
    # How reminders reach the person: "email" (a daily digest and the reminders page) or
    # "app" (the reminders page only).
    reminder_channel: Mapped[str] = mapped_column(
        sa.String(10), default="email", server_default="email"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Optimistic locking of the user administration (kvip.core.versioning). Bumped only by a
    # deliberate edit of the person's details (accounts.services.update_user), never by signing
    # in: two sign-ins of one account at once must not collide. Every ORM update of the row
    # still checks it, so a write cannot silently undo a concurrent edit.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    home_institution = relationship("Institution")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    network_roles: Mapped[list[NetworkRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        return f"{self.id}.{self.auth_nonce}"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Membership(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))

    user: Mapped[User] = relationship(back_populates="memberships")
    unit = relationship("Unit")


class NetworkRole(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "network_roles"
    __table_args__ = (sa.UniqueConstraint("user_id", "network_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    network_id: Mapped[int] = mapped_column(
        sa.ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(20))
    # Reviewers only: trained to lead a review team.
    trained_lead: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="network_roles")
    network = relationship("Network")


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # Only a SHA-256 of the token is stored; the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

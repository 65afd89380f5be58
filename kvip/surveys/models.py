"""Instruments (versioned files per edition), collections per assessment, single-use codes,
kiosk sessions, and the anonymous responses with their answers.

Anonymity by design (DESIGN §4): a :class:`Response` holds the instrument, the collection and
the day it arrived, nothing else: no user, no IP address, no user agent, no time of day. A
:class:`ResponseCode` is stored hashed and only says whether it was used, never which answers
it produced (no foreign key either way, no time of use).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvip.core.db import utcnow
from kvip.extensions import db

# Results are shown only from this many respondents; a network may raise it, never lower it.
MIN_RESPONDENTS = 5
# Records a record audit samples by default (the network may change it).
RECORD_AUDIT_SAMPLE = 10


class InstrumentKind(StrEnum):
    questionnaire = "questionnaire"
    record_audit = "record_audit"


class Scale(StrEnum):
    """How a question is answered."""

    agree4 = "agree4"  # 4-point agree scale, "won't say" always allowed
    yes_no_na = "yes_no_na"  # record audit criteria
    text = "text"  # optional free text


# Stored answer values of the agree4 scale (0 is "won't say", not counted in n).
AGREE4 = {
    "strongly_disagree": 1,
    "disagree": 2,
    "agree": 3,
    "strongly_agree": 4,
    "wont_say": 0,
}
# Stored values of the yes/no/not applicable scale.
YES_NO_NA = {"no": 1, "yes": 2, "not_applicable": 0}


class Instrument(db.Model):  # type: ignore[name-defined,misc]
    """One questionnaire (or the record audit) of an edition, loaded from
    ``standards/<edition>/instruments/<code>.yaml``."""

    __tablename__ = "instruments"
    __table_args__ = (sa.UniqueConstraint("edition_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("editions.id", ondelete="CASCADE"), index=True
    )
    # young_person | parent | staff | record_audit
    code: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[str] = mapped_column(sa.String(20), default=InstrumentKind.questionnaire.value)
    version: Mapped[str] = mapped_column(sa.String(20))
    title_nb: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200))
    intro_nb: Mapped[str] = mapped_column(sa.Text, default="")
    intro_en: Mapped[str] = mapped_column(sa.Text, default="")
    # Who answers, shown to the unit (e.g. "Ungdom 12–18 år").
    audience_nb: Mapped[str] = mapped_column(sa.String(200), default="")
    audience_en: Mapped[str] = mapped_column(sa.String(200), default="")
    position: Mapped[int] = mapped_column(default=0)
    content_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    questions: Mapped[list[Question]] = relationship(
        back_populates="instrument", order_by="Question.position", cascade="all, delete-orphan"
    )


class Question(db.Model):  # type: ignore[name-defined,misc]
    """A question (or record-audit criterion) with the standards it evidences."""

    __tablename__ = "questions"
    __table_args__ = (sa.UniqueConstraint("instrument_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(
        sa.ForeignKey("instruments.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(20))
    position: Mapped[int] = mapped_column(default=0)
    text_nb: Mapped[str] = mapped_column(sa.Text)
    text_en: Mapped[str] = mapped_column(sa.Text)
    scale: Mapped[str] = mapped_column(sa.String(20), default=Scale.agree4.value)
    # Which answer is the good one: "agree" (most questions) or "disagree" (worded negatively).
    positive: Mapped[str] = mapped_column(sa.String(10), default="agree")
    # Codes of the edition's standards this question evidences (read with the question only).
    standards: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )

    instrument: Mapped[Instrument] = relationship(back_populates="questions")


class SurveySettings(db.Model):  # type: ignore[name-defined,misc]
    """A network's survey settings; a network without a row uses the defaults."""

    __tablename__ = "survey_settings"
    __table_args__ = (
        sa.CheckConstraint(f"min_respondents >= {MIN_RESPONDENTS}", name="min_respondents"),
        sa.CheckConstraint("record_audit_sample BETWEEN 1 AND 100", name="record_audit_sample"),
    )

    network_id: Mapped[int] = mapped_column(
        sa.ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True
    )
    min_respondents: Mapped[int] = mapped_column(default=MIN_RESPONDENTS)
    record_audit_sample: Mapped[int] = mapped_column(default=RECORD_AUDIT_SAMPLE)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class Collection(db.Model):  # type: ignore[name-defined,misc]
    """One instrument collected for one assessment within a window of days."""

    __tablename__ = "collections"
    __table_args__ = (sa.UniqueConstraint("assessment_id", "instrument_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    instrument_id: Mapped[int] = mapped_column(
        sa.ForeignKey("instruments.id", ondelete="RESTRICT"), index=True
    )
    opens: Mapped[date]
    closes: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    instrument: Mapped[Instrument] = relationship()

    def is_open(self, today: date) -> bool:
        return self.opens <= today <= self.closes


class CodeChannel(StrEnum):
    slip = "slip"  # printed slips for young people and parents
    staff_link = "staff_link"  # links handed to staff


class ResponseCode(db.Model):  # type: ignore[name-defined,misc]
    """A single-use code: stored as a hash; ``used`` is all that is known after use."""

    __tablename__ = "response_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    channel: Mapped[str] = mapped_column(sa.String(20), default=CodeChannel.slip.value)
    created_on: Mapped[date]
    used: Mapped[bool] = mapped_column(default=False)


class KioskSession(db.Model):  # type: ignore[name-defined,misc]
    """The unit's tablet in kiosk mode: started by a staff member, who alone may end it.

    The token (stored hashed) lets the tablet send answers without anyone signed in; the
    answers it sends are not linked to it."""

    __tablename__ = "kiosk_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Codes of the instruments offered on the tablet, in order.
    instruments: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    started_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class Response(db.Model):  # type: ignore[name-defined,misc]
    """One respondent's answers: which collection, which day; nothing about who or how."""

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    received_on: Mapped[date]
    # Hash of the submission's one-time id (made on the page or the kiosk), so a double tap or
    # a replay from the kiosk's queue is stored once. Random: says nothing about the person.
    submission_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class Answer(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "answers"
    __table_args__ = (sa.UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("responses.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    # AGREE4 / YES_NO_NA value; None for a free-text answer.
    value: Mapped[int | None]
    text: Mapped[str] = mapped_column(sa.Text, default="")

    response: Mapped[Response] = relationship(back_populates="answers")


class RecordAuditEntry(db.Model):  # type: ignore[name-defined,misc]
    """One criterion checked in one sampled record ("Journal 1…N", never a patient identifier),
    by the unit before the visit (``visit_id`` empty) or by the visit team during it."""

    __tablename__ = "record_audit_entries"
    __table_args__ = (
        # "source" rather than visit_id in the key: NULLs never collide in a unique constraint.
        sa.UniqueConstraint("assessment_id", "source", "question_id", "record_number"),
        sa.CheckConstraint("record_number BETWEEN 1 AND 100", name="record_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    # "unit" (before the visit) or "visit" (the visit team, with visit_id)
    source: Mapped[str] = mapped_column(sa.String(10), default="unit")
    visit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"))
    record_number: Mapped[int]
    # YES_NO_NA value
    value: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

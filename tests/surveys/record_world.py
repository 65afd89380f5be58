"""A small record-audit instrument for the world's edition (the world has questionnaires
only): R1 → standard 1.1, R2 → 1.2 and 2.1."""

from __future__ import annotations

from kvip.extensions import db
from kvip.surveys.models import Instrument, Question


def add_record_audit(edition_id: int) -> Instrument:
    instrument = Instrument(
        edition_id=edition_id,
        code="record_audit",
        kind="record_audit",
        version="1",
        title_nb="Journalgjennomgang",
        title_en="Record audit",
        position=3,
    )
    instrument.questions = [
        Question(code="R1", position=0, text_nb="Plan finnes.", text_en="A plan exists.",
                 scale="yes_no_na", standards=["1.1"]),
        Question(code="R2", position=1, text_nb="Mål står.", text_en="Goals are recorded.",
                 scale="yes_no_na", standards=["1.2", "2.1"]),
    ]  # fmt: skip
    db.session.add(instrument)
    db.session.commit()
    return instrument

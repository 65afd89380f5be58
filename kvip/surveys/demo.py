"""Demo questionnaires: the 2027 questions (kvip/standards/kvip-2027/instruments) attached to
the demo's edition, keeping the standard codes it has; answers for the previous and the
current cycle. In the current cycle the demo unit's parents' questionnaire stays below the
threshold (3 answers), the rest are above; the unit the demo reviewer visits has answers in
all three, so the visit pack shows them.

Expects ``ctx.extra["edition"]``, ``["previous_cycle"]`` and ``["current_cycle"]``.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from kvip.config import ROOT
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.standards.models import Standard
from kvip.surveys.instruments import load_instrument_data, parse_instruments
from kvip.surveys.models import AGREE4, Answer, Collection, Instrument, Response

INSTRUMENTS_DIR = ROOT / "standards" / "kvip-2027" / "instruments"
FREE_TEXTS = [
    "Personalet er snille og tar seg tid.",
    "Det er lite å gjøre i helgene.",
    "Maten kunne vært bedre.",
    "Jeg liker at vi får gå tur hver dag.",
    "Vi ønsker oss mer informasjon før permisjoner.",
    "Godt samarbeid med skolen.",
]
# (young people, parents, staff) answering, per unit role and cycle
COUNTS = {
    ("demo", "previous"): (8, 6, 10),
    ("demo", "current"): (7, 3, 12),
    ("visited", "previous"): (6, 5, 9),
    ("visited", "current"): (9, 6, 11),
    # Two more units, so the network's questionnaire figures (k units per question) show.
    ("other", "previous"): (10, 7, 12),
    ("other", "current"): (8, 5, 10),
}


def populate(ctx: Any) -> None:
    """Attach the questionnaires to the demo edition and add answers (ctx: kvip.demo.DemoContext)."""
    edition = ctx.extra.get("edition")
    previous: Cycle | None = ctx.extra.get("previous_cycle")
    current: Cycle | None = ctx.extra.get("current_cycle")
    if edition is None or previous is None or current is None:
        return
    codes = set(
        db.session.scalars(sa.select(Standard.code).where(Standard.edition_id == edition.id))
    )
    data, problems = parse_instruments(INSTRUMENTS_DIR, codes, drop_unknown_standards=True)
    if data is None:
        raise RuntimeError("; ".join(str(p) for p in problems))
    load_instrument_data(edition, data)
    instruments = {
        i.code: i
        for i in db.session.scalars(
            sa.select(Instrument).where(Instrument.edition_id == edition.id)
        )
    }
    rng = random.Random(ctx.rng.random())
    units = [("demo", ctx.demo_unit), ("visited", ctx.visited_unit)]
    units += [("other", unit) for unit in ctx.units[1:3]]
    for role, unit in units:
        for when, cycle in (("previous", previous), ("current", current)):
            assessment = db.session.scalar(
                sa.select(Assessment).where(
                    Assessment.cycle_id == cycle.id, Assessment.unit_id == unit.id
                )
            )
            if assessment is None:
                continue
            if when == "previous":
                opens = cycle.self_assessment_opens or date(cycle.year, 1, 15)
                closes = opens + timedelta(days=40)
            else:
                opens, closes = ctx.today - timedelta(days=20), ctx.today + timedelta(days=25)
            counts = COUNTS[(role, when)]
            for code, n in zip(("young_person", "parent", "staff"), counts, strict=True):
                _collect(
                    rng,
                    assessment,
                    instruments[code],
                    opens,
                    closes,
                    n,
                    ctx.today,
                    ctx.users["lead"].id,
                )
    db.session.commit()


def _collect(
    rng: random.Random,
    assessment: Assessment,
    instrument: Instrument,
    opens: date,
    closes: date,
    n: int,
    today: date,
    lead_id: int,
) -> None:
    collection = Collection(
        assessment_id=assessment.id,
        instrument_id=instrument.id,
        opens=opens,
        closes=closes,
        created_by_id=lead_id,
    )
    db.session.add(collection)
    db.session.flush()
    last = min(closes, today)
    span = max((last - opens).days, 0)
    # A unit's general mood, and each question's own lean.
    mood = rng.uniform(0.55, 0.85)
    lean = {q.id: rng.gauss(0.0, 0.12) for q in instrument.questions}
    answers: list[dict[str, Any]] = []
    for _i in range(n):
        token = f"demo-{rng.getrandbits(96):x}"
        response = Response(
            collection_id=collection.id,
            received_on=opens + timedelta(days=rng.randint(0, span)),
            submission_hash=hashlib.sha256(token.encode()).hexdigest(),
        )
        db.session.add(response)
        db.session.flush()
        for q in instrument.questions:
            if q.scale == "text":
                if rng.random() < 0.35:
                    answers.append(
                        {
                            "response_id": response.id,
                            "question_id": q.id,
                            "value": None,
                            "text": rng.choice(FREE_TEXTS),
                        }
                    )
                continue
            if rng.random() < 0.06:
                value = AGREE4["wont_say"]
            else:
                good = rng.random() < min(0.97, max(0.05, mood + lean[q.id]))
                strong = rng.random() < 0.45
                if q.positive == "disagree":
                    good = not good
                value = (4 if strong else 3) if good else (1 if strong else 2)
            answers.append(
                {"response_id": response.id, "question_id": q.id, "value": value, "text": ""}
            )
    if answers:
        db.session.execute(sa.insert(Answer), answers)

"""Questionnaire responses for the synthetic network (issue 15 §7): per unit and cycle a
young people's, a parents' and a staff collection with 15 / 15 / 20 respondents (about one in
ten parents' collections stays below the threshold of 5), inserted in bulk like everything
else. Answers come from a per-unit positive share, so units differ and benchmarks have a spread.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import sqlalchemy as sa

from kvip.benchmarks.synthetic.bulk import Inserter

# (code, respondents per unit and cycle, questions on the agree scale)
PLAN = (("young_person", 15, 12), ("parent", 15, 10), ("staff", 20, 10))
TITLES = {"young_person": "Ungdom", "parent": "Foreldre", "staff": "Ansatte"}


@dataclass
class SurveyInstrument:
    id: int
    code: str
    respondents: int
    question_ids: list[int]


def instruments(ins: Inserter, edition_id: int, now: datetime) -> list[SurveyInstrument]:
    """The edition's questionnaires (made when it has none: the synthetic edition)."""
    conn = ins.connection
    out: list[SurveyInstrument] = []
    for code, respondents, n_questions in PLAN:
        row = conn.execute(
            sa.text("SELECT id FROM instruments WHERE edition_id = :e AND code = :c"),
            {"e": edition_id, "c": code},
        ).first()
        if row is None:
            instrument_id = ins.next_id("instruments")
            ins.insert(
                "instruments",
                ["id", "edition_id", "code", "kind", "version", "title_nb", "title_en",
                 "intro_nb", "intro_en", "audience_nb", "audience_en", "position",
                 "content_hash", "loaded_at"],
                [(instrument_id, edition_id, code, "questionnaire", "1", TITLES[code], code,
                  "", "", TITLES[code], code, len(out), "", now)],
            )  # fmt: skip
            first = ins.next_id("questions")
            ins.insert(
                "questions",
                ["id", "instrument_id", "code", "position", "text_nb", "text_en", "scale",
                 "positive", "standards"],
                [(first + i, instrument_id, f"{code[0].upper()}{i + 1}", i,
                  f"Påstand {i + 1}", f"Statement {i + 1}", "agree4", "agree", "[]")
                 for i in range(n_questions)],
            )  # fmt: skip
            ins.fix_sequence("instruments")
            ins.fix_sequence("questions")
        else:
            instrument_id = int(row[0])
        ids = [
            int(q)
            for (q,) in conn.execute(
                sa.text(
                    "SELECT id FROM questions WHERE instrument_id = :i AND scale = 'agree4' "
                    "ORDER BY position"
                ),
                {"i": instrument_id},
            )
        ]
        out.append(SurveyInstrument(instrument_id, code, respondents, ids))
    return out


def responses(
    ins: Inserter,
    specs: list[SurveyInstrument],
    assessments: list[int],
    year: int,
    nrng: np.random.Generator,
    salt: str,
) -> dict[str, int]:
    """Collections, responses and answers of one cycle, in bulk. Returns counts."""
    collection0 = ins.next_id("collections")
    response0 = ins.next_id("responses")
    answer0 = ins.next_id("answers")
    prefix = hashlib.sha256(f"{salt}:{year}".encode()).hexdigest()[:24]
    opens, closes = date(year, 2, 1), date(year, 3, 1)
    collections, resp_rows, answer_rows = [], [], []
    cid, rid, aid = collection0, response0, answer0
    for assessment_id in assessments:
        # A unit's positive share, shared by its instruments (with some noise per instrument).
        base = float(np.clip(nrng.normal(0.68, 0.12), 0.1, 0.97))
        for spec in specs:
            n = spec.respondents
            if spec.code == "parent" and nrng.random() < 0.1:
                n = int(nrng.integers(1, 5))  # below the threshold
            collections.append(
                (cid, assessment_id, spec.id, opens, closes, datetime(year, 2, 1), 1)
            )
            share = float(np.clip(base + nrng.normal(0, 0.05), 0.02, 0.98))
            shape = (n, len(spec.question_ids))
            wont = nrng.random(shape) < 0.05
            positive = nrng.random(shape) < share
            strong = nrng.random(shape) < 0.4
            values = np.where(positive, np.where(strong, 4, 3), np.where(strong, 1, 2))
            values = np.where(wont, 0, values)
            for r in range(n):
                resp_rows.append((rid, cid, opens, f"{prefix}{rid:040x}"))
                for q, question_id in enumerate(spec.question_ids):
                    answer_rows.append((aid, rid, question_id, int(values[r, q]), ""))
                    aid += 1
                rid += 1
            cid += 1
    ins.insert(
        "collections",
        ["id", "assessment_id", "instrument_id", "opens", "closes", "created_at", "version"],
        collections,
    )
    ins.insert("responses", ["id", "collection_id", "received_on", "submission_hash"], resp_rows)
    ins.insert("answers", ["id", "response_id", "question_id", "value", "text"], answer_rows)
    for table in ("collections", "responses", "answers"):
        ins.fix_sequence(table)
    return {"responses": len(resp_rows), "answers": len(answer_rows)}

"""The instrument files: the shipped ones are valid; every problem is reported as
``file:line: message``; loading is all or nothing and an unchanged load is a no-op."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from kvip.config import ROOT
from kvip.extensions import db
from kvip.standards.loader import parse_edition_dir
from kvip.surveys.instruments import load_instruments, parse_instruments
from kvip.surveys.models import Instrument, Question
from tests.factories import create_edition

EDITION = ROOT / "standards" / "kvip-2027"


def _codes_2027() -> set[str]:
    data, problems = parse_edition_dir(EDITION)
    assert data is not None, problems
    return {s.code for d in data.domains for s in d.standards}


def test_shipped_instruments_are_valid_and_grounded_in_questionnaire_standards() -> None:
    data, problems = parse_instruments(EDITION, _codes_2027())
    assert problems == []
    assert data is not None
    by_code = {d.code: d for d in data}
    assert list(by_code) == ["young_person", "parent", "staff", "record_audit"]
    assert 18 <= len(by_code["young_person"].questions) <= 22
    assert len(by_code["record_audit"].questions) >= 10
    for item in data:
        for q in item.questions:
            assert q.text_nb and q.text_en
            if q.scale != "text":
                assert q.standards, q.code
    # Every kvip-2027 standard whose methods name a questionnaire is asked about by it.
    edition, _p = parse_edition_dir(EDITION)
    assert edition is not None
    wanted = {
        (m.removeprefix("questionnaire_"), s.code)
        for d in edition.domains
        for s in d.standards
        for m in s.methods
        if m.startswith("questionnaire_")
    }
    asked = {(i.code, c) for i in data for q in i.questions for c in q.standards}
    assert wanted <= asked


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


GOOD = """code: staff
kind: questionnaire
version: "1"
title: {nb: Ansatte, en: Staff}
questions:
  - code: S01
    text: {nb: Jeg har veiledning., en: I have supervision.}
    scale: agree4
    positive: agree
    standards: ["1.1"]
"""


def test_every_problem_is_reported_with_file_and_line(tmp_path: Path) -> None:
    bad = """code: staff
kind: questionnaire
version: "1"
title: {nb: Ansatte}
colour: blue
questions:
  - code: S01
    text: {nb: Spørsmål, en: Question}
    scale: five_point
    positive: maybe
    standards: ["9.9", "1.1", "1.1"]
  - code: S01
    text: {nb: To, en: Two}
    scale: agree4
    positive: agree
"""
    _write(tmp_path, "staff.yaml", bad)
    _write(tmp_path, "parent.yaml", GOOD)  # staff code in the parent file
    data, problems = parse_instruments(tmp_path, {"1.1"})
    assert data is None
    lines = [str(p) for p in problems]
    staff = f"{tmp_path}/staff.yaml"
    expected = [
        f"{staff}:4: The title: the English (en) version is missing.",
        f"{staff}:5: Unknown field “colour”.",
        f"{staff}:9: The scale “five_point” is not allowed here: use agree4, text.",
        f"{staff}:10: “positive” must be agree or disagree.",
        f"{staff}:11: “9.9” is not a standard of this edition.",
        f"{staff}:11: “1.1” is listed twice.",
        f"{staff}:12: The question code “S01” is used twice (first on line 7).",
        f"{staff}:12: The standards are missing (field “standards”; [] for none).",
    ]
    for line in expected:
        assert any(got.startswith(line) for got in lines), (line, lines)
    assert any(
        "parent.yaml:1: The file of instrument “staff” must be named staff.yaml" in x for x in lines
    )


@pytest.mark.usefixtures("app")
def test_load_is_all_or_nothing_and_unchanged_is_a_no_op(tmp_path: Path, app: Flask) -> None:
    edition = create_edition(slug="ed-survey")
    db.session.commit()
    ed_dir = tmp_path / "ed"
    _write(ed_dir, "edition.yaml", "slug: ed-survey\n")
    _write(ed_dir / "instruments", "staff.yaml", GOOD)
    _write(
        ed_dir / "instruments",
        "parent.yaml",
        GOOD.replace("code: staff", "code: parent").replace('"1.1"', '"7.7"'),
    )
    result = load_instruments(ed_dir)
    assert [str(p).split(": ", 1)[1] for p in result.problems] == [
        "“7.7” is not a standard of this edition."
    ]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Instrument)) == 0

    _write(ed_dir / "instruments", "parent.yaml", GOOD.replace("code: staff", "code: parent"))
    result = load_instruments(ed_dir)
    assert result.problems == []
    assert result.instruments == [("parent", "loaded"), ("staff", "loaded")]
    again = load_instruments(ed_dir)
    assert again.instruments == [("parent", "unchanged"), ("staff", "unchanged")]
    question = db.session.scalar(sa.select(Question).where(Question.code == "S01").limit(1))
    assert question is not None and question.standards == ["1.1"]
    assert edition.id == db.session.scalar(sa.select(Instrument.edition_id).limit(1))


def test_cli_load_prints_problems_and_exits_non_zero(app: Flask, tmp_path: Path) -> None:
    _write(tmp_path / "ed", "edition.yaml", "slug: not-loaded\n")
    _write(tmp_path / "ed" / "instruments", "staff.yaml", GOOD)
    result: Result = app.test_cli_runner().invoke(args=["surveys", "load", str(tmp_path / "ed")])
    assert result.exit_code == 1
    assert "edition.yaml:1: The edition “not-loaded” is not loaded" in result.output

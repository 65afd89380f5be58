"""The YAML loader: the real edition passes; broken files report every problem at its
``file:line``; loading is all or nothing, idempotent, and never changes a frozen edition."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kvip.core.errors import Conflict
from kvip.core.models import AuditEvent
from kvip.cycles.models import Cycle
from kvip.extensions import db
from kvip.standards.duties import DUTY_CODES
from kvip.standards.loader import parse_edition_dir
from kvip.standards.models import Edition, Standard
from kvip.standards.services import EditionInvalid, load_edition, load_edition_dir
from tests.factories import create_network
from tests.standards.conftest import (
    KVIP_2026,
    DomainSpec,
    db_state,
    simple_domains,
    write_edition,
)

PLACE = re.compile(r"^(?P<file>.+\.yaml):(?P<line>\d+): .+$")


def _problems(path: Path) -> list[str]:
    data, problems = parse_edition_dir(path)
    assert (data is None) == bool(problems)
    return [str(p) for p in problems]


def _assert_reported(problems: list[str], place: str, *fragments: str) -> None:
    matching = [p for p in problems if p.startswith(place + ": ")]
    assert matching, f"nothing reported at {place}; got:\n" + "\n".join(problems)
    assert any(all(f.lower() in p.lower() for f in fragments) for p in matching), (
        f"{place}: expected {fragments}, got {matching}"
    )


# --- the real edition -----------------------------------------------------------------------


def test_kvip_2026_is_valid_with_228_standards_in_7_domains() -> None:
    data, problems = parse_edition_dir(KVIP_2026)
    assert problems == [] and data is not None
    assert data.slug == "kvip-2026" and data.total == 228
    assert [len(d.standards) for d in data.domains] == [30, 32, 34, 48, 28, 28, 28]
    assert all(s.text_nb and s.text_en and s.type in (1, 2, 3) for s in data.standards)
    assert all(s.dimensions for s in data.standards)
    served = {d for s in data.standards for d in s.duties}
    assert served == set(DUTY_CODES)
    texts = {s.text_nb for s in data.standards}
    for example in (
        "Avdelingen kan tilby overnatting for pårørende",
        "Mestringsplan er utarbeidet sammen med pasienten når det er mulig",
        "I etterkant av en holdeepisode / fysisk grensesetting / bruk av tvang bruker de ansatte "
        "tid med pasienten og reflekterer i fellesskap om episoden.",
    ):
        assert example in texts
    # Clinical governance (domain 7) carries the evaluate/correct duties most.
    late = Counter(
        d.code for d in data.domains for s in d.standards for x in s.duties if x[0] in "89"
    )
    assert late.most_common(1)[0][0] == "7"


def test_cli_check_exits_zero_for_kvip_2026(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["standards", "check", str(KVIP_2026)])
    assert result.exit_code == 0, result.output
    assert "228 standards in 7 domains" in result.output
    assert "all 21 duties" in result.output


def test_cli_check_prints_every_problem_as_file_line_message(app: Flask, tmp_path: Path) -> None:
    domains = simple_domains((2, 2))
    domains[0].standards[1].type = 4
    domains[1].standards[0].duties = ["6a", "10x"]
    written = write_edition(tmp_path / "ed", domains, total=5)
    result = app.test_cli_runner().invoke(args=["standards", "check", str(tmp_path / "ed")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if PLACE.match(line)]
    assert len(lines) == 3, result.output
    assert lines[0].startswith(written.place("edition.yaml", "total") + ": ")
    assert lines[1].startswith(written.place("1-omrade.yaml", "1.type") + ": ")
    assert lines[2].startswith(written.place("2-omrade.yaml", "0.duties") + ": ")


def test_cli_load_then_reload_is_a_no_op(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["standards", "load", str(KVIP_2026)])
    assert first.exit_code == 0 and "loaded" in first.output
    before = db_state()
    second = runner.invoke(args=["standards", "load", str(KVIP_2026)])
    assert second.exit_code == 0 and "unchanged" in second.output
    assert db_state() == before
    listing = runner.invoke(args=["standards", "list"])
    assert "kvip-2026" in listing.output and "current" in listing.output


def test_cli_load_refuses_a_broken_folder_and_writes_nothing(app: Flask, tmp_path: Path) -> None:
    domains = simple_domains((1,))
    domains[0].standards[0].en = None
    write_edition(tmp_path / "ed", domains)
    before = db_state()
    result = app.test_cli_runner().invoke(args=["standards", "load", str(tmp_path / "ed")])
    assert result.exit_code == 1 and "English (en) version is missing" in result.output
    assert db_state() == before


# --- hand-made broken files --------------------------------------------------------------------


def test_each_kind_of_problem_is_reported_at_its_line(tmp_path: Path) -> None:
    domains = simple_domains((4, 3))
    d1, d2 = domains[0].standards, domains[1].standards
    d1[1].code = "1.1"  # duplicate code
    d1[2].type = "x"  # unknown type
    d1[3].dimensions = ["safe", "pretty"]  # unknown dimension
    d2[0].code = "3.1"  # code of an unknown domain
    d2[1].nb = None  # missing language
    d2[2].extra = {"dutes": "6a"}  # unknown field
    written = write_edition(tmp_path / "ed", domains, total=99)
    problems = _problems(tmp_path / "ed")
    f1, f2 = "1-omrade.yaml", "2-omrade.yaml"
    _assert_reported(problems, written.place("edition.yaml", "total"), "total is 99", "7 standards")
    _assert_reported(problems, written.place(f1, "1.code"), "duplicate code", "1.1", f"{f1}:")
    _assert_reported(problems, written.place(f1, "2.type"), "unknown type", "x")
    _assert_reported(problems, written.place(f1, "3.dimensions"), "unknown", "pretty")
    _assert_reported(problems, written.place(f2, "0.code"), "3.1", "does not belong to domain 2")
    _assert_reported(problems, written.place(f2, "1.text"), "Norwegian (nb) version is missing")
    _assert_reported(problems, written.place(f2, "2.extra.dutes"), "unknown field", "duties")
    assert len(problems) == 7, problems


def test_malformed_yaml_duplicate_keys_and_missing_files(tmp_path: Path) -> None:
    root = tmp_path / "ed"
    domains = simple_domains((1, 1, 1))
    domains[1].malformed = True
    written = write_edition(root, domains)
    # A key given twice in one entry, which yaml.safe_load would silently collapse.
    path = root / "3-omrade.yaml"
    path.write_text(path.read_text() + "  type: 2\n", encoding="utf-8")
    (root / "extra.yaml").write_text("- code: '9.9'\n")
    problems = _problems(root)
    malformed = [p for p in problems if "2-omrade.yaml" in p]
    assert len(malformed) == 1 and "Malformed YAML" in malformed[0]
    line = int(malformed[0].split(":")[1])
    assert (
        written.lines[("2-omrade.yaml", "malformed")]
        <= line
        <= written.lines[("2-omrade.yaml", "malformed")] + 2
    )
    dup_line = len(path.read_text().splitlines())
    _assert_reported(problems, f"{root}/3-omrade.yaml:{dup_line}", "“type” appears twice")
    _assert_reported(problems, f"{root}/extra.yaml:1", "not listed")
    # The malformed file's standard is missing, so the declared total no longer matches.
    _assert_reported(problems, written.place("edition.yaml", "total"), "total")


def test_missing_domain_file_and_edition_fields(tmp_path: Path) -> None:
    root = tmp_path / "ed"
    write_edition(root, simple_domains((1, 1)))
    (root / "2-omrade.yaml").unlink()
    text = (root / "edition.yaml").read_text().replace("  en: Test edition\n", "")
    text = text.replace("slug: prop-edition", "slug: Prop Edition")
    (root / "edition.yaml").write_text(text)
    problems = _problems(root)
    assert any("does not exist" in p and "2-omrade.yaml" in p for p in problems)
    _assert_reported(problems, f"{root}/edition.yaml:1", "lower-case")
    _assert_reported(problems, f"{root}/edition.yaml:2", "English (en) version is missing")


def test_not_a_folder_and_no_edition_file(tmp_path: Path) -> None:
    assert "Not a folder" in _problems(tmp_path / "nope")[0]
    (tmp_path / "empty").mkdir()
    assert "edition file is missing" in _problems(tmp_path / "empty")[0]


def test_numbers_keep_their_written_form(tmp_path: Path) -> None:
    """``version: 1.10`` and ``code: 4.10`` must not turn into 1.1 and 4.1."""
    root = tmp_path / "ed"
    domains = simple_domains((1,))
    domains[0].standards[0].code = "1.10"
    write_edition(root, domains)
    text = (root / "edition.yaml").read_text().replace('version: "1.0"', "version: 1.10")
    (root / "edition.yaml").write_text(text)
    body = (root / "1-omrade.yaml").read_text().replace('code: "1.10"', "code: 1.10")
    (root / "1-omrade.yaml").write_text(body)
    data, problems = parse_edition_dir(root)
    assert problems == [] and data is not None
    assert data.version == "1.10" and data.standards[0].code == "1.10"


# --- loading into the database -------------------------------------------------------------------


def test_load_is_all_or_nothing(app: Flask, tmp_path: Path) -> None:
    domains = simple_domains((3, 3))
    domains[1].standards[2].dimensions = ["nope"]
    write_edition(tmp_path / "ed", domains)
    before = db_state()
    with pytest.raises(EditionInvalid) as caught:
        load_edition_dir(tmp_path / "ed")
    assert len(caught.value.problems) == 1
    assert "2-omrade.yaml:" in str(caught.value.problems[0])
    assert db_state() == before


def test_reload_unchanged_is_idempotent(app: Flask, kvip2026: Edition) -> None:
    before = db_state()
    ids = set(db.session.scalars(sa.select(Standard.id)))
    again = load_edition_dir(KVIP_2026)
    assert again.id == kvip2026.id
    assert db_state() == before
    assert set(db.session.scalars(sa.select(Standard.id))) == ids


def test_changed_unused_edition_is_updated_in_place_and_audited(app: Flask, tmp_path: Path) -> None:
    root = tmp_path / "ed"
    write_edition(root, simple_domains((2, 2)))
    edition = load_edition_dir(root)
    first_ids = {s.code: s.id for s in db.session.scalars(sa.select(Standard))}
    domains = simple_domains((2, 1))
    domains[0].standards[0].nb = "Omskrevet krav"
    domains[0].standards[1].duties = ["9c"]
    write_edition(root, domains)
    data, problems = parse_edition_dir(root)
    assert data is not None
    result = load_edition(None, data)
    assert result.status == "updated" and result.edition.id == edition.id
    assert (result.added, result.removed, result.changed) == (0, 1, 2)
    now = {s.code: s for s in db.session.scalars(sa.select(Standard))}
    assert set(now) == {"1.1", "1.2", "2.1"}
    assert all(now[c].id == first_ids[c] for c in now)
    assert now["1.1"].text_nb == "Omskrevet krav" and now["1.2"].duties == ["9c"]
    fields = set(
        db.session.scalars(sa.select(AuditEvent.field).where(AuditEvent.entity == "standard"))
    )
    assert {"text_nb", "duties", "code"} <= fields


def test_frozen_edition_is_never_changed(app: Flask, tmp_path: Path) -> None:
    root = tmp_path / "ed"
    write_edition(root, simple_domains((2,)))
    edition = load_edition_dir(root)
    network = create_network()
    db.session.add(
        Cycle(network_id=network.id, edition_id=edition.id, year=2026, name="Syklus 2026")
    )
    db.session.commit()
    domains = simple_domains((2,))
    domains[0].standards[0].en = "Reworded"
    write_edition(root, domains)
    before = db_state()
    with pytest.raises(Conflict) as caught:
        load_edition_dir(root)
    assert "new edition" in caught.value.message
    assert db_state() == before
    # The same content under a new slug becomes a new edition.
    write_edition(root, domains, slug="prop-edition-2")
    second = load_edition_dir(root)
    assert second.id != edition.id and second.slug == "prop-edition-2"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Edition)) == 2


def test_loading_kvip_2026_gives_the_declared_content(app: Flask, kvip2026: Edition) -> None:
    assert kvip2026.total == 228 and kvip2026.published == date(2026, 1, 15)
    assert [d.code for d in kvip2026.domains] == [str(i) for i in range(1, 8)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Standard)) == 228
    std = db.session.scalar(sa.select(Standard).where(Standard.code == "1.1"))
    assert std is not None and std.duties == ["6d", "6e", "8a"] and std.dimensions == ["safe"]


# --- property-based: random editions with random defects ---------------------------------------

DEFECTS = ("type", "duty", "dimension", "missing_en", "missing_nb", "duplicate", "domain", "field")


@st.composite
def broken_editions(
    draw: st.DrawFn,
) -> tuple[list[DomainSpec], list[tuple[str, str, str]], int | None]:
    """A random edition and the defects put into it: (file, item key, expected fragment)."""
    n_domains = draw(st.integers(1, 3))
    sizes = tuple(draw(st.integers(1, 4)) for _ in range(n_domains))
    domains = simple_domains(sizes)
    expected: list[tuple[str, str, str]] = []
    word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzæøå", min_size=3, max_size=8)
    for d in domains:
        fname = f"{d.code}-omrade.yaml"
        for i, std in enumerate(d.standards):
            defect = draw(st.sampled_from((None, None, *DEFECTS)))
            if defect == "type":
                std.type = draw(st.sampled_from([0, 4, 9, '"høy"']))
                expected.append((fname, f"{i}.type", "unknown type"))
            elif defect == "duty":
                bad = draw(st.sampled_from(["6h", "5a", "10b", "x"]))
                std.duties = [*std.duties, bad]
                expected.append((fname, f"{i}.duties", f"“{bad}”"))
            elif defect == "dimension":
                bad = draw(word.filter(lambda w: w not in ("safe",)))
                std.dimensions = [bad]
                expected.append((fname, f"{i}.dimensions", f"“{bad}”"))
            elif defect == "missing_en":
                std.en = None
                expected.append((fname, f"{i}.text", "English (en) version is missing"))
            elif defect == "missing_nb":
                std.nb = draw(st.sampled_from([None, "   "]))
                # Absent: reported at "text:"; present but blank: at its own line.
                key = f"{i}.text" if std.nb is None else f"{i}.nb"
                expected.append((fname, key, "Norwegian (nb) version is missing"))
            elif defect == "duplicate" and i > 0:
                std.code = d.standards[0].code
                expected.append((fname, f"{i}.code", "duplicate code"))
            elif defect == "domain":
                std.code = f"{int(d.code) + 5}.{i + 1}"
                expected.append((fname, f"{i}.code", "does not belong to domain"))
            elif defect == "field":
                name = draw(word)
                std.extra = {name: "x"}
                expected.append((fname, f"{i}.extra.{name}", "unknown field"))
    total = draw(st.one_of(st.none(), st.integers(0, 20)))
    n = sum(sizes)
    if total is not None and total != n:
        expected.append(("edition.yaml", "total", f"declared total is {total}"))
    return domains, expected, total


@settings(
    max_examples=40,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=broken_editions())
def test_every_defect_is_reported_at_its_place_and_nothing_is_loaded(
    app: Flask, case: tuple[list[DomainSpec], list[tuple[str, str, str]], int | None]
) -> None:
    domains, expected, total = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ed"
        written = write_edition(root, domains, total=total)
        before = db_state()
        data, problems = parse_edition_dir(root)
        reported = [str(p) for p in problems]
        for file, key, fragment in expected:
            _assert_reported(reported, written.place(file, key), fragment)
        for line in reported:
            match = PLACE.match(line)
            assert match, line
            path = Path(match["file"])
            assert path.exists() and 1 <= int(match["line"]) <= len(path.read_text().splitlines())
        if expected:
            assert data is None
            with pytest.raises(EditionInvalid):
                load_edition_dir(root)
        else:
            assert problems == [] and data is not None
            load_edition_dir(root)
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Standard)) == len(
                data.standards
            )
            for edition in db.session.scalars(sa.select(Edition)):
                db.session.delete(edition)
            db.session.execute(sa.delete(AuditEvent))
            db.session.commit()
        assert db_state() == before
        shutil.rmtree(root)


@settings(max_examples=30, deadline=None, database=None)
@given(garbage=st.text(min_size=1, max_size=200))
def test_arbitrary_text_as_a_domain_file_never_crashes(garbage: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ed"
        write_edition(root, simple_domains((1,)))
        (root / "1-omrade.yaml").write_text(garbage, encoding="utf-8")
        data, problems = parse_edition_dir(root)
        if data is None:
            assert problems and all(PLACE.match(str(p)) for p in problems)

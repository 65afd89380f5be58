"""The mapping file of an edition (``mapping-from-<older>.yaml``): checked as strictly as the
edition (every problem at its ``file:line``), stored as the saved mapping with its kinds of
change, loaded by ``flask standards load`` after the edition, all or nothing."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from kvip.extensions import db
from kvip.standards import queries
from kvip.standards.models import Standard, StandardMapping
from kvip.standards.services import EditionInvalid, check_edition_folder, load_edition_dir
from tests.factories import World
from tests.standards.conftest import DomainSpec, StdSpec, db_state, write_edition

GOOD = """from: ed-a
to: ed-b
standards:
  - {old: "1.1", new: "1.1", change: same}
  - {old: "1.2", new: "1.2", change: reworded, meaning_changed: true, note: "Nå med frekvens"}
  - {old: "1.3", new: "2.1", change: merged}
  - {old: "2.1", new: "2.1", change: reworded}
  - {old: "2.2", new: ["2.2", "2.4"], change: split}
  - {old: "2.3", new: null, change: dropped, note: "Uklart krav"}
  - {old: null, new: "1.4", change: new}
"""


def _folders(root: Path, mapping: str = GOOD) -> tuple[Path, Path]:
    """ed-a (1.1–1.3, 2.1–2.3) and ed-b (1.1, 1.2, 1.4, 2.1, 2.2, 2.4) with ``mapping``."""
    a = [
        DomainSpec("1", [StdSpec("1.1"), StdSpec("1.2"), StdSpec("1.3")]),
        DomainSpec("2", [StdSpec("2.1"), StdSpec("2.2"), StdSpec("2.3")]),
    ]
    b = [
        DomainSpec("1", [StdSpec(c, methods=["document"]) for c in ("1.1", "1.2", "1.4")]),
        DomainSpec("2", [StdSpec(c, methods=["observation"]) for c in ("2.1", "2.2", "2.4")]),
    ]
    write_edition(root / "ed-a", a, slug="ed-a")
    write_edition(root / "ed-b", b, slug="ed-b", methods_required=True, published="2027-01-15")
    (root / "ed-b" / "mapping-from-ed-a.yaml").write_text(mapping, encoding="utf-8")
    return root / "ed-a", root / "ed-b"


def _problems(folder: Path) -> list[str]:
    data, _mappings, problems = check_edition_folder(folder)
    assert (data is None) == bool(problems)
    return [str(p) for p in problems]


def _at(problems: list[str], place: str, *fragments: str) -> None:
    matching = [p for p in problems if p.startswith(place + ": ")]
    assert matching, f"nothing reported at {place}; got:\n" + "\n".join(problems)
    assert any(all(f.lower() in p.lower() for f in fragments) for p in matching), matching


def test_a_good_mapping_is_stored_with_its_kinds(app: Flask, tmp_path: Path) -> None:
    a, b = _folders(tmp_path)
    assert _problems(b) == []  # checked against the folder beside it, nothing loaded
    old = load_edition_dir(a)
    new = load_edition_dir(b)
    code = dict(db.session.execute(sa.select(Standard.id, Standard.code)).all())
    links, saved = queries.links(old, new)
    assert saved
    got = {
        (code.get(x.old_id or 0), code.get(x.new_id or 0), x.change, x.meaning_changed, x.note)
        for x in links
    }
    assert got == {
        ("1.1", "1.1", "same", False, ""),
        ("1.2", "1.2", "reworded", True, "Nå med frekvens"),
        ("1.3", "2.1", "merged", False, ""),
        ("2.1", "2.1", "reworded", False, ""),
        ("2.2", "2.2", "split", False, ""),
        ("2.2", "2.4", "split", False, ""),
        ("2.3", None, "dropped", False, "Uklart krav"),
        (None, "1.4", "new", False, ""),
    }
    pairs, _saved = queries.mapping(old, new)
    by_code = {code[k]: [code[o] for o in v] for k, v in pairs.items()}
    assert by_code["2.1"] == ["2.1", "1.3"]  # the main line first, then what merged into it
    assert queries.change_counts(links) == {
        "same": 1,
        "reworded": 2,
        "merged": 1,
        "split": 1,
        "dropped": 1,
        "new": 1,
    }
    # Loading again changes nothing (no second audit entry, same rows).
    before = db_state()
    load_edition_dir(b)
    assert db_state() == before


def test_every_problem_at_its_line(app: Flask, tmp_path: Path) -> None:
    mapping = """from: ed-a
to: ed-b
standards:
  - {old: "1.1", new: "1.1", change: sam}
  - {old: "1.2", new: "1.2", change: reworded, meening_changed: true}
  - {old: "1.9", new: "2.1", change: merged}
  - {old: "2.1", new: "2.7", change: reworded}
  - {old: "2.2", new: "2.2", change: split}
  - {old: "2.3", new: "2.4", change: dropped}
  - {old: "1.2", new: "1.2", change: reworded}
  - {old: "1.1", new: "1.4", change: new}
  - {old: "2.1", new: "2.1", change: same, meaning_changed: true}
"""
    _a, b = _folders(tmp_path, mapping)
    problems = _problems(b)
    f = f"{b}/mapping-from-ed-a.yaml"
    _at(problems, f"{f}:4", "Unknown kind of change", "Did you mean “same”")
    _at(problems, f"{f}:5", "Unknown field “meening_changed”", "Did you mean “meaning_changed”")
    _at(problems, f"{f}:6", "no standard 1.9 in ed-a")
    _at(problems, f"{f}:7", "no standard 2.7 in ed-b")
    _at(problems, f"{f}:8", "split standard lists its parts")
    _at(problems, f"{f}:9", "dropped standard continues in no standard")
    _at(problems, f"{f}:10", "1.2 is listed twice (first on line 5)")
    _at(problems, f"{f}:11", "new standard has no older code")
    _at(problems, f"{f}:12", "“meaning_changed” applies to reworded, merged or split")
    # Missing codes are reported at the list: 1.3 of ed-a is never listed.
    _at(problems, f"{f}:3", "Standard 1.3 of ed-a is missing")
    assert all(p.startswith(f) for p in problems), problems


def test_missing_new_codes_and_a_wrong_header(app: Flask, tmp_path: Path) -> None:
    mapping = GOOD.replace("to: ed-b", "to: ed-c").replace(
        '  - {old: null, new: "1.4", change: new}\n', ""
    )
    _a, b = _folders(tmp_path, mapping)
    problems = _problems(b)
    f = f"{b}/mapping-from-ed-a.yaml"
    _at(problems, f"{f}:2", "“to” says ed-c")
    _at(problems, f"{f}:3", "Standard 1.4 of ed-b is missing")
    assert len(problems) == 2


def test_older_edition_must_be_loaded_to_load_the_mapping(app: Flask, tmp_path: Path) -> None:
    _a, b = _folders(tmp_path)
    before = db_state()
    try:
        load_edition_dir(b)
    except EditionInvalid as exc:
        text = [str(p) for p in exc.problems]
    else:  # pragma: no cover - the assertion below says what went wrong
        text = []
    _at(text, f"{b}/mapping-from-ed-a.yaml:1", "ed-a", "must be loaded first")
    assert db_state() == before  # neither the edition nor the mapping


def test_an_invalid_mapping_loads_nothing(app: Flask, tmp_path: Path) -> None:
    a, b = _folders(tmp_path, GOOD.replace("change: same", "change: merged-ish"))
    load_edition_dir(a)
    before = db_state()
    try:
        load_edition_dir(b)
        raise AssertionError("an invalid mapping was loaded")
    except EditionInvalid:
        pass
    assert db_state() == before


def test_cli_loads_the_edition_then_its_mapping(app: Flask, tmp_path: Path) -> None:
    a, b = _folders(tmp_path)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["standards", "load", str(a)]).exit_code == 0
    check = runner.invoke(args=["standards", "check", str(b)])
    assert check.exit_code == 0 and "mapping ed-a → ed-b" in check.output
    result = runner.invoke(args=["standards", "load", str(b)])
    assert result.exit_code == 0, result.output
    assert "saved: mapping ed-a → ed-b" in result.output and "meaning changed 1" in result.output
    again = runner.invoke(args=["standards", "load", str(b)])
    assert "unchanged: mapping ed-a → ed-b" in again.output
    count = db.session.scalar(sa.select(sa.func.count()).select_from(StandardMapping))
    assert count == 8
    broken = runner.invoke(
        args=["standards", "check", str(_folders(tmp_path / "x", GOOD + "  - 1.9\n")[1])]
    )
    assert broken.exit_code == 1
    assert "mapping-from-ed-a.yaml:11: Each entry must be a mapping" in broken.output


def test_compare_and_mapping_pages_show_the_kinds(
    app: Flask, world: World, login_as: object, tmp_path: Path
) -> None:
    a, b = _folders(tmp_path)
    old, new = load_edition_dir(a), load_edition_dir(b)
    member: FlaskClient = login_as("member")  # type: ignore[operator]
    html = member.get("/standards/editions/compare?from=ed-a&to=ed-b").get_data(as_text=True)
    assert "Uklart krav" in html and "Nå med frekvens" in html
    page = member.get("/standards/editions/ed-b/mapping?from=ed-a").get_data(as_text=True)
    assert "2.1, 1.3" in page and "Slått sammen" in page
    detail = member.get("/standards/ed-a/2.3").get_data(as_text=True)
    assert "Uklart krav" in detail  # dropped, with the reason
    # Saving the page unchanged keeps what the file said (kinds, meaning, notes).
    coordinator: FlaskClient = login_as("coordinator")  # type: ignore[operator]
    pairs, _saved = queries.mapping(old, new)
    code = dict(db.session.execute(sa.select(Standard.id, Standard.code)).all())
    form = {f"from_{n}": ", ".join(code[o] for o in olds) for n, olds in pairs.items()}
    before = {
        (x.old_id, x.new_id, x.change, x.meaning_changed, x.note)
        for x in queries.links(old, new)[0]
    }
    assert (
        coordinator.post("/standards/editions/ed-b/mapping?from=ed-a", data=form).status_code == 302
    )
    after = {
        (x.old_id, x.new_id, x.change, x.meaning_changed, x.note)
        for x in queries.links(old, new)[0]
    }
    assert after == before

"""The ``methods`` field: how a reviewer checks a standard. Optional in kvip-2026 (whose
content hash must stay what it was loaded with), required where ``edition.yaml`` says
``methods_required: true``; every problem at its ``file:line`` (or sheet cell)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from kvip.extensions import db
from kvip.standards.duties import METHOD_CODES, METHODS, method_labels
from kvip.standards.loader import parse_edition_dir
from kvip.standards.models import Standard
from kvip.standards.services import load_edition, load_edition_dir
from kvip.standards.spreadsheet import EditionMeta, export_xlsx, parse_table
from tests.factories import World
from tests.standards.conftest import (
    KVIP_2026,
    DomainSpec,
    StdSpec,
    make_xlsx,
    sheet_row,
    write_edition,
)

# The hash kvip-2026 was loaded with before methods existed: a frozen edition whose files are
# unchanged must still load as "unchanged" (a new hash would be refused as a change).
KVIP_2026_HASH = "ee0f2f1a7c208f5eeb9a1942ca90bc6e6f22f1a17ba40eec7b1c3052609d74f4"


def _problems(path: Path) -> list[str]:
    data, problems = parse_edition_dir(path)
    assert (data is None) == bool(problems)
    return [str(p) for p in problems]


def _at(problems: list[str], place: str, *fragments: str) -> None:
    matching = [p for p in problems if p.startswith(place + ": ")]
    assert matching, f"nothing reported at {place}; got:\n" + "\n".join(problems)
    assert any(all(f.lower() in p.lower() for f in fragments) for p in matching), matching


def test_vocabulary_has_the_nine_methods_with_both_labels() -> None:
    assert METHOD_CODES == (
        "document",
        "interview_staff",
        "interview_young_person",
        "interview_parent",
        "observation",
        "record_audit",
        "questionnaire_young_person",
        "questionnaire_parent",
        "questionnaire_staff",
    )
    assert all(m.label_nb and m.label_en and m.text_nb and m.text_en for m in METHODS)
    assert method_labels(["record_audit", "document"], "nb") == [
        "Dokumentgjennomgang",
        "Journalgjennomgang",
    ]
    assert method_labels(["interview_young_person"], "en") == ["Interview with young people"]


def test_kvip_2026_keeps_its_content_hash_and_has_no_methods() -> None:
    data, problems = parse_edition_dir(KVIP_2026)
    assert problems == [] and data is not None
    assert not data.methods_required
    assert all(s.methods == () for s in data.standards)
    assert data.content_hash() == KVIP_2026_HASH


def test_methods_are_optional_unless_the_edition_requires_them(app: Flask, tmp_path: Path) -> None:
    domains = [
        DomainSpec(
            "1",
            [
                StdSpec("1.1", methods=["record_audit", "document"]),
                StdSpec("1.2"),  # no methods: fine in an edition that does not require them
            ],
        )
    ]
    write_edition(tmp_path / "opt", domains, slug="opt-ed")
    edition = load_edition_dir(tmp_path / "opt")
    stored = dict(
        db.session.execute(
            sa.select(Standard.code, Standard.methods).where(Standard.edition_id == edition.id)
        ).all()
    )
    # Stored in the vocabulary's order, whatever order the file lists them in.
    assert stored == {"1.1": ["document", "record_audit"], "1.2": []}

    written = write_edition(tmp_path / "req", domains, slug="req-ed", methods_required=True)
    problems = _problems(tmp_path / "req")
    _at(problems, written.place("1-omrade.yaml", "1.start"), "methods are missing")
    assert len(problems) == 1


def test_every_method_problem_is_reported_at_its_line(tmp_path: Path) -> None:
    written = write_edition(
        tmp_path,
        [
            DomainSpec(
                "1",
                [
                    StdSpec("1.1", methods=["recod_audit"]),
                    StdSpec("1.2", methods=["document", "document"]),
                    StdSpec("1.3", methods=[]),
                    StdSpec("1.4", methods=["observation"]),
                ],
            )
        ],
        methods_required=True,
    )
    problems = _problems(tmp_path)
    f = "1-omrade.yaml"
    _at(problems, written.place(f, "0.methods"), "Unknown method", "Did you mean “record_audit”")
    _at(problems, written.place(f, "1.methods"), "“document” is listed twice")
    _at(problems, written.place(f, "2.methods"), "at least one method")
    assert not [p for p in problems if p.startswith(written.place(f, "3.methods"))]
    assert len(problems) == 3


def test_methods_required_must_be_true_or_false(tmp_path: Path) -> None:
    write_edition(tmp_path, [DomainSpec("1", [StdSpec("1.1", methods=["document"])])])
    text = (
        (tmp_path / "edition.yaml")
        .read_text()
        .replace("domains:", "methods_required: yes please\ndomains:")
    )
    (tmp_path / "edition.yaml").write_text(text)
    problems = _problems(tmp_path)
    _at(problems, f"{tmp_path}/edition.yaml:8", "true or false")


def test_a_methods_edition_hashes_differently_and_reloads_unchanged(
    app: Flask, tmp_path: Path
) -> None:
    domains = [DomainSpec("1", [StdSpec("1.1", methods=["document"])])]
    write_edition(tmp_path / "a", domains, slug="m-ed", methods_required=True)
    data, problems = parse_edition_dir(tmp_path / "a")
    assert data is not None and not problems
    assert load_edition(None, data).status == "created"
    assert load_edition(None, data).status == "unchanged"
    domains[0].standards[0].methods = ["document", "observation"]
    write_edition(tmp_path / "b", domains, slug="m-ed", methods_required=True)
    changed, _p = parse_edition_dir(tmp_path / "b")
    assert changed is not None and changed.content_hash() != data.content_hash()
    assert load_edition(None, changed).status == "updated"


# --- the spreadsheet round trip ----------------------------------------------------------------


def _meta(slug: str = "sheet-ed") -> EditionMeta:
    return EditionMeta(slug=slug, name_nb="Ark", name_en="Sheet", version="1")


def test_sheet_methods_by_code_or_label(app: Flask) -> None:
    rows = [
        sheet_row(code="1.1", methods="Journalgjennomgang; samtale med ungdom"),
        sheet_row(code="1.2", methods="document, questionnaire_parent"),
    ]
    data, problems = parse_table(make_xlsx(rows), "e.xlsx", _meta())
    assert problems == [] and data is not None
    assert data.methods_required
    assert [s.methods for s in data.standards] == [
        ("interview_young_person", "record_audit"),
        ("document", "questionnaire_parent"),
    ]


def test_sheet_method_problems_at_their_cells(app: Flask) -> None:
    rows = [
        sheet_row(code="1.1", methods="Journalgjenomgang"),
        sheet_row(code="1.2", methods=None),
        sheet_row(code="1.3", methods="observation"),
    ]
    data, problems = parse_table(make_xlsx(rows), "e.xlsx", _meta())
    text = [str(p) for p in problems]
    assert data is None
    assert any("row 2/column M (methods)" in p and "Unknown method" in p for p in text), text
    assert any("row 3/column M (methods)" in p and "methods are missing" in p for p in text), text
    assert len(text) == 2


def test_sheet_round_trip_keeps_methods_and_the_2026_hash(app: Flask, tmp_path: Path) -> None:
    edition = load_edition_dir(KVIP_2026)
    meta = EditionMeta(
        slug=edition.slug,
        name_nb=edition.name_nb,
        name_en=edition.name_en,
        version=edition.version,
        published=edition.published,
        total=edition.total,
    )
    data, problems = parse_table(export_xlsx(edition), "x.xlsx", meta)
    assert problems == [] and data is not None
    assert not data.methods_required
    # The sheet carries what the YAML does: the same content, the same hash.
    assert data.content_hash() == KVIP_2026_HASH

    write_edition(
        tmp_path,
        [DomainSpec("1", [StdSpec("1.1", methods=["record_audit", "interview_staff"])])],
        slug="m-sheet",
        methods_required=True,
    )
    with_methods = load_edition_dir(tmp_path)
    back, problems = parse_table(export_xlsx(with_methods), "y.xlsx", _meta("m-sheet"))
    assert problems == [] and back is not None
    assert back.standards[0].methods == ("interview_staff", "record_audit")


# --- shown where a reader checks a standard ------------------------------------------------------


def test_standard_pages_show_how_it_is_checked(
    app: Flask, world: World, login_as: Callable[[str], FlaskClient], tmp_path: Path
) -> None:
    write_edition(
        tmp_path,
        [DomainSpec("1", [StdSpec("1.1", methods=["record_audit", "interview_young_person"])])],
        slug="shown-ed",
        methods_required=True,
    )
    load_edition_dir(tmp_path)
    client = login_as("member")
    detail = client.get("/standards/shown-ed/1.1").get_data(as_text=True)
    assert "Slik sjekkes det" in detail and "Journalgjennomgang" in detail
    domain = client.get("/standards/shown-ed/domains/1").get_data(as_text=True)
    assert "Journalgjennomgang" in domain and "Samtale med ungdom" in domain
    found = client.get("/standards?edition=shown-ed&method=record_audit").get_data(as_text=True)
    assert "1 standard funnet" in found or "1 standard found" in found
    none = client.get("/standards?edition=shown-ed&method=observation").get_data(as_text=True)
    assert "Ingen standard" in none or "No standard matches" in none


def test_sheet_upload_previews_and_loads_the_methods(
    app: Flask, world: World, login_as: Callable[[str], FlaskClient]
) -> None:
    client = login_as("coordinator")
    rows = [sheet_row(code="1.1", methods="Journalgjennomgang, observation")]
    form = {
        "file": (io.BytesIO(make_xlsx(rows)), "m.xlsx"),
        "slug": "sheet-methods",
        "name_nb": "Ark",
        "name_en": "Sheet",
        "version": "1",
        "published": "",
        "total": "",
    }
    response = client.post("/standards/editions/import", data=form)
    assert response.status_code == 302
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Observasjon · Journalgjennomgang" in preview
    assert client.post(response.headers["Location"]).status_code == 302
    stored = db.session.scalar(
        sa.select(Standard.methods).where(
            Standard.code == "1.1", Standard.edition.has(slug="sheet-methods")
        )
    )
    assert stored == ["observation", "record_audit"]

"""Browse, search, a standard's page, coverage, editions, compare, mapping, publish, delete, API."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from flask import Flask

from kvip.core.models import AuditEvent
from kvip.extensions import db
from kvip.standards import queries
from kvip.standards.models import Edition, Standard, StandardMapping
from kvip.standards.services import load_edition_dir
from tests.conftest import login
from tests.factories import World
from tests.standards.conftest import db_state, simple_domains, write_edition


def _client(app: Flask, world: World, role: str = "member"):  # type: ignore[no-untyped-def]
    return login(app.test_client(), world.users[role])


def test_standards_in_the_nav_for_every_signed_in_user(app: Flask, world: World) -> None:
    for role in ("member", "reviewer", "coordinator"):
        html = _client(app, world, role).get("/").get_data(as_text=True)
        assert 'href="/standards"' in html


def test_without_a_published_edition_the_library_says_so(app: Flask, world: World) -> None:
    response = _client(app, world).get("/standards")
    assert response.status_code == 200
    assert "Ingen utgave av standardene er publisert ennå." in response.get_data(as_text=True)


def test_browse_by_domain_and_search_in_both_languages(
    app: Flask, world: World, kvip2026: Edition
) -> None:
    client = _client(app, world)
    html = client.get("/standards").get_data(as_text=True)
    assert "Klinisk virksomhetsstyring" in html and "30 standarder" in html
    # Norwegian word, highlighted in the shown (Norwegian) text.
    html = client.get("/standards?q=overnatting+pårørende").get_data(as_text=True)
    assert "<mark>overnatting</mark>" in html and "1.19" in html
    # An English word finds the standard too and shows where it matched.
    html = client.get("/standards?q=ligature").get_data(as_text=True)
    assert "1.1" in html and "Funnet i det andre språket" in html
    # Case does not matter, for Norwegian letters too.
    upper = client.get("/standards?q=PÅRØRENDE").get_data(as_text=True)
    lower = client.get("/standards?q=pårørende").get_data(as_text=True)
    count = lower.count('class="std-item"')
    assert count > 5 and upper.count('class="std-item"') == count
    # A code jumps to the top.
    html = client.get("/standards?q=4.12").get_data(as_text=True)
    first = html.index('class="std-item"')
    assert "/standards/kvip-2026/4.12" in html[first : first + 600]


def test_filters_by_type_duty_section_dimension_and_domain(
    app: Flask, world: World, kvip2026: Edition
) -> None:
    from kvip.standards.queries import Filters, search

    every = search(kvip2026, Filters(type=1))
    assert every and all(h.standard.type == 1 for h in every)
    hits = search(kvip2026, Filters(duty="9c"))
    assert [h.standard.code for h in hits] and all("9c" in h.standard.duties for h in hits)
    section = search(kvip2026, Filters(duty="8", domain="7"))
    assert section and all(
        h.standard.domain.code == "7" and any(d[0] == "8" for d in h.standard.duties)
        for h in section
    )
    dims = search(kvip2026, Filters(dimension="resources", q="personal"))
    assert all("resources" in h.standard.dimensions for h in dims)
    phrase = search(kvip2026, Filters(q='"fysisk grensesetting"'))
    assert [h.standard.code for h in phrase] and all(
        "fysisk grensesetting" in (h.standard.text_nb + h.standard.guidance_nb).lower()
        for h in phrase
    )
    response = _client(app, world).get("/standards?type=9&duty=zz&dimension=nope&domain=99")
    assert response.status_code == 200  # unknown filter values are ignored


def test_highlight_escapes_html() -> None:
    marked = queries.highlight("<b>Pårørende</b> & barn", ["pårørende"])
    assert str(marked) == "&lt;b&gt;<mark>Pårørende</mark>&lt;/b&gt; &amp; barn"


def test_standard_page_quotes_the_regulation(app: Flask, world: World, kvip2026: Edition) -> None:
    client = _client(app, world)
    html = client.get("/standards/kvip-2026/1.1").get_data(as_text=True)
    assert "Standard 1.1" in html
    assert "festepunkter" in html  # the text
    assert "Skriftlig risikovurdering" in html  # the guidance
    assert "Plikten til å planlegge" in html
    assert "ha oversikt over områder i virksomheten hvor det er risiko for svikt" in html
    assert 'rel="next"' in html and "1.2" in html
    client.post("/language", data={"locale": "en"})
    html = client.get("/standards/kvip-2026/1.1").get_data(as_text=True)
    assert "have an overview of areas of the organisation" in html
    assert "Norwegian original" in html
    assert client.get("/standards/kvip-2026/9.99").status_code == 404
    assert client.get("/standards/nope/1.1").status_code == 404


def test_domain_page_lists_its_standards(app: Flask, world: World, kvip2026: Edition) -> None:
    html = _client(app, world).get("/standards/kvip-2026/domains/4").get_data(as_text=True)
    assert html.count('class="std-item"') == 48 and "Mestringsplan er utarbeidet" in html


def test_coverage_matrix_of_kvip_2026_serves_every_duty(
    app: Flask, world: World, kvip2026: Edition
) -> None:
    cov = queries.coverage(kvip2026)
    assert [len(s.rows) for s in cov.sections] == [7, 5, 6, 3]
    assert cov.uncovered_duties == [] and cov.uncovered_dimensions == []
    assert cov.total == 228 and sum(cov.domain_totals.values()) == 228
    governance = next(d for d in cov.domains if d.code == "7")
    row_9b = next(r for s in cov.sections for r in s.rows if r.item.code == "9b")
    assert row_9b.counts.get(governance.id, 0) >= 1
    html = _client(app, world).get("/standards/kvip-2026/coverage").get_data(as_text=True)
    assert "Alle 21 plikter i §§ 6–9" in html
    assert "?edition=kvip-2026&amp;duty=9c" in html or "duty=9c" in html


def test_coverage_flags_duties_no_standard_serves(app: Flask, world: World) -> None:
    cov = queries.coverage(world.edition)
    assert {d.code for d in cov.uncovered_duties} >= {"6b", "9c"}
    html = (
        _client(app, world).get(f"/standards/{world.edition.slug}/coverage").get_data(as_text=True)
    )
    assert "Ikke dekket" in html and "9c" not in html.split("uncovered")[0][-10:]
    assert html.count('class="uncovered"') == len(cov.uncovered_duties) + len(
        cov.uncovered_dimensions
    )


def _two_editions(tmp_path: Path) -> tuple[Edition, Edition]:
    old = load_edition_dir(_write(tmp_path / "old", "ed-2026", reword=False))
    new = load_edition_dir(_write(tmp_path / "new", "ed-2027", reword=True))
    return old, new


def _write(root: Path, slug: str, *, reword: bool) -> Path:
    domains = simple_domains((3, 2))
    if reword:
        domains[0].standards[0].nb = "Krav 1.1 om pårørende og søsken"  # reworded
        domains[0].standards[1].type = 1  # changed
        moved = domains[1].standards.pop(1)  # 2.2 becomes 2.3 (same text)
        moved.code = "2.3"
        domains[1].standards.append(moved)
        domains[0].standards.pop(2)  # 1.3 removed
        from tests.standards.conftest import StdSpec

        domains[1].standards.append(StdSpec("2.4", nb="Et helt nytt krav", en="A new one"))
    write_edition(root, domains, slug=slug)
    return root


def test_compare_two_editions(app: Flask, world: World, tmp_path: Path) -> None:
    old, new = _two_editions(tmp_path)
    cmp = queries.compare(old, new)
    assert [c.new.code for c in cmp.added] == ["2.4"]  # type: ignore[union-attr]
    assert [c.old.code for c in cmp.removed] == ["1.3"]  # type: ignore[union-attr]
    assert [c.new.code for c in cmp.reworded] == ["1.1"]  # type: ignore[union-attr]
    assert [(c.new.code, c.fields) for c in cmp.changed] == [("1.2", ["type"])]  # type: ignore[union-attr]
    assert [(c.old.code, c.new.code) for c in cmp.moved] == [("2.2", "2.3")]  # type: ignore[union-attr]
    assert cmp.unchanged == 1
    client = _client(app, world)
    html = client.get("/standards/editions/compare?from=ed-2026&to=ed-2027").get_data(as_text=True)
    assert "<ins>søsken</ins>" in html or "<ins>og søsken</ins>" in html
    assert client.get("/standards/editions/compare?from=ed-2026&to=nope").status_code == 404


def test_code_mapping_suggested_then_saved(app: Flask, world: World, tmp_path: Path) -> None:
    old, new = _two_editions(tmp_path)
    pairs, saved = queries.mapping(old, new)
    by_id = {s.id: s.code for s in db.session.scalars(sa.select(Standard))}
    assert not saved
    named = {by_id[k]: [by_id[v] for v in olds] for k, olds in pairs.items()}
    assert named == {"1.1": ["1.1"], "1.2": ["1.2"], "2.1": ["2.1"], "2.3": ["2.2"], "2.4": []}
    # Members can read the mapping but not save it.
    url = "/standards/editions/ed-2027/mapping?from=ed-2026"
    member = _client(app, world)
    assert member.get(url).status_code == 200
    ids = {by_id[k]: k for k in pairs}
    form = {f"from_{ids[c]}": ", ".join(v) for c, v in named.items() if v} | {
        f"from_{ids['2.4']}": "1.3"
    }
    assert member.post(url, data=form).status_code == 403
    coordinator = _client(app, world, "coordinator")
    bad = coordinator.post(url, data={**form, f"from_{ids['2.4']}": "7.7"})
    assert bad.status_code == 422 and "7.7" in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StandardMapping)) == 0
    assert coordinator.post(url, data=form).status_code == 302
    pairs, saved = queries.mapping(old, new)
    assert saved and [by_id[o] for o in pairs[ids["2.4"]]] == ["1.3"]
    std_24 = db.session.get(Standard, ids["2.4"])
    assert std_24 is not None
    related = queries.related_in_other_editions(std_24)
    assert [(r.direction, r.standard.code if r.standard else None) for r in related] == [
        ("previous", "1.3")
    ]
    html = member.get("/standards/ed-2027/2.4").get_data(as_text=True)
    assert "/standards/ed-2026/1.3" in html
    # Two older codes in one field: the second is merged into the standard.
    form[f"from_{ids['1.1']}"] = "1.1, 2.2"
    form[f"from_{ids['2.3']}"] = ""
    assert coordinator.post(url, data=form).status_code == 302
    found, saved = queries.links(old, new)
    kinds = {
        (by_id.get(link.old_id or 0), by_id.get(link.new_id or 0)): link.change for link in found
    }
    assert kinds[("2.2", "1.1")] == "merged" and kinds[("1.1", "1.1")] == "reworded"
    assert kinds[(None, "2.3")] == "new"


def test_editions_list_detail_publish_and_delete(app: Flask, world: World, tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_edition(root, simple_domains((1,)), slug="draft-ed")
    text = (root / "edition.yaml").read_text().replace("published: 2026-01-15\n", "")
    (root / "edition.yaml").write_text(text)
    draft = load_edition_dir(root)
    assert draft.published is None and queries.current_edition() is None
    member = _client(app, world)
    html = member.get("/standards/editions").get_data(as_text=True)
    assert "draft-ed" in html and "Utkast" in html
    assert member.get("/standards/editions/draft-ed").status_code == 200
    assert member.post("/standards/editions/draft-ed/publish").status_code == 403
    coordinator = _client(app, world, "coordinator")
    assert coordinator.post("/standards/editions/draft-ed/publish").status_code == 302
    current = queries.current_edition()
    assert current is not None and current.slug == "draft-ed"
    assert coordinator.post("/standards/editions/draft-ed/publish").status_code == 409
    # The world's edition is used by a cycle: it cannot be deleted.
    before = db_state()
    response = coordinator.post(f"/standards/editions/{world.edition.slug}/delete")
    assert response.status_code == 409 and db_state() == before
    assert coordinator.post("/standards/editions/draft-ed/delete").status_code == 302
    assert db.session.scalar(sa.select(Edition).where(Edition.slug == "draft-ed")) is None
    actions = set(
        db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.entity == "edition"))
    )
    assert {"create", "publish", "delete"} <= actions


def test_demo_populate_loads_kvip_2026(app: Flask) -> None:
    from kvip.standards.demo import populate

    ctx = SimpleNamespace(extra={})
    populate(ctx)  # type: ignore[arg-type]
    assert ctx.extra["edition"].slug == "kvip-2026"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Standard)) == 228


# --- API ------------------------------------------------------------------------------------------


def test_api_lists_228_standards_in_7_domains(app: Flask, world: World, kvip2026: Edition) -> None:
    client = _client(app, world)
    body = client.get("/api/v1/standards").get_json()
    assert body["edition"]["slug"] == "kvip-2026"
    assert len(body["domains"]) == 7
    standards = [s for d in body["domains"] for s in d["standards"]]
    assert len(standards) == 228
    assert all(s["text"]["nb"] and s["text"]["en"] and s["type"] in (1, 2, 3) for s in standards)
    assert {d for s in standards for d in s["duties"]} == set(
        __import__("kvip.standards.duties", fromlist=["DUTY_CODES"]).DUTY_CODES
    )
    first = body["domains"][0]["standards"][0]
    assert first == {
        "code": "1.1",
        "type": 1,
        "text": first["text"],
        "guidance": first["guidance"],
        "duties": ["6d", "6e", "8a"],
        "dimensions": ["safe"],
        "methods": [],
    }
    other = client.get(f"/api/v1/standards?edition={world.edition.slug}").get_json()
    assert sum(len(d["standards"]) for d in other["domains"]) == 6
    missing = client.get("/api/v1/standards?edition=nope")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_api_editions_and_openapi(app: Flask, world: World, kvip2026: Edition) -> None:
    client = _client(app, world)
    editions = client.get("/api/v1/editions").get_json()["editions"]
    assert [e["slug"] for e in editions][0] == "kvip-2026"
    current = editions[0]
    assert current["current"] and current["standards"] == 228 and current["name"]["en"]
    world_row = next(e for e in editions if e["slug"] == world.edition.slug)
    assert world_row["in_use"] and world_row["cycles"] == 1
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/standards" in spec["paths"] and "/editions" in spec["paths"]
    assert "Standard" in spec["components"]["schemas"]
    assert app.test_client().get("/api/v1/standards").status_code == 401

"""The findings (consolidation) page per domain (issue 17, item 2): each domain link shows how
many standards still need a decision, and a resolve post returns to the same domain."""

from __future__ import annotations

from flask import Flask

from kvip.extensions import db
from kvip.visits.models import Finding
from tests.conftest import login
from tests.factories import standards_of
from tests.visits.tablet_world import TabletWorld, build_tablet_world


def seed_findings(world: TabletWorld) -> None:
    """Domain 1: all rated, 1.3 in conflict. Domain 2: nothing rated. Domain 3: all rated."""
    edition = world.visit.assessment.cycle.edition
    for std in standards_of(edition):
        if std.code.startswith("2."):
            continue
        db.session.add(
            Finding(
                visit_id=world.visit.id,
                standard_id=std.id,
                value="met",
                version=1,
                updated_by_id=world.lead.id,
                disputed=std.code == "1.3",
            )
        )
    db.session.commit()


def test_each_domain_link_counts_what_needs_a_decision(app: Flask) -> None:
    world = build_tablet_world()
    seed_findings(world)
    lead = login(app.test_client(), world.lead)
    html = lead.get(f"/visits/{world.visit.id}/consolidate").get_data(as_text=True)
    nav = html.split('id="cons-domains"')[1].split("</nav>")[0]
    links = nav.split("<li>")[1:]
    assert [link.split('href="#cd-')[1].split('"')[0] for link in links] == ["1", "2", "3"]
    assert "1 standard må avgjøres" in links[0]
    assert "12 standarder må avgjøres" in links[1] and "is-done" not in links[1]
    # Nothing left to decide: the link says so (and is marked done).
    assert "0 standarder må avgjøres" in links[2] and "is-done" in links[2]
    assert '<section class="cons-domain" id="cons-d-2"' in html
    assert "js/consolidate.js?v=" in html


def _resolve(client, world: TabletWorld, code: str, **data: str):  # type: ignore[no-untyped-def]
    return client.post(f"/visits/{world.visit.id}/consolidate/{code}", data=data)


def test_a_resolve_post_returns_to_the_same_domain(app: Flask) -> None:
    world = build_tablet_world()
    seed_findings(world)
    lead = login(app.test_client(), world.lead)
    base = f"/visits/{world.visit.id}/consolidate"
    # Whole list: back to the standard's row (its domain opens on a narrow screen).
    saved = _resolve(lead, world, "2.5", value="met", comment="", version="0", show="")
    assert saved.status_code == 302 and saved.location.endswith(f"{base}#std-2.5")
    # Only what is open: the resolved row is gone from the list, so back to its domain.
    saved = _resolve(lead, world, "1.3", value="not_met", comment="", version="1", show="open")
    assert saved.status_code == 302 and saved.location.endswith(f"{base}?show=open#cd-1")
    page = lead.get(f"{base}?show=open").get_data(as_text=True)
    assert 'id="std-1.3"' not in page and 'id="cd-1"' in page
    # A stale form is refused: back to its row, which is still in the list.
    stale = _resolve(lead, world, "2.5", value="not_met", comment="", version="0", show="open")
    assert stale.status_code == 302 and stale.location.endswith(f"{base}?show=open#std-2.5")

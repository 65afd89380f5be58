"""The visit screens say how each standard is checked: the consolidation page beside each
finding (with the guidance, which it did not show before), and the visit pack the tablet
shows (its guidance starts with the methods; the codes are in ``methods``)."""

from __future__ import annotations

from flask import Flask

from kvip.extensions import db
from tests.conftest import login
from tests.factories import World, standards_of


def _with_methods(world: World) -> None:
    first = standards_of(world.edition)[0]
    first.methods = ["observation", "record_audit"]
    first.guidance_nb = "Les de fem siste journalene."
    db.session.commit()


def test_consolidation_shows_methods_and_guidance(app: Flask, world: World) -> None:
    _with_methods(world)
    lead = login(app.test_client(), world.users["reviewer"])
    page = lead.get(f"/visits/{world.visit.id}/consolidate").get_data(as_text=True)
    row = page[page.index('id="std-1.1"') : page.index('id="std-1.2"')]
    assert "Slik sjekkes det:" in row and "Observasjon" in row and "Journalgjennomgang" in row
    assert "Les de fem siste journalene." in row
    other = page[page.index('id="std-1.2"') : page.index('id="std-1.3"')]
    assert "Slik sjekkes det" not in other and "Veiledning" in other


def test_visit_pack_carries_the_methods(app: Flask, world: World) -> None:
    _with_methods(world)
    lead = login(app.test_client(), world.users["reviewer"])
    pack = lead.get(f"/api/v1/visits/{world.visit.id}").get_json()
    first, second = pack["domains"][0]["standards"][:2]
    assert first["methods"] == ["observation", "record_audit"]
    assert first["guidance"] == (
        "Slik sjekkes det: Observasjon · Journalgjennomgang\n\nLes de fem siste journalene."
    )
    assert second["methods"] == [] and second["guidance"] == "Veiledning"

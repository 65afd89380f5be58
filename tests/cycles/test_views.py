"""Screens of the annual cycle: coordinator dashboard, the self-assessment page, summary, home."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from kvip.cycles import charts, services
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from kvip.standards.models import Edition
from tests.cycles.conftest import rate_all
from tests.factories import World, create_edition


@contextmanager
def count_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def listener(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)


def test_coordinator_plans_enrols_opens_and_closes_a_cycle(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    client = as_role("coordinator")
    edition = create_edition(2, 2)
    db.session.commit()
    form = client.get(f"/cycles/new/{world.network.id}").get_data(as_text=True)
    assert f"Syklus {world.cycle.year + 1}" in form  # proposes the next free year
    today = date.today()
    response = client.post(
        f"/cycles/new/{world.network.id}",
        data={
            "edition_id": str(edition.id),
            "year": str(world.cycle.year + 1),
            "name": "Syklus neste år",
            "self_assessment_opens": today.isoformat(),
            "self_assessment_closes": (today + timedelta(days=30)).isoformat(),
            "visit_window_start": (today + timedelta(days=40)).isoformat(),
            "visit_window_end": (today + timedelta(days=90)).isoformat(),
        },
    )
    assert response.status_code == 302
    cycle = db.session.scalar(sa.select(Cycle).where(Cycle.name == "Syklus neste år"))
    assert db.session.get(Edition, edition.id).frozen
    page = client.get(f"/cycles/{cycle.id}").get_data(as_text=True)
    assert "Meld på enheter" in page and "Enhet Alfa" in page
    client.post(
        f"/cycles/{cycle.id}/enrol", data={"unit_ids": [str(world.unit.id)], "carry_over": "y"}
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Assessment)
            .where(Assessment.cycle_id == cycle.id)
        )
        == 1
    )
    client.post(f"/cycles/{cycle.id}/open")
    db.session.refresh(cycle)
    assert cycle.state == "open"
    refused = client.post(f"/cycles/{cycle.id}/close", data={}, follow_redirects=True)
    assert "Kryss av i boksen" in refused.get_data(as_text=True)
    client.post(f"/cycles/{cycle.id}/close", data={"confirm": "y"})
    db.session.refresh(cycle)
    assert cycle.state == "closed"
    listing = client.get("/cycles").get_data(as_text=True)
    assert "Syklus neste år" in listing and "Avsluttet" in listing


def test_invalid_cycle_form_shows_the_errors(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    client = as_role("coordinator")
    response = client.post(
        f"/cycles/new/{world.network.id}",
        data={
            "edition_id": str(world.edition.id),
            "year": str(world.cycle.year),
            "name": "Dobbel",
            "self_assessment_opens": "2030-05-01",
            "self_assessment_closes": "2030-04-01",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Nettverket har allerede en syklus for {world.cycle.year}" in page


def test_dashboard_shows_state_completeness_and_days_left(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    rate_all(world.assessment, ["met", "met", "not_met"])
    page = as_role("coordinator").get(f"/cycles/{world.cycle.id}").get_data(as_text=True)
    assert "50\xa0%" in page  # 3 of 6 standards (Babel: no-break space)
    assert "dager igjen til fristen" in page and "<strong>50</strong>" in page
    assert page.count('class="badge state-in_progress"') == 2


def test_self_assessment_page_for_the_unit_is_editable(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    page = (
        as_role("member").get(f"/cycles/assessments/{world.assessment.id}").get_data(as_text=True)
    )
    assert page.count('type="radio" name="value-') == 24  # 6 standards × 4 values
    assert 'value="met" checked' in page
    for label in ("Oppfylt", "Delvis oppfylt", "Ikke oppfylt", "Ikke relevant"):
        assert label in page
    for kind in (
        "Skriftlig rutine",
        "Journalgjennomgang",
        "Avviksmeldinger",
        "Brukerundersøkelse",
        "Observasjon",
        "Intervju",
    ):
        assert kind in page
    config = json.loads(
        re.search(
            r'<script type="application/json" id="sa-config">(.*?)</script>', page, re.S
        ).group(1)
    )
    assert config["editable"] is True
    assert config["api"] == f"/api/v1/assessments/{world.assessment.id}/ratings/__code__"
    assert "<script>" not in page  # CSP: no inline code


def test_self_assessment_page_is_read_only_for_coordinators_and_reviewers(
    world: World, as_role
) -> None:  # type: ignore[no-untyped-def]
    for role in ("coordinator", "reviewer"):
        page = (
            as_role(role).get(f"/cycles/assessments/{world.assessment.id}").get_data(as_text=True)
        )
        assert 'type="radio" name="value-' not in page
        assert "bare enheten kan endre den" in page
        assert '"editable": false' in page


def test_page_queries_do_not_grow_with_the_number_of_standards(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    """No N+1: the same number of SQL statements for 6 and for 231 standards."""
    client = as_role("member")

    def queries_for(assessment: Assessment) -> int:
        client.get(f"/cycles/assessments/{assessment.id}")
        with count_queries() as statements:
            assert client.get(f"/cycles/assessments/{assessment.id}").status_code == 200
        return len(statements)

    small = queries_for(world.assessment)
    big_edition = create_edition(7, 33)
    cycle = Cycle(
        network_id=world.network.id,
        edition_id=big_edition.id,
        year=world.cycle.year - 5,  # no earlier cycle, like the small one
        name="Stor",
        state="open",
    )
    db.session.add(cycle)
    db.session.flush()
    big = Assessment(cycle_id=cycle.id, unit_id=world.unit.id, state="in_progress")
    db.session.add(big)
    db.session.commit()
    rate_all(big, ["met", "partly_met", "not_met", "not_applicable"] * 58)
    assert queries_for(big) == small


def test_submit_and_reopen_through_the_page(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    lead = as_role("lead")
    refused = lead.post(f"/cycles/assessments/{world.assessment.id}/submit", follow_redirects=True)
    assert "5 standarder er ikke vurdert ennå" in refused.get_data(as_text=True)
    rate_all(world.assessment, ["met"] * 5 + ["not_applicable"])
    done = lead.post(f"/cycles/assessments/{world.assessment.id}/submit", follow_redirects=True)
    assert "Egenvurderingen er sendt inn" in done.get_data(as_text=True)
    coordinator = as_role("coordinator")
    page = coordinator.get(f"/cycles/assessments/{world.assessment.id}").get_data(as_text=True)
    assert "Gjenåpne egenvurderingen" in page
    coordinator.post(
        f"/cycles/assessments/{world.assessment.id}/reopen",
        data={"reason": "Legg til dokumentasjon"},
    )
    page = (
        as_role("member").get(f"/cycles/assessments/{world.assessment.id}").get_data(as_text=True)
    )
    assert "Gjenåpnet" in page and "Legg til dokumentasjon" in page


def test_confirm_without_javascript(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    rating = db.session.scalar(sa.select(Rating).where(Rating.assessment_id == world.assessment.id))
    rating.carried_over = True
    db.session.commit()
    client = as_role("member")
    page = client.get(f"/cycles/assessments/{world.assessment.id}").get_data(as_text=True)
    assert "Bekreft alle 1 overførte i dette området" in page
    response = client.post(
        f"/cycles/assessments/{world.assessment.id}/standards/1.1/confirm", data={"version": "2"}
    )
    assert response.headers["Location"].endswith("#s-1-1")
    db.session.refresh(rating)
    assert rating.carried_over is False and rating.version == 3


def test_summary_has_tables_chart_and_counts(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    rate_all(world.assessment, ["met", "partly_met", "not_met", "not_applicable", None, "met"])
    page = (
        as_role("member")
        .get(f"/cycles/assessments/{world.assessment.id}/summary")
        .get_data(as_text=True)
    )
    figure = json.loads(re.search(r'id="fig-domains">(.*?)</script>', page, re.S).group(1))
    bars = figure["data"][-1]
    assert bars["x"] == [100.0, 50.0]  # domain 2 then 1 (plotly draws bottom-up)
    assert "vendor/plotly-cartesian.min.js" in page
    assert "Per type standard" in page and "Skriv ut" in page


def test_history_fragment_translates_values(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    services.save_rating(
        world.users["lead"], world.assessment, "1.1", {"value": "partly_met", "version": 1}
    )
    fragment = (
        as_role("member")
        .get(f"/cycles/assessments/{world.assessment.id}/standards/1.1/history?fragment=1")
        .get_data(as_text=True)
    )
    assert "Oppfylt → Delvis oppfylt" in fragment and "Lead" in fragment
    assert "<html" not in fragment
    full = as_role("member").get(f"/cycles/assessments/{world.assessment.id}/standards/1.1/history")
    assert "<html" in full.get_data(as_text=True)


def test_home_links_and_navigation(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    home = as_role("member").get("/").get_data(as_text=True)
    assert f"/cycles/assessments/{world.assessment.id}" in home
    assert f"Egenvurdering {world.cycle.year}" in home and f"Sammendrag {world.cycle.year}" in home
    coordinator_home = as_role("coordinator").get("/").get_data(as_text=True)
    assert 'href="/cycles"' in coordinator_home
    assert f'/cycles/{world.cycle.id}"' in coordinator_home
    mine = as_role("member").get("/cycles/mine")
    assert mine.status_code == 302 and mine.headers["Location"].endswith(
        f"/cycles/assessments/{world.assessment.id}"
    )
    assert as_role("admin").get("/cycles/mine").status_code == 200


def test_chart_figure_is_built_by_a_pure_function() -> None:
    figure = charts.scores_figure(
        [charts.Bar("1 Miljø", 80.0, 70.0), charts.Bar("2 Bemanning", None, 50.0)],
        title="Skår",
        current_name="2026",
        previous_name="2025",
    )
    previous, current = figure["data"]
    assert current["name"] == "2026" and current["y"] == ["2 Bemanning", "1 Miljø"]
    assert current["x"] == [None, 80.0] and current["text"] == ["–", "80"]
    assert previous["x"] == [50.0, 70.0]
    assert figure["layout"]["xaxis"]["range"] == [0, 105]
    only_now = charts.scores_figure([charts.Bar("1", 10.0)], title="t", current_name="n")
    assert len(only_now["data"]) == 1

"""Carry-over done right: the source is the unit's last *submitted* assessment, nothing
unconfirmed is carried twice, another edition is followed through its mapping (only where the
meaning is the same), and the unit lead chooses at the start between last year's answers and
blank (the network sets the default)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.core.errors import PermissionDenied, ServiceError
from kvip.cycles import services
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from kvip.network import services as network_services
from kvip.standards.models import Edition, StandardMapping
from tests.conftest import login
from tests.factories import World, create_edition, standards_of


def _cycle(world: World, year: int, edition: Edition, state: str = "open") -> Cycle:
    cycle = Cycle(
        network_id=world.network.id,
        edition_id=edition.id,
        year=year,
        name=f"Syklus {year}",
        state=state,
        self_assessment_opens=date.today() - timedelta(days=1),
        self_assessment_closes=date.today() + timedelta(days=30),
    )
    db.session.add(cycle)
    db.session.commit()
    return cycle


def _submitted(world: World, cycle: Cycle, ratings: dict[str, tuple[str, bool]]) -> Assessment:
    """The unit's submitted assessment: code → (value, still carried over unconfirmed)."""
    a = Assessment(cycle_id=cycle.id, unit_id=world.unit.id, state="submitted")
    db.session.add(a)
    db.session.flush()
    by_code = {s.code: s for s in standards_of(cycle.edition)}
    for code, (value, carried) in ratings.items():
        db.session.add(
            Rating(
                assessment_id=a.id,
                standard_id=by_code[code].id,
                value=value,
                comment=f"kommentar {code}",
                evidence_kinds="procedure",
                evidence_links="https://example.test/rutine",
                carried_over=carried,
            )
        )
    db.session.commit()
    return a


def _values(assessment: Assessment) -> dict[str, tuple[str | None, bool]]:
    rows = db.session.execute(
        sa.select(Rating.standard_id, Rating.value, Rating.carried_over).where(
            Rating.assessment_id == assessment.id
        )
    ).all()
    codes = {s.id: s.code for s in standards_of(assessment.cycle.edition)}
    return {codes[r.standard_id]: (r.value, r.carried_over) for r in rows}


def test_carries_the_last_submitted_answers_never_the_open_cycles_or_unconfirmed(
    world: World,
) -> None:
    """The world's cycle is still open (in progress, 1.1 rated met): the source is the year
    before, submitted; its 1.2 was carried over there and never confirmed: not carried again."""
    old = _cycle(world, world.cycle.year - 1, world.edition, state="closed")
    _submitted(
        world, old, {"1.1": ("not_met", False), "1.2": ("met", True), "2.1": ("partly_met", False)}
    )
    new_cycle = _cycle(world, world.cycle.year + 1, world.edition, state="planned")
    (new,) = services.enrol_units(
        world.users["coordinator"], new_cycle, [world.unit.id], carry_over=True
    )
    assert _values(new) == {"1.1": ("not_met", True), "2.1": ("partly_met", True)}
    rating = db.session.scalar(sa.select(Rating).where(Rating.assessment_id == new.id).limit(1))
    assert rating.evidence_kinds == "procedure"
    assert rating.evidence_links == "https://example.test/rutine"


def test_another_edition_is_carried_through_its_mapping(world: World) -> None:
    old_cycle = _cycle(world, world.cycle.year - 1, world.edition, state="closed")
    _submitted(
        world,
        old_cycle,
        {
            "1.1": ("met", False),
            "1.2": ("partly_met", False),
            "1.3": ("not_met", False),
            "2.1": ("not_applicable", False),
            "2.2": ("met", False),
            "2.3": ("partly_met", False),
        },
    )
    edition = create_edition(2, 3)
    edition.frozen = True
    db.session.commit()
    old = {s.code: s.id for s in standards_of(world.edition)}
    new = {s.code: s.id for s in standards_of(edition)}
    links = [
        ("1.1", "1.1", "same", False),
        ("1.2", "1.2", "reworded", False),
        ("1.3", "1.3", "reworded", True),  # the meaning changed: never carried into
        ("2.1", "2.2", "same", False),  # renumbered
        ("2.2", "2.3", "merged", False),  # absorbed into 2.3: not a main line
        ("2.3", "2.3", "same", False),
        (None, "2.1", "new", False),
    ]
    for src, dst, change, meaning_changed in links:
        db.session.add(
            StandardMapping(
                from_edition_id=world.edition.id,
                to_edition_id=edition.id,
                from_standard_id=old[src] if src else None,
                to_standard_id=new[dst],
                change=change,
                meaning_changed=meaning_changed,
            )
        )
    db.session.commit()
    new_cycle = _cycle(world, world.cycle.year + 1, edition, state="planned")
    (assessment,) = services.enrol_units(
        world.users["coordinator"], new_cycle, [world.unit.id], carry_over=True
    )
    assert _values(assessment) == {
        "1.1": ("met", True),
        "1.2": ("partly_met", True),
        "2.2": ("not_applicable", True),
        "2.3": ("partly_met", True),
    }


@pytest.fixture
def fresh(world: World) -> Assessment:
    """A new open cycle whose assessment is not started, with a submitted one before it."""
    world.assessment.state = "submitted"
    db.session.commit()
    cycle = _cycle(world, world.cycle.year + 1, world.edition, state="planned")
    (a,) = services.enrol_units(
        world.users["coordinator"], cycle, [world.unit.id], carry_over=False
    )
    services.open_cycle(world.users["coordinator"], cycle)
    return a


def test_the_unit_lead_chooses_last_years_answers_or_blank(world: World, fresh: Assessment) -> None:
    lead = world.users["lead"]
    with pytest.raises(PermissionDenied):
        services.choose_start(world.users["member"], fresh, "last")
    with pytest.raises(ServiceError):
        services.choose_start(lead, fresh, "sometimes")
    assert _values(fresh) == {}
    assert services.choose_start(lead, fresh, "last") == 1
    assert _values(fresh) == {"1.1": ("met", True)}  # the world's (now submitted) rating
    assert fresh.state == "in_progress"
    # The choice is made once, at the start.
    with pytest.raises(ServiceError) as refused:
        services.choose_start(lead, fresh, "blank")
    assert refused.value.status == 409
    assert _values(fresh) == {"1.1": ("met", True)}


def test_blank_removes_what_enrolment_carried_over(world: World) -> None:
    world.assessment.state = "submitted"
    db.session.commit()
    cycle = _cycle(world, world.cycle.year + 1, world.edition, state="open")
    (a,) = services.enrol_units(world.users["coordinator"], cycle, [world.unit.id], carry_over=True)
    assert _values(a) == {"1.1": ("met", True)}
    assert services.choose_start(world.users["lead"], a, "blank") == 0
    assert _values(a) == {}


def test_the_start_page_offers_the_choice_and_the_network_sets_the_default(
    app: Flask, world: World, fresh: Assessment
) -> None:
    lead = login(app.test_client(), world.users["lead"])
    url = f"/cycles/assessments/{fresh.id}"
    page = lead.get(url, headers={"Accept-Language": "nb"}).get_data(as_text=True)
    assert "Start fra fjorårets svar" in page and "Start blankt" in page
    response = lead.post(f"{url}/start", data={"start": "last"})
    assert response.status_code == 302
    db.session.expire_all()
    assert _values(db.session.get(Assessment, fresh.id)) == {"1.1": ("met", True)}
    page = lead.get(url, headers={"Accept-Language": "nb"}).get_data(as_text=True)
    assert "Start blankt" not in page  # started: the choice is gone

    # The coordinator's network default decides what the enrol form proposes.
    coordinator = world.users["coordinator"]
    network_services.update_network(
        coordinator,
        world.network,
        name=world.network.name,
        benchmark_visibility=world.network.benchmark_visibility,
        min_group_size=world.network.min_group_size,
        carry_over_default=False,
    )
    assert world.network.carry_over_default is False
    other = _cycle(world, world.cycle.year + 2, world.edition, state="planned")
    page = login(app.test_client(), coordinator).get(f"/cycles/{other.id}").get_data(as_text=True)
    box = page[page.index('name="carry_over"') - 200 : page.index('name="carry_over"') + 200]
    assert "checked" not in box

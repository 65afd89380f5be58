"""A visit ready for the tablet browser tests: 3 domains × 12 standards, a submitted
self-assessment, a scheduled visit with a lead reviewer and a peer reviewer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from kvip.accounts.models import NetworkRole, User
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.visits.models import Finding, TeamMember, Visit
from tests.factories import (
    PASSWORD,
    create_edition,
    create_institution,
    create_network,
    create_unit,
    create_user,
    standards_of,
)

SELF_VALUES = ("met", "partly_met", "not_met", "met", "not_applicable", "met")


@dataclass
class TabletWorld:
    unit: Unit
    visit: Visit
    lead: User
    peer: User
    codes: list[str]


def build_tablet_world() -> TabletWorld:
    network = create_network()
    home = create_institution(network, "Vestsida sykehus")
    visited = create_institution(network, "Austsida sykehus")
    unit = create_unit(visited, "Ungdomsposten Aust", kind="acute", beds=8)
    lead = create_user("lead.reviewer@example.test", "Lena Teamleder", home_institution_id=home.id)
    peer = create_user("peer.reviewer@example.test", "Per Fagfelle", home_institution_id=home.id)
    for user, trained in ((lead, True), (peer, False)):
        db.session.add(
            NetworkRole(
                user_id=user.id, network_id=network.id, role="reviewer", trained_lead=trained
            )
        )
    edition = create_edition(domains=3, per_domain=12)
    edition.frozen = True
    today = date.today()
    cycle = Cycle(
        network_id=network.id,
        edition_id=edition.id,
        year=today.year,
        name=f"Syklus {today.year}",
        state="open",
        visit_window_start=today,
        visit_window_end=today + timedelta(days=60),
    )
    db.session.add(cycle)
    db.session.flush()
    assessment = Assessment(cycle_id=cycle.id, unit_id=unit.id, state="submitted")
    db.session.add(assessment)
    db.session.flush()
    stds = standards_of(edition)
    for index, std in enumerate(stds):
        db.session.add(
            Rating(
                assessment_id=assessment.id,
                standard_id=std.id,
                value=SELF_VALUES[index % len(SELF_VALUES)],
                comment=f"Egenvurdering {std.code}" if index % 3 == 0 else "",
                evidence="Prosedyre 12 i kvalitetssystemet" if index % 4 == 0 else "",
            )
        )
    visit = Visit(assessment_id=assessment.id, date=today, state="scheduled")
    db.session.add(visit)
    db.session.flush()
    db.session.add(TeamMember(visit_id=visit.id, user_id=lead.id, role="lead_reviewer"))
    db.session.add(TeamMember(visit_id=visit.id, user_id=peer.id, role="peer_reviewer"))
    db.session.commit()
    return TabletWorld(unit, visit, lead, peer, [s.code for s in stds])


def open_visit_mode(page: Any, live_server: str, world: TabletWorld, email: str) -> None:
    """Sign in on the tablet, open the visit mode and prepare the visit for offline use."""
    from playwright.sync_api import expect

    from tests.browser.conftest import sign_in

    sign_in(page, live_server, email, PASSWORD)
    page.goto(f"{live_server}/visits/{world.visit.id}/mode")
    expect(page.locator("article.std-card").first).to_be_visible()
    page.get_by_role("button", name="Forbered besøket").click()
    expect(page.locator("#prep-state")).to_contain_text("Klar for bruk uten nett", timeout=20000)


def server_findings(world: TabletWorld) -> dict[str, Finding]:
    """The visit's findings on the server by standard code, read afresh."""
    import sqlalchemy as sa

    db.session.rollback()
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Finding).where(Finding.visit_id == world.visit.id))
    return {f.standard.code: f for f in rows}


def card(page: Any, code: str) -> Any:
    """The card of one standard in visit mode."""
    return page.locator(f"article[id='std-{code}']")

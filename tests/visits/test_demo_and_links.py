"""The demo's visits, and the links to visits on the home page and in the navigation."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from kvip.demo import load_demo
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.visits import demo, reports, services
from kvip.visits.models import Report, TeamMember, Visit
from tests.conftest import login
from tests.factories import World
from tests.visits.demo_setup import demo_context


def test_demo_previous_cycle_is_reviewed_and_the_demo_reviewer_has_a_visit(app: Flask) -> None:
    loaded = load_demo()  # every module's demo, cycles included
    assert loaded is not None
    bare = demo_context()
    demo.populate(bare)  # a context without cycles: nothing more, no error
    assert "previous_visits" not in bare.extra
    ctx = loaded

    previous = ctx.extra["previous_visits"]
    assert set(previous) == {u.id for u in ctx.units}
    agreements = []
    for unit_id, visit in previous.items():
        assert visit.state == "completed"
        unit = db.session.get(Unit, unit_id)
        assert unit is not None
        roles = sorted(m.role for m in visit.team)
        assert roles == ["expert_by_experience", "lead_reviewer", "peer_reviewer"]
        for member in visit.team:
            assert services.conflict_of_interest(visit, member.user) is None
        report = db.session.scalar(sa.select(Report).where(Report.visit_id == visit.id))
        assert report is not None and report.state == "final"
        content = reports.content_of(report)
        kinds = content["observations"]
        assert all(kinds[k] for k in ("good_practice", "improvement", "recommendation"))
        agreements.append(content["overall"]["agreement"]["percent"])
    # Findings close to the self ratings, with some disagreement.
    assert all(a is not None and a >= 50 for a in agreements)
    assert any(a < 100 for a in agreements)

    current = ctx.extra["current_visit"]
    assert current.state == "scheduled"
    assert current.assessment.unit_id == ctx.visited_unit.id
    lead = db.session.scalar(
        sa.select(TeamMember).where(
            TeamMember.visit_id == current.id, TeamMember.role == "lead_reviewer"
        )
    )
    reviewer = ctx.users["reviewer"]
    assert lead is not None and lead.user_id == reviewer.id
    assert reviewer.home_institution_id != ctx.visited_unit.institution_id
    assert len(current.team) == 3
    for member in current.team:
        assert services.conflict_of_interest(current, member.user) is None

    client = login(app.test_client(), reviewer)
    home = client.get("/").get_data(as_text=True)
    assert "Mine besøk" in home
    mine = client.get("/visits/").get_data(as_text=True)
    assert ctx.visited_unit.name in mine
    mode = client.get(f"/visits/{current.id}/mode").get_data(as_text=True)
    assert "Forrige syklus" in mode and "Rapport fra besøket" in mode
    assert db.session.scalar(sa.select(sa.func.count(Visit.id))) == len(previous) + 1


def test_home_page_links_for_each_role(app: Flask, world: World) -> None:
    def home(role: str) -> str:
        return login(app.test_client(), world.users[role]).get("/").get_data(as_text=True)

    coordinator = home("coordinator")
    assert "Besøk og team" in coordinator and "Fagfellepool" in coordinator
    assert f"/visits/networks/{world.network.id}" in coordinator
    reviewer = home("reviewer")
    assert "Mine besøk" in reviewer and 'href="/visits/"' in reviewer
    lead = home("lead")
    assert "Fagfellerapporter" in lead and f"/visits/units/{world.unit.id}/reports" in lead
    assert ">Besøk<" not in lead  # no visits in a unit member's navigation
    assert ">Besøk<" in reviewer


def test_visit_pages_render_for_the_team_and_coordinator(app: Flask, world: World) -> None:
    reviewer = login(app.test_client(), world.users["reviewer"])
    overview = reviewer.get(f"/visits/{world.visit.id}").get_data(as_text=True)
    assert "Åpne besøksmodus" in overview and "Start besøket" in overview
    mode = reviewer.get(f"/visits/{world.visit.id}/mode")
    assert mode.status_code == 200 and mode.headers["Cache-Control"] == "no-cache"
    page = mode.get_data(as_text=True)
    assert 'id="visit-config"' in page and "<script>" not in page  # no inline code
    worker = reviewer.get("/visits/sw.js")
    assert worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/"
    manifest = reviewer.get("/visits/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    assert manifest.json["scope"] == "/visits/"

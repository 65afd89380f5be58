"""Planning visits, building teams: conflict of interest, reciprocal pairs, suggestions,
and the visit state machine planned → scheduled → in_progress → completed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.accounts.models import Membership
from kvip.core.errors import PermissionDenied, ServiceError
from kvip.core.models import AuditEvent
from kvip.cycles.models import Cycle
from kvip.extensions import db
from kvip.network.overrides import RuleBlocked
from kvip.visits import services
from kvip.visits.models import Report, TeamMember, Visit
from tests.conftest import login
from tests.factories import World, create_unit, standards_of
from tests.visits.conftest import (
    add_to_team,
    create_reviewer,
    put_finding,
    submitted_assessment,
)


def _team_user_ids(visit: Visit) -> set[int]:
    return set(
        db.session.scalars(sa.select(TeamMember.user_id).where(TeamMember.visit_id == visit.id))
    )


def test_reviewer_from_the_visited_units_institution_is_refused_with_the_reason(
    app: Flask, world: World
) -> None:
    insider = create_reviewer(world, world.inst_a, name="Ida Innenfra")
    db.session.commit()
    coordinator = world.users["coordinator"]
    with pytest.raises(ServiceError) as refused:
        services.add_team_member(coordinator, world.visit, insider, "peer_reviewer")
    assert refused.value.code == "conflict_of_interest"
    assert "Institusjon A" in refused.value.message and "Ida Innenfra" in refused.value.message

    client = login(app.test_client(), coordinator)
    response = client.post(
        f"/visits/{world.visit.id}/team",
        data={"user_id": insider.id, "role": "peer_reviewer"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Inhabilitet" in page and "Institusjon A" in page
    assert insider.id not in _team_user_ids(world.visit)


def test_a_member_of_another_unit_of_the_same_institution_is_refused(world: World) -> None:
    """Home institution recorded elsewhere, but works in a unit of the visited institution."""
    sister = create_unit(world.inst_a, "Søsterposten")
    reviewer = create_reviewer(world, world.inst_b)
    db.session.add(Membership(user_id=reviewer.id, unit_id=sister.id, role="unit_member"))
    db.session.commit()
    reason = services.conflict_of_interest(world.visit, reviewer)
    assert reason is not None and "Institusjon A" in reason
    with pytest.raises(ServiceError):
        services.add_team_member(world.users["coordinator"], world.visit, reviewer, "peer_reviewer")


def test_reciprocal_pair_in_one_cycle_is_warned_but_allowed(world: World) -> None:
    """world.visit: unit of A visited by `reviewer` (home C). A unit of C visited by a reviewer
    from A in the same cycle forms the pair A↔C."""
    coordinator = world.users["coordinator"]
    c_assessment = submitted_assessment(world, create_unit(world.inst_c, "Enhet Gamma"))
    c_visit = services.plan_visit(coordinator, c_assessment, date.today() + timedelta(days=80))
    from_a = create_reviewer(world, world.inst_a, name="Anna fra A")
    db.session.commit()
    warnings = services.add_team_member(coordinator, c_visit, from_a, "peer_reviewer")
    assert len(warnings) == 1 and "Gjensidig" in warnings[0] and "Anna fra A" in warnings[0]
    assert from_a.id in _team_user_ids(c_visit)
    # Both sides of the pair are flagged on their team screens.
    assert services.team_warnings(c_visit)
    assert services.team_warnings(world.visit)
    # The warning is in the audit trail of the team change.
    note = db.session.scalar(
        sa.select(AuditEvent.note).where(
            AuditEvent.entity == "team_member", AuditEvent.action == "create"
        )
    )
    assert note and "reciprocal" in note


def test_no_reciprocal_warning_across_cycles(world: World) -> None:
    coordinator = world.users["coordinator"]
    later = Cycle(
        network_id=world.network.id,
        edition_id=world.edition.id,
        year=world.cycle.year + 1,
        name="Neste syklus",
        state="planned",
    )
    db.session.add(later)
    db.session.flush()
    c_assessment = submitted_assessment(world, create_unit(world.inst_c, "Enhet Gamma"), later)
    c_visit = services.plan_visit(coordinator, c_assessment)
    from_a = create_reviewer(world, world.inst_a)
    db.session.commit()
    assert services.add_team_member(coordinator, c_visit, from_a, "peer_reviewer") == []


def test_suggestions_are_eligible_and_lightest_load_first(world: World) -> None:
    coordinator = world.users["coordinator"]
    create_reviewer(world, world.inst_a, name="Aa Innenfra")  # conflict: never suggested
    busy = create_reviewer(world, world.inst_b, name="Bb Travel")
    free = create_reviewer(world, world.inst_b, name="Cc Ledig")
    expert = create_reviewer(world, None, name="Dd Erfaren")
    # `busy` is on two other visits of this cycle.
    for name in ("Enhet X", "Enhet Y"):
        other = services.plan_visit(
            coordinator, submitted_assessment(world, create_unit(world.inst_b, name))
        )
        add_to_team(other, busy)
    db.session.commit()
    suggestions = services.suggest_reviewers(world.visit)
    names = [s.user.name for s in suggestions]
    assert "Aa Innenfra" not in names
    assert world.users["reviewer"].name not in names  # already on the team
    assert names.index("Cc Ledig") < names.index("Bb Travel")
    assert names.index("Dd Erfaren") < names.index("Bb Travel")
    assert {s.user.id: s.visits for s in suggestions}[busy.id] == 2
    assert free.id in {s.user.id for s in suggestions} and expert.id in {
        s.user.id for s in suggestions
    }


def test_one_trained_lead_reviewer_per_team(world: World) -> None:
    coordinator = world.users["coordinator"]
    untrained = create_reviewer(world, world.inst_b)
    trained = create_reviewer(world, world.inst_b, trained=True)
    db.session.commit()
    with pytest.raises(ServiceError, match="teamleder"):
        services.add_team_member(coordinator, world.visit, trained, "lead_reviewer")
    visit = services.plan_visit(coordinator, submitted_assessment(world))
    with pytest.raises(ServiceError, match="ikke opplært"):
        services.add_team_member(coordinator, visit, untrained, "lead_reviewer")
    assert services.add_team_member(coordinator, visit, trained, "lead_reviewer") == []


def test_only_reviewers_of_the_network_can_join_and_only_managers_build_teams(
    world: World,
) -> None:
    with pytest.raises(ServiceError, match="fagfellepool"):
        services.add_team_member(
            world.users["coordinator"], world.visit, world.users["member"], "peer_reviewer"
        )
    other = create_reviewer(world, world.inst_b)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.add_team_member(world.users["reviewer"], world.visit, other, "peer_reviewer")


def test_plan_needs_a_submitted_assessment_and_happens_once(app: Flask, world: World) -> None:
    coordinator = world.users["coordinator"]
    with pytest.raises(ServiceError, match="levert"):
        services.plan_visit(coordinator, world.other_assessment)
    assessment = submitted_assessment(world)
    db.session.commit()
    client = login(app.test_client(), coordinator)
    response = client.post(
        f"/visits/networks/{world.network.id}/plan",
        data={"assessment_id": assessment.id, "date": "2031-02-03"},
    )
    assert response.status_code == 302 and "/team" in response.headers["Location"]
    visit = services.visit_for_assessment(assessment.id)
    assert visit is not None and visit.state == "planned" and visit.date == date(2031, 2, 3)
    with pytest.raises(ServiceError, match="allerede"):
        services.plan_visit(coordinator, assessment)
    assert db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.entity == "visit", AuditEvent.entity_id == visit.id
        )
    )


def test_the_visit_state_machine(app: Flask, world: World, set_today: Any) -> None:
    coordinator = world.users["coordinator"]
    assessment = submitted_assessment(world)
    visit = services.plan_visit(coordinator, assessment)
    lead = create_reviewer(world, world.inst_b, trained=True)
    peer = create_reviewer(world, world.inst_b)
    db.session.commit()
    with pytest.raises(ServiceError) as early:
        services.schedule_visit(coordinator, visit)
    assert "dato" in early.value.message.lower() and "teamleder" in early.value.message.lower()
    services.set_visit_date(coordinator, visit, date.today() + timedelta(days=5))
    services.add_team_member(coordinator, visit, lead, "lead_reviewer")
    services.add_team_member(coordinator, visit, peer, "peer_reviewer")
    services.schedule_visit(coordinator, visit)
    assert visit.state == "scheduled"
    with pytest.raises(PermissionDenied):
        services.start_visit(coordinator, visit)
    with pytest.raises(PermissionDenied):
        services.start_visit(peer, visit)
    with pytest.raises(RuleBlocked):  # five days before its date
        services.start_visit(lead, visit)
    set_today(date.today() + timedelta(days=5))
    services.start_visit(lead, visit)
    assert visit.state == "in_progress"

    # Completing needs every standard rated and no open conflict.
    with pytest.raises(ServiceError) as incomplete:
        services.complete_visit(lead, visit)
    assert "mangler" in incomplete.value.message
    client = login(app.test_client(), lead)
    for std in standards_of(world.edition):
        assert put_finding(client, visit, std.code).status_code == 200
    peer_client = login(app.test_client(), peer)
    first = standards_of(world.edition)[0].code
    assert put_finding(peer_client, visit, first, value="not_met", version=1).status_code == 200
    with pytest.raises(ServiceError, match="konflikt"):
        services.complete_visit(lead, visit)
    assert put_finding(client, visit, first, value="partly_met", version=2).status_code == 200
    services.complete_visit(lead, visit)
    assert visit.state == "completed" and visit.completed_at is not None
    report = db.session.scalar(sa.select(Report).where(Report.visit_id == visit.id))
    assert report is not None and report.state == "draft" and report.generated_at is not None
    states = db.session.scalars(
        sa.select(AuditEvent.new)
        .where(
            AuditEvent.entity == "visit",
            AuditEvent.entity_id == visit.id,
            AuditEvent.field == "state",
        )
        .order_by(AuditEvent.id)
    ).all()
    assert states == ["planned", "scheduled", "in_progress", "completed"]
    with pytest.raises(ServiceError):
        services.add_team_member(coordinator, visit, create_reviewer(world, None), "peer_reviewer")


def test_first_finding_starts_a_scheduled_visit(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["reviewer"])
    code = standards_of(world.edition)[1].code
    response = put_finding(client, world.visit, code)
    assert response.status_code == 200 and response.json["visit_state"] == "in_progress"
    db.session.refresh(world.visit)
    assert world.visit.state == "in_progress"


def test_team_screen_shows_suggestions_warnings_and_pool(app: Flask, world: World) -> None:
    create_reviewer(world, world.inst_b, name="Berit Fagfelle", trained=True)
    db.session.commit()
    client = login(app.test_client(), world.users["coordinator"])
    page = client.get(f"/visits/{world.visit.id}/team").get_data(as_text=True)
    assert "Foreslåtte fagfeller" in page and "Berit Fagfelle" in page
    assert "Teamet har ingen erfaringskonsulent" in page
    search = client.get(f"/visits/{world.visit.id}/team?q=Reviewer").get_data(as_text=True)
    assert "Reviewer" in search
    pool = client.get(f"/visits/networks/{world.network.id}/reviewers").get_data(as_text=True)
    assert "Berit Fagfelle" in pool and "Institusjon B" in pool
    overview = client.get(f"/visits/networks/{world.network.id}").get_data(as_text=True)
    assert "Enhet Alfa" in overview and "Berammet" in overview

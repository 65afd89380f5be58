"""The home page per role: the right numbers, links to where to act, nothing of other units."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.actions.models import Action
from kvip.core.models import AuditEvent, OutboxEmail
from kvip.cycles.models import Assessment, Rating
from kvip.extensions import db
from kvip.home import queries
from kvip.visits.models import ReportComment, Visit
from tests.factories import World, create_user, standards_of


def _page(login_as, role: str) -> str:  # type: ignore[no-untyped-def]
    response = login_as(role).get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


@pytest.fixture
def unit_world(world: World) -> World:
    """The unit's assessment: 6 standards – 1 rated, 2 carried over (one confirmed later), 3
    without a value; an overdue action, an action due in 10 days, one due in 90; a shared report."""
    stds = standards_of(world.edition)
    db.session.add_all(
        [
            Rating(
                assessment_id=world.assessment.id,
                standard_id=stds[1].id,
                value="met",
                carried_over=True,
            ),
            Rating(
                assessment_id=world.assessment.id,
                standard_id=stds[2].id,
                value="not_met",
                carried_over=True,
            ),
        ]
    )
    today = date.today()
    world.action.deadline = today - timedelta(days=417)
    db.session.add_all(
        [
            Action(
                assessment_id=world.assessment.id, title="Snart", deadline=today + timedelta(10)
            ),
            Action(
                assessment_id=world.assessment.id, title="Senere", deadline=today + timedelta(90)
            ),
            # The other unit's overdue action must never show on this unit's home.
            Action(
                assessment_id=world.other_assessment.id,
                title="Annen enhets tiltak",
                deadline=today - timedelta(days=3),
            ),
        ]
    )
    world.report.state = "shared_with_unit"
    world.report.shared_at = datetime.now() - timedelta(days=2)
    db.session.commit()
    return world


def test_unit_lead_home_shows_progress_deadline_report_and_actions(
    unit_world: World, login_as
) -> None:  # type: ignore[no-untyped-def]
    w = unit_world
    html = _page(login_as, "lead")
    # 1 rated, 2 carried over, 3 not rated, of 6.
    assert re.search(r'data-count="rated">1</strong>\s*av 6 vurdert', html)
    assert 'data-count="carried">2<' in html
    assert 'data-count="not_rated">3<' in html
    assert "Bekreft 2 overførte vurderinger" in html
    assert re.search(r'data-home="days">50 dager igjen', html)
    links = _links(html)
    assert f"/cycles/assessments/{w.assessment.id}" in links
    assert f"/visits/{w.visit.id}/report" in links
    assert f"/actions/{w.action.id}" in links  # overdue
    assert "417 dager over fristen" in html
    assert "Snart" in html and "Senere" not in html  # within 30 days only
    assert "Annen enhets tiltak" not in html
    assert f"/cycles/assessments/{w.other_assessment.id}" not in links
    assert w.other_unit.name not in html


def test_member_sees_the_same_unit_items(unit_world: World, login_as) -> None:  # type: ignore[no-untyped-def]
    html = _page(login_as, "member")
    assert 'data-count="carried">2<' in html
    assert f"/visits/{unit_world.visit.id}/report" in _links(html)


def test_outsider_sees_only_their_own_unit(unit_world: World, login_as) -> None:  # type: ignore[no-untyped-def]
    w = unit_world
    html = _page(login_as, "outsider")
    links = _links(html)
    assert f"/cycles/assessments/{w.other_assessment.id}" in links
    assert f"/cycles/assessments/{w.assessment.id}" not in links
    assert f"/visits/{w.visit.id}/report" not in links
    assert "Snart" not in html and "Annen enhets tiltak" in html
    assert "3 dager over fristen" in html


def test_reviewer_home_lists_upcoming_visit_and_waiting_report(world: World, login_as) -> None:  # type: ignore[no-untyped-def]
    html = _page(login_as, "reviewer")
    links = _links(html)
    assert f"/visits/{world.visit.id}" in links
    assert f"/visits/{world.visit.id}/mode" in links
    assert f'data-prep="{world.visit.id}"' in html
    assert world.visit.date is not None and world.visit.date.isoformat() in html
    assert "Enhet Alfa" in html and "Reviewer (Teamleder)" in html
    # Not on the other visit's team: nothing of it.
    assert f"/visits/{world.other_visit.id}" not in links
    assert "Enhet Beta" not in html
    # The visit is done and the report is a draft: the lead reviewer consolidates.
    world.visit.state = "completed"
    db.session.commit()
    html = _page(login_as, "reviewer")
    assert f"/visits/{world.visit.id}/consolidate" in _links(html)
    assert f'data-prep="{world.visit.id}"' not in html
    # Shared with the unit, one comment unanswered: answer it.
    world.report.state = "shared_with_unit"
    db.session.add(ReportComment(report_id=world.report.id, text="Feil dato"))
    db.session.commit()
    html = _page(login_as, "reviewer")
    assert "Svar på 1 kommentar fra enheten" in html
    assert f"/visits/{world.visit.id}/report" in _links(html)


def _steps(html: str) -> dict[str, int]:
    return {
        key: int(n)
        for key, n in re.findall(r'data-step="(\w+)"><span class="step-n">(\d+)</span>', html)
    }


def test_coordinator_pipeline_counts_each_unit_once_at_its_furthest_step(
    world: World, login_as
) -> None:  # type: ignore[no-untyped-def]
    # unit: has an action → "action_plan"; other unit: visit scheduled → "visit_planned".
    html = _page(login_as, "coordinator")
    steps = _steps(html)
    assert steps["action_plan"] == 1
    assert steps["visit_planned"] == 1
    assert sum(steps.values()) == 2
    assert f"/home/cycles/{world.cycle.id}/steps/action_plan" in _links(html)
    # Remove the action and finalise the report: the unit moves to "final".
    db.session.delete(world.action)
    world.report.state = "final"
    db.session.execute(sa.delete(Visit).where(Visit.id == world.other_visit.id))
    db.session.commit()
    steps = _steps(_page(login_as, "coordinator"))
    assert steps["final"] == 1 and steps["in_progress"] == 1 and sum(steps.values()) == 2


def test_coordinator_sees_overdue_actions_across_the_network(world: World, login_as) -> None:  # type: ignore[no-untyped-def]
    world.action.deadline = date.today() - timedelta(days=5)
    db.session.add(
        Action(
            assessment_id=world.other_assessment.id,
            title="x",
            deadline=date.today() - timedelta(days=1),
        )
    )
    db.session.add(Action(assessment_id=world.other_assessment.id, title="y", status="done"))
    db.session.commit()
    html = _page(login_as, "coordinator")
    assert "2 tiltak i nettverket har passert fristen" in html
    assert f"/actions/networks/{world.network.id}" in _links(html)


def test_step_list_shows_the_units_at_that_step(world: World, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as("coordinator")
    html = client.get(f"/home/cycles/{world.cycle.id}/steps/visit_planned").get_data(as_text=True)
    assert "Enhet Beta" in html and "Enhet Alfa" not in html
    assert f"/visits/{world.other_visit.id}" in _links(html)
    html = client.get(f"/home/cycles/{world.cycle.id}/steps/action_plan").get_data(as_text=True)
    assert "Enhet Alfa" in html and "Enhet Beta" not in html
    assert f"/actions/assessments/{world.assessment.id}" in _links(html)
    assert client.get(f"/home/cycles/{world.cycle.id}/steps/nonsense").status_code == 404
    assert login_as("lead").get(f"/home/cycles/{world.cycle.id}/steps/final").status_code == 403


def test_admin_health(world: World, login_as, app: Flask) -> None:  # type: ignore[no-untyped-def]
    for i, status in enumerate(["held", "held", "failed", "sent"]):
        db.session.add(
            OutboxEmail(
                to="a@example.test", subject="s", body="b", dedup_key=f"k{i}", status=status
            )
        )
    create_user("nobody@example.test", "Uten rolle")
    create_user("gone@example.test", "Inaktiv", active=False)
    db.session.commit()
    html = _page(login_as, "admin")
    assert 'data-count="failed">1 feilet' in html
    assert 'data-count="held">2 holdt tilbake' in html
    assert "1 bruker uten noen rolle" in html
    assert "/admin/users?role=none" in _links(html)
    listing = login_as("admin").get("/admin/users?role=none").get_data(as_text=True)
    assert "nobody@example.test" in listing and "member@example.test" not in listing
    assert queries.health().last_backup is None
    db.session.add(AuditEvent(entity="platform", action="backup"))
    db.session.commit()
    assert queries.health().last_backup is not None


def test_backup_is_recorded_for_the_admin_home(app: Flask, world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.backup")])
    assert result.exit_code == 0, result.output
    assert queries.health().last_backup is not None


def _count_queries(fn, *args):  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    n = 0

    def before(*_a: object, **_k: object) -> None:
        nonlocal n
        n += 1

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        fn(*args)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return n


def test_home_queries_do_not_grow_with_rows_shown(world: World) -> None:
    """More of the reviewer's visits, more units in the pipeline, more of a user's units: the
    same number of queries (no N+1)."""
    from kvip.accounts.models import Membership
    from kvip.visits.models import TeamMember
    from tests.factories import create_unit

    today = date.today()
    reviewer, coordinator = world.users["reviewer"], world.users["coordinator"]
    lead = world.users["lead"]
    before = (
        _count_queries(queries.reviewer_visits, reviewer),
        _count_queries(queries.pipelines, coordinator, today),
        _count_queries(queries.unit_homes, lead),
    )
    for i in range(3):
        unit = create_unit(world.inst_b, f"Ekstra {i}")
        a = Assessment(cycle_id=world.cycle.id, unit_id=unit.id, state="submitted")
        db.session.add(a)
        db.session.flush()
        v = Visit(assessment_id=a.id, date=today + timedelta(5))
        db.session.add(v)
        db.session.flush()
        db.session.add(TeamMember(visit_id=v.id, user_id=reviewer.id, role="peer_reviewer"))
        db.session.add(Membership(user_id=lead.id, unit_id=unit.id, role="unit_member"))
    db.session.commit()
    after = (
        _count_queries(queries.reviewer_visits, reviewer),
        _count_queries(queries.pipelines, coordinator, today),
        _count_queries(queries.unit_homes, lead),
    )
    assert len(queries.reviewer_visits(reviewer)[0]) == 4
    assert sum(queries.pipelines(coordinator, today)[0].steps.values()) == 5
    assert len(queries.unit_homes(lead)) == 4
    assert after == before


@pytest.mark.parametrize("role", ["admin", "coordinator", "lead", "member", "reviewer"])
def test_home_in_english(unit_world: World, login_as, role: str) -> None:  # type: ignore[no-untyped-def]
    unit_world.users[role].locale = "en"
    db.session.commit()
    html = _page(login_as, role)
    assert "What to do now" in html
    assert "Dette bør gjøres nå" not in html

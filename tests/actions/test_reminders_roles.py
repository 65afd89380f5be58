"""Reminders for everyone who has something due (issue 18 item 6): unit leads, reviewers and
coordinators; each item told once per threshold; e-mail or in-app only; links from the base URL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.accounts.models import User
from kvip.actions import reminders
from kvip.actions.models import OutboxEmail, SentReminder
from kvip.extensions import db
from kvip.visits.models import TeamMember, Visit
from tests.conftest import login
from tests.factories import World, create_user, standards_of

TODAY = date.today()


def _kinds(user: User, on: date = TODAY) -> dict[str, reminders.Reminder]:
    return {r.kind: r for r in reminders.due_items(user, on)}


def _mail_to(user: User) -> list[OutboxEmail]:
    return list(
        db.session.scalars(
            sa.select(OutboxEmail).where(OutboxEmail.to == user.email).order_by(OutboxEmail.id)
        )
    )


@pytest.fixture
def closing(world: World) -> World:
    """The self-assessment window closes in 10 days."""
    world.cycle.self_assessment_closes = TODAY + timedelta(days=10)
    db.session.commit()
    return world


def _only_this_visit_soon(world: World) -> None:
    """The world's other visits are dated today (the date rules need it): move them beyond the
    reminders' 30 days so a test sees only the visit it is about."""
    for visit in db.session.scalars(sa.select(Visit).where(Visit.id != world.visit.id)):
        visit.date = TODAY + timedelta(days=60)
    db.session.commit()


def test_lead_is_told_14_and_3_days_before_the_window_closes_never_twice(
    closing: World,
) -> None:
    world = closing
    lead = world.users["lead"]
    item = _kinds(lead)["self_assessment"]
    unrated = len(standards_of(world.edition)) - 1  # the world rated one standard
    assert f"{unrated} krav er ikke vurdert" in item.title
    reminders.send_reminders(TODAY)
    first = _mail_to(lead)
    assert len(first) == 1 and f"{unrated} krav er ikke vurdert" in first[0].body
    keys = set(
        db.session.scalars(sa.select(SentReminder.key).where(SentReminder.user_id == lead.id))
    )
    assert keys == {f"self_assessment:{world.assessment.id}:14d"}
    # The next days inside the same threshold: nothing new, no e-mail.
    for days in (1, 2, 6):
        reminders.send_reminders(TODAY + timedelta(days=days))
    assert len(_mail_to(lead)) == 1
    # Three days before: told again, once.
    reminders.send_reminders(TODAY + timedelta(days=7))
    reminders.send_reminders(TODAY + timedelta(days=8))
    mails = _mail_to(lead)
    assert len(mails) == 2
    assert f"self_assessment:{world.assessment.id}:3d" in set(
        db.session.scalars(sa.select(SentReminder.key).where(SentReminder.user_id == lead.id))
    )


def test_coordinator_is_told_of_units_not_started_or_not_submitted(closing: World) -> None:
    world = closing
    _only_this_visit_soon(world)
    world.visit.date = TODAY + timedelta(days=60)
    coordinator = world.users["coordinator"]
    item = _kinds(coordinator)["units_not_submitted"]
    # Two units, both with an assessment in progress or not started, none submitted.
    assert item.due == world.cycle.self_assessment_closes
    assert "Egenvurdering:" in item.title
    world.cycle.self_assessment_closes = TODAY + timedelta(days=20)
    db.session.commit()
    assert "units_not_submitted" not in _kinds(coordinator)  # not yet within 14 days
    reminders.send_reminders(TODAY)
    assert _mail_to(coordinator) == []


def test_reviewer_is_told_of_a_visit_within_seven_days(world: World) -> None:
    reviewer = world.users["reviewer"]
    world.visit.date = TODAY + timedelta(days=9)
    db.session.commit()
    assert "visit_soon" not in _kinds(reviewer)
    world.visit.date = TODAY + timedelta(days=6)
    db.session.commit()
    item = _kinds(reviewer)["visit_soon"]
    assert item.due == TODAY + timedelta(days=6) and item.where == world.unit.name
    assert item.target == ("visits.overview", (("visit_id", world.visit.id),))
    # A unit member is not on the team: no visit reminder.
    assert "visit_soon" not in _kinds(world.users["member"])


def test_coordinator_is_told_of_a_visit_without_a_complete_team(world: World) -> None:
    coordinator = world.users["coordinator"]
    _only_this_visit_soon(world)
    world.visit.date = TODAY + timedelta(days=20)
    db.session.commit()
    # Only a lead reviewer: incomplete.
    item = _kinds(coordinator)["team_incomplete"]
    assert item.target == ("visits.team", (("visit_id", world.visit.id),))
    peer = create_user("peer@example.test", "Peer")
    db.session.add(TeamMember(visit_id=world.visit.id, user_id=peer.id, role="peer_reviewer"))
    db.session.commit()
    assert "team_incomplete" not in _kinds(coordinator)
    # Two members but no lead reviewer: incomplete again.
    lead_row = db.session.scalar(
        sa.select(TeamMember).where(
            TeamMember.visit_id == world.visit.id, TeamMember.role == "lead_reviewer"
        )
    )
    assert lead_row is not None
    lead_row.role = "expert_by_experience"
    db.session.commit()
    assert "team_incomplete" in _kinds(coordinator)


def test_coordinator_is_told_of_reports_past_four_and_eight_weeks(world: World) -> None:
    coordinator = world.users["coordinator"]
    world.visit.state = "completed"
    world.visit.date = TODAY - timedelta(weeks=4, days=2)
    db.session.commit()
    kinds = _kinds(coordinator)
    assert kinds["report_share_late"].overdue(TODAY)
    assert "report_final_late" not in kinds
    world.report.state = "shared_with_unit"
    db.session.commit()
    assert "report_share_late" not in _kinds(coordinator)
    world.visit.date = TODAY - timedelta(weeks=8, days=1)
    db.session.commit()
    assert _kinds(coordinator)["report_final_late"].overdue(TODAY)
    world.report.state = "final"
    db.session.commit()
    kinds = _kinds(coordinator)
    assert "report_final_late" not in kinds and "report_share_late" not in kinds
    # Told once, then never again for the same report and threshold.
    world.report.state = "shared_with_unit"
    db.session.commit()
    reminders.send_reminders(TODAY)
    reminders.send_reminders(TODAY + timedelta(days=1))
    assert len(_mail_to(coordinator)) == 1


def test_in_app_only_gets_no_email_but_sees_the_reminders_page(app: Flask, closing: World) -> None:
    world = closing
    lead = world.users["lead"]
    client = login(app.test_client(), lead)
    response = client.post("/profile/reminders", data={"channel": "app"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, lead.id).reminder_channel == "app"  # type: ignore[union-attr]
    result = reminders.send_reminders(TODAY)
    assert result.in_app_only >= 1 and _mail_to(lead) == []
    assert "krav er ikke vurdert" in client.get("/actions/reminders").get_data(as_text=True)
    # A bad choice changes nothing and says why.
    response = client.post("/profile/reminders", data={"channel": "pigeon"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, lead.id).reminder_channel == "app"  # type: ignore[union-attr]
    assert "Velg hvordan du får påminnelser." in client.get("/profile").get_data(as_text=True)


def test_links_come_from_the_base_url(
    app: Flask, closing: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "KVIP_BASE_URL", "https://kvip.example.no")
    reminders.send_reminders(TODAY)
    bodies = [m.body for m in db.session.scalars(sa.select(OutboxEmail))]
    assert bodies
    for body in bodies:
        links = [w for w in body.split() if "://" in w]
        assert links and all(link.startswith("https://kvip.example.no/") for link in links)

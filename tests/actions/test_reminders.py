"""Reminders: what is due for each role, the daily e-mail digest, the outbox and the CLI."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.actions import reminders, services
from kvip.actions.models import OutboxEmail
from kvip.core import mail
from kvip.core.db import utcnow
from kvip.extensions import db
from tests.actions.helpers import Previous
from tests.conftest import login
from tests.factories import World

TODAY = date.today()


def _kinds(world: World, role: str) -> dict[str, reminders.Reminder]:
    return {r.kind: r for r in reminders.due_items(world.users[role], TODAY)}


@pytest.fixture
def busy(world: World, prev: Previous) -> Previous:
    """Something of every kind due: window closing, comments due, plan due, deadline, visit."""
    world.cycle.self_assessment_closes = TODAY + timedelta(days=5)
    world.report.state = "shared_with_unit"
    world.report.shared_at = utcnow() - timedelta(days=10)
    prev.report.finalised_at = datetime.combine(TODAY - timedelta(days=35), datetime.min.time())
    world.visit.date = TODAY + timedelta(days=3)
    db.session.commit()
    return prev


def test_unit_members_see_their_units_deadlines(world: World, busy: Previous) -> None:
    kinds = _kinds(world, "member")
    assert set(kinds) == {"self_assessment", "report_comments", "plan_due"}
    assert kinds["self_assessment"].due == TODAY + timedelta(days=5)
    assert kinds["report_comments"].due == TODAY + timedelta(days=4)
    assert kinds["plan_due"].due == TODAY + timedelta(days=7)
    # Once the plan has an action, the plan reminder goes; the action's deadline comes.
    action = services.create_action(
        world.users["lead"],
        busy.assessment,
        {
            "title": "Frist snart",
            "responsible": "R",
            "deadline": (TODAY + timedelta(days=2)).isoformat(),
        },
    )
    kinds = _kinds(world, "member")
    assert "plan_due" not in kinds and kinds["action_deadline"].title == "Frist snart"
    action.deadline = TODAY - timedelta(days=3)
    db.session.commit()
    assert _kinds(world, "lead")["action_deadline"].overdue(TODAY)
    # The other unit's lead sees only their own unit's window.
    outsider = reminders.due_items(world.users["outsider"], TODAY)
    assert [(r.kind, r.where) for r in outsider] == [("self_assessment", "Enhet Beta")]


def test_reviewer_is_reminded_to_verify_and_coordinator_of_late_plans(
    world: World, busy: Previous
) -> None:
    action = services.create_action(
        world.users["lead"],
        busy.assessment,
        {"title": "A", "responsible": "R", "deadline": (TODAY + timedelta(days=40)).isoformat()},
    )
    services.change_status(world.users["lead"], action, "in_progress")
    services.change_status(world.users["lead"], action, "done")
    kinds = _kinds(world, "reviewer")
    # The visit in 3 days is reminded too (kvip.actions.reminders_roles).
    assert set(kinds) == {"verify_actions", "visit_soon"}
    assert kinds["verify_actions"].due == world.visit.date == kinds["visit_soon"].due
    assert "1" in kinds["verify_actions"].title
    # Coordinator: another unit's plan is past due with no action.
    busy.report.finalised_at = datetime.combine(TODAY - timedelta(days=60), datetime.min.time())
    db.session.delete(action)
    db.session.commit()
    kinds = _kinds(world, "coordinator")
    assert kinds["plans_overdue"].overdue(TODAY) and "1" in kinds["plans_overdue"].title


def test_digest_goes_to_the_outbox_once_a_day(app: Flask, world: World, busy: Previous) -> None:
    result = reminders.send_reminders(TODAY, base_url="https://kvip.example")
    # member, lead, the other unit's lead, the reviewer (visit in 3 days) and the coordinator
    # (units not submitted 5 days before the self-assessment closes)
    assert result.queued == 5 and result.sent == 0
    again = reminders.send_reminders(TODAY, base_url="https://kvip.example")
    assert again.queued == 0 and again.skipped == 5
    message = db.session.scalar(
        sa.select(OutboxEmail).where(OutboxEmail.to == world.users["member"].email)
    )
    assert message is not None and message.status == "held"
    assert message.subject.startswith("KvIP: 3 frister")
    assert "https://kvip.example/actions/assessments/" in message.body
    # The admin reads it; nobody else may.
    admin = login(app.test_client(), world.users["admin"])
    assert world.users["member"].email in admin.get("/actions/outbox").get_data(as_text=True)
    assert "Egenvurderingen stenger: " in admin.get(f"/actions/outbox/{message.id}").get_data(
        as_text=True
    )
    assert login(app.test_client(), world.users["member"]).get("/actions/outbox").status_code == 403


def test_digest_through_smtp(app: Flask, world: World, busy: Previous, monkeypatch: Any) -> None:
    sent: list[Any] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: int) -> None:
            assert host == "smtp.example" and port == 2525

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def send_message(self, message: Any) -> None:
            sent.append(message)

    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "KVIP_SMTP_HOST", "smtp.example")
    monkeypatch.setitem(app.config, "KVIP_SMTP_PORT", "2525")
    world.users["lead"].locale = "en"
    db.session.commit()
    result = reminders.send_reminders(TODAY)
    assert result.sent == 5 and len(sent) == 5
    english = next(m for m in sent if m["To"] == world.users["lead"].email)
    assert english["Subject"] == "KvIP: 3 things due soon or overdue"
    statuses = db.session.scalars(sa.select(OutboxEmail.status)).all()
    assert statuses == ["sent"] * 5


def test_cli_send_and_list(app: Flask, world: World, busy: Previous) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "send", "--date", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "5 new digests held in the outbox" in result.output
    result = runner.invoke(args=["reminders", "list", world.users["member"].email])
    assert result.exit_code == 0 and "self_assessment" in result.output
    result = runner.invoke(args=["reminders", "send", "--date", "yesterday"])
    assert result.exit_code != 0

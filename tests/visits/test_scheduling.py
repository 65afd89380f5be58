"""Scheduling visits: the unit proposes dates, the coordinator picks (or answers with others),
the team and the unit get the calendar invitation; the coordinator's calendar of the cycle."""

from __future__ import annotations

from datetime import date, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import icalendar
import pytest
import sqlalchemy as sa

from kvip.core import mail
from kvip.core.models import OutboxEmail
from kvip.extensions import db
from kvip.visits.models import Visit, VisitDateProposal
from tests.factories import World
from tests.visits.conftest import add_to_team, create_reviewer


def _planned_visit(world: World) -> Visit:
    """world.visit made planned without a date; its team: the lead reviewer and a peer."""
    visit = world.visit
    visit.state, visit.date = "planned", None
    add_to_team(visit, create_reviewer(world, world.inst_b, name="Petra Peer"), "peer_reviewer")
    db.session.commit()
    return visit


def _window(world: World, days: int) -> str:
    assert world.cycle.visit_window_start is not None
    return (world.cycle.visit_window_start + timedelta(days=days)).isoformat()


def _outbox(to: str | None = None) -> list[OutboxEmail]:
    query = sa.select(OutboxEmail).order_by(OutboxEmail.id)
    if to:
        query = query.where(OutboxEmail.to == to)
    return list(db.session.scalars(query))


def _calendar(content: bytes) -> Any:
    """The one VEVENT of an .ics file, parsed by the icalendar library (it must validate)."""
    cal = icalendar.Calendar.from_ical(content)
    assert cal["VERSION"] == "2.0"
    assert cal.get("PRODID")
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def _propose(client: Any, visit: Visit, *dates: str, note: str = "") -> Any:
    data = {f"date_{i}": d for i, d in enumerate(dates, start=1)}
    data["note"] = note
    return client.post(f"/visits/{visit.id}/schedule/propose", data=data)


def test_unit_proposes_coordinator_picks_team_told_with_invitation(
    world: World, login_as: Any
) -> None:
    visit = _planned_visit(world)
    lead = login_as("lead")
    page = lead.get(f"/visits/{visit.id}/schedule")
    assert page.status_code == 200
    assert b"date_1" in page.data

    r = _propose(
        lead, visit, _window(world, 5), _window(world, 9), _window(world, 12), note="Ikke mandager"
    )
    assert r.status_code == 302
    proposal = db.session.scalar(sa.select(VisitDateProposal))
    assert proposal is not None and proposal.side == "unit" and len(proposal.dates) == 3
    # The coordinator is told that dates wait for an answer.
    told = _outbox("coord@example.test")
    assert told and "Ikke mandager" in told[-1].body
    assert f"/visits/{visit.id}/schedule" in told[-1].body

    # The unit lead cannot answer their own proposal.
    r = lead.post(
        f"/visits/{visit.id}/schedule/pick",
        data={"proposal_id": proposal.id, "date": _window(world, 9)},
    )
    assert r.status_code == 403

    coord = login_as("coordinator")
    # The coordinator's list of the cycle's visits says dates wait to be picked.
    listing = coord.get(f"/visits/networks/{world.network.id}").get_data(as_text=True)
    assert "Datoer foreslått: velg én" in listing
    page = coord.get(f"/visits/{visit.id}/schedule")
    assert b"Ikke mandager" in page.data
    r = coord.post(
        f"/visits/{visit.id}/schedule/pick",
        data={"proposal_id": proposal.id, "date": _window(world, 9)},
    )
    assert r.status_code == 302
    db.session.expire_all()
    visit = db.session.get(Visit, visit.id)
    assert visit.date == date.fromisoformat(_window(world, 9))
    assert visit.state == "scheduled"  # planned → scheduled: it has a date and a lead reviewer
    proposal = db.session.get(VisitDateProposal, proposal.id)
    assert proposal.state == "accepted" and proposal.chosen_date == visit.date

    # Every team member and the unit lead got a message with the invitation attached.
    for address in ("reviewer@example.test", "lead@example.test"):
        messages = [m for m in _outbox(address) if m.attachments]
        assert messages, address
        attachment = messages[-1].attachments[0]
        assert attachment.filename.endswith(".ics")
        assert attachment.content_type.startswith("text/calendar")
        event = _calendar(attachment.content)
        assert event.decoded("DTSTART") == visit.date
        assert int(event["SEQUENCE"]) == 0
    peer = [m for m in _outbox() if "Petra" in m.body and m.attachments]
    assert peer


def test_invitation_uid_stable_sequence_rises_when_the_date_changes(
    world: World, login_as: Any
) -> None:
    visit = world.visit
    coord = login_as("coordinator")
    first = coord.get(f"/visits/{visit.id}/invitation.ics")
    assert first.status_code == 200
    assert first.mimetype == "text/calendar"
    event = _calendar(first.data)
    uid = str(event["UID"])
    assert event.decoded("DTSTART") == visit.date
    assert int(event["SEQUENCE"]) == 0

    new_date = visit.date + timedelta(days=3)
    r = coord.post(f"/visits/{visit.id}/date", data={"date": new_date.isoformat()})
    assert r.status_code == 302
    second = _calendar(coord.get(f"/visits/{visit.id}/invitation.ics").data)
    assert str(second["UID"]) == uid
    assert int(second["SEQUENCE"]) == 1
    assert second.decoded("DTSTART") == new_date
    # The team was sent the updated invitation by e-mail.
    sent = [m for m in _outbox("reviewer@example.test") if m.attachments]
    assert sent
    mailed = _calendar(sent[-1].attachments[0].content)
    assert str(mailed["UID"]) == uid and int(mailed["SEQUENCE"]) == 1

    # Saving the same date again changes nothing.
    coord.post(f"/visits/{visit.id}/date", data={"date": new_date.isoformat()})
    third = _calendar(coord.get(f"/visits/{visit.id}/invitation.ics").data)
    assert int(third["SEQUENCE"]) == 1


def test_unit_staff_download_the_invitation_outsiders_do_not(world: World, login_as: Any) -> None:
    for role, status in (
        ("lead", 200),
        ("member", 200),
        ("reviewer", 200),
        ("admin", 200),
        ("outsider", 403),
    ):
        assert login_as(role).get(f"/visits/{world.visit.id}/invitation.ics").status_code == status
    assert login_as("anon").get(f"/visits/{world.visit.id}/invitation.ics").status_code == 302


def test_coordinator_answers_with_other_dates_the_unit_picks(world: World, login_as: Any) -> None:
    visit = _planned_visit(world)
    lead, coord = login_as("lead"), login_as("coordinator")
    _propose(lead, visit, _window(world, 1))
    r = _propose(coord, visit, _window(world, 20), _window(world, 21), note="Teamet kan ikke da")
    assert r.status_code == 302
    rows = list(db.session.scalars(sa.select(VisitDateProposal).order_by(VisitDateProposal.id)))
    assert [p.state for p in rows] == ["superseded", "open"]
    assert rows[1].side == "network"
    assert any("Teamet kan ikke da" in m.body for m in _outbox("lead@example.test"))
    # Now the coordinator cannot pick their own; the unit lead can.
    assert (
        coord.post(
            f"/visits/{visit.id}/schedule/pick",
            data={"proposal_id": rows[1].id, "date": _window(world, 20)},
        ).status_code
        == 403
    )
    r = lead.post(
        f"/visits/{visit.id}/schedule/pick",
        data={"proposal_id": rows[1].id, "date": _window(world, 21)},
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).date == date.fromisoformat(_window(world, 21))


@pytest.mark.parametrize(
    ("dates", "field"),
    [
        ((), "date_1"),
        (("not-a-date",), "date_1"),
        (("OUTSIDE",), "date_1"),
        (("D5", "D5"), "date_1"),
    ],
)
def test_bad_proposals_are_refused_and_change_nothing(
    world: World, login_as: Any, dates: tuple[str, ...], field: str
) -> None:
    visit = _planned_visit(world)
    assert world.cycle.visit_window_end is not None
    values = {
        "OUTSIDE": (world.cycle.visit_window_end + timedelta(days=1)).isoformat(),
        "D5": _window(world, 5),
    }
    lead = login_as("lead")
    r = _propose(lead, visit, *[values.get(d, d) for d in dates])
    assert r.status_code == 422
    assert b'aria-invalid="true"' in r.data
    assert db.session.scalar(sa.select(sa.func.count(VisitDateProposal.id))) == 0
    assert _outbox() == []


def test_a_picked_date_must_be_one_of_the_proposal(world: World, login_as: Any) -> None:
    visit = _planned_visit(world)
    _propose(login_as("lead"), visit, _window(world, 5))
    proposal = db.session.scalar(sa.select(VisitDateProposal))
    coord = login_as("coordinator")
    coord.post(
        f"/visits/{visit.id}/schedule/pick",
        data={"proposal_id": proposal.id, "date": _window(world, 6)},
    )
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).date is None
    assert db.session.get(VisitDateProposal, proposal.id).state == "open"


def test_members_and_outsiders_cannot_propose(world: World, login_as: Any) -> None:
    visit = _planned_visit(world)
    assert _propose(login_as("member"), visit, _window(world, 5)).status_code == 403
    assert _propose(login_as("outsider"), visit, _window(world, 5)).status_code == 403
    assert _propose(login_as("reviewer"), visit, _window(world, 5)).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(VisitDateProposal.id))) == 0


def test_new_team_member_gets_the_invitation(world: World, login_as: Any) -> None:
    newcomer = create_reviewer(world, world.inst_c, name="Nina Ny")
    db.session.commit()
    r = login_as("coordinator").post(
        f"/visits/{world.visit.id}/team", data={"user_id": newcomer.id, "role": "peer_reviewer"}
    )
    assert r.status_code == 302
    messages = _outbox(newcomer.email)
    assert messages and messages[-1].attachments
    assert _calendar(messages[-1].attachments[0].content).decoded("DTSTART") == world.visit.date


def test_calendar_shows_the_cycle_visits(world: World, login_as: Any) -> None:
    coord = login_as("coordinator")
    month = world.visit.date.strftime("%Y-%m")
    page = coord.get(f"/visits/networks/{world.network.id}/calendar?month={month}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Enhet Alfa" in html
    assert f'datetime="{world.visit.date.isoformat()}"' in html
    assert f"/visits/{world.visit.id}" in html
    # A month without visits shows none of them.
    empty = coord.get(f"/visits/networks/{world.network.id}/calendar?month=1999-01")
    assert "Enhet Alfa" not in empty.get_data(as_text=True).split("Visits without a date")[0]
    # Bad month text falls back to a sensible month, never an error.
    assert coord.get(f"/visits/networks/{world.network.id}/calendar?month=xx").status_code == 200
    assert login_as("lead").get(f"/visits/networks/{world.network.id}/calendar").status_code == 403


def test_mail_carries_the_attachment(world: World, app: Any, monkeypatch: Any) -> None:
    """The outbox message's attachment goes out with the SMTP message."""
    sent: list[EmailMessage] = []

    class FakeSMTP:
        def __init__(self, *a: Any, **kw: Any) -> None:
            pass

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *a: Any) -> None:
            return None

        def send_message(self, message: EmailMessage) -> None:
            sent.append(message)

    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    app.config["KVIP_SMTP_HOST"] = "smtp.invalid"
    try:
        from kvip.visits import invitations

        messages = invitations.date_messages(world.visit, world.users["coordinator"])
        db.session.add_all(messages)
        db.session.commit()
        invitations.deliver(messages)
    finally:
        app.config["KVIP_SMTP_HOST"] = ""
    assert sent
    parsed = message_from_bytes(sent[0].as_bytes(), policy=default_policy)
    parts = [p for p in parsed.iter_attachments()]
    assert parts and parts[0].get_content_type() == "text/calendar"
    assert parts[0].get_filename().endswith(".ics")
    assert _calendar(parts[0].get_payload(decode=True)).decoded("DTSTART") == world.visit.date


def test_the_unit_finds_the_visit_date_from_its_home_page(world: World, login_as: Any) -> None:
    html = login_as("lead").get("/").get_data(as_text=True)
    assert f"/visits/{world.visit.id}/schedule" in html
    # Not for another unit's lead.
    assert f"/visits/{world.visit.id}/schedule" not in login_as("outsider").get("/").get_data(
        as_text=True
    )


def test_ics_text_is_escaped_and_folded(world: World, app: Any) -> None:
    """Commas, semicolons, backslashes, line breaks and long Norwegian text survive a round trip."""
    from kvip.visits import ics

    summary = "Fagfellebesøk; Enhet Alfa, Institusjon A \\ " + "æøå " * 40
    description = "Linje én\nLinje to, med komma; og semikolon"
    with app.test_request_context("/"):
        content = ics.invitation(world.visit, summary=summary, description=description)
    assert all(len(line) <= 75 for line in content.split(b"\r\n"))
    event = _calendar(content)
    assert str(event["SUMMARY"]) == summary
    assert str(event["DESCRIPTION"]) == description

"""Reopening a completed visit: coordinators only, with a reason that is audited; the team can
record again and complete again; a report the unit has seen keeps its content."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.core.errors import PermissionDenied, ServiceError
from kvip.core.models import AuditEvent
from kvip.extensions import db
from kvip.visits import reports, services
from kvip.visits.models import Finding, Report
from tests.conftest import login
from tests.factories import World, standards_of
from tests.visits.conftest import add_to_team, create_reviewer, put_finding
from tests.visits.test_reports import _complete

REASON = "Teamet vurderte 1.2 feil; rettes etter samtale med enheten."


def _finding(world: World, code: str) -> Finding:
    std = next(s for s in standards_of(world.edition) if s.code == code)
    finding = db.session.scalar(
        sa.select(Finding).where(Finding.visit_id == world.visit.id, Finding.standard_id == std.id)
    )
    assert finding is not None
    db.session.refresh(finding)
    return finding


def _reopen_events(world: World) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity == "visit",
                AuditEvent.entity_id == world.visit.id,
                AuditEvent.action == "reopen",
            )
        )
    )


def test_only_a_coordinator_reopens_and_only_with_a_reason(app: Flask, world: World) -> None:
    _complete(app, world)
    for role in ("reviewer", "admin", "lead", "member", "outsider"):
        with pytest.raises(PermissionDenied):
            services.reopen_visit(world.users[role], world.visit, REASON)
    coordinator = world.users["coordinator"]
    for reason in ("", "   \n ", None, "x" * (services.REOPEN_REASON_MAX + 1)):
        with pytest.raises(ServiceError) as exc:
            services.reopen_visit(coordinator, world.visit, reason)
        assert "reason" in exc.value.fields
    db.session.refresh(world.visit)
    assert world.visit.state == "completed" and _reopen_events(world) == []

    services.reopen_visit(coordinator, world.visit, f"  {REASON}  ")
    db.session.refresh(world.visit)
    assert world.visit.state == "in_progress"
    [event] = _reopen_events(world)
    assert (event.user_id, event.field, event.old, event.new, event.note) == (
        coordinator.id,
        "state",
        "completed",
        "in_progress",
        REASON,
    )
    with pytest.raises(ServiceError):  # only a completed visit can be reopened
        services.reopen_visit(coordinator, world.visit, REASON)


def test_the_team_records_again_and_completes_again_with_a_fresh_draft(
    app: Flask, world: World
) -> None:
    report = _complete(app, world)
    peer_user = create_reviewer(world, world.inst_c)
    add_to_team(world.visit, peer_user)
    db.session.commit()
    peer = login(app.test_client(), peer_user)
    before = _finding(world, "1.2")
    refused = put_finding(peer, world.visit, "1.2", value=before.value, version=before.version)
    assert refused.status_code != 200  # completed: only the lead corrects facts

    services.reopen_visit(world.users["coordinator"], world.visit, REASON)
    changed = put_finding(
        peer,
        world.visit,
        "1.2",
        value=before.value,
        comment="Rutinen finnes, men er ikke kjent",
        version=before.version,
    )
    assert changed.status_code == 200, changed.get_json()
    with pytest.raises(ServiceError):  # the draft waits until the visit is completed again
        reports.refresh_report(world.users["reviewer"], report)

    services.complete_visit(world.users["reviewer"], world.visit)
    db.session.refresh(report)
    assert world.visit.state == "completed" and report.state == "draft"
    rows = {s["code"]: s for s in reports.content_of(report)["standards"]}
    assert rows["1.2"]["peer_comment"] == "Rutinen finnes, men er ikke kjent"
    assert reports.revision_note(report) is None


def test_a_report_the_unit_has_seen_stays_as_it_was(app: Flask, world: World) -> None:
    report = _complete(app, world)
    lead = world.users["reviewer"]
    reports.share_report(lead, report)
    shared = report.content
    services.reopen_visit(world.users["coordinator"], world.visit, REASON)
    db.session.refresh(report)
    assert report.content == shared and report.state == "shared_with_unit"
    member = login(app.test_client(), world.users["member"])
    page = member.get(f"/visits/{world.visit.id}/report").get_data(as_text=True)
    assert "Besøket er åpnet igjen" in page
    for step in (reports.finalise_report, reports.refresh_report):
        with pytest.raises(ServiceError):
            step(lead, report)

    finding = _finding(world, "1.2")
    new_value = "met" if finding.value != "met" else "not_met"
    lead_client = login(app.test_client(), lead)
    assert (
        put_finding(lead_client, world.visit, "1.2", value=new_value, version=finding.version)
    ).status_code == 200
    services.complete_visit(lead, world.visit)
    db.session.refresh(report)
    assert report.content == shared and report.state == "shared_with_unit"
    assert "etter at rapporten ble laget" in (reports.revision_note(report) or "")
    # The lead reviewer brings the shared draft up to date on purpose, then finalises it.
    reports.refresh_report(lead, report)
    rows = {s["code"]: s for s in json.loads(report.content)["standards"]}
    assert rows["1.2"]["peer_value"] == new_value
    report.shared_at -= timedelta(days=15)  # the unit's comment period has passed
    reports.finalise_report(lead, report)
    final = report.content

    services.reopen_visit(world.users["coordinator"], world.visit, "Ny feil funnet")
    finding = _finding(world, "1.3")
    other = "met" if finding.value != "met" else "partly_met"
    assert (
        put_finding(lead_client, world.visit, "1.3", value=other, version=finding.version)
    ).status_code == 200
    services.complete_visit(lead, world.visit)
    report = db.session.get(Report, report.id)
    assert report is not None and report.content == final and report.state == "final"
    page = member.get(f"/visits/{world.visit.id}/report").get_data(as_text=True)
    assert "Den endelige rapporten beholdes slik den ble utgitt." in page
    assert len(_reopen_events(world)) == 2


def test_the_overview_offers_reopening_to_the_coordinator_only(app: Flask, world: World) -> None:
    _complete(app, world)
    url = f"/visits/{world.visit.id}"
    for role in ("admin", "reviewer"):
        page = login(app.test_client(), world.users[role]).get(url).get_data(as_text=True)
        assert "Gjenåpne besøket" not in page
    coordinator = login(app.test_client(), world.users["coordinator"])
    assert "Gjenåpne besøket" in coordinator.get(url).get_data(as_text=True)

    response = coordinator.post(url + "/reopen", data={"reason": "  "})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Skriv hvorfor besøket åpnes igjen." in page and 'aria-invalid="true"' in page
    db.session.refresh(world.visit)
    assert world.visit.state == "completed"

    response = coordinator.post(url + "/reopen", data={"reason": REASON})
    assert response.status_code == 302
    db.session.refresh(world.visit)
    assert world.visit.state == "in_progress"
    page = coordinator.get(url).get_data(as_text=True)
    assert "Besøket er åpnet igjen" in page and REASON in page  # the flash and the history

"""Issue 18: a visit starts only on its date (± the network's tolerance) and takes findings from
then; a report is made final only after the unit's comment period or the unit lead's "no
comments"; a coordinator may make an exception with a reason that goes to the audit log."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.core.errors import PermissionDenied, ServiceError
from kvip.core.models import AuditEvent
from kvip.extensions import db
from kvip.network.models import RuleOverride
from kvip.network.overrides import RuleBlocked, grant_override
from kvip.visits import reports, services
from kvip.visits.models import Finding, Visit
from tests.conftest import login
from tests.factories import World, standards_of
from tests.visits.conftest import put_finding

DAY = date(2027, 4, 14)


@pytest.fixture
def on_day(world: World) -> World:
    world.visit.date = DAY
    db.session.commit()
    return world


def _findings(world: World) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count(Finding.id)).where(Finding.visit_id == world.visit.id)
        )
        or 0
    )


@pytest.mark.parametrize(
    ("tolerance", "offset", "allowed"),
    [(0, -1, False), (0, 0, True), (0, 1, False), (2, -2, True), (2, -3, False), (2, 3, False)],
)
def test_a_visit_starts_only_on_its_date(
    on_day: World, set_today: Any, tolerance: int, offset: int, allowed: bool
) -> None:
    on_day.network.visit_date_tolerance_days = tolerance
    db.session.commit()
    set_today(DAY + timedelta(days=offset))
    lead = on_day.users["reviewer"]
    if allowed:
        services.start_visit(lead, on_day.visit)
        assert on_day.visit.state == "in_progress"
        return
    with pytest.raises(RuleBlocked) as caught:
        services.start_visit(lead, on_day.visit)
    assert on_day.visit.state == "scheduled"
    first = DAY - timedelta(days=tolerance)
    last = DAY + timedelta(days=tolerance)
    if offset < 0:
        assert caught.value.message == f"Besøket kan startes fra {first.day}. april 2027."
    else:
        assert caught.value.message.startswith(
            f"Besøket kunne startes til og med {last.day}. april 2027."
        )


def test_the_overview_shows_when_the_visit_can_start(
    app: Flask, on_day: World, set_today: Any
) -> None:
    set_today(DAY - timedelta(days=1))
    lead = login(app.test_client(), on_day.users["reviewer"])
    page = lead.get(f"/visits/{on_day.visit.id}").get_data(as_text=True)
    assert "Besøket kan startes fra 14. april 2027." in page
    assert "date-override" not in page  # only a coordinator is offered the exception
    coordinator = login(app.test_client(), on_day.users["coordinator"])
    assert "date-override" in coordinator.get(f"/visits/{on_day.visit.id}").get_data(as_text=True)


def test_findings_before_the_visit_day_are_refused_and_nothing_is_stored(
    app: Flask, on_day: World, set_today: Any
) -> None:
    """Offline work is never lost: a refused record is a 409 the tablet's outbox keeps."""
    set_today(DAY - timedelta(days=1))
    lead = login(app.test_client(), on_day.users["reviewer"])
    code = standards_of(on_day.edition)[1].code
    before = _findings(on_day)
    response = put_finding(lead, on_day.visit, code)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "rule_blocked"
    assert "Besøket kan startes fra 14. april 2027." in response.json["error"]["message"]
    db.session.refresh(on_day.visit)
    assert on_day.visit.state == "scheduled" and _findings(on_day) == before


@pytest.mark.parametrize("offset", [0, 3])
def test_findings_on_or_after_the_day_start_the_visit(
    app: Flask, on_day: World, set_today: Any, offset: int
) -> None:
    """A tablet offline on the visit day syncs later: its findings are still accepted."""
    set_today(DAY + timedelta(days=offset))
    lead = login(app.test_client(), on_day.users["reviewer"])
    code = standards_of(on_day.edition)[1].code
    assert put_finding(lead, on_day.visit, code).status_code == 200
    db.session.refresh(on_day.visit)
    assert on_day.visit.state == "in_progress"


def test_a_coordinator_lets_the_visit_start_early_with_a_reason(
    app: Flask, on_day: World, set_today: Any
) -> None:
    set_today(DAY - timedelta(days=5))
    coordinator = login(app.test_client(), on_day.users["coordinator"])
    url = f"/visits/{on_day.visit.id}/date-override"
    coordinator.post(url, data={"reason": ""})
    assert db.session.scalar(sa.select(sa.func.count(RuleOverride.id))) == 0
    with pytest.raises(RuleBlocked):
        services.start_visit(on_day.users["reviewer"], on_day.visit)
    with pytest.raises(PermissionDenied):  # the lead reviewer cannot lift the rule
        grant_override(
            on_day.users["reviewer"],
            rule="visit_date",
            entity_id=on_day.visit.id,
            network_id=on_day.network.id,
            reason="Vi er klare",
        )
    reason = "Besøket flyttet fram etter avtale med enheten."
    assert coordinator.post(url, data={"reason": reason}).status_code == 302
    services.start_visit(on_day.users["reviewer"], on_day.visit)
    assert on_day.visit.state == "in_progress"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "override"))
    assert event is not None and event.note == reason and event.entity == "rule_override"


def test_a_visit_is_completed_only_after_it_started(on_day: World, set_today: Any) -> None:
    set_today(DAY)
    with pytest.raises(ServiceError):
        services.complete_visit(on_day.users["reviewer"], on_day.visit)
    assert on_day.visit.state == "scheduled"


# --- the report's comment period ---------------------------------------------------------------


def _shared_report(world: World, shared_on: date) -> Any:
    """Complete the visit and share its report on ``shared_on`` (Oslo noon)."""
    world.visit.state = "completed"
    report = world.report
    report.state = "shared_with_unit"
    report.shared_at = datetime.combine(shared_on, datetime.min.time()) + timedelta(hours=10)
    db.session.commit()
    return report


SHARED = date(2027, 5, 3)


@pytest.mark.parametrize(("days", "allowed"), [(14, False), (15, True)])
def test_the_report_is_final_only_after_the_comment_period(
    world: World, set_today: Any, days: int, allowed: bool
) -> None:
    report = _shared_report(world, SHARED)
    set_today(SHARED + timedelta(days=days))
    lead = world.users["reviewer"]
    if allowed:
        reports.finalise_report(lead, report)
        assert report.state == "final"
        return
    with pytest.raises(RuleBlocked) as caught:
        reports.finalise_report(lead, report)
    assert report.state == "shared_with_unit"
    assert caught.value.message.startswith(
        "Enheten kan kommentere rapporten til og med 17. mai 2027."
    )


def test_the_comment_period_is_a_network_setting(world: World, set_today: Any) -> None:
    world.network.comment_period_days = 3
    report = _shared_report(world, SHARED)
    set_today(SHARED + timedelta(days=3))
    with pytest.raises(RuleBlocked):
        reports.finalise_report(world.users["reviewer"], report)
    set_today(SHARED + timedelta(days=4))
    reports.finalise_report(world.users["reviewer"], report)
    assert report.state == "final"


def test_the_unit_lead_declares_no_comments(app: Flask, world: World, set_today: Any) -> None:
    report = _shared_report(world, SHARED)
    set_today(SHARED + timedelta(days=1))
    url = f"/visits/{world.visit.id}/report"
    member = login(app.test_client(), world.users["member"])
    assert "Enheten har ingen kommentarer" not in member.get(url).get_data(as_text=True)
    member.post(url + "/no-comments")
    db.session.refresh(report)
    assert report.no_comments_at is None  # a unit member cannot declare it
    with pytest.raises(PermissionDenied):
        reports.declare_no_comments(world.users["reviewer"], report)
    unit_lead = login(app.test_client(), world.users["lead"])
    assert "Enheten har ingen kommentarer" in unit_lead.get(url).get_data(as_text=True)
    assert unit_lead.post(url + "/no-comments").status_code == 302
    db.session.refresh(report)
    assert report.no_comments_at is not None
    assert report.no_comments_by_id == world.users["lead"].id
    event = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "report", AuditEvent.action == "no_comments"
        )
    )
    assert event is not None and event.user_id == world.users["lead"].id
    reports.finalise_report(world.users["reviewer"], report)
    assert report.state == "final"


def test_a_coordinator_allows_finalising_early_only_with_a_reason(
    app: Flask, world: World, set_today: Any
) -> None:
    report = _shared_report(world, SHARED)
    set_today(SHARED + timedelta(days=2))
    url = f"/visits/{world.visit.id}/report"
    coordinator = login(app.test_client(), world.users["coordinator"])
    page = coordinator.get(url).get_data(as_text=True)
    assert "period-override" in page
    coordinator.post(url + "/override", data={"reason": "  "})
    with pytest.raises(RuleBlocked):
        reports.finalise_report(world.users["reviewer"], report)
    reason = "Enheten har bekreftet muntlig at faktaene stemmer."
    assert coordinator.post(url + "/override", data={"reason": reason}).status_code == 302
    lead = login(app.test_client(), world.users["reviewer"])
    assert lead.post(url + "/finalise").status_code == 302
    db.session.refresh(report)
    assert report.state == "final"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "override"))
    assert event is not None and event.note == reason


def test_the_demo_keeps_the_rules_and_still_shows_what_it_shows(app: Flask, demo: None) -> None:
    """The demo's open cycle takes ratings today; its reviewer can try visit mode on the visit
    weeks ahead thanks to a coordinator's recorded exception."""
    from kvip.cycles import services as cycle_services
    from kvip.cycles.models import Assessment, Cycle

    current = db.session.scalar(sa.select(Cycle).where(Cycle.state == "open"))
    assert current is not None
    for assessment in db.session.scalars(
        sa.select(Assessment).where(Assessment.cycle_id == current.id)
    ):
        assert cycle_services.window_problem(assessment) is None
    visit = db.session.scalar(
        sa.select(Visit).where(Visit.state == "scheduled").order_by(Visit.id.desc())
    )
    assert visit is not None and visit.date is not None and visit.date > date.today()
    override = db.session.scalar(
        sa.select(RuleOverride).where(
            RuleOverride.rule == "visit_date", RuleOverride.entity_id == visit.id
        )
    )
    assert override is not None and override.reason
    lead = next(m.user for m in visit.team if m.role == "lead_reviewer")
    client = login(app.test_client(), lead)
    code = standards_of(visit.assessment.cycle.edition)[0].code
    assert put_finding(client, visit, code).status_code == 200


def test_the_network_sets_the_tolerance_and_the_comment_period(app: Flask, world: World) -> None:
    coordinator = login(app.test_client(), world.users["coordinator"])
    url = f"/networks/{world.network.id}/settings"
    base = {"name": "Nettverket", "benchmark_visibility": "pseudonymised", "min_group_size": "3"}
    page = coordinator.get(url).get_data(as_text=True)
    assert "Dager et besøk kan startes før eller etter datoen" in page
    bad = coordinator.post(
        url,
        data={**base, "visit_date_tolerance_days": "31", "comment_period_days": "14"},
    )
    assert bad.status_code == 422 and "Velg et tall fra 0 til 30." in bad.get_data(as_text=True)
    db.session.refresh(world.network)
    assert world.network.visit_date_tolerance_days == 0
    good = coordinator.post(
        url,
        data={
            **base,
            "visit_date_tolerance_days": "2",
            "comment_period_days": "21",
            "version": str(world.network.version),
        },
    )
    assert good.status_code == 302
    db.session.refresh(world.network)
    assert (world.network.visit_date_tolerance_days, world.network.comment_period_days) == (2, 21)
    event = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "network", AuditEvent.field == "comment_period_days"
        )
    )
    assert event is not None and event.new == "21"

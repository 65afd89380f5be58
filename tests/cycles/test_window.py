"""Issue 18: rating and submitting only inside the cycle's self-assessment window (opens..closes,
inclusive, Oslo dates) — in the services, so the page, the Excel upload and the API all obey; a
coordinator may make an exception for one unit, with a reason that goes to the audit log."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale

from kvip.core.errors import PermissionDenied, ServiceError
from kvip.core.models import AuditEvent
from kvip.cycles import services
from kvip.cycles.models import Rating
from kvip.extensions import db
from kvip.network.models import RuleOverride
from kvip.network.overrides import RuleBlocked, grant_override
from tests.conftest import login
from tests.factories import World, standards_of

OPENS = date(2027, 3, 1)
CLOSES = date(2027, 4, 30)


@pytest.fixture
def window(world: World) -> World:
    world.cycle.self_assessment_opens = OPENS
    world.cycle.self_assessment_closes = CLOSES
    db.session.commit()
    return world


def _put(app: Flask, world: World, code: str, value: str = "partly_met") -> Any:
    client = login(app.test_client(), world.users["lead"])
    rating = db.session.scalar(
        sa.select(Rating)
        .join(Rating.standard)
        .where(Rating.assessment_id == world.assessment.id, Rating.standard.has(code=code))
    )
    version = rating.version if rating else 0
    return client.put(
        f"/api/v1/assessments/{world.assessment.id}/ratings/{code}",
        json={"value": value, "version": version},
    )


@pytest.mark.parametrize(
    ("today", "allowed"),
    [
        (date(2027, 2, 28), False),
        (OPENS, True),
        (CLOSES, True),
        (date(2027, 5, 1), False),
    ],
)
def test_the_api_saves_ratings_only_inside_the_window(
    app: Flask, window: World, set_today: Any, today: date, allowed: bool
) -> None:
    set_today(today)
    code = standards_of(window.edition)[1].code
    response = _put(app, window, code)
    assert response.status_code == (200 if allowed else 409)
    stored = db.session.scalar(
        sa.select(sa.func.count(Rating.id)).where(Rating.assessment_id == window.assessment.id)
    )
    assert stored == (2 if allowed else 1)  # the factory's one rating, plus this one if allowed
    if not allowed:
        error = response.json["error"]
        assert error["code"] == "rule_blocked"
        # The unit lead reads Norwegian (the default language).
        expected = (
            "Egenvurderingsperioden åpner 1. mars 2027."
            if today < OPENS
            else "Egenvurderingsperioden ble avsluttet 30. april 2027."
        )
        assert error["message"] == expected


def test_messages_in_english(window: World, set_today: Any) -> None:
    for today, text in (
        (date(2027, 2, 1), "The self-assessment window opens 1 March 2027."),
        (date(2027, 6, 1), "The self-assessment window closed on 30 April 2027."),
    ):
        set_today(today)
        with force_locale("en"), pytest.raises(RuleBlocked) as caught:
            services.require_in_window(window.assessment)
        assert caught.value.message == text


def test_submit_confirm_and_excel_import_obey_the_window(window: World, set_today: Any) -> None:
    set_today(date(2027, 5, 1))
    lead = window.users["lead"]
    std = standards_of(window.edition)[1]
    with pytest.raises(RuleBlocked):
        services.submit_assessment(lead, window.assessment)
    with pytest.raises(RuleBlocked):
        services.confirm_domain(lead, window.assessment, "1")
    with pytest.raises(RuleBlocked):
        services.apply_import(
            lead, window.assessment, [{"code": std.code, "version": 0, "value": "met"}]
        )
    assert window.assessment.state == "in_progress"
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Rating.id)).where(Rating.assessment_id == window.assessment.id)
        )
        == 1
    )


def test_the_page_shows_the_window_and_locks_editing_outside_it(
    app: Flask, window: World, set_today: Any
) -> None:
    lead = login(app.test_client(), window.users["lead"])
    url = f"/cycles/assessments/{window.assessment.id}"
    set_today(date(2027, 2, 28))
    page = lead.get(url).get_data(as_text=True)
    assert "Egenvurderingsperioden åpner 1. mars 2027." in page
    assert "Egenvurderingsperiode: 1. mars 2027 – 30. april 2027" in page
    assert "Last opp Excel" not in page and '"editable": false' in page
    set_today(OPENS)
    page = lead.get(url).get_data(as_text=True)
    assert "Egenvurderingsperioden åpner" not in page and '"editable": true' in page


def test_a_coordinator_makes_an_exception_only_with_a_reason(
    app: Flask, window: World, set_today: Any
) -> None:
    set_today(date(2027, 5, 3))
    coordinator = login(app.test_client(), window.users["coordinator"])
    url = f"/cycles/assessments/{window.assessment.id}"
    page = coordinator.get(url).get_data(as_text=True)
    assert "window-override" in page  # the form is offered where the rule blocks
    coordinator.post(url + "/window-override", data={"reason": "   "})
    assert db.session.scalar(sa.select(sa.func.count(RuleOverride.id))) == 0
    code = standards_of(window.edition)[1].code
    assert _put(app, window, code).status_code == 409
    # Only a coordinator of the network makes exceptions.
    with pytest.raises(PermissionDenied):
        grant_override(
            window.users["lead"],
            rule="assessment_window",
            entity_id=window.assessment.id,
            network_id=window.network.id,
            reason="Vi vil",
        )
    reason = "Enheten hadde tilsyn i april; avtalt en uke ekstra."
    response = coordinator.post(url + "/window-override", data={"reason": reason})
    assert response.status_code == 302
    assert _put(app, window, code).status_code == 200
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "override"))
    assert event is not None and event.note == reason
    assert event.user_id == window.users["coordinator"].id
    page = login(app.test_client(), window.users["lead"]).get(url).get_data(as_text=True)
    assert reason in page and '"editable": true' in page


def test_an_empty_reason_is_refused_by_the_service(window: World) -> None:
    with pytest.raises(ServiceError) as caught:
        grant_override(
            window.users["coordinator"],
            rule="assessment_window",
            entity_id=window.assessment.id,
            network_id=window.network.id,
            reason="",
        )
    assert "reason" in caught.value.fields

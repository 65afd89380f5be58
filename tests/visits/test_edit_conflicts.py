"""Two people (or one lead on two devices) change the same report comment answer, report,
observation or finding from the same version: the first change stays, the second gets a conflict
with what they typed kept and the current state beside it (issue 12, item 12)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.accounts.models import User
from kvip.core.db import utcnow
from kvip.core.errors import Conflict
from kvip.core.models import AuditEvent
from kvip.extensions import db
from kvip.visits import reports, sync
from kvip.visits.models import Finding, Observation, Report, ReportComment, Visit
from tests.concurrency import form_block, hidden_version, second_person, textarea_value
from tests.conftest import login
from tests.factories import World, standards_of
from tests.visits.conftest import op, put_finding


def _shared_report_with_a_comment(world: World) -> ReportComment:
    world.visit.state = "completed"
    world.visit.completed_at = utcnow()
    world.report.state = "shared_with_unit"
    world.report.shared_at = utcnow()
    comment = ReportComment(
        report_id=world.report.id,
        section="general",
        text="Vi har rutinen, den ligger i kvalitetssystemet",
        author_id=world.users["member"].id,
    )
    db.session.add(comment)
    db.session.commit()
    return comment


def test_the_lead_answering_one_comment_on_two_devices_keeps_the_second_text(
    app: Flask, world: World
) -> None:
    comment = _shared_report_with_a_comment(world)
    page_url = f"/visits/{world.visit.id}/report"
    post_url = f"{page_url}/comments/{comment.id}/respond"
    tablet = login(app.test_client(), world.users["reviewer"])
    laptop = login(app.test_client(), world.users["reviewer"])
    seen_on_tablet = hidden_version(
        form_block(tablet.get(page_url).get_data(as_text=True), post_url)
    )
    seen_on_laptop = hidden_version(
        form_block(laptop.get(page_url).get_data(as_text=True), post_url)
    )
    assert seen_on_tablet == seen_on_laptop == "1"
    first = tablet.post(post_url, data={"response": "Rettet i rapporten.", "version": "1"})
    assert first.status_code == 302
    second = laptop.post(post_url, data={"response": "Vi beholder teksten fordi …", "version": "1"})
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    mine = form_block(page, post_url)
    assert textarea_value(mine, "response") == "Vi beholder teksten fordi …"
    assert hidden_version(mine) == "2"
    assert "Rettet i rapporten." in page and "Sist endret av Reviewer" in page
    db.session.expire_all()
    assert db.session.get(ReportComment, comment.id).response == "Rettet i rapporten."


def test_a_comment_answer_that_loses_the_race_is_refused(app: Flask, world: World) -> None:
    comment = _shared_report_with_a_comment(world)
    with app.test_request_context("/"):
        mine = db.session.get(ReportComment, comment.id)
        assert mine.version == 1
        with second_person(app):
            reports.respond_to_comment(
                db.session.get(User, world.users["reviewer"].id),
                db.session.get(ReportComment, comment.id),
                "Fra nettbrettet",
                version=1,
            )
        with pytest.raises(Conflict):
            reports.respond_to_comment(world.users["reviewer"], mine, "Fra PC-en", version=1)
    db.session.expire_all()
    assert db.session.get(ReportComment, comment.id).response == "Fra nettbrettet"


def test_sharing_one_report_from_two_devices_at_once_shares_it_once(
    app: Flask, world: World
) -> None:
    world.visit.state = "completed"
    world.visit.completed_at = utcnow()
    db.session.commit()
    with app.test_request_context("/"):
        mine = db.session.get(Report, world.report.id)
        assert mine.state == "draft"
        with second_person(app):
            reports.share_report(
                db.session.get(User, world.users["reviewer"].id),
                db.session.get(Report, world.report.id),
            )
        with pytest.raises(Conflict):
            reports.share_report(world.users["reviewer"], mine)
    db.session.expire_all()
    assert db.session.get(Report, world.report.id).state == "shared_with_unit"
    shared = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.entity == "report", AuditEvent.field == "state")
    )
    assert shared == 1


def _second_reviewer(world: World) -> User:
    from tests.visits.conftest import add_to_team, create_reviewer

    other = create_reviewer(world, world.inst_c, name="Per Fagfelle")
    add_to_team(world.visit, other)
    db.session.commit()
    return other


def test_two_reviewers_changing_one_observation_the_second_gets_409_and_the_first_stays(
    app: Flask, world: World
) -> None:
    other = _second_reviewer(world)
    lead = login(app.test_client(), world.users["reviewer"])
    peer = login(app.test_client(), other)
    key = f"id-{world.observation.id}"
    url = f"/api/v1/visits/{world.visit.id}/observations/{key}"
    seen = world.observation.version
    body = {"kind": "improvement", "version": seen}
    first = lead.put(url, json={**body, "text": "Lederens tekst", "op_id": op()})
    assert first.status_code == 200 and first.json["observation"]["version"] == seen + 1
    second = peer.put(url, json={**body, "text": "Fagfellens tekst", "op_id": op()})
    assert second.status_code == 409
    assert second.json["error"]["current"]["text"] == "Lederens tekst"
    db.session.expire_all()
    assert db.session.get(Observation, world.observation.id).text == "Lederens tekst"


def test_an_observation_change_that_loses_the_race_is_refused(app: Flask, world: World) -> None:
    key = f"id-{world.observation.id}"
    with app.test_request_context("/"):
        mine = db.session.get(Observation, world.observation.id)
        visit = db.session.get(Visit, world.visit.id)
        assert mine.version == 1
        with second_person(app):
            sync.save_observation(
                db.session.get(User, world.users["reviewer"].id),
                db.session.get(Visit, world.visit.id),
                key,
                kind="improvement",
                text="Fra nettbrettet",
                domain=None,
                standards=None,
                version=1,
                op_id=op(),
            )
        with pytest.raises(Conflict) as refused:
            sync.save_observation(
                world.users["reviewer"],
                visit,
                key,
                kind="recommendation",
                text="Fra PC-en",
                domain=None,
                standards=None,
                version=1,
                op_id=op(),
            )
        assert refused.value.payload["current"]["text"] == "Fra nettbrettet"
    db.session.expire_all()
    stored = db.session.get(Observation, world.observation.id)
    assert stored.text == "Fra nettbrettet" and stored.version == 2


def test_two_reviewers_rating_one_standard_the_second_gets_409_and_the_first_stays(
    app: Flask, world: World
) -> None:
    other = _second_reviewer(world)
    code = standards_of(world.edition)[0].code
    finding = db.session.scalar(sa.select(Finding).where(Finding.visit_id == world.visit.id))
    seen = finding.version
    lead = login(app.test_client(), world.users["reviewer"])
    peer = login(app.test_client(), other)
    first = put_finding(lead, world.visit, code, value="not_met", comment="Lederens", version=seen)
    assert first.status_code == 200
    second = put_finding(peer, world.visit, code, value="met", comment="Fagfellens", version=seen)
    assert second.status_code == 409
    assert second.json["error"]["current"]["comment"] == "Lederens"
    db.session.expire_all()
    stored = db.session.get(Finding, finding.id)
    assert stored.comment == "Lederens" and stored.version == seen + 1


def test_an_orm_write_of_a_finding_that_lost_the_race_is_refused(app: Flask, world: World) -> None:
    """Findings are versioned for every ORM write too, not only the sync's conditional UPDATE."""
    finding_id = db.session.scalar(sa.select(Finding.id).where(Finding.visit_id == world.visit.id))
    mine = db.session.get(Finding, finding_id)
    with app.test_request_context("/"), second_person(app):
        theirs = db.session.get(Finding, finding_id)
        theirs.comment = "Den andres"
        db.session.commit()
    mine.comment = "Min"
    from sqlalchemy.orm.exc import StaleDataError

    with pytest.raises(StaleDataError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Finding, finding_id).comment == "Den andres"

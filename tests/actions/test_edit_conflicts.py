"""Two people edit the same action, GAP override or maturity rating from the same version: the
first save wins, the second gets a conflict with their typed text kept and the first person's
values beside it; nothing is silently lost (issue 12, item 12)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.accounts.models import User
from kvip.actions import services
from kvip.actions.models import Action, GapOverride, MaturityRating
from kvip.core.errors import Conflict
from kvip.extensions import db
from tests.actions.helpers import Previous
from tests.concurrency import (
    form_block,
    hidden_version,
    input_value,
    second_person,
    textarea_value,
)
from tests.conftest import login
from tests.factories import World


def _client(app: Flask, world: World, role: str):  # type: ignore[no-untyped-def]
    return login(app.test_client(), world.users[role])


def _action_form(title: str, version: str, **more: str) -> dict[str, str]:
    return {"title": title, "version": version, "risk": "medium", "pdsa_stage": "plan", **more}


def test_two_people_save_one_action_the_second_gets_the_conflict_with_their_text_kept(
    app: Flask, world: World, prev: Previous
) -> None:
    action = services.create_action(world.users["lead"], prev.assessment, {"title": "Først"})
    url = f"/actions/{action.id}"
    lead, member = _client(app, world, "lead"), _client(app, world, "member")
    seen_by_lead = hidden_version(lead.get(url).get_data(as_text=True))
    seen_by_member = hidden_version(member.get(url).get_data(as_text=True))
    assert seen_by_lead == seen_by_member == "1"

    first = lead.post(url, data=_action_form("Lederens tittel", seen_by_lead))
    assert first.status_code == 302
    second = member.post(
        url,
        data=_action_form(
            "Medlemmets tittel", seen_by_member, description="Skrevet mens lederen lagret"
        ),
    )
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    # The member's typed values are still in the form, not replaced by the stored ones …
    assert input_value(page, "title") == "Medlemmets tittel"
    assert textarea_value(page, "description") == "Skrevet mens lederen lagret"
    # … the lead's version is shown beside them, with who changed it, in Norwegian.
    assert "Lederens tittel" in page and "Sist endret av Lead" in page
    assert "Deres versjon" in page and "Din versjon" in page
    # The first save stays.
    db.session.expire_all()
    assert db.session.get(Action, action.id).title == "Lederens tittel"
    # Saving again is a deliberate choice based on the version now shown: it goes through.
    assert hidden_version(page) == "2"
    again = member.post(url, data=_action_form("Medlemmets tittel", hidden_version(page)))
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Action, action.id).title == "Medlemmets tittel"


def test_an_action_save_that_loses_the_race_after_its_version_check_is_refused(
    app: Flask, world: World, prev: Previous, request_ctx: None
) -> None:
    """Both requests read version 1; the other commits between this one's check and write."""
    created = services.create_action(world.users["lead"], prev.assessment, {"title": "Først"})
    mine = db.session.get(Action, created.id)
    assert mine is not None and mine.version == 1
    with second_person(app):
        member = db.session.get(User, world.users["member"].id)
        theirs = db.session.get(Action, created.id)
        services.update_action(member, theirs, {"title": "Medlemmets"}, version=1)
    with pytest.raises(Conflict) as refused:
        services.update_action(world.users["lead"], mine, {"title": "Lederens"}, version=1)
    assert getattr(refused.value, "changed_by", None) == "Member"
    db.session.expire_all()
    stored = db.session.get(Action, created.id)
    assert stored.title == "Medlemmets" and stored.version == 2


def test_two_people_override_one_duty_the_second_gets_the_conflict_with_their_reason_kept(
    app: Flask, world: World, prev: Previous
) -> None:
    assessment_id = world.assessment.id
    page_url = f"/actions/assessments/{assessment_id}/gap"
    post_url = f"/actions/assessments/{assessment_id}/gap/7c"
    lead, member = _client(app, world, "lead"), _client(app, world, "member")
    seen_by_lead = hidden_version(form_block(lead.get(page_url).get_data(as_text=True), post_url))
    seen_by_member = hidden_version(
        form_block(member.get(page_url).get_data(as_text=True), post_url)
    )
    assert seen_by_lead == seen_by_member == "0"  # no override yet
    first = lead.post(
        post_url, data={"status": "gap", "reason": "Lederens vurdering", "version": "0"}
    )
    assert first.status_code == 302
    second = member.post(
        post_url,
        data={
            "status": "in_place",
            "risk": "low",
            "reason": "Medlemmets begrunnelse",
            "version": "0",
        },
    )
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    mine = form_block(page, post_url)
    assert textarea_value(mine, "reason") == "Medlemmets begrunnelse"
    assert 'value="in_place" selected' in mine and 'value="low" selected' in mine
    assert hidden_version(mine) == "1"
    assert "Lederens vurdering" in page and "Sist endret av Lead" in page
    db.session.expire_all()
    stored = db.session.scalar(
        sa.select(GapOverride).where(
            GapOverride.assessment_id == assessment_id, GapOverride.duty == "7c"
        )
    )
    assert stored.status == "gap" and stored.reason == "Lederens vurdering"
    # A second change from a stale page (version 1 after the lead changed it again) too.
    assert (
        lead.post(
            post_url, data={"status": "partly", "reason": "Ny vurdering", "version": "1"}
        ).status_code
        == 302
    )
    stale = member.post(post_url, data={"clear": "1", "version": "1"})
    assert stale.status_code == 409
    db.session.expire_all()
    assert db.session.get(GapOverride, stored.id).reason == "Ny vurdering"


def test_a_gap_override_that_loses_the_race_is_refused(
    app: Flask, world: World, prev: Previous, request_ctx: None
) -> None:
    from kvip.actions import gap

    assessment = world.assessment
    gap.set_override(world.users["lead"], assessment, "7c", status="gap", risk=None, reason="A")
    mine = db.session.scalar(sa.select(GapOverride).where(GapOverride.duty == "7c"))
    assert mine.version == 1
    with second_person(app):
        gap.set_override(
            db.session.get(User, world.users["member"].id),
            db.session.get(type(assessment), assessment.id),
            "7c",
            status="partly",
            risk=None,
            reason="Medlemmets",
            version=1,
        )
    with pytest.raises(Conflict):
        gap.set_override(
            world.users["lead"],
            assessment,
            "7c",
            status="gap",
            risk="high",
            reason="Lederens",
            version=1,
        )
    db.session.expire_all()
    assert db.session.get(GapOverride, mine.id).reason == "Medlemmets"


def test_two_people_rate_maturity_the_second_gets_the_conflict_with_their_choice_kept(
    app: Flask, world: World, prev: Previous
) -> None:
    assessment_id = world.assessment.id
    page_url = f"/actions/units/{world.unit.id}/maturity?assessment={assessment_id}"
    post_url = f"/actions/assessments/{assessment_id}/maturity"
    lead, member = _client(app, world, "lead"), _client(app, world, "member")
    lead_page = lead.get(page_url).get_data(as_text=True)
    member_page = member.get(page_url).get_data(as_text=True)
    versions = {
        a: hidden_version(lead_page, f"version-{a}")
        for a in ("leadership", "staff_involvement", "user_involvement")
    }
    assert (
        versions
        == {a: hidden_version(member_page, f"version-{a}") for a in versions}
        == dict.fromkeys(versions, "0")
    )

    def form(levels: tuple[int, int, int], comment: str) -> dict[str, str]:
        data = {f"version-{a}": v for a, v in versions.items()}
        for a, level in zip(versions, levels, strict=True):
            data[f"level-{a}"] = str(level)
            data[f"comment-{a}"] = ""
        data["comment-leadership"] = comment
        return data

    assert lead.post(post_url, data=form((2, 2, 2), "Lederens kommentar")).status_code == 302
    second = member.post(post_url, data=form((4, 3, 1), "Medlemmets kommentar"))
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert textarea_value(page, "comment-leadership") == "Medlemmets kommentar"
    assert re.search(r'name="level-leadership" value="4" checked', page)
    assert "Lederens kommentar" in page and "Sist endret av Lead" in page
    assert hidden_version(page, "version-leadership") == "1"
    db.session.expire_all()
    stored = {
        r.aspect: r
        for r in db.session.scalars(
            sa.select(MaturityRating).where(MaturityRating.assessment_id == assessment_id)
        )
    }
    assert stored["leadership"].level == 2 and stored["leadership"].comment == "Lederens kommentar"
    assert stored["user_involvement"].level == 2


def test_two_first_maturity_ratings_at_once_store_one(
    app: Flask, world: World, prev: Previous, request_ctx: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both read "not rated yet" (version 0) before either wrote; the second's INSERT then
    meets the first's rows."""
    from kvip.actions import maturity

    assessment = world.assessment
    zero = dict.fromkeys(maturity.ASPECTS, "0")
    assert maturity.ratings_of(assessment.id) == {}
    with second_person(app):
        maturity.rate(
            db.session.get(User, world.users["member"].id),
            db.session.get(type(assessment), assessment.id),
            dict.fromkeys(maturity.ASPECTS, 3),
            {"leadership": "Medlemmets"},
            zero,
        )
    # This request read the (empty) ratings before the other committed.
    monkeypatch.setattr(maturity, "ratings_of", lambda _id: {})
    with pytest.raises(Conflict):
        maturity.rate(
            world.users["lead"],
            assessment,
            dict.fromkeys(maturity.ASPECTS, 1),
            {"leadership": "Lederens"},
            zero,
        )
    monkeypatch.undo()
    db.session.expire_all()
    stored = maturity.ratings_of(assessment.id)
    assert stored["leadership"].comment == "Medlemmets"
    assert {r.level for r in stored.values()} == {3}

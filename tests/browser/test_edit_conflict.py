"""Two people on two tablets edit the same action: the second to save sees who changed it, the
other version beside theirs, and keeps what they typed; axe finds no serious violations."""

from __future__ import annotations

from typing import Any

from flask import Flask
from playwright.sync_api import expect

from kvip.actions import services
from kvip.actions.models import Action
from kvip.extensions import db
from tests.browser.conftest import screenshot, serious_violations, sign_in
from tests.factories import PASSWORD, build_world


def test_the_second_to_save_an_action_sees_both_versions_and_keeps_their_text(
    app: Flask, live_server: str, browser: Any, browser_context_args: dict[str, Any]
) -> None:
    world = build_world()
    with app.test_request_context("/"):
        action = services.create_action(
            world.users["lead"], world.assessment, {"title": "Rutine for ettersamtale"}
        )
    url = f"{live_server}/actions/{action.id}"
    lead_tablet = browser.new_context(**browser_context_args).new_page()
    member_tablet = browser.new_context(**browser_context_args).new_page()
    sign_in(lead_tablet, live_server, world.users["lead"].email, PASSWORD)
    sign_in(member_tablet, live_server, world.users["member"].email, PASSWORD)
    lead_tablet.goto(url)
    member_tablet.goto(url)

    lead_tablet.get_by_label("Tittel").fill("Rutine for ettersamtale etter tvang")
    lead_tablet.get_by_role("button", name="Lagre").click()
    expect(lead_tablet.get_by_text("Lagret.")).to_be_visible()

    member_tablet.get_by_label("Beskrivelse").fill("Skrevet mens lederen lagret")
    member_tablet.get_by_role("button", name="Lagre").click()
    panel = member_tablet.get_by_role("alert").filter(has_text="Noen andre endret dette")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Sist endret av Lead")
    expect(panel).to_contain_text("Rutine for ettersamtale etter tvang")
    expect(member_tablet.get_by_label("Beskrivelse")).to_have_value("Skrevet mens lederen lagret")
    assert serious_violations(member_tablet) == []
    screenshot(member_tablet, "edit-conflict-action-ipad")

    # Saving again is the member's deliberate choice, based on the version now shown.
    member_tablet.get_by_role("button", name="Lagre").click()
    expect(member_tablet.get_by_text("Lagret.")).to_be_visible()
    db.session.expire_all()
    stored = db.session.get(Action, action.id)
    assert stored.description == "Skrevet mens lederen lagret"
    assert stored.title == "Rutine for ettersamtale"  # the member's form still had the old title

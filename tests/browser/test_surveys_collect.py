"""Questionnaires end to end on a tablet and phones: the lead opens a collection and prints
codes, three people answer on a phone, a fourth on the unit's kiosk tablet while it is
offline; the aggregates appear once five have answered; the reviewer sees them in the visit
pack and the
visit report. axe-clean pages, screenshots under KVIP_SCREENSHOTS."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect

from kvip.core.db import utcnow
from kvip.extensions import db
from kvip.surveys.models import KioskSession, Response
from kvip.visits import reports
from tests.browser.conftest import SHOTS, screenshot, serious_violations, sign_in
from tests.factories import PASSWORD, World, build_world

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(app: Flask) -> World:
    return build_world()


def _responses() -> int:
    db.session.rollback()
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Response)) or 0)


def _answer_on_phone(browser: Any, base: str, code: str, shot: str = "") -> None:
    context = browser.new_context(viewport=PHONE, locale="nb-NO", has_touch=True)
    phone = context.new_page()
    phone.goto(f"{base}/surveys/answer")
    phone.get_by_label("Kode").fill(code.lower())
    phone.get_by_role("button", name="Fortsett").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Ungdom")
    phone.get_by_role("group", name="Jeg føler meg trygg.").get_by_text("Litt enig").click()
    phone.get_by_role("group", name="Jeg blir plaget.").get_by_text("Helt uenig").click()
    if shot:
        assert serious_violations(phone) == []
        screenshot(phone, shot)
    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Takk for svarene dine")
    context.close()


def test_collect_answers_from_phones_and_an_offline_kiosk(
    app: Flask, world: World, live_server: str, page: Any, browser: Any
) -> None:
    base = live_server
    a = world.assessment.id
    # The lead opens the staff questionnaire too and prints four slips for young people.
    sign_in(page, base, world.users["lead"].email, PASSWORD)
    page.goto(f"{base}/surveys/assessments/{a}")
    expect(page.get_by_role("heading", name="Åpne en innsamling")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "surveys-lead-page")
    form = page.locator("form[action$='/collections']")
    form.get_by_label("Ansatte").check()
    form.get_by_label("Siste dag").fill((date.today() + timedelta(days=14)).isoformat())
    form.get_by_role("button", name="Åpne innsamling").click()
    expect(page.get_by_text("Innsamlingen er åpnet.")).to_be_visible()
    codes_form = page.locator("form[action$='/codes']")
    codes_form.get_by_label("Spørreskjema").select_option("young_person")
    codes_form.get_by_label("Antall koder").fill("4")
    codes_form.get_by_role("button", name="Lag koder").click()
    slips = page.locator(".slip-code")
    expect(slips).to_have_count(4)
    assert page.locator(".slip-qr svg").count() == 4
    assert serious_violations(page) == []
    screenshot(page, "surveys-code-sheet")
    codes = [slips.nth(i).inner_text() for i in range(4)]

    # Three people answer on their phones.
    _answer_on_phone(browser, base, codes[0], shot="surveys-phone-questionnaire")
    _answer_on_phone(browser, base, codes[1])
    _answer_on_phone(browser, base, codes[2])
    assert _responses() == 3

    # A used code gets a friendly page.
    context = browser.new_context(viewport=PHONE, locale="nb-NO")
    used = context.new_page()
    used.goto(f"{base}/surveys/answer/{codes[0]}")
    expect(used.get_by_role("heading", level=1)).to_have_text("Denne koden er allerede brukt")
    context.close()

    # A member starts kiosk mode on the unit's tablet; the fourth answers while it is offline.
    tablet_context = browser.new_context(
        viewport={"width": 820, "height": 1180}, locale="nb-NO", has_touch=True
    )
    tablet = tablet_context.new_page()
    sign_in(tablet, base, world.users["member"].email, PASSWORD)
    tablet.goto(f"{base}/surveys/assessments/{a}")
    kiosk_form = tablet.locator("form[action$='/kiosk']")
    kiosk_form.get_by_label("Ditt passord").fill(PASSWORD)
    kiosk_form.get_by_role("button", name="Start kioskmodus").click()
    expect(tablet.get_by_role("heading", name="Velkommen! Hvem er du?")).to_be_visible()
    assert serious_violations(tablet) == []
    screenshot(tablet, "surveys-kiosk-start")
    # Stored on the tablet by the site's service worker: a reload without the network works.
    expect(tablet.locator("[data-kiosk]")).to_have_attribute("data-kiosk-stored", "controlled")
    tablet_context.set_offline(True)
    tablet.reload()
    expect(tablet.get_by_role("heading", name="Velkommen! Hvem er du?")).to_be_visible()
    tablet.get_by_role("button", name="Ungdom").click()
    tablet.get_by_role("group", name="Jeg føler meg trygg.").get_by_text("Helt enig").click()
    tablet.get_by_label("Noe mer?").fill("Jeg heter 01020312345")
    tablet.get_by_role("button", name="Send").click()
    expect(tablet.get_by_role("alert")).to_contain_text("fødselsnummer")
    tablet.get_by_label("Noe mer?").fill("Fine turer")
    assert serious_violations(tablet) == []
    screenshot(tablet, "surveys-kiosk-questionnaire")
    tablet.get_by_role("button", name="Send").click()
    expect(tablet.get_by_role("heading", name="Takk for svarene dine!")).to_be_visible()
    expect(tablet.locator("[data-kiosk-status]")).to_have_text(
        "1 svar venter på nettbrettet på å bli sendt."
    )
    screenshot(tablet, "surveys-kiosk-offline-thanks")
    assert _responses() == 3  # truly offline
    tablet.get_by_role("button", name="Neste person").click()
    expect(tablet.get_by_role("heading", name="Velkommen! Hvem er du?")).to_be_visible()
    tablet_context.set_offline(False)
    tablet.evaluate("window.dispatchEvent(new Event('online'))")
    expect(tablet.locator("[data-kiosk-status]")).to_have_text("")
    assert _responses() == 4

    # Four answers: too few yet.
    page.goto(f"{base}/surveys/assessments/{a}")
    expect(page.get_by_text("For få svar ennå: 4 av minst 5.")).to_be_visible()

    # The fifth: the aggregates appear.
    _answer_on_phone(browser, base, codes[3])
    page.goto(f"{base}/surveys/assessments/{a}")
    expect(page.locator(".survey-table")).to_be_visible()
    expect(page.locator(".survey-table tbody tr").first).to_contain_text(re.compile(r"100\s%"))
    expect(page.locator(".free-texts")).to_contain_text("Fine turer")
    assert serious_violations(page) == []
    screenshot(page, "surveys-lead-results")

    # Beside the standard in the self-assessment: evidence, never a rating.
    page.goto(f"{base}/cycles/assessments/{a}")
    lines = page.locator("#s-1-1 .evidence-lines")
    expect(lines).to_contain_text("Ungdom: 5 av 5 enige")
    assert serious_violations(page) == []
    page.locator("#s-1-1").screenshot(path=str(SHOTS / "surveys-self-assessment-evidence.png"))

    # Leaving kiosk mode needs the member's password.
    tablet.get_by_role("link", name="Ansatte: avslutt kioskmodus").click()
    tablet.get_by_label("Passordet til den ansatte som startet kioskmodus").fill(PASSWORD)
    tablet.get_by_role("button", name="Avslutt kioskmodus").click()
    expect(tablet.get_by_text("Kioskmodus er avsluttet.")).to_be_visible()
    tablet_context.close()

    # The reviewer sees them in the visit pack.
    reviewer_context = browser.new_context(
        viewport={"width": 820, "height": 1180}, locale="nb-NO", has_touch=True
    )
    reviewer = reviewer_context.new_page()
    sign_in(reviewer, base, world.users["reviewer"].email, PASSWORD)
    reviewer.goto(f"{base}/visits/{world.visit.id}/mode")
    reviewer.get_by_role("button", name="Besøkspakke").click()
    section = reviewer.locator(".evidence-section")
    expect(section).to_contain_text("Hva ungdom, foreldre og ansatte fortalte oss")
    expect(section).to_contain_text(re.compile(r"5 av 5 enige \(100\s%\)"))
    section.scroll_into_view_if_needed()
    assert serious_violations(reviewer) == []
    screenshot(reviewer, "surveys-visit-pack")
    # Each standard's card in visit mode shows the lines too, also offline after "prepare".
    reviewer.get_by_role("button", name="Forbered besøket").click()
    expect(reviewer.locator("#prep-state")).to_contain_text("Klar for bruk uten nett")
    reviewer_context.set_offline(True)
    reviewer.reload()
    reviewer.locator("#domain-tabs button[data-domain='1']").click()
    card = reviewer.locator("article[id='std-1.1']")
    lines = card.get_by_role("list", name="Hva spørreskjemaene sier")
    expect(lines).to_contain_text("Ungdom: 5 av 5 enige")
    expect(lines).to_contain_text("Jeg føler meg trygg.")
    expect(reviewer.locator("article[id='std-1.2'] .evidence-lines")).to_contain_text(
        "Ungdom: 4 av 4 uenige"
    )
    card.scroll_into_view_if_needed()
    assert serious_violations(reviewer) == []
    card.screenshot(path=str(SHOTS / "surveys-visit-mode-card-evidence.png"))
    reviewer_context.close()

    # The report shows them: the visit is completed and its report shared with the unit.
    db.session.rollback()
    world.visit.state = "completed"
    world.visit.completed_at = utcnow()
    world.report.state = "shared_with_unit"
    world.report.shared_at = utcnow()
    db.session.flush()
    with app.test_request_context("/"):
        reports.regenerate(world.report)
    db.session.commit()
    page.goto(f"{base}/visits/{world.visit.id}/report")
    voices = page.locator(".evidence-section")
    expect(voices).to_contain_text("Hva ungdom, foreldre og ansatte fortalte oss")
    expect(voices).to_contain_text(re.compile(r"5 av 5 enige \(100\s%\)"))
    expect(voices).not_to_contain_text("Fine turer")  # free text stays with lead and team
    voices.scroll_into_view_if_needed()
    assert serious_violations(page) == []
    screenshot(page, "surveys-visit-report")


def test_kiosk_left_offline_with_the_password_and_its_answer_arrives_once(
    world: World, live_server: str, browser: Any
) -> None:
    base = live_server
    context = browser.new_context(viewport={"width": 810, "height": 1080}, locale="nb-NO")
    tablet = context.new_page()
    sign_in(tablet, base, world.users["member"].email, PASSWORD)
    tablet.goto(f"{base}/surveys/assessments/{world.assessment.id}")
    start = tablet.locator("form[action$='/kiosk']")
    # A wrong password starts nothing.
    start.get_by_label("Ditt passord").fill("not-the-password")
    start.get_by_role("button", name="Start kioskmodus").click()
    expect(
        tablet.get_by_text("Det er ikke passordet ditt. Kioskmodus er ikke startet.")
    ).to_be_visible()
    start.get_by_label("Ditt passord").fill(PASSWORD)
    assert serious_violations(tablet) == []
    start.screenshot(path=str(SHOTS / "surveys-kiosk-start-form.png"))
    start.get_by_role("button", name="Start kioskmodus").click()
    expect(tablet.get_by_role("heading", name="Velkommen! Hvem er du?")).to_be_visible()
    # Only the salt and the check of a derived key are kept, never the password.
    kept = tablet.evaluate("JSON.stringify({...sessionStorage, ...localStorage})")
    assert PASSWORD not in kept and "check" in kept
    expect(tablet.locator("[data-kiosk]")).to_have_attribute("data-kiosk-stored", "controlled")

    context.set_offline(True)
    tablet.get_by_role("button", name="Ungdom").click()
    # The faces follow the good answer: on "I am bullied" disagreeing gets the happy face.
    bullied = tablet.get_by_role("group", name="Jeg blir plaget.")
    happy = bullied.locator("label", has_text="Helt uenig").locator("svg.face")
    expect(happy).to_have_attribute("data-mood", "very-happy")
    expect(happy).to_have_attribute("aria-hidden", "true")
    expect(bullied.locator("label", has_text="Helt enig").locator("svg.face")).to_have_attribute(
        "data-mood", "very-sad"
    )
    tablet.get_by_role("group", name="Jeg føler meg trygg.").get_by_text("Helt enig").click()
    tablet.get_by_role("button", name="Send").click()
    expect(tablet.get_by_role("heading", name="Takk for svarene dine!")).to_be_visible()
    assert _responses() == 0

    tablet.get_by_role("link", name="Ansatte: avslutt kioskmodus").click()
    expect(tablet.get_by_role("heading", name="Avslutt kioskmodus")).to_be_visible()
    password = tablet.get_by_label("Passordet til den ansatte som startet kioskmodus")
    password.fill("not-the-password")
    tablet.get_by_role("button", name="Avslutt kioskmodus").click()
    expect(tablet.get_by_role("alert")).to_have_text(
        "Det er ikke passordet til den som startet kioskmodus."
    )
    expect(password).to_have_attribute("aria-invalid", "true")
    assert serious_violations(tablet) == []
    screenshot(tablet, "surveys-kiosk-leave-offline-refused")
    # Refused: still kiosk mode, back to the questionnaire.
    tablet.get_by_role("button", name="Tilbake til spørreskjemaet").click()
    expect(tablet.get_by_role("heading", name="Velkommen! Hvem er du?")).to_be_visible()
    tablet.get_by_role("link", name="Ansatte: avslutt kioskmodus").click()
    password.fill(PASSWORD)
    tablet.get_by_role("button", name="Avslutt kioskmodus").click()
    expect(
        tablet.get_by_role("heading", name="Kioskmodus er avsluttet på dette nettbrettet")
    ).to_be_visible()
    expect(tablet.locator("[data-kiosk-status]")).to_have_text(
        "1 svar venter på nettbrettet på å bli sendt."
    )
    expect(tablet.get_by_role("link", name="Ansatte: avslutt kioskmodus")).to_have_count(0)
    assert serious_violations(tablet) == []
    screenshot(tablet, "surveys-kiosk-left-offline")
    assert _responses() == 0
    # A reload without the network still shows "ended", not the questionnaire.
    tablet.reload()
    expect(
        tablet.get_by_role("heading", name="Kioskmodus er avsluttet på dette nettbrettet")
    ).to_be_visible()

    context.set_offline(False)
    tablet.evaluate("window.dispatchEvent(new Event('online'))")
    expect(tablet.locator("[data-kiosk]")).to_have_attribute("data-kiosk-left", "closed")
    expect(tablet.locator("[data-left-done]")).to_be_visible()
    expect(tablet.locator("[data-left-done]")).to_contain_text("Alle svar er sendt.")
    screenshot(tablet, "surveys-kiosk-left-closed")
    assert _responses() == 1
    db.session.rollback()
    kiosk = db.session.scalar(sa.select(KioskSession))
    assert kiosk is not None and kiosk.ended_at is not None
    # Sent again (another online event, a reload): still exactly once.
    tablet.evaluate("window.dispatchEvent(new Event('online'))")
    tablet.reload()
    expect(tablet.get_by_role("heading", level=1)).to_have_text(
        "Kioskmodus er ikke i gang på dette nettbrettet"
    )
    assert _responses() == 1
    assert tablet.evaluate("localStorage.getItem('kvip-kiosk-outbox')") in (None, "[]")
    context.close()

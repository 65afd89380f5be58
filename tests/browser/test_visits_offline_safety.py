"""Visit mode on a shared ward tablet with flaky Wi-Fi (issue 12, items 13–17): verifications go
through the outbox, queued changes stay bound to the person who made them, the last seconds of
typing survive a reload, a quick second edit never conflicts with oneself, and every app page
has a KvIP answer offline."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect

from kvip.actions.models import Action
from kvip.core.db import utcnow
from kvip.core.models import AuditEvent
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.visits.models import AppliedOperation
from tests.browser.conftest import SHOTS, screenshot, serious_violations, sign_in
from tests.factories import PASSWORD
from tests.visits.tablet_world import (
    TabletWorld,
    build_tablet_world,
    card,
    open_visit_mode,
    server_findings,
)

ALL_SAVED = "Alle endringer er lagret på serveren"
WAITING = "Lagret på nettbrettet, venter på å bli sendt"


@pytest.fixture
def tablet(app: Flask) -> TabletWorld:
    return build_tablet_world()


def _previous_action(world: TabletWorld) -> Action:
    """Last year's cycle of the unit with one action the unit has marked done."""
    current = world.visit.assessment.cycle
    today = date.today()
    cycle = Cycle(
        network_id=current.network_id,
        edition_id=current.edition_id,
        year=current.year - 1,
        name=f"Syklus {current.year - 1}",
        state="closed",
    )
    db.session.add(cycle)
    db.session.flush()
    assessment = Assessment(cycle_id=cycle.id, unit_id=world.unit.id, state="submitted")
    db.session.add(assessment)
    db.session.flush()
    action = Action(
        assessment_id=assessment.id,
        title="Ettersamtale etter tvang",
        responsible="Avdelingsleder",
        deadline=today - timedelta(days=20),
        status="done",
        done_at=utcnow(),
    )
    db.session.add(action)
    db.session.commit()
    return action


def test_a_verification_recorded_offline_arrives_once(
    tablet: TabletWorld, live_server: str, page: Any
) -> None:
    action = _previous_action(tablet)
    open_visit_mode(page, live_server, tablet, tablet.lead.email)
    page.locator("#domain-tabs button").first.click()  # the visit pack
    form = page.locator(f"#verify-{action.id} form")
    expect(form).to_be_visible()

    page.context.set_offline(True)
    expect(page.locator("#net-state")).to_have_text("Frakoblet")
    # "Not verified" needs a comment: said at once, nothing queued.
    form.locator("button[value='not_verified']").click()
    expect(form.locator(".error")).to_have_text(
        "Skriv hva teamet fant når et tiltak ikke verifiseres."
    )
    expect(page.locator("#queue-state")).to_have_text(ALL_SAVED)
    form.get_by_label("Kommentar fra teamet").fill("Sett i journalen, rutinen følges")
    form.locator("button[value='verified']").click()
    expect(form.locator(".sync-state")).to_have_text(f"Registrert: Verifisert · {WAITING}")
    expect(page.locator("#queue-state")).to_have_text("1 endring venter på å bli sendt")
    assert serious_violations(page) == []
    db.session.expire_all()
    assert db.session.get(Action, action.id).verification_outcome is None  # type: ignore[union-attr]

    # Reloaded with the network gone: the verification is still waiting on the tablet.
    page.reload()
    page.locator("#domain-tabs button").first.click()
    expect(form.locator(".sync-state")).to_have_text(f"Registrert: Verifisert · {WAITING}")
    expect(form.get_by_label("Kommentar fra teamet")).to_have_value(
        "Sett i journalen, rutinen følges"
    )

    page.context.set_offline(False)
    expect(page.locator("#queue-state")).to_contain_text(ALL_SAVED, timeout=30000)
    expect(form.locator(".sync-state")).to_have_text("Registrert: Verifisert · Lagret på serveren")
    expect(page.locator(f"#verify-{action.id} .vp-head .badge").first).to_have_text("Verifisert")
    db.session.rollback()
    db.session.expire_all()
    saved = db.session.get(Action, action.id)
    assert saved is not None
    assert (saved.status, saved.verification_outcome) == ("verified", "verified")
    assert saved.verification_comment == "Sett i journalen, rutinen følges"
    assert saved.verified_by_id == tablet.lead.id
    assert saved.verification_visit_id == tablet.visit.id
    events = db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.entity == "action",
            AuditEvent.entity_id == action.id,
            AuditEvent.field == "verification_outcome",
        )
    )
    assert events == 1  # applied once
    assert db.session.scalar(sa.select(sa.func.count(AppliedOperation.id))) == 1


def _switch_person(page: Any, live_server: str, email: str) -> None:
    """The next person on the shared tablet: the previous session is gone, they sign in."""
    page.goto("about:blank")
    page.context.clear_cookies()
    sign_in(page, live_server, email, PASSWORD)


def test_queued_changes_wait_for_their_author(
    tablet: TabletWorld, live_server: str, page: Any
) -> None:
    a, b, c, d = tablet.codes[:4]
    lead, peer = tablet.lead, tablet.peer
    open_visit_mode(page, live_server, tablet, lead.email)
    page.context.set_offline(True)
    card(page, a).locator("label.v-met").click()
    card(page, b).locator("label.v-not_met").click()
    card(page, c).locator("label.v-partly_met").click()
    expect(page.locator("#queue-state")).to_have_text("3 endringer venter på å bli sendt")
    page.goto("about:blank")  # before the tablet could send them, Lena leaves
    page.context.set_offline(False)

    _switch_person(page, live_server, peer.email)
    page.goto(f"{live_server}/visits/")
    notice = page.locator("#held-changes")
    expect(notice).to_contain_text(f"3 endringer av {lead.name} venter på dette nettbrettet.")
    expect(notice).to_contain_text("aldri i ditt navn")
    assert serious_violations(page) == []
    screenshot(page, "visits-held-changes-list")

    page.goto(f"{live_server}/visits/{tablet.visit.id}/mode")
    expect(page.locator("article.std-card").first).to_be_visible()
    expect(notice).to_contain_text(f"3 endringer av {lead.name} venter på dette nettbrettet.")
    expect(page.locator("#queue-state")).to_have_text(ALL_SAVED)
    expect(card(page, a).locator("input[value='met']")).not_to_be_checked()
    # Per's own change goes out in his name; Lena's stay on the tablet.
    card(page, d).locator("label.v-met").click()
    expect(card(page, d).locator(".sync-state")).to_contain_text("Lagret på serveren")
    found = server_findings(tablet)
    assert set(found) == {d} and found[d].updated_by_id == peer.id
    # Discarding someone else's changes asks first; cancelling keeps them.
    notice.get_by_role("button", name=f"Forkast endringene til {lead.name}").click()
    expect(notice.locator(".held-confirm")).to_have_text(
        f"Forkaste 3 endringer av {lead.name} for godt? De har ikke kommet fram til serveren "
        "og kan ikke hentes tilbake."
    )
    assert serious_violations(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "visits-held-changes-confirm.png"))  # the top of the page
    notice.get_by_role("button", name="Avbryt").click()
    expect(notice).to_contain_text(f"3 endringer av {lead.name}")
    assert set(server_findings(tablet)) == {d}

    # Lena signs in again: her changes are sent, in her name.
    _switch_person(page, live_server, lead.email)
    page.goto(f"{live_server}/visits/{tablet.visit.id}/mode")
    expect(page.locator("#queue-state")).to_contain_text(ALL_SAVED, timeout=30000)
    expect(notice).to_be_hidden()
    found = server_findings(tablet)
    assert {code: (f.value, f.updated_by_id) for code, f in found.items()} == {
        a: ("met", lead.id),
        b: ("not_met", lead.id),
        c: ("partly_met", lead.id),
        d: ("met", peer.id),
    }

    # Per leaves a change offline; Lena, signed in next, discards it after confirming.
    _switch_person(page, live_server, peer.email)
    page.goto(f"{live_server}/visits/{tablet.visit.id}/mode")
    expect(page.locator("article.std-card").first).to_be_visible()
    page.context.set_offline(True)
    card(page, d).locator("label.v-not_applicable").click()
    expect(page.locator("#queue-state")).to_have_text("1 endring venter på å bli sendt")
    page.goto("about:blank")
    page.context.set_offline(False)
    _switch_person(page, live_server, lead.email)
    page.goto(f"{live_server}/visits/{tablet.visit.id}/mode")
    expect(notice).to_contain_text(f"1 endring av {peer.name} venter på dette nettbrettet.")
    notice.get_by_role("button", name=f"Forkast endringene til {peer.name}").click()
    notice.get_by_role("button", name="Ja, forkast dem").click()
    expect(notice).to_contain_text(f"Endringene til {peer.name} er forkastet.")
    expect(notice.locator(".held-item")).to_have_count(0)
    _switch_person(page, live_server, peer.email)
    page.goto(f"{live_server}/visits/{tablet.visit.id}/mode")
    expect(page.locator("#queue-state")).to_have_text(ALL_SAVED)
    assert server_findings(tablet)[d].value == "met"  # the discarded change never arrived


def test_typing_then_reloading_at_once_keeps_the_text(
    tablet: TabletWorld, live_server: str, page: Any
) -> None:
    first, second = tablet.codes[0], tablet.codes[1]
    open_visit_mode(page, live_server, tablet, tablet.lead.email)
    # Online: the reload comes long before the 1.2 s pause that saves a comment.
    card(page, first).get_by_label(f"Teamets kommentar til {first}").fill("Skrevet rett før")
    page.reload()
    expect(card(page, first).get_by_label(f"Teamets kommentar til {first}")).to_have_value(
        "Skrevet rett før"
    )
    expect(page.locator("#queue-state")).to_contain_text(ALL_SAVED, timeout=30000)
    assert server_findings(tablet)[first].comment == "Skrevet rett før"
    # Offline: the text waits in the outbox through the reload and arrives later.
    page.context.set_offline(True)
    box = card(page, second).get_by_label(f"Teamets kommentar til {second}")
    box.fill("Uten nett, lastet inn på nytt")
    page.reload()
    expect(box).to_have_value("Uten nett, lastet inn på nytt")
    expect(card(page, second).locator(".sync-state")).to_have_text(WAITING)
    page.context.set_offline(False)
    expect(page.locator("#queue-state")).to_contain_text(ALL_SAVED, timeout=30000)
    assert server_findings(tablet)[second].comment == "Uten nett, lastet inn på nytt"


def _until_saved(page: Any, world: TabletWorld, code: str, done: Any) -> None:
    """Let the tablet work until the server's finding satisfies ``done`` (asked again and
    again, never judged by how long it takes)."""
    for _ in range(300):
        found = server_findings(world).get(code)
        if found is not None and done(found):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"finding {code} never arrived: {server_findings(world).get(code)}")


def test_quick_edits_of_one_finding_never_conflict_with_oneself(
    tablet: TabletWorld, live_server: str, page: Any
) -> None:
    code, other = tablet.codes[2], tablet.codes[3]
    visit_id = tablet.visit.id
    open_visit_mode(page, live_server, tablet, tablet.lead.email)
    # Taps in quick succession, and a comment, on one standard.
    box = card(page, other)
    box.locator("label.v-met").click()
    box.locator("label.v-not_met").click()
    box.locator("label.v-partly_met").click()
    box.get_by_label(f"Teamets kommentar til {other}").fill("Tre raske trykk")
    box.get_by_label(f"Teamets kommentar til {other}").blur()
    _until_saved(page, tablet, other, lambda f: f.comment == "Tre raske trykk")
    f = server_findings(tablet)[other]
    assert (f.value, f.comment) == ("partly_met", "Tre raske trykk")
    expect(page.locator("#queue-state")).to_contain_text(ALL_SAVED)

    # The visit pack as it was before the next edit: an answer that left the server before
    # this tablet's change was acknowledged, arriving after it (a slow refresh).
    stale = page.evaluate(f"fetch('/api/v1/visits/{visit_id}').then((r) => r.text())")
    card(page, code).locator("label.v-met").click()
    expect(card(page, code).locator(".sync-state")).to_contain_text("Lagret på serveren")
    page.route(
        re.compile(rf".*/api/v1/visits/{visit_id}$"),
        lambda route: route.fulfill(status=200, content_type="application/json", body=stale),
    )
    with page.expect_response(re.compile(rf".*/api/v1/visits/{visit_id}$")):
        page.reload()
    expect(page.locator("#stored-note")).to_have_text("")  # the (stale) answer is in
    card(page, code).locator("label.v-partly_met").click()
    _until_saved(page, tablet, code, lambda f: f.version >= 2)
    expect(page.locator("#queue-state")).to_contain_text(ALL_SAVED)
    expect(page.locator("#problems")).to_be_hidden()
    expect(page.locator("#conflict-dialog")).to_be_hidden()
    f = server_findings(tablet)[code]
    assert (f.value, f.version, f.disputed) == ("partly_met", 2, False)


def _until(page: Any, script: str, arg: Any = None) -> None:
    """Wait until an (async) script in the page answers true: Playwright's wait_for_function
    does not wait for a promise, so ask again (without judging how long it takes)."""
    for _ in range(300):
        if page.evaluate(script, arg):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {script}")


def _worker_ready(page: Any) -> None:
    """The app's service worker is activated and controls the page (its assets stored)."""
    page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null"
        " && navigator.serviceWorker.controller.state === 'activated'"
    )


def test_a_tablet_that_never_prepared_gets_the_kvip_offline_page(
    tablet: TabletWorld, live_server: str, page: Any
) -> None:
    sign_in(page, live_server, tablet.lead.email, PASSWORD)
    _worker_ready(page)
    page.context.set_offline(True)
    response = page.goto(f"{live_server}/visits/{tablet.visit.id}/mode")
    assert response is not None and response.status == 503
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingen nettforbindelse")
    expect(page.locator("main")).to_contain_text(
        "Dette besøket er ikke forberedt på dette nettbrettet."
    )
    expect(page.locator("main")).to_contain_text(
        "Ingen besøk er forberedt for bruk uten nett på dette nettbrettet."
    )
    expect(page.locator("main")).to_contain_text("trenger nett")
    assert page.locator("html").get_attribute("lang") == "nb"
    assert serious_violations(page) == []
    screenshot(page, "offline-page-fresh-tablet")
    page.goto(f"{live_server}/actions/")
    expect(page.locator("main")).to_contain_text("Denne siden er ikke lagret på dette nettbrettet")

    # In English when the tablet's last page was English.
    page.context.set_offline(False)
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    _until(
        page,
        """async () => {
          const stored = await (await caches.open('kvip-meta')).match('/__kvip/lang');
          return Boolean(stored) && (await stored.text()) === 'en';
        }""",
    )
    page.context.set_offline(True)
    page.goto(f"{live_server}/benchmarks/")
    expect(page.get_by_role("heading", level=1)).to_have_text("No network connection")
    assert page.locator("html").get_attribute("lang") == "en"


def test_a_prepared_visit_opens_offline_from_the_list_with_every_asset(
    tablet: TabletWorld, live_server: str, page: Any
) -> None:
    open_visit_mode(page, live_server, tablet, tablet.lead.email)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.context.set_offline(True)
    page.goto(f"{live_server}/visits/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Besøk")
    page.get_by_role("link", name="Oversikt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Besøk til {tablet.unit.name}")
    page.get_by_role("link", name="Åpne besøksmodus").click()
    expect(page.locator("article.std-card").first).to_be_visible()
    expect(page.locator("#net-state")).to_have_text("Frakoblet")
    rules = page.evaluate(
        """[...document.styleSheets]
             .filter((s) => s.href && s.href.includes('/static/css/'))
             .map((s) => [s.href.split('/static/')[1].split('?')[0], s.cssRules.length])"""
    )
    assert {name for name, count in rules if count} >= {
        "css/kvip.css",
        "css/visits.css",
        "css/actions.css",
    }
    assert [url for url in failed if "/static/" in url] == []
    # Another page of the app: the offline page says what is on this tablet.
    page.goto(f"{live_server}/visits/{tablet.visit.id}/consolidate")
    main = page.locator("main")
    expect(main).to_contain_text("Denne siden er ikke lagret på dette nettbrettet")
    expect(main).to_contain_text(f"Besøk til {tablet.unit.name}")
    expect(main).to_contain_text("Klar for bruk uten nett (klargjort")
    expect(main.get_by_role("link", name="Åpne besøksmodus")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "offline-page-prepared-tablet")
    # A form sent without the network: a KvIP page, not the browser's error page.
    page.goto(f"{live_server}/visits/{tablet.visit.id}")
    page.get_by_role("button", name="Start besøket").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingen nettforbindelse")
    expect(page.locator("main")).to_contain_text("ingenting ble lagret")
    db.session.refresh(tablet.visit)
    assert tablet.visit.state == "scheduled"


def test_a_deploy_replaces_the_stored_assets(
    tablet: TabletWorld, live_server: str, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def assets_cache() -> str:
        source = page.evaluate("fetch('/visits/sw.js').then((r) => r.text())")
        match = re.search(r'"assetsCache": "(kvip-assets-[0-9a-f]{16})"', source)
        assert match is not None
        return match.group(1)

    sign_in(page, live_server, tablet.lead.email, PASSWORD)
    _worker_ready(page)
    before = assets_cache()
    _until(page, "(name) => caches.keys().then((keys) => keys.includes(name))", before)

    # A deploy: one more asset (any change of an asset, the worker or its texts does the same).
    from kvip.visits import offline

    monkeypatch.setattr(offline, "OFFLINE_ASSETS", (*offline.OFFLINE_ASSETS, "css/cycles.css"))
    after = assets_cache()
    assert after != before
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    _until(
        page,
        "([old, fresh]) => caches.keys().then((keys) => keys.includes(fresh) && !keys.includes(old))",
        [before, after],
    )
    stored = page.evaluate(
        """(name) => caches.open(name)
             .then((c) => c.keys())
             .then((keys) => keys.map((k) => new URL(k.url).pathname))""",
        after,
    )
    assert "/static/css/cycles.css" in stored and "/static/css/actions.css" in stored

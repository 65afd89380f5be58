"""Ask to learn end to end on an iPad (issue 16, item 8): a unit lead asks from "who to learn
from", the coordinator passes it on, the other unit's lead accepts, and only then do both see
each other's name and contact person. axe-clean at every step."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.benchmarks.conftest import GOOD_BETA, NAMES, BenchWorld, build_bench_world
from tests.browser.conftest import IPAD, screenshot, serious_violations, sign_in
from tests.factories import PASSWORD

ASK = "Vi vil gjerne lære hvordan dere holder morgenmøtene korte og nyttige."


@pytest.fixture
def bench(app: Flask) -> BenchWorld:
    return build_bench_world()


def _as(page: Any, live_server: str, bench: BenchWorld, role: str) -> None:
    page.context.clear_cookies()
    sign_in(page, live_server, bench.users[role].email, PASSWORD)


def _open_request(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/benchmarks/requests")
    assert serious_violations(page) == []
    page.locator(".learn-item a").first.click()
    page.get_by_role("heading", level=1, name="Forespørsel om å lære").wait_for()


def test_lead_asks_coordinator_forwards_other_lead_accepts(
    bench: BenchWorld, live_server: str, page: Any
) -> None:
    page.set_viewport_size(IPAD)
    own, other = NAMES["own"], NAMES["beta"]
    lead, outsider = bench.users["lead"], bench.users["outsider"]

    # 1. The lead asks from "who to learn from" on the unit's benchmark page.
    _as(page, live_server, bench, "lead")
    page.goto(f"{live_server}/benchmarks/units/{bench.units['own'].id}?cycle={bench.cycle.id}")
    # The good practice of Betaposten (whose lead is the "outsider"), shown by its pseudonym.
    ask = page.locator(".bm-learn li", has_text=GOOD_BETA).locator("a.learn-ask").first
    ask.scroll_into_view_if_needed()
    ask.click()
    page.get_by_role("heading", level=1, name="Spør om å lære").wait_for()
    assert GOOD_BETA in page.content() and other not in page.content()
    assert serious_violations(page) == []
    page.get_by_label("Hva vil dere gjerne lære?").fill(ASK)
    screenshot(page, "touchcharts-learn-1-ask")
    page.get_by_role("button", name="Send forespørselen").click()
    page.get_by_text("Forespørselen ble sendt til nettverkskoordinatoren.").wait_for()
    assert other not in page.content()
    assert serious_violations(page) == []

    # 2. The coordinator passes it on.
    _as(page, live_server, bench, "coordinator")
    _open_request(page, live_server)
    assert own in page.content() and other in page.content()  # the coordinator sees both
    page.get_by_label("Merknad til den andre enheten (valgfritt)").fill("Godt spørsmål!")
    screenshot(page, "touchcharts-learn-2-coordinator")
    page.get_by_role("button", name="Send videre til den andre enheten").click()
    page.get_by_text("Forespørselen ble sendt videre til den andre enheten.").wait_for()
    assert serious_violations(page) == []

    # 3. The other unit's lead reads it without learning who asks, and accepts.
    _as(page, live_server, bench, "outsider")
    _open_request(page, live_server)
    content = page.content()
    assert ASK in content and own not in content and lead.email not in content
    assert serious_violations(page) == []
    screenshot(page, "touchcharts-learn-3-answer")
    page.get_by_role("button", name="Godta og del navnet vårt").click()
    page.get_by_text("Godtatt: begge enhetene ser nå hverandres navn og kontaktperson.").wait_for()
    content = page.content()
    assert own in content and lead.email in content
    assert serious_violations(page) == []

    # 4. The asking lead now sees the other unit and its contact person.
    _as(page, live_server, bench, "lead")
    _open_request(page, live_server)
    contact = page.locator("[data-contact=to]")
    assert other in contact.inner_text() and outsider.email in contact.inner_text()
    assert page.locator("[data-side=to]").inner_text() == other
    screenshot(page, "touchcharts-learn-4-names")

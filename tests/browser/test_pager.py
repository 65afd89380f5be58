"""The one pager macro (templates/_macros.html): the change history of a network with more
events than fit on a page; the coordinator pages forward and back."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from kvip.core.models import AuditEvent
from kvip.extensions import db
from tests.browser.conftest import DESKTOP, screenshot, serious_violations, sign_in
from tests.factories import PASSWORD, build_world


def test_coordinator_pages_through_the_change_history(
    app: Flask,
    live_server: str,
    page,  # type: ignore[no-untyped-def]
) -> None:
    world = build_world()
    for n in range(105):
        db.session.add(
            AuditEvent(
                at=datetime(2026, 3, 1 + n % 28, 11, n % 60),
                user_id=world.users["lead"].id,
                network_id=world.network.id,
                unit_id=world.unit.id,
                entity="rating",
                entity_id=1000 + n,
                action="update",
            )
        )
    db.session.commit()
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "coord@example.test", PASSWORD)
    page.goto(f"{live_server}/networks/{world.network.id}/audit?entity=rating")
    pager = page.get_by_role("navigation", name="Sider")
    assert "Side 1 av 2" in pager.inner_text()
    assert pager.get_by_role("link", name="Forrige").count() == 0
    pager.get_by_role("link", name="Neste").click()
    page.wait_for_url("**page=2**")
    assert "entity=rating" in page.url
    pager = page.get_by_role("navigation", name="Sider")
    assert "Side 2 av 2" in pager.inner_text()
    assert pager.get_by_role("link", name="Neste").count() == 0
    screenshot(page, "layout-pager-audit")
    assert serious_violations(page) == []
    pager.get_by_role("link", name="Forrige").click()
    page.wait_for_url("**page=1**")
    assert "Side 1 av 2" in page.get_by_role("navigation", name="Sider").inner_text()

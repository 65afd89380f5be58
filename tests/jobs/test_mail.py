"""Mail delivery through the job queue against a local SMTP sink (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from kvip.core import mail
from kvip.core.jobs import EXTENSION
from kvip.core.models import OutboxEmail
from kvip.extensions import db
from tests.factories import World


class FlakySink:
    """Accepts mail, but answers "451 try again" to the first ``refuse`` deliveries."""

    def __init__(self, refuse: int) -> None:
        self.refuse = refuse
        self.tries = 0
        self.received: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.tries += 1
        if self.tries <= self.refuse:
            return "451 4.3.0 Try again later"
        self.received.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sink(
    request: pytest.FixtureRequest, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FlakySink]:
    handler = FlakySink(getattr(request, "param", 1))
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "KVIP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "KVIP_SMTP_PORT", str(port))
    try:
        yield handler
    finally:
        controller.stop()


def _message(world: World) -> OutboxEmail:
    message = OutboxEmail(
        user_id=world.users["lead"].id,
        to="lead@example.org",
        subject="Påminnelse",
        body="Noe er snart due.",
        dedup_key="test:1",
    )
    db.session.add(message)
    db.session.commit()
    return message


def _fresh(message_id: int) -> OutboxEmail:
    db.session.expire_all()
    message = db.session.get(OutboxEmail, message_id)
    assert message is not None
    return message


def test_a_refused_delivery_is_retried_later_with_backoff(
    app: Flask, world: World, sink: FlakySink
) -> None:
    huey = app.extensions[EXTENSION].huey
    huey.storage.flush_all()
    message = _message(world)
    assert mail.try_deliver(message) is False  # the request only enqueued it
    message = _fresh(message.id)
    assert (message.status, message.attempts) == ("queued", 1)
    assert "451" in message.error
    assert sink.received == []
    # The next try waits in huey's schedule, 30 s after the first.
    scheduled = huey.scheduled()
    assert len(scheduled) == 1 and scheduled[0].args == (message.id,)
    # Run it as the worker would once its time has come: delivered.
    huey.execute(scheduled[0], timestamp=scheduled[0].eta)
    message = _fresh(message.id)
    assert (message.status, message.attempts, message.error) == ("sent", 2, "")
    assert len(sink.received) == 1 and "Subject: =?utf-8?" in sink.received[0]
    huey.storage.flush_all()


def test_backoff_grows_and_the_last_failure_waits_for_an_admin(
    app: Flask, world: World, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SMTP refusing every try: 1 + 5 tries with growing delays, then "failed"; an admin's
    "try again" on the outbox page delivers it once the server accepts mail."""
    handler = FlakySink(refuse=6)
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "KVIP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "KVIP_SMTP_PORT", str(port))
    huey = app.extensions[EXTENSION].huey
    huey.storage.flush_all()
    try:
        message = _message(world)
        mail.try_deliver(message)
        delays = []
        while scheduled := huey.scheduled():
            task = scheduled[0]
            huey.storage.flush_schedule()
            delays.append(round((task.eta - huey._get_timestamp()).total_seconds() / 30))
            huey.execute(task, timestamp=task.eta)
        assert delays == [1, 4, 16, 64, 256]  # × 30 s: 30 s, 2 min, 8 min, 32 min, ~2 h
        message = _fresh(message.id)
        assert (message.status, message.attempts) == ("failed", 6)
        admin = login_as("admin")
        page = admin.get("/actions/outbox")
        assert f"/jobs/admin/mail/{message.id}/retry".encode() in page.data
        assert b"451" in admin.get("/jobs/admin").data
        response = admin.post(f"/jobs/admin/mail/{message.id}/retry", data={"next": "outbox"})
        assert response.status_code == 303 and response.headers["Location"].endswith("/outbox")
        message = _fresh(message.id)
        assert message.status == "sent" and len(handler.received) == 1
    finally:
        controller.stop()
        huey.storage.flush_all()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/actions/outbox"])
def test_retry_returns_only_to_a_named_page(world: World, login_as: Any, target: str) -> None:
    """``next`` names a page ("outbox"); a URL (even a local one) goes back to the admin page."""
    message = _message(world)
    response = login_as("admin").post(f"/jobs/admin/mail/{message.id}/retry", data={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/jobs/admin")

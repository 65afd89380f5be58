"""Ask to learn (issue 16, item 8): who may take which step, names hidden until the unit asked
accepts, every step audited, e-mails without names and with links from KVIP_BASE_URL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.benchmarks import learning
from kvip.benchmarks.models import LearningRequest
from kvip.core.errors import Conflict, ServiceError
from kvip.core.models import AuditEvent, OutboxEmail
from kvip.core.permissions import PermissionDenied, can
from kvip.extensions import db
from kvip.visits.models import Observation
from tests.benchmarks.conftest import (
    GOOD_BETA,
    GOOD_DRAFT,
    IMPROVE_OWN,
    NAMES,
    BenchWorld,
)

ASK = "Vi vil gjerne lære hvordan dere holder morgenmøtene korte."


def _observation(text: str) -> int:
    return int(db.session.scalar(sa.select(Observation.id).where(Observation.text == text)))


def _send(bench: BenchWorld, role: str = "lead", text: str = GOOD_BETA) -> LearningRequest:
    return learning.send(bench.users[role], bench.units["own"], _observation(text), ASK, "Enhet B")


def _count() -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(LearningRequest)) or 0)


def test_only_the_requesting_units_lead_sends(bench: BenchWorld) -> None:
    for role in ("member", "coordinator", "outsider", "reviewer", "admin"):
        with pytest.raises(PermissionDenied):
            _send(bench, role)
    assert _count() == 0
    req = _send(bench)
    assert (req.state, req.from_unit_id, req.to_unit_id) == (
        "sent",
        bench.units["own"].id,
        bench.units["beta"].id,
    )
    assert req.to_label == "Enhet B" and req.practice == GOOD_BETA


@pytest.mark.parametrize(
    ("observation", "message", "code"),
    [
        (GOOD_BETA, "   ", "invalid"),  # nothing written
        (GOOD_BETA, "x" * 1001, "invalid"),  # over the limit
        (GOOD_DRAFT, ASK, "bad_practice"),  # only final reports' good practice
        (IMPROVE_OWN, ASK, "bad_practice"),  # not good practice at all
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    bench: BenchWorld, observation: str, message: str, code: str
) -> None:
    with pytest.raises(ServiceError) as caught:
        learning.send(
            bench.users["lead"], bench.units["own"], _observation(observation), message, "Enhet B"
        )
    assert caught.value.status == 400 and caught.value.code == code
    assert _count() == 0
    with pytest.raises(ServiceError):
        learning.send(bench.users["lead"], bench.units["own"], "abc", ASK)


def test_own_practice_cannot_be_asked_about(bench: BenchWorld) -> None:
    with pytest.raises(ServiceError) as caught:
        learning.send(bench.users["outsider"], bench.units["beta"], _observation(GOOD_BETA), ASK)
    assert caught.value.code == "own_practice"


def test_only_the_coordinator_forwards_and_only_the_other_lead_answers(
    bench: BenchWorld,
) -> None:
    req = _send(bench)
    users = bench.users
    # Before it is passed on, the other unit does not even know about it.
    assert not can(users["outsider"], "learning.read", req)
    for role in ("lead", "member", "outsider", "reviewer", "admin"):
        with pytest.raises(PermissionDenied):
            learning.forward(users[role], req)
    with pytest.raises(PermissionDenied):
        learning.accept(users["outsider"], req)
    learning.forward(users["coordinator"], req, "Fint spørsmål")
    assert req.state == "forwarded" and can(users["outsider"], "learning.read", req)
    with pytest.raises(Conflict):
        learning.forward(users["coordinator"], req)
    for role in ("lead", "member", "coordinator", "reviewer", "admin"):
        with pytest.raises(PermissionDenied):
            learning.accept(users[role], req)
        with pytest.raises(PermissionDenied):
            learning.decline(users[role], req)
    learning.accept(users["outsider"], req)
    assert req.state == "accepted" and req.contact_id == users["outsider"].id
    with pytest.raises(Conflict):
        learning.decline(users["outsider"], req)


def test_a_contact_must_belong_to_the_accepting_unit(bench: BenchWorld) -> None:
    req = _send(bench)
    learning.forward(bench.users["coordinator"], req)
    with pytest.raises(ServiceError):
        learning.accept(bench.users["outsider"], req, bench.users["member"].id)
    assert req.state == "forwarded"


def test_refusal_needs_a_reason_and_is_never_shown_to_the_other_unit(bench: BenchWorld) -> None:
    req = _send(bench)
    with pytest.raises(ServiceError):
        learning.refuse(bench.users["coordinator"], req, " ")
    assert req.state == "sent"
    learning.refuse(bench.users["coordinator"], req, "Den enheten har for mye nå.")
    assert req.state == "refused"
    assert not can(bench.users["outsider"], "learning.read", req)
    assert can(bench.users["member"], "learning.read", req)


def test_every_step_is_audited(bench: BenchWorld) -> None:
    req = _send(bench)
    learning.forward(bench.users["coordinator"], req)
    learning.accept(bench.users["outsider"], req)
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity == "learning_request", AuditEvent.entity_id == req.id)
        .order_by(AuditEvent.id)
    ).all()
    steps = [(e.action, e.user_id) for e in events]
    assert ("create", bench.users["lead"].id) in steps
    assert ("forward", bench.users["coordinator"].id) in steps
    assert ("accept", bench.users["outsider"].id) in steps
    assert all(e.network_id == bench.network.id for e in events)


def test_mails_link_to_the_base_url_and_name_no_unit(app: Flask, bench: BenchWorld) -> None:
    app.config["KVIP_BASE_URL"] = "https://kvip.example.org"
    req = _send(bench)
    learning.forward(bench.users["coordinator"], req)
    learning.accept(bench.users["outsider"], req)
    mails = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.dedup_key.like("learn:%")))
    by_to = {}
    for m in mails:
        by_to.setdefault(m.to, []).append(m)
        assert f"https://kvip.example.org/benchmarks/requests/{req.id}" in m.body
        for name in NAMES.values():
            assert name not in m.body and name not in m.subject
    assert set(by_to) == {
        bench.users["coordinator"].email,  # asked to pass it on, told of the answer
        bench.users["outsider"].email,  # asked
        bench.users["lead"].email,  # told of the answer
    }


def _pages(client: Any, req_id: int) -> str:
    return client.get("/benchmarks/requests").get_data(as_text=True) + client.get(
        f"/benchmarks/requests/{req_id}"
    ).get_data(as_text=True)


def test_names_are_revealed_only_after_acceptance(bench: BenchWorld, client_as: Any) -> None:
    own, other = NAMES["own"], NAMES["beta"]
    req = _send(bench)
    learning.forward(bench.users["coordinator"], req)
    req_id = req.id
    lead, member, outsider = client_as("lead"), client_as("member"), client_as("outsider")
    for client in (lead, member):
        page = _pages(client, req_id)
        assert "Enhet B" in page and other not in page
        assert bench.users["outsider"].email not in page
    page = _pages(outsider, req_id)
    assert ASK in page and own not in page
    assert bench.users["lead"].email not in page
    assert other in _pages(client_as("coordinator"), req_id)  # the coordinator sees both
    response = outsider.post(f"/benchmarks/requests/{req_id}/accept", data={})
    assert response.status_code == 302
    for client in (lead, member):
        page = _pages(client, req_id)
        assert other in page and bench.users["outsider"].email in page
    page = _pages(outsider, req_id)
    assert own in page and bench.users["lead"].email in page


def test_ask_links_on_the_unit_page_and_in_the_library(bench: BenchWorld, client_as: Any) -> None:
    nid, uid = bench.network.id, bench.units["own"].id
    lead, member = client_as("lead"), client_as("member")
    cycle = bench.cycles[1].id
    unit_page = lead.get(f"/benchmarks/units/{uid}?cycle={cycle}").get_data(as_text=True)
    assert "/benchmarks/requests/new?" in unit_page
    library = lead.get(f"/benchmarks/networks/{nid}/good-practice").get_data(as_text=True)
    assert "/benchmarks/requests/new?" in library
    for page in (
        member.get(f"/benchmarks/units/{uid}?cycle={cycle}").get_data(as_text=True),
        member.get(f"/benchmarks/networks/{nid}/good-practice").get_data(as_text=True),
    ):
        assert "/benchmarks/requests/new?" not in page  # only a lead asks
    oid = _observation(GOOD_BETA)
    form = lead.get(f"/benchmarks/requests/new?unit={uid}&observation={oid}&label=Enhet+B")
    assert form.status_code == 200 and GOOD_BETA in form.get_data(as_text=True)
    too_long = lead.post(
        "/benchmarks/requests/new",
        data={"unit": uid, "observation": oid, "label": "Enhet B", "message": "x" * 1001},
    )
    assert too_long.status_code == 400 and _count() == 0
    assert "x" * 1001 in too_long.get_data(as_text=True)  # what was typed is kept
    sent = lead.post(
        "/benchmarks/requests/new",
        data={"unit": uid, "observation": oid, "label": "Enhet B", "message": ASK},
    )
    assert sent.status_code == 302 and _count() == 1


def test_one_open_request_per_practice(bench: BenchWorld) -> None:
    _send(bench)
    with pytest.raises(Conflict):
        _send(bench)
    assert _count() == 1


def test_home_pages_link_to_the_requests(bench: BenchWorld, client_as: Any) -> None:
    for role in ("lead", "coordinator"):
        assert 'href="/benchmarks/requests"' in client_as(role).get("/").get_data(as_text=True)


def test_the_audit_log_names_the_steps(bench: BenchWorld, client_as: Any) -> None:
    req = _send(bench)
    learning.forward(bench.users["coordinator"], req)
    page = client_as("coordinator").get(f"/networks/{bench.network.id}/audit")
    text = page.get_data(as_text=True)
    assert "Forespørsel om å lære" in text and "Sendt videre" in text

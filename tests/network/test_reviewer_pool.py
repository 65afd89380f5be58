"""The shared reviewer pool: a coordinator adds an existing person (perhaps of another network) by
e-mail address; the person is told and can decline; the coordinator sees nothing of the other
network and cannot change the person's identity. An unknown address falls back to inviting."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.accounts import services as accounts
from kvip.accounts.models import Membership, NetworkRole, User
from kvip.core.models import AuditEvent, OutboxEmail
from kvip.extensions import db
from tests.conftest import login
from tests.factories import World, create_institution, create_network, create_unit, create_user


@dataclass
class Elsewhere:
    network_id: int
    person: User  # unit lead in network two, reviewer there too; home institution there
    coordinator: User  # coordinator of network two


@pytest.fixture
def elsewhere(world: World) -> Elsewhere:
    network = create_network(name="Nettverk Nord")
    inst = create_institution(network, "Nordlandssykehuset")
    unit = create_unit(inst, "Enhet Polarlys")
    person = create_user("pia@nord.test", "Pia Nord", home_institution_id=inst.id)
    coordinator = create_user("koord@nord.test", "Kari Nordkoordinator")
    db.session.add_all(
        [
            Membership(user_id=person.id, unit_id=unit.id, role="unit_lead"),
            NetworkRole(user_id=person.id, network_id=network.id, role="reviewer"),
            NetworkRole(user_id=coordinator.id, network_id=network.id, role="coordinator"),
        ]
    )
    db.session.commit()
    # The other network's coordinator once sent the person a password link (a user-entity event
    # naming someone of the other network).
    accounts.send_password_link(coordinator, person)
    return Elsewhere(network.id, person, coordinator)


def _mail_to(address: str) -> list[OutboxEmail]:
    return list(
        db.session.scalars(
            sa.select(OutboxEmail).where(OutboxEmail.to == address).order_by(OutboxEmail.id)
        )
    )


def _pool_role(world: World, user: User) -> NetworkRole | None:
    return db.session.scalar(
        sa.select(NetworkRole).where(
            NetworkRole.user_id == user.id,
            NetworkRole.network_id == world.network.id,
            NetworkRole.role == "reviewer",
        )
    )


def _add(client: Any, world: World, email: str, **extra: str) -> Any:
    return client.post(
        f"/networks/{world.network.id}/reviewers/add", data={"email": email, **extra}
    )


def test_add_existing_person_of_another_network_and_they_are_told(
    app: Flask, world: World, elsewhere: Elsewhere
) -> None:
    coord = login(app.test_client(), world.users["coordinator"])
    r = _add(coord, world, "  PIA@nord.test ", trained_lead="y")
    assert r.status_code == 302
    role = _pool_role(world, elsewhere.person)
    assert role is not None and role.trained_lead
    # The person keeps their account: no new user, no password change.
    assert (
        db.session.scalar(sa.select(sa.func.count(User.id)).where(User.email == "pia@nord.test"))
        == 1
    )
    told = _mail_to("pia@nord.test")[-1]
    assert world.network.name in told.subject or world.network.name in told.body
    assert "/networks/reviewer-pool/decline/" in told.body
    assert db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "network_role", AuditEvent.entity_id == role.id
        )
    )
    # The pool page lists them; adding again says they are already there.
    page = coord.get(f"/visits/networks/{world.network.id}/reviewers").get_data(as_text=True)
    assert "Pia Nord" in page
    _add(coord, world, "pia@nord.test")
    assert (
        db.session.scalar(
            sa.select(sa.func.count(NetworkRole.id)).where(
                NetworkRole.user_id == elsewhere.person.id,
                NetworkRole.network_id == world.network.id,
            )
        )
        == 1
    )


def test_the_coordinator_sees_nothing_of_the_other_network_and_cannot_edit_identity(
    app: Flask, world: World, elsewhere: Elsewhere
) -> None:
    coord = login(app.test_client(), world.users["coordinator"])
    _add(coord, world, "pia@nord.test")
    page = coord.get(f"/admin/users/{elsewhere.person.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Pia Nord" in html
    for private in ("Nettverk Nord", "Enhet Polarlys", "Kari Nordkoordinator"):
        assert private not in html, private
    # Their role in this network is listed (and can be removed).
    assert world.network.name in html
    # Identity stays for an administrator.
    coordinator = world.users["coordinator"]
    assert not accounts.may_change_identity(coordinator, elsewhere.person)
    r = coord.post(
        f"/admin/users/{elsewhere.person.id}",
        data={
            "email": "taken-over@evil.test",
            "name": "Pia Nord",
            "locale": "nb",
            "active": "y",
            "home_institution_id": str(elsewhere.person.home_institution_id),
            "version": str(elsewhere.person.version),
        },
    )
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, elsewhere.person.id).email == "pia@nord.test"
    # An administrator still sees everything.
    admin_html = (
        login(app.test_client(), world.users["admin"])
        .get(f"/admin/users/{elsewhere.person.id}")
        .get_data(as_text=True)
    )
    assert "Nettverk Nord" in admin_html and "Enhet Polarlys" in admin_html


def test_the_person_declines_with_the_link(app: Flask, world: World, elsewhere: Elsewhere) -> None:
    coord = login(app.test_client(), world.users["coordinator"])
    _add(coord, world, "pia@nord.test")
    role = _pool_role(world, elsewhere.person)
    assert role is not None
    role_id = role.id
    link = re.search(
        r"https?://\S+/networks/reviewer-pool/decline/\S+", _mail_to("pia@nord.test")[-1].body
    )
    assert link
    path = "/" + link.group(0).split("/", 3)[3]
    anon = app.test_client()
    page = anon.get(path)
    assert page.status_code == 200 and world.network.name in page.get_data(as_text=True)
    assert _pool_role(world, elsewhere.person) is not None  # a GET changes nothing
    r = anon.post(path)
    assert r.status_code == 200
    db.session.expire_all()
    assert _pool_role(world, elsewhere.person) is None
    # The role in the other network is untouched.
    assert db.session.scalar(
        sa.select(NetworkRole).where(
            NetworkRole.user_id == elsewhere.person.id,
            NetworkRole.network_id == elsewhere.network_id,
        )
    )
    event = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "network_role",
            AuditEvent.entity_id == role_id,
            AuditEvent.action == "decline",
        )
    )
    assert event is not None and event.user_id == elsewhere.person.id
    assert any("Pia Nord" in m.subject for m in _mail_to("coord@example.test"))
    # The link works once.
    assert anon.post(path).status_code == 400
    assert anon.get(path).status_code == 400


def test_a_forged_decline_link_changes_nothing(
    app: Flask, world: World, elsewhere: Elsewhere
) -> None:
    role = db.session.scalar(
        sa.select(NetworkRole).where(NetworkRole.user_id == elsewhere.person.id)
    )
    assert role is not None
    anon = app.test_client()
    for token in ("nonsense", "eyJyIjoxLCJ1IjoxfQ.forged"):
        assert anon.post(f"/networks/reviewer-pool/decline/{token}").status_code == 400
    db.session.expire_all()
    assert db.session.get(NetworkRole, role.id) is not None


def test_unknown_address_falls_back_to_the_invitation(app: Flask, world: World) -> None:
    coord = login(app.test_client(), world.users["coordinator"])
    r = _add(coord, world, "new.person@example.test")
    assert r.status_code == 302
    assert accounts.user_by_email("new.person@example.test") is None  # a name is needed
    r = _add(coord, world, "new.person@example.test", name="Nye Person")
    assert r.status_code == 302
    user = accounts.user_by_email("new.person@example.test")
    assert user is not None and user.password_hash is None
    assert _pool_role(world, user) is not None
    invitation = _mail_to("new.person@example.test")[-1]
    assert "/password/reset/" in invitation.body


def test_bad_input_is_refused(app: Flask, world: World) -> None:
    coord = login(app.test_client(), world.users["coordinator"])
    before = db.session.scalar(sa.select(sa.func.count(NetworkRole.id)))
    r = _add(coord, world, "not-an-address")
    assert r.status_code == 302
    page = coord.get(r.headers["Location"]).get_data(as_text=True)
    assert "valid email" in page or "gyldig" in page
    assert db.session.scalar(sa.select(sa.func.count(NetworkRole.id))) == before


def test_only_the_networks_coordinator_adds(app: Flask, world: World, elsewhere: Elsewhere) -> None:
    other = login(app.test_client(), elsewhere.coordinator)
    r = _add(other, world, "member@example.test")
    assert r.status_code == 403
    for role in ("lead", "member", "reviewer"):
        client = login(app.test_client(), world.users[role])
        assert _add(client, world, "pia@nord.test").status_code == 403
    assert _pool_role(world, elsewhere.person) is None


def test_creating_an_existing_person_offers_the_pool(
    app: Flask, world: World, elsewhere: Elsewhere
) -> None:
    coord = login(app.test_client(), world.users["coordinator"])
    r = coord.post(
        "/admin/users/new",
        data={"email": "pia@nord.test", "name": "Pia", "locale": "nb", "home_institution_id": "0"},
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Denne personen har allerede en konto. Legg til som fagfelle i nettverket?" in html
    assert f"/networks/{world.network.id}/reviewers/add" in html
    assert "Nettverk Nord" not in html

"""User administration is scoped: a coordinator manages the people of their own network (and
people not attached anywhere yet), never administrators or another network's people."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from kvip.accounts.models import Membership, NetworkRole, User
from kvip.extensions import db
from tests.conftest import login
from tests.factories import World, create_institution, create_network, create_unit, create_user


def _second_network() -> dict[str, User]:
    network = create_network(name="Nettverk To")
    unit = create_unit(create_institution(network, "Sykehus To"), "Enhet To")
    coordinator = create_user("coord2@example.test", "Koordinator To")
    member = create_user("member2@example.test", "Medlem To")
    db.session.add_all(
        [
            NetworkRole(user_id=coordinator.id, network_id=network.id, role="coordinator"),
            Membership(user_id=member.id, unit_id=unit.id, role="unit_member"),
        ]
    )
    loose = create_user("new@example.test", "Ny Person")
    db.session.commit()
    return {"coordinator": coordinator, "member": member, "loose": loose}


def _listed(client, query: str = "") -> str:  # type: ignore[no-untyped-def]
    response = client.get("/admin/users" + (f"?q={query}" if query else ""))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_coordinator_sees_only_their_networks_people(app: Flask, world: World) -> None:
    two = _second_network()
    page = _listed(login(app.test_client(), world.users["coordinator"]))
    for role in ("member", "lead", "reviewer", "outsider"):
        assert world.users[role].email in page
    assert "member2@example.test" not in page and "coord2@example.test" not in page
    assert world.users["admin"].email not in page
    assert two["loose"].email in page  # not attached anywhere yet: can be given a role
    other = _listed(login(app.test_client(), two["coordinator"]))
    assert "member2@example.test" in other and world.users["member"].email not in other
    everyone = _listed(login(app.test_client(), world.users["admin"]))
    assert "member2@example.test" in everyone and world.users["member"].email in everyone


def test_another_networks_person_or_an_admin_cannot_be_opened_or_changed(
    app: Flask, world: World
) -> None:
    two = _second_network()
    client = login(app.test_client(), world.users["coordinator"])
    admin = world.users["admin"]
    for target in (two["member"], admin):
        assert client.get(f"/admin/users/{target.id}").status_code == 404
        response = client.post(
            f"/admin/users/{target.id}",
            data={"email": "taken-over@example.test", "name": "Hijacked", "locale": "nb"},
        )
        assert response.status_code == 404
        response = client.post(
            f"/admin/users/{target.id}/roles",
            data={"scope": f"unit:{world.unit.id}", "role": "unit_member"},
        )
        assert response.status_code == 404
    db.session.expire_all()
    assert admin.email == "admin@example.test" and two["member"].email == "member2@example.test"
    assert not db.session.scalar(
        sa.select(sa.func.count()).where(
            Membership.user_id.in_([admin.id, two["member"].id]),
            Membership.unit_id == world.unit.id,
        )
    )


def test_a_coordinator_still_manages_own_people_and_attaches_new_ones(
    app: Flask, world: World
) -> None:
    two = _second_network()
    client = login(app.test_client(), world.users["coordinator"])
    member = world.users["member"]
    response = client.post(
        f"/admin/users/{member.id}",
        data={"email": member.email, "name": "Nytt Navn", "locale": "en", "active": "y"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/admin/users/{two['loose'].id}/roles",
        data={"scope": f"unit:{world.unit.id}", "role": "unit_member"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert member.name == "Nytt Navn"
    # Attached to network one now, so network two's coordinator no longer manages them.
    other = login(app.test_client(), two["coordinator"])
    assert other.get(f"/admin/users/{two['loose'].id}").status_code == 404

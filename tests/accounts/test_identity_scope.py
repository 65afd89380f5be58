"""Who may change a person's identity (e-mail, name, active): an administrator, or a coordinator
whose own networks hold *every* role of that person. A changed e-mail tells the old address
and ends the person's sessions. Nobody but the person ever sets their password."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.accounts import services
from kvip.accounts.models import Membership, NetworkRole, User
from kvip.core.errors import ServiceError
from kvip.core.models import OutboxEmail
from kvip.extensions import db
from tests.conftest import login
from tests.factories import World, create_institution, create_network, create_unit, create_user


@dataclass
class Two:
    """A second network beside the world's, and people with roles in both."""

    network_id: int
    coordinator: User  # coordinates network two, reviews in the world's network
    both: User  # member in the world's unit, reviewer in network two
    home_elsewhere: User  # member in the world's unit, home institution in network two
    loose: User  # no role anywhere yet


@pytest.fixture
def two(world: World) -> Two:
    network = create_network(name="Nettverk To")
    inst = create_institution(network, "Sykehus To")
    create_unit(inst, "Enhet To")
    coordinator = create_user("coord2@example.test", "Koordinator To")
    both = create_user("both@example.test", "Begge Steder", locale="en")
    home = create_user("home@example.test", "Hjemme To", home_institution_id=inst.id)
    loose = create_user("loose@example.test", "Løs Person")
    db.session.add_all(
        [
            NetworkRole(user_id=coordinator.id, network_id=network.id, role="coordinator"),
            NetworkRole(user_id=coordinator.id, network_id=world.network.id, role="reviewer"),
            Membership(user_id=both.id, unit_id=world.unit.id, role="unit_member"),
            NetworkRole(user_id=both.id, network_id=network.id, role="reviewer"),
            Membership(user_id=home.id, unit_id=world.unit.id, role="unit_member"),
        ]
    )
    db.session.commit()
    return Two(network.id, coordinator, both, home, loose)


def _post(client, user: User, **changes: object):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {
        "email": user.email,
        "name": user.name,
        "locale": user.locale,
        "home_institution_id": str(user.home_institution_id or 0),
    }
    if user.active:
        data["active"] = "y"
    data.update(changes)
    if data.get("active") is False:
        del data["active"]
    return client.post(f"/admin/users/{user.id}", data=data)


def _mail_to(address: str) -> list[OutboxEmail]:
    return list(db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to == address)))


def test_a_coordinator_cannot_change_the_identity_of_someone_with_a_role_elsewhere(
    app: Flask, world: World, two: Two
) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    for person in (two.both, two.coordinator, two.home_elsewhere):
        email, name = person.email, person.name
        for change in (
            {"email": "attacker@example.test"},
            {"name": "Someone Else"},
            {"active": False},
        ):
            response = _post(client, person, **change)
            assert response.status_code == 403, (person.email, change)
            assert "other networks" in response.get_data(as_text=True) or (
                "andre nettverk" in response.get_data(as_text=True)
            )
        db.session.expire_all()
        assert (person.email, person.name, person.active) == (email, name, True)
    assert _mail_to("attacker@example.test") == []


def test_the_page_shows_the_identity_read_only_with_the_reason(
    app: Flask, world: World, two: Two
) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    html = client.get(f"/admin/users/{two.both.id}").get_data(as_text=True)
    assert 'id="email"' in html and "readonly" in html
    assert "andre nettverk" in html  # why: the person has roles in other networks
    own = client.get(f"/admin/users/{world.users['member'].id}").get_data(as_text=True)
    assert "andre nettverk" not in own


def test_the_service_denies_by_default(world: World, two: Two) -> None:
    coordinator = world.users["coordinator"]
    assert not services.may_change_identity(coordinator, two.both)
    assert not services.may_change_identity(coordinator, two.coordinator)
    assert not services.may_change_identity(coordinator, world.users["admin"])
    assert services.may_change_identity(coordinator, world.users["member"])
    assert services.may_change_identity(coordinator, two.loose)  # no role anywhere yet
    assert services.may_change_identity(world.users["admin"], two.both)
    with pytest.raises(ServiceError) as refused:
        services.update_user(coordinator, two.both, email="attacker@example.test")
    assert refused.value.status == 403
    # Unchanged identity values are no change: the language can still be set.
    services.update_user(coordinator, two.both, email=two.both.email, locale="nb")
    assert two.both.locale == "nb"


def test_a_coordinator_of_both_networks_may_change_it(app: Flask, world: World, two: Two) -> None:
    db.session.add(
        NetworkRole(
            user_id=world.users["coordinator"].id,
            network_id=two.network_id,
            role="coordinator",
        )
    )
    db.session.commit()
    assert services.may_change_identity(world.users["coordinator"], two.both)


def test_an_email_change_tells_the_old_address_and_ends_the_persons_sessions(
    app: Flask, world: World
) -> None:
    member = world.users["member"]
    member.locale = "en"
    db.session.commit()
    their_tablet = login(app.test_client(), member)
    assert their_tablet.get("/profile").status_code == 200
    client = login(app.test_client(), world.users["coordinator"])
    response = _post(client, member, email="member.new@example.test")
    assert response.status_code == 302
    db.session.expire_all()
    assert member.email == "member.new@example.test"
    [notice] = _mail_to("member@example.test")
    assert "member.new@example.test" in notice.body
    assert notice.subject == "KvIP: your e-mail address was changed"  # the person's language
    page = their_tablet.get("/profile")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_an_admin_may_change_anyones_email_and_the_old_address_is_told(
    app: Flask, world: World, two: Two
) -> None:
    client = login(app.test_client(), world.users["admin"])
    response = _post(client, two.both, email="both.new@example.test")
    assert response.status_code == 302
    db.session.expire_all()
    assert two.both.email == "both.new@example.test"
    assert len(_mail_to("both@example.test")) == 1


def test_an_admin_changing_their_own_email_stays_signed_in(app: Flask, world: World) -> None:
    admin = world.users["admin"]
    client = login(app.test_client(), admin)
    response = _post(client, admin, email="admin.new@example.test")
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200


def test_the_new_user_form_takes_no_password(app: Flask, world: World) -> None:
    for role in ("admin", "coordinator"):
        client = login(app.test_client(), world.users[role])
        html = client.get("/admin/users/new").get_data(as_text=True)
        assert 'type="password"' not in html
        email = f"new-{role}@example.test"
        response = client.post(
            "/admin/users/new",
            data={
                "email": email,
                "name": "Ny",
                "locale": "nb",
                "home_institution_id": "0",
                "password": "chosen-by-someone-else",
            },
        )
        assert response.status_code == 302
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user is not None and user.password_hash is None  # an invitation went out
        assert len(_mail_to(email)) == 1


def test_the_service_refuses_a_password_from_anyone_but_the_cli(world: World) -> None:
    with pytest.raises(ServiceError):
        services.create_user(
            world.users["admin"], email="x@example.test", name="X", password="a good passphrase"
        )
    assert services.user_by_email("x@example.test") is None
    # The operator's CLI (actor None) may still create a first admin with a password.
    user = services.create_user(None, email="ops@example.test", name="Ops", password="a good one!")
    assert user.password_hash

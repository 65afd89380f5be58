"""Units and institutions: validation, audit, scoping to the coordinator's network."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from kvip.core.models import AuditEvent
from kvip.extensions import db
from kvip.network.models import Unit
from tests.conftest import login
from tests.factories import World, create_network


def _unit_form(world: World, **over: object) -> dict[str, object]:
    data = {
        "name": "Ny enhet",
        "institution_id": str(world.inst_a.id),
        "kind": "acute",
        "beds": "6",
        "region": "Vest",
        "active": "y",
    }
    data.update(over)  # type: ignore[arg-type]
    return data


def test_coordinator_creates_unit_with_audit(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    response = client.post(f"/networks/{world.network.id}/units/new", data=_unit_form(world))
    assert response.status_code == 302
    unit = db.session.scalar(sa.select(Unit).where(Unit.name == "Ny enhet"))
    assert unit is not None and unit.beds == 6
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity == "unit", AuditEvent.entity_id == unit.id)
    ).all()
    assert {e.field for e in events} >= {"name", "beds", "kind"}
    assert all(e.user_id == world.users["coordinator"].id for e in events)


def test_empty_unit_name_is_refused_in_users_language_and_nothing_changes(
    app: Flask, world: World
) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Unit))
    response = client.post(
        f"/networks/{world.network.id}/units/new", data=_unit_form(world, name="")
    )
    assert response.status_code == 422
    assert "Rett opp feltene" in response.get_data(as_text=True)
    client.post("/language", data={"locale": "en"})
    response = client.post(
        f"/networks/{world.network.id}/units/new", data=_unit_form(world, name="  ")
    )
    assert "This field is required." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == before


def test_bad_beds_and_foreign_institution_are_refused(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    unit_id = world.unit.id
    r1 = client.post(
        f"/networks/{world.network.id}/units/{unit_id}", data=_unit_form(world, beds="-3")
    )
    assert r1.status_code == 422
    other_net = create_network()
    from tests.factories import create_institution

    foreign = create_institution(other_net)
    db.session.commit()
    r2 = client.post(
        f"/networks/{world.network.id}/units/{unit_id}",
        data=_unit_form(world, institution_id=str(foreign.id)),
    )
    assert r2.status_code == 422
    db.session.refresh(world.unit)
    assert world.unit.name == "Enhet Alfa" and world.unit.beds == 8


def test_unit_of_another_network_is_not_found_through_this_network(
    app: Flask, world: World
) -> None:
    client = login(app.test_client(), world.users["admin"])
    other = create_network()
    db.session.commit()
    assert client.get(f"/networks/{other.id}/units/{world.unit.id}").status_code == 404


def test_audit_page_lists_changes_with_filters(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    client.post(
        f"/networks/{world.network.id}/units/{world.unit.id}", data=_unit_form(world, name="Omdøpt")
    )
    html = client.get(f"/networks/{world.network.id}/audit?entity=unit").get_data(as_text=True)
    assert "Omdøpt" in html and "Enhet Alfa" in html
    html = client.get(f"/networks/{world.network.id}/audit?who=nobody").get_data(as_text=True)
    assert "Omdøpt" not in html.split("<tbody>", 1)[1]


def test_network_settings_validate_k(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    bad = client.post(
        f"/networks/{world.network.id}/settings",
        data={"name": "N", "benchmark_visibility": "named", "min_group_size": "0"},
    )
    assert bad.status_code == 422
    db.session.refresh(world.network)
    assert world.network.benchmark_visibility == "pseudonymised"
    good = client.post(
        f"/networks/{world.network.id}/settings",
        data={"name": "N", "benchmark_visibility": "named", "min_group_size": "5"},
    )
    assert good.status_code == 302
    db.session.refresh(world.network)
    assert (world.network.benchmark_visibility, world.network.min_group_size) == ("named", 5)


def test_k_cannot_be_set_below_three(app: Flask, world: World) -> None:
    import pytest

    from kvip.core.errors import ServiceError
    from kvip.network import services

    client = login(app.test_client(), world.users["coordinator"])
    for k in ("1", "2"):
        bad = client.post(
            f"/networks/{world.network.id}/settings",
            data={"name": "N", "benchmark_visibility": "named", "min_group_size": k},
        )
        assert bad.status_code == 422
        assert (
            "Velg et tall fra 3 til 50: grupper med færre enn 3 enheter kan avsløre en enhet."
            in (bad.get_data(as_text=True))
        )
        db.session.refresh(world.network)
        assert (world.network.name, world.network.min_group_size) != ("N", int(k))
    # The service refuses too (the API, the CLI, a form that forgot its validator)…
    with pytest.raises(ServiceError) as refused:
        services.update_network(
            world.users["coordinator"],
            world.network,
            name="N",
            benchmark_visibility="named",
            min_group_size=2,
        )
    assert "min_group_size" in refused.value.fields
    db.session.rollback()
    # …and a row stored with a smaller k before this rule is read as 3.
    world.network.min_group_size = 1
    db.session.commit()
    assert world.network.group_size_k == 3

"""Two coordinators edit the same network settings, institution or unit from the same version:
the first save stays, the second gets a conflict with their typed values kept (issue 12)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from kvip.accounts.models import User
from kvip.core.errors import Conflict
from kvip.extensions import db
from kvip.network import services
from kvip.network.models import Institution, Network, Unit
from tests.concurrency import both_save, hidden_version, input_value, second_person
from tests.conftest import login
from tests.factories import World


def _settings(w: World, name: str) -> dict[str, Any]:
    return {"name": name, "benchmark_visibility": "pseudonymised", "min_group_size": "3"}


def _institution(w: World, name: str) -> dict[str, Any]:
    return {"name": name, "region": "Vest"}


def _unit(w: World, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "institution_id": str(w.inst_a.id),
        "kind": "acute",
        "beds": "8",
        "region": "",
        "active": "y",
    }


CASES: dict[str, tuple[Callable[[World], str], Callable[[World, str], dict[str, Any]], Any]] = {
    "network settings": (lambda w: f"/networks/{w.network.id}/settings", _settings, Network),
    "institution": (
        lambda w: f"/networks/{w.network.id}/institutions/{w.inst_a.id}",
        _institution,
        Institution,
    ),
    "unit": (lambda w: f"/networks/{w.network.id}/units/{w.unit.id}", _unit, Unit),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_the_second_of_two_coordinators_gets_the_conflict_with_their_text_kept(
    app: Flask, world: World, kind: str
) -> None:
    url, data, model = CASES[kind]
    admin = login(app.test_client(), world.users["admin"])
    coordinator = login(app.test_client(), world.users["coordinator"])
    page = both_save(
        admin, coordinator, url(world), data(world, "Adminens navn"), data(world, "Koordinators")
    )
    assert input_value(page, "name") == "Koordinators"
    assert "Adminens navn" in page and "Sist endret av Admin" in page
    assert hidden_version(page) == "2"
    target = {"network settings": world.network, "institution": world.inst_a, "unit": world.unit}
    db.session.expire_all()
    assert db.session.get(model, target[kind].id).name == "Adminens navn"


def _race(app: Flask, world: World, save: Callable[[Any, str], Any], model: Any, obj_id: int):
    mine = db.session.get(model, obj_id)
    assert mine is not None and mine.version == 1
    with second_person(app):
        save(db.session.get(User, world.users["admin"].id), "Adminens navn")
    with pytest.raises(Conflict):
        save(world.users["coordinator"], "Koordinators")
    db.session.expire_all()
    assert db.session.get(model, obj_id).name == "Adminens navn"


def test_network_settings_save_that_loses_the_race_is_refused(app: Flask, world: World) -> None:
    with app.test_request_context("/"):

        def save(actor: Any, name: str) -> Any:
            network = db.session.get(Network, world.network.id)
            return services.update_network(
                actor,
                network,
                name=name,
                benchmark_visibility="pseudonymised",
                min_group_size=3,
                version=1,
            )

        _race(app, world, save, Network, world.network.id)


def test_institution_save_that_loses_the_race_is_refused(app: Flask, world: World) -> None:
    with app.test_request_context("/"):

        def save(actor: Any, name: str) -> Any:
            institution = db.session.get(Institution, world.inst_a.id)
            return services.save_institution(
                actor, world.network.id, institution, name=name, region="", version=1
            )

        _race(app, world, save, Institution, world.inst_a.id)


def test_unit_save_that_loses_the_race_is_refused(app: Flask, world: World) -> None:
    with app.test_request_context("/"):

        def save(actor: Any, name: str) -> Any:
            unit = db.session.get(Unit, world.unit.id)
            return services.save_unit(
                actor,
                world.network.id,
                unit,
                name=name,
                institution_id=world.inst_a.id,
                kind="acute",
                beds=8,
                region="",
                active=True,
                version=1,
            )

        _race(app, world, save, Unit, world.unit.id)

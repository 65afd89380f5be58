"""Text at input: control characters never reach single-line fields (names, titles), multi-line
text keeps only line breaks and tabs, and invisible formatting characters such as a
right-to-left override are refused in names and titles with a message — through every form
(one mechanism, kvip.core.forms) and through the API (the same function)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_wtf import FlaskForm

import kvip
from kvip.actions.models import Action
from kvip.core.forms import KvipForm
from kvip.core.text import clean_line, clean_text, format_characters
from kvip.cycles.models import Cycle
from kvip.extensions import db
from kvip.network.models import Unit
from tests.conftest import login
from tests.factories import World

RLO = "\u202e"
REFUSED_NB = "usynlige formateringstegn"


def test_single_line_cleaning() -> None:
    assert clean_line("Syklus\r\n2027") == "Syklus 2027"
    assert clean_line("Enhet\x0bAlfa\x0c") == "Enhet Alfa "
    assert clean_line("a\x00b\x07c\x1bd\x7fe\x85f\x9fg") == "abc" + "d" + "e f" + "g"
    assert clean_line("Bu\u00adP døgn\u200b\ufeff") == "BuP døgn"
    assert clean_line("BUP døgn Kárášjohka – «ny»") == "BUP døgn Kárášjohka – «ny»"


def test_multi_line_cleaning() -> None:
    assert clean_text("one\r\ntwo\rthree\u2028four") == "one\ntwo\nthree\nfour"
    assert clean_text("tab\there\x0bsoft\x0cbreak\x00\x1b\x9f") == "tab\theresoftbreak"


def test_format_characters_found_and_the_script_joiners_kept() -> None:
    assert format_characters(f"abc{RLO}def\u202c") == [RLO, "\u202c"]
    for char in ("\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c", "\u206a"):
        assert format_characters(f"x{char}y") == [char]
    assert format_characters("👩\u200d⚕️ क्\u200dष") == []  # ZWJ/ZWNJ write scripts and emoji
    assert format_characters("\u200c") == []


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_form_of_the_app_cleans_its_text() -> None:
    """One mechanism: every FlaskForm subclass in kvip derives from KvipForm."""
    for info in pkgutil.walk_packages(kvip.__path__, "kvip."):
        if not info.ispkg:
            importlib.import_module(info.name)
    forms = [c for c in _subclasses(FlaskForm) if c.__module__.startswith("kvip.")]
    forms = [c for c in forms if c is not KvipForm]
    assert len(forms) > 15
    for form in forms:
        assert issubclass(form, KvipForm), f"{form.__module__}.{form.__name__}"


# --- through the forms ---------------------------------------------------------------------------


def _cycle_form(world: World, name: str) -> dict[str, str]:
    return {
        "edition_id": str(world.edition.id),
        "year": str(world.cycle.year + 1),
        "name": name,
        "self_assessment_opens": "2031-01-10",
        "self_assessment_closes": "2031-03-10",
    }


def test_a_cycle_name_with_control_characters_is_saved_without_them(
    app: Flask, world: World
) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    response = client.post(
        f"/cycles/new/{world.network.id}", data=_cycle_form(world, "Syklus\r\n2031\x0b neste")
    )
    assert response.status_code == 302
    names = db.session.scalars(sa.select(Cycle.name)).all()
    assert "Syklus 2031  neste" in names or "Syklus 2031 neste" in names
    assert not any(c in name for name in names for c in "\r\n\x0b")


def test_a_cycle_name_with_a_right_to_left_override_is_refused(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Cycle))
    response = client.post(
        f"/cycles/new/{world.network.id}", data=_cycle_form(world, f"Syklus {RLO}1302")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert REFUSED_NB in page and "U+202E" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cycle)) == before
    # Renaming an existing cycle: same rule.
    response = client.post(
        f"/cycles/{world.cycle.id}/edit",
        data={**_cycle_form(world, f"{RLO}Omdøpt"), "year": str(world.cycle.year)},
    )
    assert response.status_code == 422 and REFUSED_NB in response.get_data(as_text=True)
    db.session.expire_all()
    assert RLO not in world.cycle.name


def _unit_form(world: World, name: str) -> dict[str, str]:
    return {
        "name": name,
        "institution_id": str(world.inst_a.id),
        "kind": "acute",
        "beds": "6",
        "region": "Vest\t",
        "active": "y",
    }


def test_a_unit_name_is_cleaned_or_refused(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    url = f"/networks/{world.network.id}/units/new"
    assert client.post(url, data=_unit_form(world, "BUP\rdøgn\x0bKárášjohka")).status_code == 302
    unit = db.session.scalar(sa.select(Unit).where(Unit.name.like("BUP%")))
    assert unit is not None and unit.name == "BUP døgn Kárášjohka" and unit.region == "Vest"
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Unit))
    for name in (f"Enhet {RLO}fpd.exe", "Enhet\u2066 isolert\u2069", "Enhet\u200f"):
        response = client.post(url, data=_unit_form(world, name))
        assert response.status_code == 422 and REFUSED_NB in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == before


def test_an_action_title_through_the_form(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["lead"])
    url = f"/actions/assessments/{world.assessment.id}/new"
    data: dict[str, Any] = {
        "title": "Ny\r\nrutine\x0b",
        "description": "Linje én\r\nLinje to\x0b\x0cslutt\ttab",
        "risk": "low",
        "pdsa_stage": "plan",
    }
    assert client.post(url, data=data).status_code == 302
    action = db.session.scalar(sa.select(Action).where(Action.title.like("Ny%")))
    assert action is not None
    assert action.title == "Ny rutine"
    assert action.description == "Linje én\nLinje toslutt\ttab"
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Action))
    response = client.post(url, data={**data, "title": f"Tiltak {RLO}fdp.exe"})
    assert response.status_code == 422 and REFUSED_NB in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == before


# --- through the API ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [f"Tiltak {RLO}fdp.exe", "Tiltak\u2067 x", "\u200eTiltak", "Tiltak\u061c"],
)
def test_an_action_title_with_format_characters_is_refused_by_the_api(
    app: Flask, world: World, title: str
) -> None:
    client = login(app.test_client(), world.users["lead"])
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Action))
    response = client.post(
        f"/api/v1/assessments/{world.assessment.id}/actions", json={"title": title}
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert REFUSED_NB in error["fields"]["title"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == before


def test_control_characters_in_an_action_from_the_api_are_removed(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["lead"])
    response = client.post(
        f"/api/v1/assessments/{world.assessment.id}/actions",
        json={
            "title": "Fra\rskript\x0b",
            "responsible": "Ola\tNordmann",
            "description": "a\r\nb\x0bc",
        },
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["title"] == "Fra skript"
    assert body["responsible"] == "Ola Nordmann"
    assert body["description"] == "a\nbc"


def test_the_services_refuse_and_clean_names_whatever_calls_them(app: Flask, world: World) -> None:
    """Defence in depth: a path that bypasses the forms (the API, the CLI, a script) meets the
    same rule in the service that stores the name."""
    from kvip.accounts import services as accounts
    from kvip.core.errors import ServiceError
    from kvip.cycles.services import cycles
    from kvip.network import services as network

    coordinator = world.users["coordinator"]
    with app.test_request_context("/"):
        with pytest.raises(ServiceError) as refused:
            cycles.update_cycle(
                coordinator,
                world.cycle,
                name=f"Syklus {RLO}",
                self_assessment_opens=world.cycle.self_assessment_opens,
                self_assessment_closes=world.cycle.self_assessment_closes,
                visit_window_start=None,
                visit_window_end=None,
            )
        assert "name" in refused.value.fields
        with pytest.raises(ServiceError):
            network.save_unit(
                coordinator,
                world.network.id,
                world.unit,
                name=f"Enhet{RLO}",
                institution_id=world.inst_a.id,
                kind="acute",
                beds=3,
                region="",
                active=True,
            )
        with pytest.raises(ServiceError):
            accounts.update_user(world.users["admin"], world.users["member"], name=f"{RLO}Ola")
        db.session.rollback()
        cycles.update_cycle(
            coordinator,
            world.cycle,
            name="Syklus\r\nny",
            self_assessment_opens=world.cycle.self_assessment_opens,
            self_assessment_closes=world.cycle.self_assessment_closes,
            visit_window_start=None,
            visit_window_end=None,
        )
    db.session.expire_all()
    assert world.cycle.name == "Syklus ny"
    assert world.unit.name == "Enhet Alfa" and world.users["member"].name == "Member"

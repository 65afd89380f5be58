"""Two administrators edit the same person from the same version: the first save stays, the
second gets a conflict with their typed values kept; signing in never counts as an edit
(issue 12, item 12)."""

from __future__ import annotations

import pytest
from flask import Flask

from kvip.accounts import services
from kvip.accounts.models import User
from kvip.core.errors import Conflict
from kvip.extensions import db
from tests.concurrency import both_save, hidden_version, input_value, second_person
from tests.conftest import login
from tests.factories import PASSWORD, World


def _form(user: User, name: str) -> dict[str, str]:
    return {
        "email": user.email,
        "name": name,
        "locale": "nb",
        "home_institution_id": str(user.home_institution_id or 0),
        "active": "y",
    }


def test_the_second_of_two_admins_editing_a_person_gets_the_conflict(
    app: Flask, world: World
) -> None:
    person = world.users["member"]
    admin = login(app.test_client(), world.users["admin"])
    coordinator = login(app.test_client(), world.users["coordinator"])
    page = both_save(
        admin,
        coordinator,
        f"/admin/users/{person.id}",
        _form(person, "Mona (admin)"),
        _form(person, "Mona (koordinator)"),
    )
    assert input_value(page, "name") == "Mona (koordinator)"
    assert "Mona (admin)" in page and "Sist endret av Admin" in page
    assert hidden_version(page) == "2"
    db.session.expire_all()
    assert db.session.get(User, person.id).name == "Mona (admin)"


def test_a_user_edit_that_loses_the_race_is_refused(app: Flask, world: World) -> None:
    person_id = world.users["member"].id
    with app.test_request_context("/"):
        mine = db.session.get(User, person_id)
        assert mine.version == 1
        with second_person(app):
            services.update_user(
                db.session.get(User, world.users["admin"].id),
                db.session.get(User, person_id),
                name="Mona (admin)",
                version=1,
            )
        with pytest.raises(Conflict):
            services.update_user(
                world.users["coordinator"], mine, name="Mona (koordinator)", version=1
            )
    db.session.expire_all()
    assert db.session.get(User, person_id).name == "Mona (admin)"


def test_signing_in_is_not_an_edit_and_two_sign_ins_at_once_do_not_collide(
    app: Flask, world: World
) -> None:
    """Only a deliberate edit moves a person's version: an admin's form opened before the
    person signed in still saves, and the same account signed in twice at once both work."""
    person = world.users["member"]
    admin = login(app.test_client(), world.users["admin"])
    seen = hidden_version(admin.get(f"/admin/users/{person.id}").get_data(as_text=True))
    with app.test_request_context("/"):
        mine = db.session.get(User, person.id)
        with second_person(app):
            assert services.authenticate(person.email, PASSWORD) is not None
        mine.last_login_at = None  # another sign-in's write from a stale read
        db.session.commit()
    assert db.session.get(User, person.id).version == 1
    saved = admin.post(f"/admin/users/{person.id}", data={**_form(person, "Mona"), "version": seen})
    assert saved.status_code == 302

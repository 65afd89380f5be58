"""Sign-in, sessions, passwords, tokens, user administration."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask

from kvip.accounts.models import ApiToken, Membership, User
from kvip.core.models import AuditEvent
from kvip.extensions import db
from tests.conftest import login
from tests.factories import PASSWORD, World, create_user


def _csrf_client(app: Flask):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


def test_login_with_right_password_and_any_email_case(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    create_user("Kari@Example.test", "Kari")
    response = client.post("/login", data={"email": "KARI@example.TEST", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_login_does_not_reveal_whether_email_exists(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    create_user("kari@example.test", "Kari")
    wrong_pw = client.post(
        "/login", data={"email": "kari@example.test", "password": "nope-nope-nope"}
    )
    no_user = client.post(
        "/login", data={"email": "nobody@example.test", "password": "nope-nope-nope"}
    )
    assert wrong_pw.status_code == no_user.status_code == 401
    assert "Feil e-post eller passord." in wrong_pw.get_data(as_text=True)
    assert wrong_pw.get_data(as_text=True).count("Feil e-post") == no_user.get_data(
        as_text=True
    ).count("Feil e-post")
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_log_in(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    create_user("gone@example.test", active=False)
    db.session.commit()
    response = client.post("/login", data={"email": "gone@example.test", "password": PASSWORD})
    assert response.status_code == 401


def test_login_form_needs_csrf_token(app: Flask) -> None:
    create_user("kari@example.test")
    db.session.commit()
    client = _csrf_client(app)
    try:
        response = client.post("/login", data={"email": "kari@example.test", "password": PASSWORD})
        assert response.status_code == 400
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token
        ok = client.post(
            "/login",
            data={"email": "kari@example.test", "password": PASSWORD, "csrf_token": token.group(1)},
        )
        assert ok.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_session_id_rotates_at_login(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    create_user("kari@example.test")
    db.session.commit()
    with client.session_transaction() as sess:
        sess["planted"] = "by-attacker"
    client.post("/login", data={"email": "kari@example.test", "password": PASSWORD})
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert "_user_id" in sess


def test_login_is_throttled(app: Flask) -> None:
    from kvip import create_app

    throttled = create_app(
        {**app.config, "RATELIMIT_ENABLED": True, "KVIP_LOGIN_LIMIT": "3 per minute"}
    )
    client = throttled.test_client()
    codes = [
        client.post(
            "/login", data={"email": "x@example.test", "password": "wrong-wrong"}
        ).status_code
        for _ in range(5)
    ]
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429


def test_password_change_signs_out_other_sessions(app: Flask, world: World) -> None:
    user = world.users["member"]
    first, second = login(app.test_client(), user), login(app.test_client(), user)
    response = first.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": "a much longer secret"},
    )
    assert response.status_code == 302
    assert first.get("/profile").status_code == 200
    assert second.get("/profile").status_code == 302  # other session ended


def test_weak_password_is_refused_and_nothing_changes(app: Flask, world: World) -> None:
    user = world.users["member"]
    old_hash = user.password_hash
    client = login(app.test_client(), user)
    for bad in ("short", "member@example.test", "password123"):
        response = client.post(
            "/profile/password", data={"current_password": PASSWORD, "new_password": bad}
        )
        assert response.status_code == 422
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_api_token_shown_once_hashed_and_revocable(app: Flask, world: World) -> None:
    user = world.users["member"]
    client = login(app.test_client(), user)
    client.post("/profile/tokens", data={"name": "my script"})
    page = client.get("/profile").get_data(as_text=True)
    token = re.search(r'id="new-token">(kvip_[^<]+)<', page).group(1)  # type: ignore[union-attr]
    assert "new-token" not in client.get("/profile").get_data(as_text=True)  # shown once
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    assert row is not None and token not in row.token_hash
    bearer = app.test_client()
    me = bearer.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["email"] == user.email
    # Bearer tokens do not sign in HTML pages.
    assert bearer.get("/profile", headers={"Authorization": f"Bearer {token}"}).status_code == 302
    client.post(f"/profile/tokens/{row.id}/revoke")
    assert bearer.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_api_errors_are_json(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer kvip_wrong"})
    assert response.status_code == 401


def test_cli_create_token_prints_token_last(app: Flask, world: World) -> None:
    result = app.test_cli_runner().invoke(args=["users", "create-token", "member@example.test"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json["email"] == "member@example.test"


def test_duplicate_email_is_refused_with_message_and_nothing_changes(
    app: Flask, world: World
) -> None:
    client = login(app.test_client(), world.users["admin"])
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    response = client.post(
        "/admin/users/new",
        data={
            "email": "MEMBER@example.test",
            "name": "Copy",
            "locale": "nb",
            "home_institution_id": "0",
        },
    )
    assert response.status_code == 422
    assert "Det finnes allerede en bruker med denne e-postadressen." in response.get_data(
        as_text=True
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_admin_creates_user_and_grants_role_with_audit(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    response = client.post(
        "/admin/users/new",
        data={
            "email": "new@example.test",
            "name": "Ny Person",
            "locale": "en",
            "home_institution_id": str(world.inst_b.id),
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "new@example.test"))
    assert user is not None and user.home_institution_id == world.inst_b.id
    client.post(
        f"/admin/users/{user.id}/roles",
        data={"scope": f"unit:{world.other_unit.id}", "role": "unit_member"},
    )
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == user.id))
    assert membership is not None and membership.role == "unit_member"
    actions = set(
        db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.user_id == world.users["coordinator"].id)
        )
    )
    assert {"create", "grant"} <= actions


def test_unknown_role_is_refused(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["admin"])
    target = world.users["outsider"]
    response = client.post(
        f"/admin/users/{target.id}/roles",
        data={"scope": f"unit:{world.unit.id}", "role": "emperor"},
        follow_redirects=True,
    )
    assert "Velg hvor og hvilken rolle." in response.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(Membership).where(
                Membership.user_id == target.id, Membership.unit_id == world.unit.id
            )
        )
        is None
    )


def test_coordinator_cannot_grant_roles_in_another_network(app: Flask, world: World) -> None:
    from tests.factories import create_institution, create_network, create_unit

    foreign = create_unit(create_institution(create_network()))
    db.session.commit()
    client = login(app.test_client(), world.users["coordinator"])
    target = world.users["outsider"]
    client.post(
        f"/admin/users/{target.id}/roles", data={"scope": f"unit:{foreign.id}", "role": "unit_lead"}
    )
    assert db.session.scalar(sa.select(Membership).where(Membership.unit_id == foreign.id)) is None


def test_language_choice_is_remembered_for_the_user(app: Flask, world: World) -> None:
    user = world.users["member"]
    client = login(app.test_client(), user)
    assert "Forside" in client.get("/").get_data(as_text=True)
    client.post("/language", data={"locale": "en", "next": "/"})
    db.session.refresh(user)
    assert user.locale == "en"
    other = login(app.test_client(), user)
    html = other.get("/").get_data(as_text=True)
    assert "Home" in html and 'lang="en"' in html


def test_keep_me_signed_in_sets_a_remember_cookie(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    create_user("kari@example.test")
    db.session.commit()
    response = client.post(
        "/login", data={"email": "kari@example.test", "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    assert "remember_token" in response.headers.get("Set-Cookie", "") or any(
        "remember_token" in c for c in response.headers.getlist("Set-Cookie")
    )

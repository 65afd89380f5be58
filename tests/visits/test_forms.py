"""The visits pages read their input through kvip.visits.forms: a bad date is refused in the
user's language and changes nothing; an unknown step is a 400."""

from __future__ import annotations

import re
import warnings
from typing import Any

import sqlalchemy as sa

from kvip.extensions import db
from kvip.visits.models import Visit
from tests.factories import World


def _flashes(client: Any) -> list[tuple[str, str]]:
    with client.session_transaction() as sess:
        return list(sess.get("_flashes", []))


def test_a_visit_date_that_is_no_date_is_refused_in_norwegian(world: World, login_as: Any) -> None:
    visit = world.visit
    before = visit.date
    coord = login_as("coordinator")
    r = coord.post(f"/visits/{visit.id}/date", data={"date": "31.12.2026"})
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/visits/{visit.id}/team")
    assert ("error", "Skriv datoen som ÅÅÅÅ-MM-DD.") in _flashes(coord)
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).date == before


def test_planning_with_a_bad_date_plans_nothing(world: World, login_as: Any) -> None:
    coord = login_as("coordinator")
    count = db.session.scalar(sa.select(sa.func.count(Visit.id)))
    r = coord.post(
        f"/visits/networks/{world.network.id}/plan",
        data={"assessment_id": world.other_assessment.id, "date": "next tuesday"},
    )
    assert r.status_code == 302
    assert f"/visits/networks/{world.network.id}" in r.headers["Location"]
    assert ("error", "Skriv datoen som ÅÅÅÅ-MM-DD.") in _flashes(coord)
    assert db.session.scalar(sa.select(sa.func.count(Visit.id))) == count


def test_planning_for_an_unknown_assessment_is_404(world: World, login_as: Any) -> None:
    coord = login_as("coordinator")
    for value in ("", "abc", "99999999999999999999", str(10**6)):
        r = coord.post(f"/visits/networks/{world.network.id}/plan", data={"assessment_id": value})
        assert r.status_code == 404, value


def test_an_unknown_visit_step_is_a_bad_request(world: World, login_as: Any) -> None:
    coord = login_as("coordinator")
    state = world.visit.state
    for action in ("", "finish", "schedule "):
        r = coord.post(f"/visits/{world.visit.id}/state", data={"action": action})
        assert r.status_code == 400, action
    db.session.expire_all()
    assert db.session.get(Visit, world.visit.id).state == state


def test_every_post_form_of_the_team_page_carries_the_csrf_token(
    world: World, login_as: Any
) -> None:
    html = login_as("coordinator").get(f"/visits/{world.visit.id}/team").get_data(as_text=True)
    forms = re.findall(r'<form[^>]*method="post".*?</form>', html, flags=re.S | re.I)
    assert forms
    for form in forms:
        token = re.search(r'<input type="hidden" name="csrf_token" value="([^"]+)">', form)
        assert token and len(token.group(1)) > 20, form[:200]


def test_a_post_without_the_id_field_asks_for_no_row_by_none(world: World, login_as: Any) -> None:
    """A form posted with no fields at all (Flask-WTF then reads no form data) answers "no such
    row" without asking SQLAlchemy for the row of id None (a SAWarning, an error here)."""
    visit = world.visit
    visit.state, visit.date = "planned", None
    db.session.commit()
    coord = login_as("coordinator")
    posts = {
        f"/visits/networks/{world.network.id}/plan": 404,
        f"/visits/{visit.id}/schedule/pick": 404,
        f"/visits/{visit.id}/team": 302,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error", sa.exc.SAWarning)
        for url, status in posts.items():
            r = coord.post(url)
            assert r.status_code == status, url
    assert ("error", "Velg en fagfelle.") in _flashes(coord)

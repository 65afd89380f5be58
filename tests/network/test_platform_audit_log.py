"""The platform's change history at /admin/audit: every network and the platform's own events,
a network filter, the same exports; admins only, and never in a network's own log."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from kvip.core.models import AuditEvent
from kvip.extensions import db
from kvip.network.models import Network
from tests.conftest import login
from tests.factories import (
    PASSWORD,
    World,
    create_institution,
    create_network,
    create_unit,
    create_user,
)
from tests.network.test_audit_log import _Table

# Every seeded event is in March 2025, before anything the world itself writes.
MARCH = {"from": "2025-03-01", "to": "2025-03-31"}


@dataclass
class Seeded:
    world: World
    other: Network
    notes: dict[str, str]  # key → the note that identifies the event on a page or in a file


@pytest.fixture
def seeded(world: World) -> Seeded:
    """Two events in the world's network, one in another network, two of the platform's own."""
    other = create_network(name="Annet nettverk", slug="annet")
    other_unit = create_unit(create_institution(other, "Annen institusjon"), "Annen enhet")
    kari = create_user("kari@sykehus.test", "Kari Ås")
    net, unit = world.network.id, world.unit.id
    rows: dict[str, dict[str, Any]] = {
        "rating": dict(day=3, network_id=net, unit_id=unit, entity="rating", action="update"),
        "cycle": dict(day=5, network_id=net, entity="cycle", action="open"),
        "foreign": dict(
            day=7, network_id=other.id, unit_id=other_unit.id, entity="unit", action="update"
        ),
        "failed": dict(day=9, entity="session", action="sign_in_failed", user_id=kari.id),
        "token": dict(day=11, entity="api_token", action="create", user_id=kari.id),
    }
    notes = {}
    for key, row in rows.items():
        day = row.pop("day")
        notes[key] = f"merknad-{key}"
        row.setdefault("user_id", world.users["lead"].id)
        db.session.add(
            AuditEvent(at=datetime(2025, 3, day, 11, 0), entity_id=day, note=notes[key], **row)
        )
    db.session.commit()
    return Seeded(world=world, other=other, notes=notes)


def _admin(app: Flask, seeded: Seeded) -> FlaskClient:
    return login(app.test_client(), seeded.world.users["admin"])


def _page(client: FlaskClient, **args: Any) -> tuple[int, str]:
    response = client.get("/admin/audit", query_string=args)
    return response.status_code, response.get_data(as_text=True)


def _shown(seeded: Seeded, html: str) -> list[str]:
    """The seeded events on the page, by key, in page order (newest first)."""
    parser = _Table()
    parser.feed(html)
    by_note = {note: key for key, note in seeded.notes.items()}
    keys = []
    for row in parser.rows:
        assert len(row) in (1, 9), row  # 9 columns: the network column is added
        for text in row:
            for line in text.split("\n"):
                if line.strip() in by_note:
                    keys.append(by_note[line.strip()])
    return keys


def _csv(client: FlaskClient, **args: Any) -> list[list[str]]:
    response = client.get("/admin/audit/export.csv", query_string=args)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))


@pytest.mark.parametrize(
    ("args", "keys"),
    [
        ({}, ["token", "failed", "foreign", "cycle", "rating"]),
        ({"network": "platform"}, ["token", "failed"]),
        ({"network": "{network}"}, ["cycle", "rating"]),
        ({"network": "{other}"}, ["foreign"]),
        ({"network": "platform", "entity": "session"}, ["failed"]),
        ({"action": "sign_in_failed", "to": "2025-03-09"}, ["failed"]),
        ({"action": "sign_in_failed", "from": "2025-03-10"}, []),
        ({"who": "kari"}, ["token", "failed"]),
        ({"unit": "{unit}"}, ["rating"]),
        ({"network": "{network}", "unit": "{unit}"}, ["rating"]),
    ],
)
def test_admin_filters_by_network_and_platform_only(
    app: Flask, seeded: Seeded, args: dict[str, str], keys: list[str]
) -> None:
    ids = {
        "network": seeded.world.network.id,
        "other": seeded.other.id,
        "unit": seeded.world.unit.id,
    }
    args = {**MARCH, **{k: v.format(**ids) for k, v in args.items()}}
    client = _admin(app, seeded)
    status, html = _page(client, **args)
    assert status == 200
    assert _shown(seeded, html) == keys
    rows = _csv(client, **args)
    notes = {note: key for key, note in seeded.notes.items()}
    assert [notes[r[10]] for r in rows[1:]] == keys


def test_page_names_networks_and_marks_platform_events(app: Flask, seeded: Seeded) -> None:
    status, html = _page(_admin(app, seeded), **MARCH)
    assert status == 200
    assert "Endringshistorikk for hele plattformen" in html
    parser = _Table()
    parser.feed(html)
    network_column = {row[2].split("\n")[-1].strip(): row[4] for row in parser.rows}
    assert network_column["merknad-foreign"] == "Annet nettverk"
    assert network_column["merknad-rating"] == seeded.world.network.name
    assert network_column["merknad-failed"] == "(plattform)"
    failed = next(r for r in parser.rows if r[2].endswith("merknad-failed"))
    assert failed[1].startswith("Kari Ås") and failed[3] == "Mislykket innlogging"
    assert failed[2].startswith("Innlogging #9")
    # The filters offer every network and "only the platform"; units are named with theirs.
    assert '<option value="platform">Bare plattformen (uten nettverk)</option>' in html
    assert f'<option value="{seeded.other.id}">Annet nettverk</option>' in html
    assert "Annen enhet (Annet nettverk)</option>" in html


def test_export_has_the_network_column_and_is_recorded_as_a_platform_event(
    app: Flask, seeded: Seeded
) -> None:
    client = _admin(app, seeded)
    response = client.get("/admin/audit/export.csv", query_string={"network": "platform", **MARCH})
    today = datetime.now().date().isoformat()
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="kvip-audit-platform-{today}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Tidspunkt (Europe/Oslo)" and rows[0][10:] == ["Merknad", "Nettverk"]
    failed = rows[2]
    assert failed == [
        "2025-03-09 12:00:00",
        "Kari Ås",
        "kari@sykehus.test",
        "Innlogging",
        "9",
        "Mislykket innlogging",
        "",
        "",
        "",
        "",
        "merknad-failed",
        "(plattform)",
    ]
    (export,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "audit"))
    assert (export.user_id, export.network_id, export.action) == (
        seeded.world.users["admin"].id,
        None,
        "export",
    )
    assert export.note == "csv: network=platform; from=2025-03-01; to=2025-03-31"
    # The export is a platform event: in the platform log, never in a network's.
    again = _csv(client, network="platform", entity="audit")
    assert [(r[5], r[10], r[11]) for r in again[1:]] == [("Eksportert", export.note, "(plattform)")]
    coordinator = login(app.test_client(), seeded.world.users["coordinator"])
    network_log = coordinator.get(f"/networks/{seeded.world.network.id}/audit?entity=audit")
    assert export.note not in network_log.get_data(as_text=True)


def test_xlsx_export_of_one_network(app: Flask, seeded: Seeded) -> None:
    client = _admin(app, seeded)
    response = client.get(
        "/admin/audit/export.xlsx", query_string={"network": seeded.other.id, **MARCH}
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "Nettverk" and len(rows[0]) == 12
    assert [(r[0], r[10], r[11]) for r in rows[1:]] == [
        (datetime(2025, 3, 7, 12, 0), "merknad-foreign", "Annet nettverk")
    ]
    export = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "audit")).one()
    assert export.note == f"xlsx: network={seeded.other.id}; from=2025-03-01; to=2025-03-31"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"network": "abc"}, "Velg et nettverk fra listen."),
        ({"network": "999999"}, "Velg et nettverk fra listen."),
        ({"network": "99999999999999"}, "Velg et nettverk fra listen."),
        ({"network": "platform", "unit": "{unit}"}, "Plattformens egne hendelser hører ikke"),
        ({"network": "{other}", "unit": "{unit}"}, "Velg en enhet i dette nettverket."),
        ({"unit": "999999"}, "Velg en enhet fra listen."),
        ({"from": "2025-03-12", "to": "2025-03-11"}, "Sluttdatoen er før startdatoen."),
    ],
)
def test_bad_filters_are_refused_and_change_nothing(
    app: Flask, seeded: Seeded, args: dict[str, str], message: str
) -> None:
    ids = {"other": seeded.other.id, "unit": seeded.world.unit.id}
    args = {k: v.format(**ids) for k, v in args.items()}
    client = _admin(app, seeded)
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    for path in ("/admin/audit", "/admin/audit/export.csv", "/admin/audit/export.xlsx"):
        response = client.get(path, query_string=args)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, path
        assert message in html, path
        assert 'aria-invalid="true"' in html
        assert "merknad-" not in html  # no unfiltered list in place of the filtered one
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == before


@pytest.mark.parametrize("role", ["coordinator", "lead", "member", "reviewer", "outsider"])
def test_only_admins_read_the_platform_log(app: Flask, seeded: Seeded, role: str) -> None:
    client = login(app.test_client(), seeded.world.users[role])
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    for path in ("/admin/audit", "/admin/audit/export.csv", "/admin/audit/export.xlsx"):
        response = client.get(path, query_string={"network": "platform"})
        assert response.status_code == 403, (role, path)
        assert "merknad-" not in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == before
    assert "/admin/audit" not in client.get("/").get_data(as_text=True)


def test_coordinator_sees_only_their_networks_events_never_the_platforms(
    app: Flask, seeded: Seeded
) -> None:
    network_id = seeded.world.network.id
    coordinator = login(app.test_client(), seeded.world.users["coordinator"])
    # A real failed sign-in and sign-in happen too: platform events with an address.
    anon = app.test_client()
    anon.post("/login", data={"email": "coord@example.test", "password": "wrong-wrong"})
    anon.post("/login", data={"email": "coord@example.test", "password": PASSWORD})
    for args in ({}, {"entity": "session"}, {"who": "kari"}, {"network": "platform"}):
        html = coordinator.get(f"/networks/{network_id}/audit", query_string=args).get_data(
            as_text=True
        )
        assert "merknad-failed" not in html and "merknad-token" not in html
        assert "merknad-foreign" not in html and "address=" not in html
        body = coordinator.get(f"/networks/{network_id}/audit/export.csv", query_string=args)
        text = body.get_data(as_text=True)
        assert "merknad-failed" not in text and "address=" not in text
        assert "merknad-foreign" not in text and "merknad-token" not in text
    # The "network" argument means nothing on a network's own page: its events only.
    html = coordinator.get(f"/networks/{network_id}/audit?network=platform").get_data(as_text=True)
    assert "merknad-rating" in html and "merknad-cycle" in html
    # The admin sees both of the coordinator's session events, with the address.
    status, page = _page(_admin(app, seeded), entity="session", who="coord@example.test")
    assert status == 200
    assert "Mislykket innlogging" in page and "Logget inn" in page
    assert page.count("address=127.0.0.1") == 2


def test_services_check_platform_permission(app: Flask, seeded: Seeded) -> None:
    from kvip.core.errors import PermissionDenied
    from kvip.network import audit_log

    coordinator = seeded.world.users["coordinator"]
    filters = audit_log.AuditFilters(platform_only=True)
    with pytest.raises(PermissionDenied):
        audit_log.events_page(coordinator, None, filters, 1)
    with pytest.raises(PermissionDenied):
        audit_log.export_query(coordinator, None, filters, 10**6)
    with pytest.raises(PermissionDenied):
        audit_log.record_export(coordinator, None, filters, "csv")
    admin = seeded.world.users["admin"]
    page = audit_log.events_page(admin, None, audit_log.AuditFilters(platform_only=True), 1)
    assert {e.network_id for e in page.items} == {None}


def test_admin_navigation_links_the_platform_log_next_to_users(app: Flask, seeded: Seeded) -> None:
    html = _admin(app, seeded).get("/").get_data(as_text=True)
    nav = html[html.index("<nav") : html.index("</nav>")]
    users, history = nav.index('href="/admin/users"'), nav.index('href="/admin/audit"')
    assert users < history
    assert "Endringshistorikk" in nav[history:]

"""The audit log page and its CSV/Excel exports: filters, dates in Oslo time, permissions."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
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
from tests.factories import World, create_institution, create_network, create_unit, create_user

# Labels as the Norwegian page and exports show them (entity, action).
NB_ENTITY = {
    "unit": "Enhet",
    "rating": "Vurdering",
    "cycle": "Syklus",
    "assessment": "Egenvurdering",
}
NB_ACTION = {"update": "Endret", "create": "Opprettet", "open": "Åpnet", "enrol": "Påmeldt"}


class _Table(HTMLParser):
    """The cells of the page's ``<tbody>`` rows, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append([])
        elif self._in_body and tag == "td":
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@dataclass
class Seeded:
    world: World
    other_network: Network
    events: dict[str, AuditEvent]


def _event(key: str, at: datetime, **kw: Any) -> AuditEvent:
    event = AuditEvent(at=at, entity_id=kw.pop("entity_id", 100 + len(key)), **kw)
    db.session.add(event)
    return event


@pytest.fixture
def seeded(world: World) -> Seeded:
    """Five events of the world's network at known UTC times, one of another network."""
    oyvind = create_user("oyvind@sykehus.test", "Øyvind Ås")
    lead, coordinator = world.users["lead"], world.users["coordinator"]
    net = world.network.id
    other = create_network(name="Annet nettverk", slug="annet")
    other_unit = create_unit(create_institution(other, "Annen institusjon"), "Annen enhet")
    events = {
        # 11:00 in Oslo on 1 March.
        "e1": _event(
            "e1",
            datetime(2026, 3, 1, 10, 0),
            user_id=oyvind.id,
            network_id=net,
            unit_id=world.unit.id,
            entity="unit",
            entity_id=world.unit.id,
            action="update",
            field="name",
            old="Enhet Alfa",
            new="Omdøpt",
        ),
        # 23:59 in Oslo on 10 March (UTC+1): the last minute of that day.
        "e2": _event(
            "e2",
            datetime(2026, 3, 10, 22, 59),
            user_id=lead.id,
            network_id=net,
            unit_id=world.unit.id,
            entity="rating",
            entity_id=201,
            action="create",
            field="value",
            new="met",
        ),
        # 00:30 in Oslo on 11 March, though still 10 March in UTC.
        "e3": _event(
            "e3",
            datetime(2026, 3, 10, 23, 30),
            user_id=lead.id,
            network_id=net,
            unit_id=world.other_unit.id,
            entity="rating",
            entity_id=202,
            action="update",
            field="value",
            old="met",
            new="not_met",
        ),
        "e4": _event(
            "e4",
            datetime(2026, 4, 2, 8, 0),
            user_id=coordinator.id,
            network_id=net,
            entity="cycle",
            entity_id=401,
            action="open",
            field="state",
            old="planned",
            new="open",
            note="Åpnet for egenvurdering",
        ),
        # 00:30 in Oslo on 1 July (UTC+2, summer time); written by the system.
        "e5": _event(
            "e5",
            datetime(2026, 6, 30, 22, 30),
            network_id=net,
            unit_id=world.other_unit.id,
            entity="assessment",
            entity_id=301,
            action="enrol",
            field="comment",
            new='=HYPERLINK("http://evil.test","klikk")',
        ),
        "foreign": _event(
            "foreign",
            datetime(2026, 3, 5, 12, 0),
            user_id=oyvind.id,
            network_id=other.id,
            unit_id=other_unit.id,
            entity="unit",
            entity_id=other_unit.id,
            action="update",
            field="name",
            new="HEMMELIG",
        ),
    }
    db.session.commit()
    return Seeded(world=world, other_network=other, events=events)


def _coordinator(app: Flask, seeded: Seeded) -> FlaskClient:
    return login(app.test_client(), seeded.world.users["coordinator"])


def _page_rows(client: FlaskClient, network_id: int, **args: Any) -> list[list[str]]:
    response = client.get(f"/networks/{network_id}/audit", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    parser = _Table()
    parser.feed(response.get_data(as_text=True))
    return [r for r in parser.rows if len(r) == 8]


def _page_keys(client: FlaskClient, network_id: int, **args: Any) -> list[tuple[str, ...]]:
    """(what, action, field, before, after) of each row on the page, in page order."""
    rows = _page_rows(client, network_id, **args)
    return [(r[2].split("\n")[0].strip(), r[3], r[5], r[6], r[7]) for r in rows]


def _csv(client: FlaskClient, network_id: int, **args: Any) -> list[list[str]]:
    response = client.get(f"/networks/{network_id}/audit/export.csv", query_string=args)
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def _csv_keys(rows: list[list[str]]) -> list[tuple[str, ...]]:
    """The same key as :func:`_page_keys`, from the export's rows (header skipped)."""
    keys = []
    for r in rows[1:]:
        what = f"{r[3]} #{r[4]}" if r[4] else r[3]
        after = r[8][1:] if r[8].startswith("'=") else r[8]
        keys.append((what, r[5], r[6], r[7], after))
    return keys


def _expected(seeded: Seeded, *names: str) -> list[tuple[str, ...]]:
    """Keys of the named seed events, newest first (the page's order)."""
    events = sorted((seeded.events[n] for n in names), key=lambda e: (e.at, e.id), reverse=True)
    return [
        (
            f"{NB_ENTITY[e.entity]} #{e.entity_id}",
            NB_ACTION[e.action],
            e.field or "",
            e.old or "",
            e.new or "",
        )
        for e in events
    ]


ALL = ("e1", "e2", "e3", "e4", "e5")


@pytest.mark.parametrize(
    ("args", "names"),
    [
        ({}, ALL),
        ({"who": "øyvind"}, ("e1",)),  # name, lower case; the user is "Øyvind Ås"
        ({"who": "ØYVIND ÅS"}, ("e1",)),
        ({"who": "SYKEHUS.test"}, ("e1",)),  # email
        ({"who": "lead"}, ("e2", "e3")),
        ({"who": "%"}, ()),  # a LIKE wildcard is searched for literally
        ({"entity": "rating"}, ("e2", "e3")),
        ({"action": "update"}, ("e1", "e3")),
        ({"unit": "{unit}"}, ("e1", "e2")),
        ({"unit": "{other_unit}"}, ("e3", "e5")),
        ({"entity": "rating", "unit": "{other_unit}"}, ("e3",)),
        # Dates are Oslo dates, both ends inclusive.
        ({"to": "2026-03-10"}, ("e1", "e2")),
        ({"from": "2026-03-11", "to": "2026-03-11"}, ("e3",)),
        ({"from": "2026-03-10"}, ("e2", "e3", "e4", "e5")),
        ({"from": "11.03.2026", "to": "02.04.2026"}, ("e3", "e4")),
        ({"from": "2026-07-01", "to": "2026-07-01"}, ("e5",)),  # summer time
        ({"to": "2026-06-30"}, ("e1", "e2", "e3", "e4")),
    ],
)
def test_filters_narrow_page_and_export_alike(
    app: Flask, seeded: Seeded, args: dict[str, str], names: tuple[str, ...]
) -> None:
    world = seeded.world
    args = {
        k: v.format(unit=world.unit.id, other_unit=world.other_unit.id) for k, v in args.items()
    }
    client = _coordinator(app, seeded)
    expected = _expected(seeded, *names)
    assert _page_keys(client, world.network.id, **args) == expected
    assert _csv_keys(_csv(client, world.network.id, **args)) == expected


def test_page_shows_labels_and_keeps_filters_in_pager_and_export_links(
    app: Flask, seeded: Seeded
) -> None:
    world = seeded.world
    for n in range(105):
        _event(
            "bulk",
            datetime(2026, 5, 1, 8, n % 60),
            user_id=world.users["lead"].id,
            network_id=world.network.id,
            unit_id=world.unit.id,
            entity="rating",
            entity_id=1000 + n,
            action="update",
        )
    db.session.commit()
    client = _coordinator(app, seeded)
    html = client.get(
        f"/networks/{world.network.id}/audit?entity=rating&from=2026-03-01&to=2026-05-31"
    ).get_data(as_text=True)
    assert '<option value="rating" selected>Vurdering</option>' in html
    assert '<option value="enrol">Påmeldt</option>' in html
    assert f'<option value="{world.unit.id}">Enhet Alfa</option>' in html
    assert "107 endringer passer." in html
    assert "page=2" in html
    for link in (
        f"/networks/{world.network.id}/audit?",
        f"/networks/{world.network.id}/audit/export.csv?",
        f"/networks/{world.network.id}/audit/export.xlsx?",
    ):
        start = html.index(f'href="{link}') + 6
        href = html[start : html.index('"', start)].replace("&amp;", "&")
        assert {"entity=rating", "from=2026-03-01", "to=2026-05-31"} <= set(
            href.split("?", 1)[1].split("&")
        ), href
    second = _page_rows(
        client, world.network.id, entity="rating", **{"from": "2026-03-01"}, page="2"
    )
    assert len(second) == 7 and all(r[3] in ("Endret", "Opprettet") for r in second)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"from": "2026-02-30"}, "«2026-02-30» er ikke en dato"),
        ({"to": "i går"}, "«i går» er ikke en dato"),
        ({"from": "2026-03-12", "to": "2026-03-11"}, "Sluttdatoen er før startdatoen."),
        ({"unit": "abc"}, "Velg en enhet i dette nettverket."),
        ({"entity": "rating'--"}, "Velg hva som ble endret fra listen."),
    ],
)
def test_bad_filters_are_refused_with_a_message(
    app: Flask, seeded: Seeded, args: dict[str, str], message: str
) -> None:
    world = seeded.world
    client = _coordinator(app, seeded)
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    for path in ("audit", "audit/export.csv", "audit/export.xlsx"):
        response = client.get(f"/networks/{world.network.id}/{path}", query_string=args)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, path
        assert message in html.replace("&#34;", '"'), path
        assert 'aria-invalid="true"' in html
        assert "Omdøpt" not in html  # no unfiltered list in place of the filtered one
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == before


def test_unit_of_another_network_is_refused(app: Flask, seeded: Seeded) -> None:
    foreign_unit = seeded.events["foreign"].unit_id
    client = _coordinator(app, seeded)
    response = client.get(f"/networks/{seeded.world.network.id}/audit?unit={foreign_unit}")
    assert response.status_code == 422
    assert "Velg en enhet i dette nettverket." in response.get_data(as_text=True)


def test_other_networks_events_never_appear(app: Flask, seeded: Seeded) -> None:
    world = seeded.world
    admin = login(app.test_client(), world.users["admin"])
    for client in (_coordinator(app, seeded), admin):
        assert "HEMMELIG" not in client.get(f"/networks/{world.network.id}/audit").get_data(
            as_text=True
        )
        body = client.get(f"/networks/{world.network.id}/audit/export.csv?who=øyvind")
        assert "HEMMELIG" not in body.get_data(as_text=True)
        xlsx = client.get(f"/networks/{world.network.id}/audit/export.xlsx")
        sheet = load_workbook(io.BytesIO(xlsx.get_data()), read_only=True).worksheets[0]
        assert all("HEMMELIG" not in (row[8] or "") for row in sheet.iter_rows(values_only=True))
    # The admin sees the other network's own log, which holds only its event.
    rows = _page_rows(admin, seeded.other_network.id)
    assert [r[7] for r in rows] == ["HEMMELIG"]


def test_csv_export_header_times_and_formula_guard(app: Flask, seeded: Seeded) -> None:
    world = seeded.world
    client = _coordinator(app, seeded)
    response = client.get(f"/networks/{world.network.id}/audit/export.csv")
    today = datetime.now().date().isoformat()
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="kvip-audit-{world.network.slug}-{today}.csv"'
    )
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Tidspunkt (Europe/Oslo)",
        "Brukerens navn",
        "Brukerens e-post",
        "Hva",
        "Id",
        "Handling",
        "Felt",
        "Før",
        "Etter",
        "Enhet",
        "Merknad",
    ]
    by_id = {r[4]: r for r in rows[1:]}
    e1 = by_id[str(seeded.events["e1"].entity_id)]
    assert e1 == [
        "2026-03-01 11:00:00",
        "Øyvind Ås",
        "oyvind@sykehus.test",
        "Enhet",
        str(world.unit.id),
        "Endret",
        "name",
        "Enhet Alfa",
        "Omdøpt",
        "Enhet Alfa",
        "",
    ]
    e3 = by_id["202"]
    assert e3[0] == "2026-03-11 00:30:00" and e3[9] == "Enhet Beta"
    e5 = by_id["301"]
    assert e5[0] == "2026-07-01 00:30:00"
    assert (e5[1], e5[2]) == ("systemet", "")  # no user: written by the system
    assert e5[8] == "'" + seeded.events["e5"].new  # never a formula in Excel
    assert by_id["401"][10] == "Åpnet for egenvurdering"


def test_xlsx_export_bold_frozen_header_real_datetimes(app: Flask, seeded: Seeded) -> None:
    world = seeded.world
    client = _coordinator(app, seeded)
    response = client.get(f"/networks/{world.network.id}/audit/export.xlsx?unit={world.unit.id}")
    assert response.status_code == 200
    today = datetime.now().date().isoformat()
    assert (
        f"kvip-audit-{world.network.slug}-{today}.xlsx" in response.headers["Content-Disposition"]
    )
    book = load_workbook(io.BytesIO(response.get_data()))
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Tidspunkt (Europe/Oslo)", "Brukerens navn", "Brukerens e-post", "Hva"]
    assert all(c.font.bold for c in sheet[1])
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [r[8] for r in rows] == ["met", "Omdøpt"]  # e2 then e1: newest first
    assert rows[0][0] == datetime(2026, 3, 10, 23, 59)  # a real date-time in Oslo time
    assert sheet.cell(2, 1).is_date and "yy" in sheet.cell(2, 1).number_format
    assert isinstance(rows[1][0], datetime) and rows[1][1] == "Øyvind Ås"
    # The would-be formula of e5 is stored as text, never evaluated.
    everything = load_workbook(
        io.BytesIO(client.get(f"/networks/{world.network.id}/audit/export.xlsx").get_data())
    ).worksheets[0]
    cell = next(r[8] for r in everything.iter_rows(min_row=2) if r[4].value == 301)
    assert cell.data_type == "s" and cell.value == seeded.events["e5"].new


def test_xlsx_replaces_characters_excel_cannot_hold(app: Flask, seeded: Seeded) -> None:
    world = seeded.world
    _event(
        "ctl",
        datetime(2026, 5, 5, 9, 0),
        network_id=world.network.id,
        entity="rating",
        entity_id=999,
        action="update",
        new="før\x0better",
    )
    db.session.commit()
    client = _coordinator(app, seeded)
    response = client.get(f"/networks/{world.network.id}/audit/export.xlsx?entity=rating")
    sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    # Word's soft line break (\x0b) cannot be stored in .xlsx: it becomes a line break.
    assert "før\netter" in [r[8] for r in sheet.iter_rows(min_row=2, values_only=True)]


def test_export_is_recorded_and_does_not_contain_itself(app: Flask, seeded: Seeded) -> None:
    world = seeded.world
    client = _coordinator(app, seeded)
    page_before = _page_keys(client, world.network.id)
    rows = _csv(client, world.network.id, who="lead", **{"from": "2026-03-10"})
    assert len(rows) == 3
    everything = _csv(client, world.network.id)
    # The second file holds the first export but not itself.
    assert _csv_keys(everything) == [("Endringshistorikk", "Eksportert", "", "", "")] + page_before
    assert everything[1][1:3] == ["Coordinator", "coord@example.test"]
    assert everything[1][10] == "csv: who=lead; from=2026-03-10"
    exports = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity == "audit").order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.user_id, e.network_id) for e in exports] == [
        ("export", world.users["coordinator"].id, world.network.id)
    ] * 2
    assert exports[0].note == "csv: who=lead; from=2026-03-10"
    assert exports[1].note == "csv: -"
    # Security officers see the exports in the log itself.
    logged = _page_rows(client, world.network.id, entity="audit", action="export")
    assert len(logged) == 2 and "who=lead; from=2026-03-10" in logged[1][2]
    assert logged[0][2].startswith("Endringshistorikk")
    client.get(f"/networks/{world.network.id}/audit/export.xlsx?entity=unit")
    last = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None and last.note == "xlsx: entity=unit"


@pytest.mark.parametrize("role", ["member", "lead", "outsider", "reviewer"])
def test_others_are_refused_and_nothing_is_recorded(app: Flask, seeded: Seeded, role: str) -> None:
    world = seeded.world
    client = login(app.test_client(), world.users[role])
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    for path in ("audit", "audit/export.csv", "audit/export.xlsx"):
        response = client.get(f"/networks/{world.network.id}/{path}")
        assert response.status_code == 403, (role, path)
        assert "Omdøpt" not in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == before


def test_coordinator_of_another_network_is_refused(app: Flask, seeded: Seeded) -> None:
    client = _coordinator(app, seeded)
    for path in ("audit", "audit/export.csv"):
        assert client.get(f"/networks/{seeded.other_network.id}/{path}").status_code == 403


def test_service_checks_permission(app: Flask, seeded: Seeded) -> None:
    from kvip.core.errors import PermissionDenied
    from kvip.network import audit_log

    member = seeded.world.users["member"]
    filters = audit_log.AuditFilters()
    with pytest.raises(PermissionDenied):
        audit_log.events_page(member, seeded.world.network, filters, 1)
    with pytest.raises(PermissionDenied):
        audit_log.export_query(member, seeded.world.network, filters, 10**6)
    with pytest.raises(PermissionDenied):
        audit_log.record_export(member, seeded.world.network, filters, "csv")


def test_page_number_out_of_range_is_harmless(app: Flask, seeded: Seeded) -> None:
    client = _coordinator(app, seeded)
    for page in ("999999999999999999999", "-3", "x"):
        response = client.get(f"/networks/{seeded.world.network.id}/audit?page={page}")
        assert response.status_code == 200


def test_filters_parse_plain_dates() -> None:
    from kvip.network.audit_log import _parse_date

    assert _parse_date("2026-03-31") == date(2026, 3, 31)
    assert _parse_date("31.3.2026") == date(2026, 3, 31)
    assert _parse_date("2026-3-31") is None
    assert _parse_date("9999-12-31") is None  # outside 1900–2999: refused, no overflow


def test_yes_no_values_are_shown_in_words(app: Flask, world: World) -> None:
    db.session.add(
        AuditEvent(
            user_id=world.users["coordinator"].id,
            network_id=world.network.id,
            entity="unit",
            entity_id=world.unit.id,
            action="update",
            field="active",
            old="True",
            new="False",
        )
    )
    db.session.commit()
    client = login(app.test_client(), world.users["coordinator"])
    page = client.get(f"/networks/{world.network.id}/audit").get_data(as_text=True)
    row = page[page.index(">active<") :].split("</tr>")[0]
    assert "<td>Ja</td><td>Nei</td>" in row and "True" not in row

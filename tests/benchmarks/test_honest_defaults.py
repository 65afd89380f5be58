"""Honest defaults (issue 16, item 2): dashboards open on the newest cycle with peer-reviewed
results, an open cycle is marked provisional on every page, export and report, and the annual
report compares cycles on the units present in both."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import openpyxl
import pypdf

from kvip.benchmarks.context import CycleInfo, default_cycle
from kvip.extensions import db
from kvip.visits.models import Finding
from tests.benchmarks.conftest import BenchWorld, M
from tests.benchmarks.helpers import DOMAINS, pooled, series_values


def _three_submitted_none_reviewed(bench: BenchWorld) -> None:
    """The open cycle as in the issue: three units submitted, one still working, no visit done."""
    bench.assessments[(1, "delta")].state = "in_progress"
    for (index, _key), visit in bench.visits.items():
        if index == 1:
            visit.state = "scheduled"
    db.session.commit()


def _selected_cycle(html: str) -> int:
    found = re.search(r'<option value="(\d+)" selected>', html)
    assert found, "no cycle selected"
    return int(found.group(1))


def _cycle(id: int, state: str, counted: int = 0, peer: int = 0) -> CycleInfo:
    return CycleInfo(id, 2000 + id, f"C{id}", state, 1, counted, counted, peer)


def test_the_default_cycle_rule() -> None:
    # Newest first. An open cycle without completed visits gives way to a reviewed closed one…
    assert default_cycle([_cycle(3, "open", 3, 0), _cycle(2, "closed", 13, 13)]).id == 2
    # …an open cycle that already has a completed visit is the newest with peer review…
    assert default_cycle([_cycle(3, "open", 5, 1), _cycle(2, "closed", 13, 13)]).id == 3
    # …without any peer review, the newest closed cycle; else the newest.
    assert (
        default_cycle([_cycle(3, "open", 5), _cycle(2, "closed", 4), _cycle(1, "closed")]).id == 2
    )
    assert default_cycle([_cycle(3, "open", 5), _cycle(2, "planned")]).id == 3


def test_every_dashboard_opens_on_the_reviewed_closed_cycle(
    client_as: Any, bench: BenchWorld
) -> None:
    _three_submitted_none_reviewed(bench)
    closed = bench.cycles[0].id
    nid = bench.network.id
    member = client_as("member")
    unit_page = member.get(f"/benchmarks/units/{bench.units['own'].id}").get_data(as_text=True)
    assert _selected_cycle(unit_page) == closed
    assert "bm-provisional" not in unit_page
    annual = member.get(f"/benchmarks/networks/{nid}/annual-report").get_data(as_text=True)
    assert _selected_cycle(annual) == closed
    coordinator = client_as("coordinator")
    for page in ("", "/standards", "/trends", "/agreement"):
        html = coordinator.get(f"/benchmarks/networks/{nid}{page}").get_data(as_text=True)
        assert _selected_cycle(html) == closed, page
        assert "bm-provisional" not in html, page
    # The open cycle is still one choice away, and says what it is.
    assert f"Syklus {bench.cycle.year} (3 enheter, foreløpig)" in unit_page


def _first_csv_line(data: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def _first_xlsx_row(data: bytes) -> tuple[Any, ...]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return next(book.active.iter_rows(values_only=True))


def test_an_open_cycle_is_provisional_on_every_page_export_and_report(
    client_as: Any, bench: BenchWorld
) -> None:
    _three_submitted_none_reviewed(bench)
    cid, nid, uid = bench.cycle.id, bench.network.id, bench.units["own"].id
    detail = (
        f"Syklus {bench.cycle.year} er fortsatt åpen: 3 av 4 enheter har levert, "
        "0 av dem er fagfellevurdert. Tallene vil endre seg."
    )
    member = client_as("member")
    coordinator = client_as("coordinator")
    pages = [
        (member, f"/benchmarks/units/{uid}?cycle={cid}"),
        (member, f"/benchmarks/networks/{nid}/annual-report?cycle={cid}"),
        *[
            (coordinator, f"/benchmarks/networks/{nid}{page}?cycle={cid}")
            for page in ("", "/standards", "/trends", "/agreement")
        ],
    ]
    for client, url in pages:
        html = client.get(url).get_data(as_text=True)
        assert "<strong>Foreløpig:</strong>" in html and detail in html, url
    exports = [
        (member, f"/benchmarks/units/{uid}/export/domains", {"cycle": cid}),
        (member, f"/benchmarks/networks/{nid}/annual-report/export/trends", {"cycle": cid}),
        (coordinator, f"/benchmarks/networks/{nid}/export/overview/units", {"cycle": cid}),
    ]
    for client, url, args in exports:
        first = _first_csv_line(client.get(f"{url}.csv", query_string=args).data)
        assert first == [f"Foreløpig: {detail}"], url
        row = _first_xlsx_row(client.get(f"{url}.xlsx", query_string=args).data)
        assert row[0] == f"Foreløpig: {detail}", url
    pdf = member.get(f"/benchmarks/networks/{nid}/annual-report.pdf?cycle={cid}")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Foreløpig" in text and "3 av 4 enheter har levert" in " ".join(text.split())
    api = member.get(f"/api/v1/cycles/{cid}/benchmark").get_json()
    assert api["cycle"]["provisional"] is True
    assert (
        api["cycle"]["units_submitted"],
        api["cycle"]["units_enrolled"],
        api["cycle"]["units_peer_reviewed"],
    ) == (3, 4, 0)
    assert api["provisional_note"] == f"Foreløpig: {detail}"
    # A closed cycle carries no such mark.
    closed = bench.cycles[0].id
    assert _first_csv_line(
        member.get(f"/benchmarks/units/{uid}/export/domains.csv?cycle={closed}").data
    )[0].startswith("Område")
    closed_api = member.get(f"/api/v1/cycles/{closed}/benchmark").get_json()
    assert closed_api["cycle"]["provisional"] is False and closed_api["provisional_note"] is None


def _nb(value: float) -> str:
    return ("+" if value > 0 else "\u2212" if value < 0 else "") + f"{abs(value):.1f}".replace(
        ".", ","
    )


def test_the_annual_report_compares_cycles_on_the_units_present_in_both(
    client_as: Any, bench: BenchWorld
) -> None:
    # Delta is counted last year only (still working this year), and did well last year: a
    # naive comparison of all of this year's units with all of last year's would mislead.
    bench.assessments[(1, "delta")].state = "in_progress"
    for finding in db.session.scalars(
        db.select(Finding).where(Finding.visit_id == bench.visits[(0, "delta")].id)
    ):
        finding.value = M
    db.session.commit()
    current = series_values(bench, 1, "bench")
    previous = series_values(bench, 0, "bench")
    previous["delta"] = [M] * 6
    both = ["own", "beta", "gamma"]
    after = pooled([current[k] for k in both]).score
    before = pooled([previous[k] for k in both]).score
    naive = after - pooled(list(previous.values())).score
    matched = after - before
    assert round(naive, 1) != round(matched, 1)  # the fixture tells the two apart
    html = (
        client_as("member")
        .get(f"/benchmarks/networks/{bench.network.id}/annual-report?cycle={bench.cycle.id}")
        .get_data(as_text=True)
    )
    last = f"Syklus {bench.cycle.year - 1}"
    plain = f"({before:.1f} → {after:.1f})".replace(".", ",")
    assert (
        f"Sammenlignet med {last} på de 3 enhetene som er med i begge syklusene: "
        f"{_nb(matched)} poeng {plain}." in html
    )
    assert f"3 enheter er med i denne syklusen og 4 i {last}" in html
    assert _nb(naive) + " poeng" not in html
    for code, codes in DOMAINS.items():
        change = (
            pooled([current[k] for k in both], codes).score
            - pooled([previous[k] for k in both], codes).score
        )
        assert (
            f"Endring siden {last} på de 3 enhetene som er med i begge syklusene: "
            f"{_nb(change)} poeng." in html
        ), code

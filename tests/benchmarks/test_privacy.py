"""Nothing leaks across units: a unit member sees no other unit's name or id on any benchmark
page, export or API answer; small groups are suppressed; only final reports count."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest

from kvip.extensions import db
from tests.benchmarks.conftest import (
    GOOD_BETA,
    GOOD_DRAFT,
    GOOD_GAMMA,
    NAMES,
    BenchWorld,
)


def _member_urls(bench: BenchWorld) -> list[str]:
    nid, uid, cid = bench.network.id, bench.units["own"].id, bench.cycle.id
    previous = bench.cycles[0].id
    urls = [
        f"/benchmarks/units/{uid}",
        f"/benchmarks/units/{uid}?cycle={previous}",
        f"/benchmarks/units/{uid}?series=self",
        f"/benchmarks/units/{uid}?series=peer&kind=acute&kind=forensic&kind=general",
        f"/benchmarks/units/{uid}/questionnaires",
        f"/benchmarks/units/{uid}/questionnaires?cycle={previous}",
        f"/benchmarks/networks/{nid}/good-practice",
        f"/benchmarks/networks/{nid}/good-practice?q=praksis&domain=1",
        f"/benchmarks/networks/{nid}/good-practice.csv",
        f"/benchmarks/networks/{nid}/good-practice.xlsx",
        f"/benchmarks/networks/{nid}/annual-report",
        f"/benchmarks/networks/{nid}/annual-report?cycle={previous}",
        f"/api/v1/cycles/{cid}/benchmark",
        f"/api/v1/cycles/{previous}/benchmark",
        "/benchmarks/",
        "/",
    ]
    for table in ("domains", "trend", "differences", "learn"):
        for fmt in ("csv", "xlsx"):
            urls.append(f"/benchmarks/units/{uid}/export/{table}.{fmt}")
    for table in ("trends", "most_improved", "themes", "by_standard", "survey_counts"):
        for fmt in ("csv", "xlsx"):
            urls.append(f"/benchmarks/networks/{nid}/annual-report/export/{table}.{fmt}")
    return urls


def _text(response: Any) -> str:
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        return "\n".join(
            " ".join("" if c is None else str(c) for c in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["member", "lead"])
def test_no_other_unit_name_or_id_reaches_a_unit_member(
    client_as: Any, bench: BenchWorld, role: str
) -> None:
    client = client_as(role)
    forbidden_names = [name for key, name in NAMES.items() if key != "own"]
    forbidden_names += ["Institusjon Beta", "Institusjon Gamma"]
    forbidden_ids = bench.other_ids()
    checked = 0
    for url in _member_urls(bench):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, (url, response.status_code)
        text = _text(response)
        for name in forbidden_names:
            assert name not in text, f"{name} leaked in {url}"
        for other in forbidden_ids:
            assert not re.search(rf"(?<![\d.,]){other}(?![\d.,])", text), (
                f"id {other} leaked in {url}"
            )
        checked += 1
    assert checked == len(_member_urls(bench))
    # …while the unit's own name, and the pseudonyms of the others, are there.
    page = client.get(f"/benchmarks/units/{bench.units['own'].id}").get_data(as_text=True)
    assert NAMES["own"] in page and "Enhet " in page


def test_member_cannot_open_other_units_or_network_dashboards(
    client_as: Any, bench: BenchWorld
) -> None:
    client = client_as("member")
    nid = bench.network.id
    assert client.get(f"/benchmarks/units/{bench.units['beta'].id}").status_code == 403
    assert (
        client.get(f"/benchmarks/units/{bench.units['beta'].id}/export/domains.csv").status_code
        == 403
    )
    for page in (
        "",
        "/standards",
        "/trends",
        "/agreement",
        "/questionnaires",
        "/export/overview/units.csv",
        "/export/questionnaires/funnel.csv",
    ):
        assert client.get(f"/benchmarks/networks/{nid}{page}").status_code == 403
    reviewer = client_as("reviewer")
    assert reviewer.get(f"/benchmarks/units/{bench.units['gamma'].id}").status_code == 403
    assert reviewer.get(f"/api/v1/cycles/{bench.cycle.id}/benchmark").status_code == 403
    assert reviewer.get(f"/benchmarks/networks/{nid}/good-practice").status_code == 403


def test_named_network_shows_names_to_members(client_as: Any, bench: BenchWorld) -> None:
    bench.network.benchmark_visibility = "named"
    db.session.commit()
    data = client_as("member").get(f"/api/v1/cycles/{bench.cycle.id}/benchmark").get_json()
    assert {u["name"] for u in data["units"]} == set(NAMES.values())
    # Names, but still no ids the member may not read.
    others = [u for u in data["units"] if not u["own"]]
    assert all(u["assessment_id"] is None and u["visit_id"] is None for u in others)


def test_groups_smaller_than_k_are_suppressed(client_as: Any, bench: BenchWorld) -> None:
    member = client_as("member")
    uid = bench.units["own"].id
    # Acute is two units (own + Beta): not offered to a member at all, and refused if typed in.
    page = member.get(f"/benchmarks/units/{uid}?kind=acute").get_data(as_text=True)
    assert "Tilbys ikke, fordi det sammen med andre visninger kan peke ut en enhet" in page
    assert 'name="kind" value="acute"' not in page
    assert "Sammenligner 4 enheter" in page  # the comparison left the filter out
    refused = member.get(f"/api/v1/cycles/{bench.cycle.id}/benchmark?kind=acute")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "filter_not_offered"
    coordinator = client_as("coordinator")
    nid = bench.network.id
    html = coordinator.get(f"/benchmarks/networks/{nid}?region=Nord").get_data(as_text=True)
    assert "For få enheter til å sammenligne." in html and "fig-funnel" not in html
    groups = coordinator.get(f"/benchmarks/networks/{nid}/export/overview/groups.csv").get_data(
        as_text=True
    )
    assert groups.count("Færre enn 3 enheter: vises ikke") == 5  # 3 kinds, 2 regions of ≤ 2 units
    data = coordinator.get(f"/api/v1/cycles/{bench.cycle.id}/benchmark?kind=acute").get_json()
    assert data["suppressed"] is True and data["units"] == [] and data["units_compared"] == 2
    # An old row with k = 2 is treated as 3: the acute group of two stays suppressed.
    bench.network.min_group_size = 2
    db.session.commit()
    data = coordinator.get(f"/api/v1/cycles/{bench.cycle.id}/benchmark?kind=acute").get_json()
    assert data["suppressed"] is True and data["min_group_size"] == 3


def test_good_practice_library_searches_final_reports_only(
    client_as: Any, bench: BenchWorld
) -> None:
    client = client_as("member")
    nid = bench.network.id
    html = client.get(f"/benchmarks/networks/{nid}/good-practice").get_data(as_text=True)
    assert GOOD_BETA in html and GOOD_GAMMA in html
    assert GOOD_DRAFT not in html
    assert "Enhet " in html
    by_standard = client.get(f"/benchmarks/networks/{nid}/good-practice?standard=1.2").get_data(
        as_text=True
    )
    assert GOOD_BETA in by_standard and "God praksis på 2.1" not in by_standard
    by_text = client.get(f"/benchmarks/networks/{nid}/good-practice?q=MORGENMØTER").get_data(
        as_text=True
    )
    assert GOOD_BETA in by_text and GOOD_GAMMA not in by_text
    by_domain = client.get(f"/benchmarks/networks/{nid}/good-practice?domain=2").get_data(
        as_text=True
    )
    assert "God praksis på 2.1" in by_domain and GOOD_BETA not in by_domain
    nothing = client.get(f"/benchmarks/networks/{nid}/good-practice?q=finnes-ikke").get_data(
        as_text=True
    )
    assert "Fant ingenting" in nothing
    coordinator = (
        client_as("coordinator")
        .get(f"/benchmarks/networks/{nid}/good-practice")
        .get_data(as_text=True)
    )
    assert NAMES["beta"] in coordinator


def test_exports_neutralise_formulas_and_search_is_literal(
    client_as: Any, bench: BenchWorld
) -> None:
    from kvip.visits.models import Observation

    visit = bench.visits[(1, "beta")]
    obs = Observation(visit_id=visit.id, kind="good_practice", text='=HYPERLINK("http://x")')
    obs.standards = [bench.standards[1]]
    db.session.add(obs)
    db.session.add(Observation(visit_id=visit.id, kind="good_practice", text="100% av personalet"))
    db.session.commit()
    client = client_as("member")
    nid = bench.network.id
    csv_text = client.get(f"/benchmarks/networks/{nid}/good-practice.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text and ",=HYPERLINK" not in csv_text
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/benchmarks/networks/{nid}/good-practice.xlsx").data)
    )
    # In .xlsx the text is a string cell (never a formula), as typed, without an apostrophe.
    cells = {
        c.value: c.data_type
        for row in book.active.iter_rows()
        for c in row
        if isinstance(c.value, str)
    }
    assert cells['=HYPERLINK("http://x")'] == "s"
    literal = client.get(f"/benchmarks/networks/{nid}/good-practice?q=100%25").get_data(
        as_text=True
    )
    assert "100% av personalet" in literal and "Eksempler på god praksis: 1" in literal
    wildcard = client.get(f"/benchmarks/networks/{nid}/good-practice?q=_").get_data(as_text=True)
    assert "Eksempler på god praksis: 0" in wildcard


def test_a_network_without_cycles_explains_itself(app: Any, bench: BenchWorld) -> None:
    from kvip.accounts.models import Membership
    from tests.conftest import login
    from tests.factories import create_institution, create_network, create_unit, create_user

    network = create_network(name="Nytt nettverk")
    unit = create_unit(create_institution(network, "Ny institusjon"), "Ny enhet")
    user = create_user("ny@bench.test")
    db.session.add(Membership(user_id=user.id, unit_id=unit.id, role="unit_lead"))
    db.session.commit()
    client = login(app.test_client(), user)
    page = client.get(f"/benchmarks/units/{unit.id}")
    assert page.status_code == 200
    assert "Nettverket har ingen sykluser ennå." in page.get_data(as_text=True)
    assert client.get(f"/benchmarks/networks/{network.id}/annual-report").status_code == 200

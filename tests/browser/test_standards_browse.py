"""On a tablet: search the standards, filter, open a standard, view the coverage matrix; a
coordinator's import shows every problem of a broken sheet. No serious axe violations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from kvip.extensions import db
from kvip.standards.services import load_edition_dir
from tests.browser.conftest import (
    IPAD_LANDSCAPE,
    main_nav,
    screenshot,
    serious_violations,
    sign_in,
)
from tests.factories import PASSWORD, build_world
from tests.standards.conftest import KVIP_2026, make_xlsx, sheet_row


@pytest.fixture
def library(app: Flask) -> dict[str, str]:
    world = build_world()
    load_edition_dir(KVIP_2026)
    db.session.commit()
    return {role: user.email for role, user in world.users.items()}


def test_search_filter_open_and_coverage_on_a_tablet(  # type: ignore[no-untyped-def]
    library: dict[str, str], live_server: str, page
) -> None:
    sign_in(page, live_server, library["member"], PASSWORD)
    main_nav(page).get_by_role("link", name="Standarder").click()
    page.wait_for_url("**/standards")
    assert page.get_by_role("heading", level=1).inner_text() == "Standarder"
    expect(page.get_by_role("link", name="7 Klinisk virksomhetsstyring")).to_be_visible()
    assert serious_violations(page) == []

    page.get_by_label("Søk i standardene").fill("pårørende")
    page.get_by_role("button", name="Søk", exact=True).click()
    page.wait_for_url(re.compile(r".*q=p%C3%A5r%C3%B8rende.*"))
    heading = page.get_by_role("heading", level=2).first.inner_text()
    found = int(heading.split()[0])
    assert found > 5 and heading.endswith("standarder funnet")
    assert page.locator("mark").first.inner_text().lower() == "pårørende"
    screenshot(page, "standards-search-ipad")
    assert serious_violations(page) == []

    # Filters apply as soon as they change (no extra button press on a tablet).
    page.get_by_label("Type").select_option("1")
    page.wait_for_url(re.compile(r".*type=1.*"))
    narrowed = int(page.get_by_role("heading", level=2).first.inner_text().split()[0])
    assert 0 < narrowed < found
    badges = page.locator(".std-item .std-type").all_inner_texts()
    assert badges and all(b.startswith("Type 1") for b in badges)
    page.get_by_label("Plikt i forskriften").select_option("7c")
    page.wait_for_url(re.compile(r".*duty=7c.*"))
    assert page.locator(".std-item").count() >= 1

    first = page.locator(".std-item .std-code").first
    code = first.inner_text().split()[0]
    first.click()
    page.wait_for_url(f"**/standards/kvip-2026/{code}")
    assert page.get_by_role("heading", level=1).inner_text() == f"Standard {code}"
    expect(
        page.get_by_role("heading", name="Plikter i forskriften som den ivaretar")
    ).to_be_visible()
    quotes = page.locator(".duty-quotes blockquote").all_inner_texts()
    assert any(q.startswith("c) utvikle og iverksette nødvendige prosedyrer") for q in quotes)
    expect(page.get_by_role("button", name="Skriv ut")).to_be_visible()
    screenshot(page, "standards-standard-ipad")
    assert serious_violations(page) == []

    page.get_by_role("link", name="Standarder", exact=True).last.click()
    page.get_by_role("link", name="Dekning av forskriften").click()
    page.wait_for_url("**/standards/kvip-2026/coverage")
    expect(
        page.get_by_text("Alle 21 plikter i §§ 6–9 ivaretas av minst én standard.")
    ).to_be_visible()
    table = page.get_by_role("table").first
    assert table.get_by_role("rowheader").count() == 21
    assert serious_violations(page) == []
    screenshot(page, "standards-coverage-ipad")
    page.set_viewport_size(IPAD_LANDSCAPE)
    screenshot(page, "standards-coverage-ipad-landscape")
    # A number in the matrix opens exactly those standards.
    page.get_by_role("link", name=re.compile(r"standarder i område 7 ivaretar § 8 f")).or_(
        page.get_by_role("link", name=re.compile(r"standard i område 7 ivaretar § 8 f"))
    ).click()
    page.wait_for_url(re.compile(r".*duty=8f&domain=7.*"))
    assert page.locator(".std-item").count() >= 1


def test_import_shows_every_problem_with_its_place(  # type: ignore[no-untyped-def]
    library: dict[str, str], live_server: str, page, tmp_path: Path
) -> None:
    sheet = tmp_path / "liste.xlsx"
    sheet.write_bytes(
        make_xlsx([sheet_row(code="1.1"), sheet_row(code="1.1", type=7, dimensions="fast")])
    )
    sign_in(page, live_server, library["coordinator"], PASSWORD)
    page.goto(f"{live_server}/standards/editions/import")
    page.get_by_label("Regneark (.xlsx eller .csv)").set_input_files(str(sheet))
    page.get_by_label("Kortnavn (slug)").fill("kvip-2027")
    page.get_by_label("Navn på norsk").fill("KvIP 2027")
    page.get_by_label("Navn på engelsk").fill("KvIP 2027")
    page.get_by_role("button", name="Kontroller filen").click()
    alert = page.get_by_role("alert")
    assert "Filen har 3 problemer. Ingenting ble lagret." in alert.inner_text()
    items = alert.locator("li").all_inner_texts()
    assert [i.split(":")[0] for i in items] == [
        "Standards/rad 3/kolonne E (code)",
        "Standards/rad 3/kolonne F (type)",
        "Standards/rad 3/kolonne L (dimensions)",
    ]
    screenshot(page, "standards-import-problems-ipad")
    assert serious_violations(page) == []

"""Wide tables on an iPad (issue 17, item 4): every table wider than its box keeps its first
column in view and says there is more to the side; the explanation of a suppressed row is
on screen; dates are never broken; the network's units table fits a 1,440 px screen."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from kvip.demo import DEMO_PASSWORD
from tests.browser.conftest import SHOTS, serious_violations, sign_in

PORTRAIT = {"width": 810, "height": 1080}

# (who, page, the tables on it that are wider than an iPad in portrait)
PAGES = [
    ("lead@demo.kvip", "/benchmarks/", 2),
    ("coordinator@demo.kvip", "/benchmarks/", 2),
    ("coordinator@demo.kvip", "/benchmarks/networks/1/annual-report", 2),
    ("coordinator@demo.kvip", "/actions/networks/1?cycle=1", 1),
    ("coordinator@demo.kvip", "/cycles/2", 1),
    ("coordinator@demo.kvip", "/standards/editions", 1),
    ("coordinator@demo.kvip", "/networks/1/audit", 1),
]

WIDE = """() => [...document.querySelectorAll('main table')].filter(t => {
  const box = t.parentElement;
  return t.scrollWidth > box.clientWidth + 1;
}).map(t => {
  const wrap = t.closest('[data-table-scroll]');
  const cue = wrap && wrap.querySelector('[data-table-cue]');
  const first = t.querySelector('tbody tr > :first-child');
  return {
    caption: (t.caption ? t.caption.textContent : t.dataset.table || '').trim(),
    pattern: Boolean(wrap),
    cue: Boolean(cue && !cue.hidden && cue.offsetParent),
    sticky: first ? getComputedStyle(first).position : '',
    // Opaque, or the columns scrolling under it show through.
    opaque: first ? getComputedStyle(first).backgroundColor !== 'rgba(0, 0, 0, 0)' : false,
  };
})"""


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.mark.parametrize("email,path,n", PAGES, ids=[f"{e.split('@')[0]}{p}" for e, p, _n in PAGES])
def test_wide_tables_keep_first_column_and_show_a_cue(  # type: ignore[no-untyped-def]
    demo: None, live_server: str, page, email, path, n
) -> None:
    page.set_viewport_size(PORTRAIT)
    sign_in(page, live_server, email, DEMO_PASSWORD)
    page.goto(live_server + path)
    page.wait_for_load_state("load")
    wide = page.evaluate(WIDE)
    assert len(wide) >= n, wide
    for table in wide:
        assert table["pattern"] and table["cue"] and table["sticky"] == "sticky", table
        assert table["opaque"], table
    # Never the whole page sideways.
    assert page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    assert serious_violations(page) == []


def test_suppressed_rows_explained_on_screen(demo: None, live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(PORTRAIT)
    sign_in(page, live_server, "coordinator@demo.kvip", DEMO_PASSWORD)
    page.goto(live_server + "/benchmarks/")
    note = page.locator("table[data-table='groups'] td.note-cell").first
    expect(note).to_contain_text("Færre enn 3 enheter")
    # As the page opens (the table not scrolled sideways) the explanation starts on screen.
    page.locator("table[data-table='groups']").evaluate("t => t.scrollIntoView()")
    box = note.bounding_box()
    assert box and box["x"] + 40 < PORTRAIT["width"], box
    shot(page, "tablet-table-suppressed")


def test_submitted_dates_not_broken(demo: None, live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(PORTRAIT)
    sign_in(page, live_server, "coordinator@demo.kvip", DEMO_PASSWORD)
    page.goto(live_server + "/cycles/2")
    cells = page.locator("main table td.nowrap")
    assert cells.count() > 0
    for i in range(cells.count()):
        assert cells.nth(i).evaluate("n => getComputedStyle(n).whiteSpace") == "nowrap"
    page.locator("main table").first.scroll_into_view_if_needed()
    shot(page, "tablet-table-cycle")


def test_network_units_table_fits_a_desktop(demo: None, live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, live_server, "coordinator@demo.kvip", DEMO_PASSWORD)
    page.goto(live_server + "/benchmarks/")
    table = page.locator("table[data-table='units']")
    table.scroll_into_view_if_needed()
    widths = table.evaluate("t => [t.scrollWidth, t.parentElement.clientWidth]")
    shot(page, "desktop-table-units")
    assert widths[0] <= widths[1], widths

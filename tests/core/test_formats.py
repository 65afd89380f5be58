"""Dates, times, numbers and percentages in the user's locale (kvip.core.formats): nb, and
English as British English (never the American "12/7/26, 3:43 PM")."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale

from kvip.core import formats
from kvip.core.models import ExportJob
from kvip.extensions import db
from tests.conftest import login
from tests.factories import World

ROOT = Path(__file__).resolve().parents[2]
MOMENT = datetime(2026, 12, 7, 14, 43)  # stored UTC: 15:43 in Oslo

EXPECTED = {
    "nb": {
        "date": "7. des. 2026",
        "long": "7. desember 2026",
        "full": "mandag 7. desember 2026",
        "datetime": "7. des. 2026, 15:43",
        "number1": "1\xa0234,6",
        "number0": "59",
        "percent1": "46,6\xa0%",
        "percent0": "47\xa0%",
        "month": "desember 2026",
    },
    "en": {
        "date": "7 Dec 2026",
        "long": "7 December 2026",
        "full": "Monday, 7 December 2026",
        "datetime": "7 Dec 2026, 15:43",
        "number1": "1,234.6",
        "number0": "59",
        "percent1": "46.6%",
        "percent0": "47%",
        "month": "December 2026",
    },
}


@pytest.mark.parametrize("locale", ["nb", "en"])
def test_filters_format_in_the_locale(app: Flask, locale: str) -> None:
    template = (
        "{{ d|date }}|{{ d|date('long') }}|{{ d|date('full') }}|{{ m|date }}|{{ m|datetime }}|"
        "{{ 1234.56|number(1) }}|{{ 58.5|number }}|{{ 46.6|percent(1) }}|{{ 46.6|percent }}|"
        "{{ d|date('MMMM y') }}|{{ none|date }}|{{ none|number }}|{{ none|percent }}|{{ m|time }}"
    )
    want = EXPECTED[locale]
    with app.test_request_context(), force_locale(locale):
        out = render_template_string(template, d=date(2026, 12, 7), m=MOMENT).split("|")
    assert out == [
        want["date"],
        want["long"],
        want["full"],
        want["datetime"],  # |date on a stored moment keeps its time
        want["datetime"],
        want["number1"],
        want["number0"],
        want["percent1"],
        want["percent0"],
        want["month"],
        "–",
        "–",
        "–",
        "15:43",
    ]


def test_english_is_british_also_in_mail_and_jobs(app: Flask) -> None:
    """force_locale("en") (e-mails, exports) formats as en-GB too; outside a request, nb."""
    with app.test_request_context(), force_locale("en"):
        assert formats.format_locale().territory == "GB"
        assert formats.format_datetime(MOMENT, "short") == "07/12/2026, 15:43"
    assert formats.format_date(date(2026, 12, 7)) == "7. des. 2026"


def test_halves_round_up_and_nan_is_a_dash(app: Flask) -> None:
    with app.test_request_context(), force_locale("nb"):
        assert formats.format_number(46.65, 1) == "46,7"
        assert formats.format_number(0.5) == "1"
        assert formats.format_number(float("nan")) == "–"
        assert formats.format_percent(100) == "100\xa0%"


def _pages(app: Flask, world: World, locale: str) -> dict[str, str]:
    world.cycle.self_assessment_opens = date(2026, 12, 7)
    world.cycle.self_assessment_closes = date(2027, 3, 1)
    world.cycle.visit_window_start = date(2027, 3, 15)
    world.cycle.visit_window_end = date(2027, 5, 31)
    job = db.session.get(ExportJob, world.export_job_id)
    assert job is not None
    job.state, job.error, job.created_at = "failed", "SMTP down", MOMENT
    for user in world.users.values():
        user.locale = locale
    db.session.commit()
    pages = {
        "cycle": ("coordinator", f"/cycles/{world.cycle.id}"),
        "jobs": ("admin", "/jobs/admin"),
        "summary": ("lead", f"/cycles/assessments/{world.assessment.id}/summary"),
        "home": ("lead", "/"),
    }
    html = {}
    for name, (role, url) in pages.items():
        response = login(app.test_client(), world.users[role]).get(url)
        assert response.status_code == 200, url
        html[name] = response.get_data(as_text=True)
    return html


def test_pages_show_norwegian_formats(app: Flask, world: World) -> None:
    html = _pages(app, world, "nb")
    assert "7. des. 2026 – 1. mars 2027" in html["cycle"]
    assert "15. mars 2027 – 31. mai 2027" in html["cycle"]
    assert "7. des. 2026, 15:43" in html["jobs"]
    # One of six standards rated: 17 %, with the no-break space Norwegian puts before %.
    assert "17\xa0%" in html["summary"] and "17\xa0%" in html["home"]
    for page in html.values():
        assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b|\d (AM|PM)\b", page)


def test_pages_show_british_formats_in_english(app: Flask, world: World) -> None:
    html = _pages(app, world, "en")
    assert "7 Dec 2026 – 1 Mar 2027" in html["cycle"]
    assert "15 Mar 2027 – 31 May 2027" in html["cycle"]
    assert "7 Dec 2026, 15:43" in html["jobs"]
    assert "17%" in html["summary"] and "17%" in html["home"]
    for page in html.values():
        assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b|\d (AM|PM)\b|Dec 7, 2026", page)


def test_no_hand_formatting_of_numbers_or_dates_for_people() -> None:
    """Guard: user-facing formats go through kvip.core.formats, not flask_babel's format_*
    (plain ``en`` is American) or printf in templates (no decimal comma)."""
    python = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "kvip").rglob("*.py")
        if re.search(
            r"from flask_babel import .*\bformat_(date|datetime|time|decimal|number|percent)\b",
            p.read_text(),
        )
    ]
    assert not python, f"use kvip.core.formats instead of flask_babel's format_*: {python}"
    templates = []
    for p in (ROOT / "templates").rglob("*.html"):
        for lineno, line in enumerate(p.read_text().splitlines(), 1):
            for match in re.finditer(r"'%\.\d+f[^']*'\s*\|\s*format|\|\s*round\b", line):
                before = line[: match.start()]
                if "width:" not in before[-60:]:  # CSS widths are machine numbers
                    templates.append(f"{p.relative_to(ROOT)}:{lineno}")
    assert not templates, f"use |number(n) or |percent(n): {templates}"

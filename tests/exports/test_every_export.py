"""Every export route (.xlsx, .csv, .pdf) with hostile and unusual text (issue 12, items 4–6).

- No spreadsheet cell is a formula, no CSV cell starts with a formula trigger unescaped (5).
- A control character, Sámi letters or an emoji never breaks a download, and the text is in
  the file; download names are valid HTTP headers (6).
- Making a PDF never fetches anything from outside, whatever the text says (4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from kvip.benchmarks.views import TABLES
from tests.conftest import login
from tests.exports import hostile

EXPORT_SUFFIXES = (".xlsx", ".csv", ".pdf", ".<fmt>", ".<any(csv, xlsx):fmt>")
FORMATS = ("csv", "xlsx")


def _benchmark_network(ids: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("coordinator", f"/benchmarks/networks/{ids['network_id']}/export/{page}/{table}.{fmt}")
        for page in ("overview", "standards", "trends", "agreement", "questionnaires")
        for table in TABLES[page]
        for fmt in FORMATS
    ]


# endpoint → the (role, path) pairs that exercise it; every export endpoint must be here.
ROUTES: dict[str, Callable[[dict[str, Any]], list[tuple[str, str]]]] = {
    "actions.export_xlsx": lambda i: [
        ("lead", f"/actions/assessments/{i['assessment_id']}/plan.xlsx")
    ],
    "actions.export_pdf": lambda i: [
        ("lead", f"/actions/assessments/{i['assessment_id']}/plan.pdf")
    ],
    "actions.gap_pdf": lambda i: [("lead", f"/actions/assessments/{i['assessment_id']}/gap.pdf")],
    "cycles.export": lambda i: [
        ("member", f"/cycles/assessments/{i['assessment_id']}/export.xlsx")
    ],
    "standards.export": lambda i: [
        ("admin", f"/standards/editions/{i['edition_slug']}/export.xlsx")
    ],
    "visits.report_pdf": lambda i: [("reviewer", f"/visits/{i['visit_id']}/report.pdf")],
    "network.audit_export": lambda i: [
        ("coordinator", f"/networks/{i['network_id']}/audit/export.{fmt}") for fmt in FORMATS
    ],
    "accounts.audit_export": lambda i: [("admin", f"/admin/audit/export.{fmt}") for fmt in FORMATS],
    "benchmarks.unit_export": lambda i: [
        ("lead", f"/benchmarks/units/{i['unit_id']}/export/{table}.{fmt}")
        for table in TABLES["unit"]
        for fmt in FORMATS
    ],
    "surveys.export_results": lambda i: [
        ("lead", f"/surveys/assessments/{i['assessment_id']}/results.{fmt}") for fmt in FORMATS
    ],
    "benchmarks.unit_pdf": lambda i: [("lead", f"/benchmarks/units/{i['unit_id']}/dashboard.pdf")],
    "benchmarks.network_export": _benchmark_network,
    "benchmarks.good_practice_export": lambda i: [
        ("coordinator", f"/benchmarks/networks/{i['network_id']}/good-practice.{fmt}")
        for fmt in FORMATS
    ],
    "benchmarks.annual_report_pdf": lambda i: [
        ("coordinator", f"/benchmarks/networks/{i['network_id']}/annual-report.pdf")
    ],
    "benchmarks.annual_export": lambda i: [
        ("coordinator", f"/benchmarks/networks/{i['network_id']}/annual-report/export/{t}.{fmt}")
        for t in TABLES["annual"]
        for fmt in FORMATS
    ],
}


def test_every_export_route_is_walked(app: Flask) -> None:
    """A new export route must join the walk below."""
    exports = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.endswith(EXPORT_SUFFIXES) and "GET" in (rule.methods or ())
    }
    exports -= {"static"}
    assert exports == set(ROUTES)


def _check_headers(where: str, response: Any, problems: list[str]) -> None:
    """WSGI servers send headers as ISO-8859-1: anything else is a 500 (gunicorn) or a hung
    request (the development server) after the file has been made."""
    for name, value in response.headers.items():
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            problems.append(f"{where}: header {name} is not ISO-8859-1: {value!r}")


def _check_xlsx(where: str, data: bytes, problems: list[str]) -> list[str]:
    texts = []
    for cell in hostile.xlsx_cells(data):
        if cell.data_type in ("f", "e"):
            problems.append(f"{where}: {cell.coordinate} is a formula: {cell.value!r}")
        if isinstance(cell.value, str):
            texts.append(cell.value)
    return texts


def _check_csv(where: str, data: bytes, problems: list[str]) -> list[str]:
    cells = hostile.csv_cells(data)
    for cell in cells:
        if cell.startswith(hostile.FORMULA_TRIGGERS) and not hostile.is_number(cell):
            problems.append(f"{where}: a CSV cell starts a formula: {cell!r}")
    return cells


def test_every_export_is_safe_with_hostile_text(app: Flask) -> None:
    with hostile.recording_server() as (port, hits):
        world = hostile.build_hostile_world(port).world
        ids = world.ids()
        texts: dict[str, str] = {}
        problems: list[str] = []
        for endpoint, paths in sorted(ROUTES.items()):
            for role, path in paths(ids):
                client = login(app.test_client(), world.users[role])
                where = f"{endpoint} {path} as {role}"
                try:
                    response = client.get(path)
                except Exception as exc:  # noqa: BLE001 - listed with the others below
                    problems.append(f"{where}: {type(exc).__name__}: {exc}")
                    continue
                if response.status_code != 200:
                    problems.append(f"{where}: {response.status_code}")
                    continue
                _check_headers(where, response, problems)
                if path.endswith(".xlsx"):
                    texts[path] = "\n".join(_check_xlsx(where, response.data, problems))
                elif path.endswith(".csv"):
                    texts[path] = "\n".join(_check_csv(where, response.data, problems))
                else:
                    assert response.data.startswith(b"%PDF"), where
                    texts[path] = hostile.pdf_text(response.data)
                    # Set in DejaVu Sans throughout (page numbers too): it has the Sámi letters.
                    fonts = hostile.pdf_fonts(response.data)
                    if not all("DejaVu-Sans" in f for f in fonts):
                        problems.append(f"{where}: fonts {sorted(fonts)}")
        assert not problems, "\n".join(problems)
        assert hits == [], "a PDF fetched URLs named in user text"

    def text_of(suffix: str) -> str:
        (key,) = [k for k in texts if k.endswith(suffix)]
        return texts[key]

    # The text people typed is in the files, Sámi letters and emoji included.
    plan = text_of("/plan.xlsx")
    assert hostile.ACTION_TITLE_WORDS in plan
    assert "BUP døgn Kárášjohka" in plan
    assert hostile.ACTION_TITLE_WORDS in text_of("/plan.pdf")
    assert "andre linje " + hostile.SAMI in text_of("/plan.pdf")
    assert "Kárášjohka" in text_of("/gap.pdf")
    assert "Kárášjohka" in text_of("/report.pdf")
    self_assessment = text_of(f"/assessments/{ids['assessment_id']}/export.xlsx")
    assert "Kommentar med ŋ og ŧ" in self_assessment and hostile.EVIDENCE in self_assessment
    assert "Krav med " + hostile.SAMI in text_of(f"/editions/{ids['edition_slug']}/export.xlsx")
    audit = text_of(f"/networks/{ids['network_id']}/audit/export.csv")
    assert hostile.ACTION_TITLE_WORDS in audit and "@note 🙂" in audit
    heatmap = text_of("/export/standards/heatmap.xlsx")
    assert "=HYPERLINK" in heatmap and "Kárášjohka" in heatmap

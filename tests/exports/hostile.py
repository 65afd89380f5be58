"""A world whose user-typed text is hostile or merely unusual, and every export route to try.

Each text starts with a spreadsheet formula trigger (``=``, ``+``, ``-``, ``@``), carries Sámi
letters, an emoji or a control character (Word's soft line break ``\\x0b``), and the cycle name
tries to break out of the PDF's CSS towards a local HTTP server that records every request.
"""

from __future__ import annotations

import csv
import http.server
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kvip.core.models import AuditEvent
from kvip.cycles.models import Assessment, Rating
from kvip.extensions import db
from kvip.visits.models import Observation
from tests.factories import World, build_world, standards_of

SAMI = "á č đ ŋ š ŧ ž"
UNIT_NAME = '=HYPERLINK("http://127.0.0.1:9/u","klikk") BUP døgn Kárášjohka'
OTHER_UNIT_NAME = "+cmd|' /C calc'!A0 Unjárga ŋ ŧ"
THIRD_UNIT_NAME = "@SUM(1+1) Guovdageaidnu č đ"
ACTION_TITLE = '=HYPERLINK("http://127.0.0.1:9/a","a")\x0bTiltak Kárášjohka'
# What a reader should find of the title: the soft line break may become a line break.
ACTION_TITLE_WORDS = "Tiltak Kárášjohka"
COMMENT = "-1+1\x0bKommentar med ŋ og ŧ"
# Emoji only where the PDFs' text is not read back: pypdf cannot extract the text of a font
# that lacks a glyph (no emoji font on Debian by default; the glyph is drawn as a box).
EVIDENCE = "@evidence " + "á č đ ŋ š ŧ ž" + " 🙂"
FORMULA_TRIGGERS = ("=", "+", "-", "@")


class Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def recording_server() -> Iterator[tuple[int, list[str]]]:
    """A local HTTP server on a free port: (port, the paths requested from it)."""
    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    server.hits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.hits  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def css_payload(port: int) -> str:
    """A cycle name that closes the CSS string and rule it is put in and asks for URLs; within
    the column's 200 characters (PostgreSQL enforces them)."""
    host = f"http://127.0.0.1:{port}"
    payload = (
        f"=1+1 Syklus Kárášjohka\r}}}} @import url({host}/i.css); "
        f"body{{background:url({host}/b.png)}} "
        f"@font-face{{font-family:x;src:url({host}/f.woff)}}"
    )
    assert len(payload) <= 200, len(payload)
    return payload


def img_payload(port: int) -> str:
    return f'<img src="http://127.0.0.1:{port}/img.png"> =1+2 God praksis Kárášjohka'


@dataclass
class Hostile:
    world: World
    port: int


def build_hostile_world(port: int) -> Hostile:
    """The shared world with every user-typed text replaced by a hostile one."""
    from tests.factories import create_unit

    world = build_world()
    world.unit.name = UNIT_NAME
    world.other_unit.name = OTHER_UNIT_NAME
    # Enough units with ratings that benchmark tables are not suppressed (k = 3).
    third = create_unit(world.inst_c, THIRD_UNIT_NAME)
    fourth = create_unit(world.inst_b, "-Fjerde enhet ŧ")
    stds = standards_of(world.edition)
    values = ("met", "partly_met", "not_met", "not_applicable")
    for n, unit in enumerate((third, fourth)):
        assessment = Assessment(cycle_id=world.cycle.id, unit_id=unit.id, state="submitted")
        db.session.add(assessment)
        db.session.flush()
        for i, std in enumerate(stds):
            db.session.add(
                Rating(
                    assessment_id=assessment.id,
                    standard_id=std.id,
                    value=values[(i + n) % 4],
                    comment=COMMENT,
                )
            )
    for n, assessment in enumerate((world.assessment, world.other_assessment)):
        assessment.state = "submitted"
        for i, std in enumerate(stds[1:], start=1):
            db.session.add(
                Rating(assessment_id=assessment.id, standard_id=std.id, value=values[(i + n) % 3])
            )
    world.network.name = "@SUM(1+1) Nettverk " + SAMI
    world.inst_a.name = "-1+1 Institusjon ž"
    world.cycle.name = css_payload(port)
    world.action.title = ACTION_TITLE
    world.action.description = "+SUM(1)\x0bandre linje " + SAMI
    world.action.responsible = "-2+3 Ánde Ŋ"
    world.action.success_measure = "@A1 " + SAMI
    world.observation.text = img_payload(port)
    world.users["lead"].name = "=cmd Ánde Ŋ"
    db.session.add(
        Observation(
            visit_id=world.visit.id,
            kind="good_practice",
            text=img_payload(port),
            created_by_id=world.users["reviewer"].id,
        )
    )
    std = standards_of(world.edition)[0]
    std.text_nb = "=1+1 Krav med " + SAMI + "\x0bslutt"
    for rating in db.session.scalars(
        db.select(Rating).where(Rating.assessment_id == world.assessment.id)
    ):
        rating.comment = COMMENT
        rating.evidence = EVIDENCE
    from kvip.visits.models import Finding

    for finding in db.session.scalars(db.select(Finding).where(Finding.visit_id == world.visit.id)):
        finding.comment = COMMENT
    db.session.add(
        AuditEvent(
            at=datetime(2026, 1, 5, 10, 0),
            user_id=world.users["lead"].id,
            network_id=world.network.id,
            unit_id=world.unit.id,
            entity="action",
            entity_id=world.action.id,
            action="update",
            field="title",
            old='=HYPERLINK("http://127.0.0.1:9/o","o")\x0b' + SAMI,
            new=ACTION_TITLE,
            note="@note 🙂",
        )
    )
    db.session.commit()
    return Hostile(world, port)


# --- reading the files back ---------------------------------------------------------------------


def xlsx_cells(data: bytes) -> list[Any]:
    """Every cell of every sheet of an .xlsx file (openpyxl, formulas not evaluated)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            cells.extend(c for c in row if c.value is not None)
    return cells


def csv_cells(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    return [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]


def is_number(text: str) -> bool:
    try:
        float(text.replace(",", ".").replace("\u2212", "-"))
    except ValueError:
        return False
    return True


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def pdf_fonts(data: bytes) -> set[str]:
    from pypdf import PdfReader

    names: set[str] = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            names.add(str(ref.get_object().get("/BaseFont")))
    return names

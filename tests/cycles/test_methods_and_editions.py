"""How a standard is checked (its methods) beside each standard of the self-assessment and in
its Excel export (a column the upload ignores); the newest published edition preselected for
a new cycle."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from openpyxl import load_workbook

from kvip.cycles.models import Rating
from kvip.extensions import db
from tests.factories import World, create_edition, standards_of


def _with_methods(world: World) -> None:
    first, second = standards_of(world.edition)[:2]
    first.methods = ["record_audit", "interview_young_person"]
    second.methods = ["questionnaire_parent"]
    db.session.commit()


def test_self_assessment_shows_how_each_standard_is_checked(world: World, as_role: Any) -> None:
    _with_methods(world)
    html = (
        as_role("member").get(f"/cycles/assessments/{world.assessment.id}").get_data(as_text=True)
    )
    block = html[html.index('id="s-1-1"') : html.index('id="s-1-2"')]
    assert "Slik sjekkes det:" in block
    assert re.search(
        r"Samtale med ungdom</span>.*Journalgjennomgang</span>|Journalgjennomgang</span>.*Samtale med ungdom",
        block,
        re.S,
    )
    assert "Spørreskjema til foreldre" in html
    # A standard without methods shows no empty line.
    third = html[html.index('id="s-1-3"') : html.index('id="s-2-1"')]
    assert "Slik sjekkes det" not in third


def test_excel_export_has_a_methods_column_the_upload_ignores(world: World, as_role: Any) -> None:
    _with_methods(world)
    client = as_role("member")
    response = client.get(f"/cycles/assessments/{world.assessment.id}/export.xlsx")
    wb = load_workbook(io.BytesIO(response.data))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[9] == "Slik sjekkes det"
    assert ws["J2"].value == "Samtale med ungdom · Journalgjennomgang"
    assert ws["J3"].value == "Spørreskjema til foreldre" and ws["J4"].value is None
    # Editing the column changes nothing on upload.
    ws["J2"].value = "Noe helt annet"
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    upload = client.post(
        f"/cycles/assessments/{world.assessment.id}/import",
        data={"file": (buffer, "egenvurdering.xlsx")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200
    assert "0 standarder endres" in upload.get_data(
        as_text=True
    ) or "Ingen endringer" in upload.get_data(as_text=True)
    assert db.session.query(Rating).filter_by(assessment_id=world.assessment.id).count() == 1


def test_new_cycle_preselects_the_newest_published_edition(world: World, as_role: Any) -> None:
    # Loaded later but published earlier, and the other way round: publication date decides.
    newer = create_edition(slug="ed-newest")
    newer.published = date(2027, 1, 15)
    db.session.commit()
    older = create_edition(slug="ed-older-loaded-last")
    older.published = date(2026, 1, 15)
    draft = create_edition(slug="ed-draft")  # no publication date: never the default
    db.session.commit()
    html = as_role("coordinator").get(f"/cycles/new/{world.network.id}").get_data(as_text=True)
    selected = re.findall(r'<option selected value="(\d+)"|<option value="(\d+)" selected', html)
    assert [a or b for a, b in selected] == [str(newer.id)], selected
    assert str(draft.id) in html and str(older.id) in html

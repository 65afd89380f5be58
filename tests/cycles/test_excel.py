"""The Excel round trip: download, fill in offline, upload, preview, apply — and its refusals."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from openpyxl import load_workbook

from kvip.cycles import services
from kvip.cycles.models import Rating
from kvip.extensions import db
from tests.factories import World


def _download(client: Any, world: World) -> Any:
    response = client.get(f"/cycles/assessments/{world.assessment.id}/export.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(".xlsx")
    return load_workbook(io.BytesIO(response.data))


def _upload(client: Any, world: World, wb: Any) -> Any:
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return client.post(
        f"/cycles/assessments/{world.assessment.id}/import",
        data={"file": (buffer, "egenvurdering.xlsx")},
        content_type="multipart/form-data",
    )


def _rows(wb: Any) -> dict[str, int]:
    ws = wb.worksheets[0]
    return {ws.cell(row=r, column=8).value: r for r in range(2, ws.max_row + 1)}


def _ratings(world: World) -> dict[str, tuple[str | None, str, int]]:
    from kvip.standards.models import Standard

    db.session.expire_all()
    return {
        code: (value, comment, version)
        for code, value, comment, version in db.session.execute(
            db.select(Standard.code, Rating.value, Rating.comment, Rating.version)
            .join(Rating, Rating.standard_id == Standard.id)
            .where(Rating.assessment_id == world.assessment.id)
        )
    }


def test_download_has_a_dropdown_hidden_code_and_version_columns(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    wb = _download(as_role("member"), world)
    ws = wb.worksheets[0]
    assert ws.title == "Egenvurdering"
    assert [c.value for c in ws[1]][:7] == [
        "Kode",
        "Område",
        "Type",
        "Standard",
        "Vurdering",
        "Kommentar",
        "Dokumentasjon",
    ]
    assert ws.column_dimensions["H"].hidden and ws.column_dimensions["I"].hidden
    assert ws.max_row == 7  # header + 6 standards
    assert ws["A2"].value == "1.1" and ws["E2"].value == "Oppfylt" and ws["I2"].value == 1
    assert ws["I3"].value == 0  # not rated yet
    confirm, validation = ws.data_validations.dataValidation
    assert confirm.formula1 == '"Ja,Nei"' and "L2:L7" in str(confirm.sqref)
    assert validation.formula1 == '"Oppfylt,Delvis oppfylt,Ikke oppfylt,Ikke relevant"'
    assert "E2:E7" in str(validation.sqref)
    assert "kvip" in wb.sheetnames and wb["kvip"].sheet_state == "hidden"


def test_upload_previews_then_applies_the_changes(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    client = as_role("member")
    wb = _download(client, world)
    ws, rows = wb.worksheets[0], _rows(wb)
    ws.cell(row=rows["1.2"], column=5).value = "Delvis oppfylt"
    ws.cell(row=rows["1.2"], column=6).value = "Gjelder bare dagtid"
    ws.cell(row=rows["2.1"], column=5).value = "not applicable"  # English label accepted
    ws.cell(row=rows["1.1"], column=7).value = "Rutine i EQS"
    response = _upload(client, world, wb)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 standarder endres, 3 er uendret" in page
    assert _ratings(world) == {"1.1": ("met", "", 1)}  # nothing saved yet
    changes = re.search(r'name="changes" type="hidden" value="([^"]+)"', page).group(1)
    payload = json.loads(changes.replace("&#34;", '"').replace("&quot;", '"'))
    assert {c["code"] for c in payload} == {"1.1", "1.2", "2.1"}
    applied = client.post(
        f"/cycles/assessments/{world.assessment.id}/import/apply",
        data={"changes": json.dumps(payload)},
    )
    assert applied.status_code == 302
    ratings = _ratings(world)
    assert ratings["1.2"] == ("partly_met", "Gjelder bare dagtid", 1)
    assert ratings["2.1"][0] == "not_applicable"
    assert ratings["1.1"][2] == 2  # evidence changed → new version
    # The change history says it came from a spreadsheet.
    history = client.get(
        f"/cycles/assessments/{world.assessment.id}/standards/1.2/history?fragment=1"
    )
    assert "fra et regneark" in history.get_data(as_text=True)


def test_every_row_error_is_reported_and_nothing_is_applied(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    client = as_role("member")
    wb = _download(client, world)
    ws, rows = wb.worksheets[0], _rows(wb)
    ws.cell(row=rows["1.2"], column=5).value = "Ja"
    ws.cell(row=rows["1.3"], column=9).value = "sju"
    ws.cell(row=rows["2.1"], column=8).value = "9.9"
    ws.cell(row=rows["2.2"], column=8).value = "1.2"
    ws.cell(row=rows["2.3"], column=5).value = "Oppfylt"  # a valid change elsewhere
    ws.append(["", "", "", "Min egen standard", "Oppfylt"])
    response = _upload(client, world, wb)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Filen har 5 feil. Ingenting ble lagret." in page
    assert "rad 3: «Ja» er ikke en vurdering" in page
    assert "rad 4: den skjulte versjonskolonnen er endret" in page
    assert "rad 5: ukjent standardkode «9.9»" in page
    assert "rad 6: standard 1.2 står to ganger (også i rad 3)" in page
    assert "rad 8: den skjulte standardkoden er tom" in page
    assert 'name="changes"' not in page
    assert _ratings(world) == {"1.1": ("met", "", 1)}


def test_files_that_are_not_ours_are_refused_clearly(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    client = as_role("member")
    not_xlsx = client.post(
        f"/cycles/assessments/{world.assessment.id}/import",
        data={"file": (io.BytesIO(b"code;rating\n1.1;met\n"), "ratings.csv")},
        content_type="multipart/form-data",
    )
    assert not_xlsx.status_code == 422
    assert "kunne ikke leses som en Excel-arbeidsbok" in not_xlsx.get_data(as_text=True)
    from openpyxl import Workbook

    plain = Workbook()
    plain.active.append(["Kode", "Vurdering"])
    plain.active.append(["1.1", "Oppfylt"])
    response = _upload(client, world, plain)
    assert "de skjulte kolonnene for kode og versjon mangler" in response.get_data(as_text=True)
    # Another unit's spreadsheet uploaded here.
    other = client.get(f"/cycles/assessments/{world.assessment.id}/export.xlsx")
    wb = load_workbook(io.BytesIO(other.data))
    wb["kvip"]["B1"].value = world.other_assessment.id
    response = _upload(client, world, wb)
    assert "hører til en annen egenvurdering" in response.get_data(as_text=True)
    empty = client.post(f"/cycles/assessments/{world.assessment.id}/import", data={})
    assert empty.status_code == 422


def test_changes_made_on_the_server_meanwhile_are_conflicts_not_overwritten(
    world: World, as_role
) -> None:  # type: ignore[no-untyped-def]
    client = as_role("member")
    wb = _download(client, world)
    # Meanwhile the lead changes 1.1 on the page.
    services.save_rating(
        world.users["lead"], world.assessment, "1.1", {"value": "not_met", "version": 1}
    )
    ws, rows = wb.worksheets[0], _rows(wb)
    ws.cell(row=rows["1.1"], column=6).value = "Min kommentar"  # edit of a stale row
    ws.cell(row=rows["1.2"], column=5).value = "Oppfylt"  # an independent edit
    response = _upload(client, world, wb)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 standard ble endret av noen andre etter at du lastet ned filen" in page
    changes = json.loads(
        re.search(r'name="changes" type="hidden" value="([^"]+)"', page)
        .group(1)
        .replace("&#34;", '"')
    )
    assert [c["code"] for c in changes] == ["1.2"]
    client.post(
        f"/cycles/assessments/{world.assessment.id}/import/apply",
        data={"changes": json.dumps(changes)},
    )
    ratings = _ratings(world)
    assert ratings["1.1"] == ("not_met", "", 2)  # the lead's save survives
    assert ratings["1.2"][0] == "met"


def test_apply_is_all_or_nothing_when_someone_saved_after_the_preview(
    world: World, as_role
) -> None:  # type: ignore[no-untyped-def]
    client = as_role("member")
    changes = [
        {"code": "1.2", "version": 0, "value": "met"},
        {"code": "1.1", "version": 1, "value": "partly_met"},
    ]
    services.save_rating(
        world.users["lead"], world.assessment, "1.1", {"comment": "x", "version": 1}
    )
    response = client.post(
        f"/cycles/assessments/{world.assessment.id}/import/apply",
        data={"changes": json.dumps(changes)},
        follow_redirects=True,
    )
    assert "Ingenting ble lagret: noen lagret 1.1" in response.get_data(as_text=True)
    assert "1.2" not in _ratings(world)
    bad = client.post(
        f"/cycles/assessments/{world.assessment.id}/import/apply",
        data={"changes": "{not json"},
        follow_redirects=True,
    )
    assert "Listen over endringer er ugyldig" in bad.get_data(as_text=True)


def test_upload_is_refused_once_submitted(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    from tests.cycles.conftest import rate_all

    rate_all(world.assessment, ["met"] * 6)
    services.submit_assessment(world.users["lead"], world.assessment)
    page = as_role("member").get(f"/cycles/assessments/{world.assessment.id}/import")
    assert "kan ikke endres nå" in page.get_data(as_text=True)


def _changes(page: str) -> list[dict[str, Any]]:
    found = re.search(r'name="changes" type="hidden" value="([^"]+)"', page)
    assert found, page
    return json.loads(found.group(1).replace("&#34;", '"').replace("&quot;", '"'))


def test_carried_over_rows_are_marked_and_confirmed_in_the_sheet(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    from kvip.standards.models import Standard

    stds = {s.code: s for s in db.session.scalars(db.select(Standard))}
    rating = db.session.scalar(db.select(Rating).where(Rating.assessment_id == world.assessment.id))
    rating.carried_over = True  # 1.1 met, carried over from last year
    rating.evidence_kinds = "procedure,record_audit"
    rating.evidence_links = "https://example.test/a\nhttps://example.test/b"
    db.session.add(
        Rating(
            assessment_id=world.assessment.id,
            standard_id=stds["1.2"].id,
            value="not_met",
            carried_over=True,
        )
    )
    db.session.commit()
    client = as_role("member")
    wb = _download(client, world)
    ws, rows = wb.worksheets[0], _rows(wb)
    header = [c.value for c in ws[1]]
    assert header[10:14] == ["Overført – ikke bekreftet", "Bekreft", "Type dokumentasjon", "Lenker"]
    r11, r13 = rows["1.1"], rows["1.3"]
    assert ws.cell(row=r11, column=11).value == "Ja" and ws.cell(row=r13, column=11).value is None
    assert ws.cell(row=r11, column=1).fill.fgColor.rgb.endswith("FFF2CC")
    assert (
        ws.cell(row=r13, column=1).fill.fgColor.rgb != ws.cell(row=r11, column=1).fill.fgColor.rgb
    )
    assert ws.cell(row=r11, column=13).value == "Skriftlig rutine, Journalgjennomgang"
    assert ws.cell(row=r11, column=14).value == "https://example.test/a\nhttps://example.test/b"

    # An untouched sheet changes nothing: carried rows stay carried.
    page = _upload(client, world, wb).get_data(as_text=True)
    assert 'name="changes"' not in page and "Ingenting å lagre" in page

    # Confirm 1.1 (nothing else changes), add kinds and a link to 1.3 (not rated yet).
    ws.cell(row=r11, column=12).value = "Ja"
    ws.cell(row=rows["1.2"], column=12).value = "Nei"
    ws.cell(row=r13, column=5).value = "Oppfylt"
    ws.cell(row=r13, column=13).value = "Observation; Brukerundersøkelse"
    ws.cell(row=r13, column=14).value = "https://example.test/c"
    response = _upload(client, world, wb)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Bekreftet" in page  # the confirmation shows as a change
    payload = {c["code"]: c for c in _changes(page)}
    assert set(payload) == {"1.1", "1.3"}
    assert payload["1.1"] == {"code": "1.1", "version": 2, "confirm": True}
    assert payload["1.3"]["evidence_kinds"] == "user_survey,observation"
    applied = client.post(
        f"/cycles/assessments/{world.assessment.id}/import/apply",
        data={"changes": json.dumps(list(payload.values()))},
    )
    assert applied.status_code == 302
    db.session.expire_all()
    stored = {
        code: r
        for code, r in db.session.execute(
            db.select(Standard.code, Rating)
            .join(Rating, Rating.standard_id == Standard.id)
            .where(Rating.assessment_id == world.assessment.id)
        )
    }
    assert stored["1.1"].carried_over is False and stored["1.1"].value == "met"
    assert stored["1.2"].carried_over is True  # "Nei": still to be confirmed
    assert stored["1.3"].evidence_kinds == "user_survey,observation"
    assert stored["1.3"].evidence_links == "https://example.test/c"


def test_the_sheet_is_checked_like_the_page(world: World, as_role) -> None:  # type: ignore[no-untyped-def]
    client = as_role("member")
    wb = _download(client, world)
    ws, rows = wb.worksheets[0], _rows(wb)
    ws.cell(row=rows["1.1"], column=14).value = "javascript:alert(1)"
    ws.cell(row=rows["1.2"], column=13).value = "Magefølelse"
    ws.cell(row=rows["1.3"], column=12).value = "Kanskje"
    response = _upload(client, world, wb)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Filen har 3 feil. Ingenting ble lagret." in page
    assert "rad 2:" in page and "er ikke en nettadresse" in page
    assert "rad 3:" in page and "Magefølelse" in page
    assert "rad 4:" in page and "Kanskje" in page

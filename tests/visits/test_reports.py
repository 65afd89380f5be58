"""The visit report: content from the data (scoring.py), states draft → shared → final, the
unit's comments beside the draft, deadlines, and the PDF."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from flask import Flask

from kvip.core.errors import PermissionDenied, ServiceError
from kvip.extensions import db
from kvip.scoring import agreement, summary_of
from kvip.visits import reports, services
from kvip.visits.models import Report
from tests.conftest import login
from tests.factories import World, standards_of
from tests.visits.conftest import put_finding


def _complete(app: Flask, world: World) -> Report:
    """Rate every standard (one disagreement per domain), add observations, complete."""
    lead = login(app.test_client(), world.users["reviewer"])
    stds = standards_of(world.edition)
    for index, std in enumerate(stds):
        version = 1 if index == 0 else 0
        value = "not_met" if index % 3 == 1 else "met"
        response = put_finding(
            lead, world.visit, std.code, value=value, comment=f"Funn {std.code}", version=version
        )
        assert response.status_code == 200
    for key, kind, text in (
        ("obs-good-0001", "good_practice", "Gode husmøter"),
        ("obs-impr-0001", "improvement", "Rutine for ettersamtale mangler"),
        ("obs-reco-0001", "recommendation", "Innfør sjekkliste for ettersamtale"),
    ):
        body = {"kind": kind, "text": text, "standards": [stds[0].code], "version": 0}
        body["op_id"] = f"op-{key}"
        assert (
            lead.put(f"/api/v1/visits/{world.visit.id}/observations/{key}", json=body).status_code
            == 200
        )
    services.complete_visit(world.users["reviewer"], world.visit)
    db.session.refresh(world.report)
    return world.report


def test_report_content_comes_from_the_data_and_scoring(app: Flask, world: World) -> None:
    report = _complete(app, world)
    content = reports.content_of(report)
    assert [d["code"] for d in content["domains"]] == ["1", "2"]
    domain1 = [s for s in standards_of(world.edition) if s.code.startswith("1.")]
    self_values = ["met"] + [None] * (len(domain1) - 1)  # the world rated only 1.1
    peer_values = ["met" if i % 3 != 1 else "not_met" for i in range(len(domain1))]
    expected_peer = summary_of(peer_values, len(domain1))
    assert content["domains"][0]["peer"]["score"] == pytest.approx(expected_peer.score)
    assert content["domains"][0]["self"]["score"] == pytest.approx(
        summary_of(self_values, len(domain1)).score
    )
    expected = agreement(zip(self_values, peer_values, strict=True))
    assert content["domains"][0]["agreement"]["percent"] == expected.percent
    kinds = {k: [o["text"] for o in v] for k, v in content["observations"].items()}
    assert kinds["good_practice"] == ["Gode husmøter"]
    assert kinds["recommendation"] == ["Innfør sjekkliste for ettersamtale"]
    assert world.observation.text in kinds["improvement"]
    assert content["standards"][0]["peer_comment"] == "Funn 1.1"


def test_report_states_and_who_reads_and_comments(app: Flask, world: World) -> None:
    report = _complete(app, world)
    lead_user = world.users["reviewer"]
    member = login(app.test_client(), world.users["member"])
    url = f"/visits/{world.visit.id}/report"
    assert member.get(url).status_code == 403  # the unit does not see a draft
    assert member.get(url + ".pdf").status_code == 403
    draft_listing = member.get(f"/visits/units/{world.unit.id}/reports").get_data(as_text=True)
    assert url not in draft_listing and "Ingen rapport" in draft_listing
    with pytest.raises(PermissionDenied):
        reports.add_comment(world.users["member"], report, "general", "Tidlig")
    with pytest.raises(ServiceError):
        reports.finalise_report(lead_user, report)  # must be shared first
    with pytest.raises(PermissionDenied):
        reports.share_report(world.users["coordinator"], report)

    lead = login(app.test_client(), lead_user)
    assert lead.post(url + "/share").status_code == 302
    db.session.refresh(report)
    assert report.state == "shared_with_unit" and report.shared_at is not None
    page = member.get(url).get_data(as_text=True)
    assert "Enhet Alfa" in page and "Send kommentar" in page
    listing = member.get(f"/visits/units/{world.unit.id}/reports").get_data(as_text=True)
    assert url in listing
    response = member.post(
        url + "/comments", data={"section": "domain:1", "standard": "1.2", "text": "Vi har rutinen"}
    )
    assert response.status_code == 302
    assert (
        member.post(url + "/comments", data={"section": "nowhere", "text": "x"}).status_code == 302
    )
    db.session.refresh(report)
    assert [(c.section, c.text) for c in report.comments] == [("standard:1.2", "Vi har rutinen")]
    with pytest.raises(PermissionDenied):
        reports.add_comment(world.users["reviewer"], report, "general", "Teamet kan ikke")
    with pytest.raises(PermissionDenied):
        reports.add_comment(world.users["outsider"], report, "general", "Fremmed")
    comment = report.comments[0]
    lead.post(f"{url}/comments/{comment.id}/respond", data={"response": "Rettet."})
    db.session.refresh(comment)
    assert comment.response == "Rettet." and comment.responded_by_id == lead_user.id
    page = lead.get(url).get_data(as_text=True)
    assert "Vi har rutinen" in page and "Rettet." in page

    report.shared_at -= timedelta(days=15)  # the unit's comment period has passed
    db.session.commit()
    assert lead.post(url + "/finalise").status_code == 302
    db.session.refresh(report)
    assert report.state == "final" and report.finalised_by_id == lead_user.id
    with pytest.raises(ServiceError):
        reports.add_comment(world.users["member"], report, "general", "For sent")
    with pytest.raises(ServiceError):
        reports.refresh_report(lead_user, report)
    assert member.get(url).status_code == 200
    assert "Endelig" in member.get(f"/visits/units/{world.unit.id}/reports").get_data(as_text=True)


def test_deadlines_are_four_and_eight_weeks_after_the_visit(world: World) -> None:
    visit = world.visit
    visit.date = date(2030, 3, 1)
    report = world.report
    items = reports.deadlines(visit, report, today=date(2030, 3, 20))
    assert [d.due for d in items] == [date(2030, 3, 29), date(2030, 4, 26)]
    assert [d.overdue for d in items] == [False, False]
    late = reports.deadlines(visit, report, today=date(2030, 4, 1))
    assert [d.overdue for d in late] == [True, False]
    report.shared_at = datetime(2030, 3, 28, 10, 0)
    shared = reports.deadlines(visit, report, today=date(2030, 5, 1))
    assert shared[0].overdue is False and shared[0].done_on == date(2030, 3, 28)
    assert shared[1].overdue is True


def test_overdue_deadline_is_flagged_on_the_page(app: Flask, world: World) -> None:
    world.visit.date = date.today() - timedelta(days=40)
    db.session.commit()
    client = login(app.test_client(), world.users["coordinator"])
    page = client.get(f"/visits/{world.visit.id}/report").get_data(as_text=True)
    assert "over fristen" in page
    overview = client.get(f"/visits/networks/{world.network.id}").get_data(as_text=True)
    assert "over fristen" in overview


def test_the_pdf_has_the_units_name_and_every_domain(app: Flask, world: World) -> None:
    from pypdf import PdfReader

    _complete(app, world)
    client = login(app.test_client(), world.users["coordinator"])
    response = client.get(f"/visits/{world.visit.id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    pages = [page.extract_text() for page in reader.pages]
    text = "\n".join(pages)
    assert "Enhet Alfa" in text
    for title in ("Område 1", "Område 2"):
        assert title in text
    assert "Gode husmøter" in text and "Innfør sjekkliste" in text
    # The unit's name and the page number are on every page (@page margin boxes).
    assert len(pages) >= 2
    for number, page_text in enumerate(pages, start=1):
        assert "Enhet Alfa" in page_text
        assert f"Side {number} / {len(pages)}" in page_text


def test_report_agreement_marks_a_degenerate_kappa() -> None:
    """The unit rated every standard of a domain "met": kappa is 0 however well the team
    agrees, so the report shows "–" for it (and keeps Gwet's AC1/AC2, which stay meaningful)."""
    from kvip.visits import reports

    d = reports._agreement_dict([("met", "met")] * 3 + [("met", "partly_met")])
    assert d["kappa"] == 0.0 and d["kappa_degenerate"] is True
    assert d["ac1"] is not None and d["ac1"] > 0.6 and d["ac2"] is not None
    assert reports._agreement_dict([("met", "met"), ("not_met", "met")])["kappa_degenerate"]
    assert not reports._agreement_dict([("met", "met"), ("not_met", "not_met")])["kappa_degenerate"]

"""The pages: plan, one-tap creation, the form's errors, moves, verification in the visit pack,
exports, GAP overrides, maturity, overview, reminders and the outbox."""

from __future__ import annotations

import io
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask
from openpyxl import load_workbook

from kvip.actions import queries, services
from kvip.actions.models import Action, GapOverride, MaturityRating
from kvip.extensions import db
from tests.actions.helpers import Previous, build_three_cycles
from tests.conftest import login
from tests.factories import World

SOON = (date.today() + timedelta(days=30)).isoformat()


def _client(app: Flask, world: World, role: str):  # type: ignore[no-untyped-def]
    return login(app.test_client(), world.users[role])


def test_plan_shows_findings_and_one_tap_creates_the_action(
    app: Flask, world: World, prev: Previous
) -> None:
    client = _client(app, world, "member")
    page = client.get(f"/actions/assessments/{prev.assessment.id}").get_data(as_text=True)
    assert "Ettersamtale etter tvang" in page and "Opprett et brukerråd" in page
    assert "God velkomstmappe" not in page  # good practice is not an action source
    assert "Tiltaksplan" in page  # Norwegian by default
    response = client.post(
        f"/actions/assessments/{prev.assessment.id}/from-observation/{prev.improvement.id}"
    )
    action = db.session.scalar(sa.select(Action).where(Action.source_id == prev.improvement.id))
    assert action is not None and response.headers["Location"].endswith(f"/actions/{action.id}")
    # A second tap opens the same action instead of making a duplicate.
    client.post(f"/actions/assessments/{prev.assessment.id}/from-observation/{prev.improvement.id}")
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Action)
            .where(Action.source_kind == "observation")
        )
        == 1
    )
    page = client.get(f"/actions/assessments/{prev.assessment.id}").get_data(as_text=True)
    assert f"/actions/{action.id}" in page
    # The plan is due six weeks after the final report.
    due = (prev.report.finalised_at + timedelta(weeks=6)).date()
    assert str(due.year) in page


def test_plan_grouped_by_domain_and_not_met_standards(
    app: Flask, world: World, prev: Previous
) -> None:
    services.create_action(
        world.users["lead"], prev.assessment, {"title": "Med standard", "standard_codes": "2.2"}
    )
    services.create_action(world.users["lead"], prev.assessment, {"title": "Uten standard"})
    client = _client(app, world, "lead")
    page = client.get(f"/actions/assessments/{prev.assessment.id}?group=domain").get_data(
        as_text=True
    )
    assert page.index("2 Område 2") < page.index("Med standard") < page.index("Uten standard")
    assert "Ikke koblet til en standard" in page
    # not met by the team (1.1) and self (2.1), partly met by the team (1.2) and self (1.3)
    assert page.count("from-standard/") == 4
    assert "Standarder som ikke er oppfylt (2)" in page
    assert "Standarder som er delvis oppfylt (2)" in page


def test_one_tap_from_a_partly_met_standard_then_the_existing_action(
    app: Flask, world: World, prev: Previous
) -> None:
    std = next(s for s in world.edition.domains[0].standards if s.code == "1.2")
    client = _client(app, world, "member")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Action))
    url = f"/actions/assessments/{prev.assessment.id}/from-standard/{std.id}"
    response = client.post(url)
    action = db.session.scalar(sa.select(Action).where(Action.source_id == std.id))
    assert action is not None and response.headers["Location"].endswith(f"/actions/{action.id}")
    assert action.title == "1.2: fra delvis til fullt oppfylt – Krav 1.2 på norsk"
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tiltaket er opprettet fra standarden" in form
    assert 'value="1.2: fra delvis til fullt oppfylt – Krav 1.2 på norsk"' in form
    # The plan now offers to open that action instead of making another one …
    page = client.get(f"/actions/assessments/{prev.assessment.id}").get_data(as_text=True)
    assert f"from-standard/{std.id}" not in page
    assert f'href="/actions/{action.id}"' in page and "I planen: 1.2: fra delvis" in page
    # … and a second tap (a stale page, another tablet) opens it too.
    again = client.post(url)
    assert again.headers["Location"].endswith(f"/actions/{action.id}")
    assert "Planen har allerede et tiltak for denne standarden" in client.get(
        again.headers["Location"]
    ).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == before + 1


def test_one_tap_from_a_met_standard_is_refused_with_a_message(
    app: Flask, world: World, prev: Previous
) -> None:
    std = next(s for s in world.edition.domains[1].standards if s.code == "2.2")
    client = _client(app, world, "lead")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Action))
    response = client.post(
        f"/actions/assessments/{prev.assessment.id}/from-standard/{std.id}",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Standard 2.2 er ikke vurdert som" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == before


def test_form_errors_are_shown_in_norwegian_and_nothing_is_saved(
    app: Flask, world: World, prev: Previous
) -> None:
    client = _client(app, world, "lead")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Action))
    response = client.post(
        f"/actions/assessments/{prev.assessment.id}/new",
        data={"title": "", "deadline": "2001-01-01", "standard_codes": "9.9", "risk": "medium"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Rett opp feltene" in page and "Gi tiltaket en kort tittel." in page
    assert "Fristen kan ikke være tilbake i tid." in page and "9.9" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == before


def test_new_action_form_prefills_from_standard_and_duty(
    app: Flask, world: World, prev: Previous
) -> None:
    std = world.edition.domains[0].standards[0]
    client = _client(app, world, "lead")
    page = client.get(
        f"/actions/assessments/{prev.assessment.id}/new?standard={std.id}&duty=9c"
    ).get_data(as_text=True)
    assert 'value="1.1"' in page
    assert 'value="8a" checked' in page and 'value="9c" checked' in page


def test_edit_with_stale_version_shows_the_conflict(
    app: Flask, world: World, prev: Previous
) -> None:
    action = services.create_action(world.users["lead"], prev.assessment, {"title": "Først"})
    services.update_action(world.users["member"], action, {"title": "Endret av Mona"}, version=1)
    client = _client(app, world, "lead")
    response = client.post(
        f"/actions/{action.id}", data={"title": "Min versjon", "version": "1", "risk": "low"}
    )
    assert response.status_code == 409
    assert "Endret av Mona" in response.get_data(as_text=True)


def test_moves_through_the_form_and_the_history(app: Flask, world: World, prev: Previous) -> None:
    action = services.create_action(
        world.users["lead"], prev.assessment, {"title": "T", "responsible": "R", "deadline": SOON}
    )
    client = _client(app, world, "member")
    client.post(f"/actions/{action.id}/status", data={"to": "in_progress"})
    response = client.post(f"/actions/{action.id}/status", data={"to": "dropped"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Gi en begrunnelse" in page
    client.post(
        f"/actions/{action.id}/status", data={"to": "dropped", "drop-reason": "Dekket av annet"}
    )
    db.session.expire_all()
    assert db.session.get(Action, action.id).status == "dropped"
    page = client.get(f"/actions/{action.id}").get_data(as_text=True)
    assert "Endringshistorikk" in page and "Dekket av annet" in page
    # An open redirect through "next" is refused.
    response = client.post(
        f"/actions/{action.id}/status", data={"to": "planned", "next": "https://evil.example/"}
    )
    assert response.headers["Location"].startswith("/actions/")


def test_next_visit_pack_lets_the_team_verify(app: Flask, world: World, prev: Previous) -> None:
    action = services.create_action(
        world.users["lead"],
        prev.assessment,
        {"title": "Ferdig tiltak", "responsible": "R", "deadline": SOON},
    )
    services.change_status(world.users["lead"], action, "in_progress")
    services.change_status(world.users["lead"], action, "done")
    reviewer = _client(app, world, "reviewer")
    url = f"/actions/visits/{world.visit.id}/previous-plan"
    page = reviewer.get(url).get_data(as_text=True)
    assert "Ferdig tiltak" in page and f"/actions/{action.id}/verify" in page
    response = reviewer.post(
        f"/actions/{action.id}/verify",
        data={"outcome": "not_verified", "comment": "", "next": url, "visit_id": world.visit.id},
    )
    assert response.headers["Location"].startswith(url)
    db.session.expire_all()
    assert db.session.get(Action, action.id).verification_outcome is None  # comment was required
    reviewer.post(
        f"/actions/{action.id}/verify",
        data={"outcome": "verified", "comment": "Sett i journal", "next": url},
    )
    db.session.expire_all()
    assert db.session.get(Action, action.id).status == "verified"
    # The coordinator reads the pack without verify controls; the unit cannot open it.
    page = _client(app, world, "coordinator").get(url).get_data(as_text=True)
    assert "Ferdig tiltak" in page and "/verify" not in page
    assert _client(app, world, "lead").get(url).status_code == 403


def test_exports(app: Flask, world: World, prev: Previous) -> None:
    services.create_action(
        world.users["lead"],
        prev.assessment,
        {"title": "Eksport", "responsible": "Kari", "deadline": SOON, "standard_codes": "1.1"},
    )
    client = _client(app, world, "coordinator")
    response = client.get(f"/actions/assessments/{prev.assessment.id}/plan.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[3][:2] == ["Tittel", "Status"]
    assert rows[4][0] == "Eksport" and rows[4][5] == "Kari" and rows[4][6] == "1.1"
    for path in ("plan.pdf", "gap.pdf"):
        response = client.get(f"/actions/assessments/{prev.assessment.id}/{path}")
        assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")


def test_gap_page_and_override(app: Flask, world: World, prev: Previous) -> None:
    client = _client(app, world, "lead")
    page = client.get(f"/actions/assessments/{prev.assessment.id}/gap").get_data(as_text=True)
    assert page.count('id="duty-') == 21 and "Ikke vurdert av nettverkets metode" in page
    response = client.post(
        f"/actions/assessments/{prev.assessment.id}/gap/8a", data={"status": "partly", "reason": ""}
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GapOverride)) == 0
    client.post(
        f"/actions/assessments/{prev.assessment.id}/gap/8a",
        data={"status": "partly", "risk": "medium", "reason": "Ny rutine innført"},
    )
    page = client.get(f"/actions/assessments/{prev.assessment.id}/gap").get_data(as_text=True)
    assert "Ny rutine innført" in page
    assert (
        client.post(f"/actions/assessments/{prev.assessment.id}/gap/10z", data={}).status_code
        == 404
    )


def test_maturity_rating_and_chart(app: Flask, world: World, prev: Previous) -> None:
    client = _client(app, world, "lead")
    url = f"/actions/assessments/{world.assessment.id}/maturity"
    client.post(url, data={"level-leadership": "2", "level-staff_involvement": "9"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MaturityRating)) == 0
    client.post(
        url,
        data={
            "level-leadership": "3",
            "level-staff_involvement": "2",
            "level-user_involvement": "1",
        },
    )
    db.session.add(MaturityRating(assessment_id=prev.assessment.id, aspect="leadership", level=2))
    db.session.commit()
    page = client.get(f"/actions/units/{world.unit.id}/maturity").get_data(as_text=True)
    assert 'id="maturity-figure"' in page and "vendor/plotly-cartesian.min.js" in page
    assert "Formalisert" in page and "<script>" not in page
    # The previous cycle is closed: read only.
    response = client.post(
        f"/actions/assessments/{prev.assessment.id}/maturity",
        data={
            "level-leadership": "3",
            "level-staff_involvement": "2",
            "level-user_involvement": "1",
        },
    )
    assert response.status_code == 302
    assert (
        db.session.scalar(
            sa.select(MaturityRating.level).where(
                MaturityRating.assessment_id == prev.assessment.id
            )
        )
        == 2
    )


def test_overview_figures(app: Flask, world: World, prev: Previous) -> None:
    lead = world.users["lead"]
    a = services.create_action(
        lead, prev.assessment, {"title": "A", "responsible": "R", "deadline": SOON}
    )
    b = services.create_action(
        lead, prev.assessment, {"title": "B", "responsible": "R", "deadline": SOON}
    )
    services.create_action(lead, prev.assessment, {"title": "C"})
    services.change_status(lead, a, "in_progress")
    services.change_status(lead, a, "done")
    services.change_status(lead, b, "in_progress")
    b.deadline = date.today() - timedelta(days=2)
    db.session.commit()
    client = _client(app, world, "coordinator")
    page = client.get(f"/actions/networks/{world.network.id}?cycle={prev.cycle.id}").get_data(
        as_text=True
    )
    assert "Enhet Alfa" in page and 'id="status-figure"' in page
    assert "33\xa0%" in page  # one of three actions is overdue (Babel: no-break space)
    assert client.get(f"/actions/networks/{world.network.id}?cycle=999999").status_code == 404


def test_reminders_page(app: Flask, world: World, prev: Previous) -> None:
    action = services.create_action(
        world.users["lead"],
        prev.assessment,
        {"title": "Snart frist", "responsible": "R", "deadline": SOON},
    )
    action.deadline = date.today() + timedelta(days=3)
    db.session.commit()
    page = _client(app, world, "member").get("/actions/reminders").get_data(as_text=True)
    assert "Snart frist" in page and "om 3 dager" in page
    page = _client(app, world, "outsider").get("/actions/reminders").get_data(as_text=True)
    assert "Snart frist" not in page


def test_home_links_and_nav(app: Flask, world: World) -> None:
    page = _client(app, world, "lead").get("/").get_data(as_text=True)
    assert f"/actions/units/{world.unit.id}" in page and "/actions/reminders" in page
    page = _client(app, world, "coordinator").get("/").get_data(as_text=True)
    assert f"/actions/networks/{world.network.id}" in page
    page = _client(app, world, "admin").get("/").get_data(as_text=True)
    assert "/actions/outbox" in page


def test_gap_legend_and_shown_scores_use_one_set_of_thresholds(
    app: Flask, world: World, prev: Previous
) -> None:
    page = _client(app, world, "lead").get(f"/actions/assessments/{prev.assessment.id}/gap")
    html = page.get_data(as_text=True)
    assert "skår 90 eller mer" in html and "60 til 89" in html and "under 60" in html
    assert "60 til 90" not in html  # the old legend claimed 60–90 was partly in place
    from pypdf import PdfReader

    pdf = _client(app, world, "lead").get(f"/actions/assessments/{prev.assessment.id}/gap.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    text = " ".join(text.split())
    assert "60 til 89" in text and "60 til 90" not in text and "(25)" in text
    data = _client(app, world, "lead").get(f"/api/v1/assessments/{prev.assessment.id}/gap")
    body = data.get_json()
    assert body["thresholds"] == {"in_place": 90, "partly": 60}
    row = next(r for r in body["duties"] if r["duty"] == "9b")
    assert row["score"] == 25.0 and row["score_shown"] == 25


def test_gap_row_one_tap_makes_the_action_once(app: Flask, world: World, prev: Previous) -> None:
    client = _client(app, world, "member")
    url = f"/actions/assessments/{prev.assessment.id}/gap"
    page = client.get(url).get_data(as_text=True)
    assert f'action="/actions/assessments/{prev.assessment.id}/from-duty/9b"' in page
    assert "Lag tiltak" in page
    response = client.post(f"/actions/assessments/{prev.assessment.id}/from-duty/9b")
    assert response.status_code == 302
    action = db.session.scalar(sa.select(Action).where(Action.source_kind == "duty"))
    assert action is not None and response.headers["Location"].endswith(f"/actions/{action.id}")
    # Prefilled with the duty and the standards behind its status: the team's 1.2 (partly
    # met) and the unit's own 2.1 (not met, type 1); risk high as on the GAP row.
    assert action.duties == ["9b"] and sorted(s.code for s in action.standards) == ["1.2", "2.1"]
    assert action.title.startswith("§ 9b") and action.risk == "high"
    assert action.status == "planned" and action.assessment_id == prev.assessment.id
    # The row now says the action exists and links to it; no second button.
    page = client.get(url).get_data(as_text=True)
    assert "Tiltak finnes" in page and f'href="/actions/{action.id}"' in page
    assert "/from-duty/9b" not in page
    # A second tap (an old tab) opens the same action instead of making a duplicate.
    again = client.post(f"/actions/assessments/{prev.assessment.id}/from-duty/9b")
    assert again.headers["Location"].endswith(f"/actions/{action.id}")
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Action).where(Action.source_kind == "duty")
        )
        == 1
    )
    # An unknown duty is a 404; the coordinator may read the plan but not make actions.
    assert (
        client.post(f"/actions/assessments/{prev.assessment.id}/from-duty/10z").status_code == 404
    )
    coordinator = _client(app, world, "coordinator")
    assert (
        coordinator.post(f"/actions/assessments/{prev.assessment.id}/from-duty/8a").status_code
        == 403
    )


def test_visit_pack_offers_open_actions_of_every_earlier_cycle(app: Flask, world: World) -> None:
    """A 2027 visit, a submitted 2026 assessment with an empty plan, and 2025 actions: the
    done and the overdue 2025 actions are offered under their cycle, and can be verified."""
    three = build_three_cycles(world)
    reviewer = _client(app, world, "reviewer")
    url = f"/actions/visits/{three.visit.id}/previous-plan"
    page = reviewer.get(url).get_data(as_text=True)
    old_cycle = three.old_done.assessment.cycle
    assert world.cycle.name in page  # the previous plan (2026, empty) is still shown
    assert f'id="vp-cycle-{old_cycle.id}"' in page and old_cycle.name in page
    assert "Gammelt tiltak som er utført" in page
    assert "Gammelt tiltak på overtid" in page
    assert "Gammelt tiltak uten frist" not in page  # neither done nor overdue
    assert f"/actions/{three.old_done.id}/verify" in page
    reviewer.post(
        f"/actions/{three.old_done.id}/verify",
        data={"outcome": "verified", "comment": "Sett", "next": url, "visit_id": three.visit.id},
    )
    db.session.expire_all()
    assert db.session.get(Action, three.old_done.id).status == "verified"
    # Verified by this visit it stays in its pack (as verified); another visit no longer
    # sees it waiting.
    page = reviewer.get(url).get_data(as_text=True)
    assert "Gammelt tiltak som er utført" in page
    assert [
        c.title for _c, group in queries.verification_groups(three.assessment) for c in group
    ] == ["Gammelt tiltak på overtid"]

"""Record audits: the unit's before the visit and the visit team's during it; counts per
criterion ("7 of 10" with the sample), as evidence beside the standards, in the visit pack and
report section and in the API; bad input changes nothing; a replay is harmless."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from kvip.core.errors import PermissionDenied, ServiceError
from kvip.core.evidence import evidence_for, sections_for
from kvip.extensions import db
from kvip.surveys import record_audit, services
from kvip.surveys.models import Instrument, RecordAuditEntry
from tests.factories import World
from tests.surveys.record_world import add_record_audit


@pytest.fixture
def criteria(world: World) -> Instrument:
    """A record-audit instrument with two criteria (R1 → standard 1.1, R2 → 1.2 and 2.1)."""
    return add_record_audit(world.assessment.cycle.edition_id)


def entries(code: str, values: list[str]) -> list[dict[str, Any]]:
    return [{"criterion": code, "record": n, "value": v} for n, v in enumerate(values, 1)]


def test_unit_audit_counts_per_criterion_with_the_sample(world: World, criteria: Any) -> None:
    lead = world.users["lead"]
    values = ["yes"] * 7 + ["no", "no", "not_applicable"]
    assert record_audit.save(lead, world.assessment, entries("R1", values)) == 10
    (unit,) = record_audit.results_for(world.assessment, "en")
    assert (unit.source, unit.sample, unit.records) == ("unit", 10, 10)
    r1, r2 = unit.criteria
    assert (r1.audited, r1.yes, r1.no, r1.not_applicable) == (10, 7, 2, 1)
    assert r2.audited == 0
    lines = evidence_for(world.assessment.id, ["1.1", "1.2"])
    assert [x.summary for x in lines["1.1"] if x.source.startswith("Record")] == [
        "7 of 9 records (1 not applicable) · sample 10"
    ]
    assert not [x for x in lines.get("1.2", []) if x.source.startswith("Record")]
    (section,) = [s for s in sections_for(world.assessment.id) if s.title == "Record audit"]
    heading, status, rows = section.groups[0]
    assert (heading, status) == ("Record audit (unit)", "10 of 10 records audited")
    assert rows == [("A plan exists.", "7 of 9 records (1 not applicable) · sample 10")]


def test_saving_again_is_harmless_and_empty_clears(world: World, criteria: Any) -> None:
    lead = world.users["lead"]
    record_audit.save(lead, world.assessment, entries("R2", ["yes", "no"]))
    assert record_audit.save(lead, world.assessment, entries("R2", ["yes", "no"])) == 0
    assert record_audit.save(lead, world.assessment, entries("R2", ["", "yes"])) == 2
    assert record_audit.entries_of(world.assessment.id, "unit") == {("R2", 2): "yes"}


@pytest.mark.parametrize(
    "bad",
    [
        {"criterion": "R9", "record": 1, "value": "yes"},
        {"criterion": "R1", "record": 11, "value": "yes"},  # beyond the sample of 10
        {"criterion": "R1", "record": 0, "value": "yes"},
        {"criterion": "R1", "record": "1", "value": "yes"},
        {"criterion": "R1", "record": 1, "value": "maybe"},
        "R1",
    ],
)
def test_bad_input_changes_nothing(world: World, criteria: Any, bad: Any) -> None:
    good = {"criterion": "R1", "record": 2, "value": "yes"}
    with pytest.raises(ServiceError) as exc:
        record_audit.save(world.users["lead"], world.assessment, [good, bad])
    assert exc.value.status == 422
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecordAuditEntry)) == 0


def test_the_network_sample_sets_the_records(world: World, criteria: Any) -> None:
    services.update_settings(
        world.users["coordinator"], world.network, min_respondents=5, record_audit_sample=3
    )
    with pytest.raises(ServiceError):
        record_audit.save(world.users["lead"], world.assessment, entries("R1", ["yes"] * 4))
    db.session.rollback()
    record_audit.save(world.users["lead"], world.assessment, entries("R1", ["yes"] * 3))
    assert record_audit.results_for(world.assessment)[0].sample == 3


def test_who_may_audit(world: World, criteria: Any) -> None:
    one = entries("R1", ["yes"])
    for role in ("reviewer", "coordinator", "outsider"):
        with pytest.raises(PermissionDenied):
            record_audit.save(world.users[role], world.assessment, one)
    for role in ("lead", "member", "outsider"):
        with pytest.raises(PermissionDenied):
            record_audit.save(world.users[role], world.assessment, one, visit=world.visit)
    with pytest.raises(ServiceError):  # the team of another assessment's visit
        record_audit.save(world.users["reviewer"], world.other_assessment, one, visit=world.visit)
    record_audit.save(world.users["reviewer"], world.assessment, one, visit=world.visit)
    (visit,) = record_audit.results_for(world.assessment, "en")
    assert visit.source == "visit" and visit.criteria[0].yes == 1


def test_pages_save_by_form_and_json(world: World, criteria: Any, login_as: Any) -> None:
    member = login_as("member")
    url = f"/surveys/assessments/{world.assessment.id}/records"
    page = member.get(url)
    assert page.status_code == 200 and b"Journal 10" in page.data
    assert b"data-config" not in page.data  # the unit's page is a plain form
    done = member.post(url, data={"r-R1-1": "yes", "r-R1-2": "no", "r-R2-1": ""})
    assert done.status_code == 302
    assert record_audit.entries_of(world.assessment.id, "unit") == {
        ("R1", 1): "yes",
        ("R1", 2): "no",
    }
    bad = member.post(url, data={"r-R1-1": "perhaps"})
    assert bad.status_code == 422 and b"yes, no, not applicable" in bad.data

    reviewer = login_as("reviewer")
    vurl = f"/surveys/visits/{world.visit.id}/records"
    page = reviewer.get(vurl)
    assert page.status_code == 200 and b"data-config" in page.data
    body = {"op_id": "x1", "entries": entries("R2", ["yes", "yes", "not_applicable"])}
    first = reviewer.post(vurl, json=body)
    again = reviewer.post(vurl, json=body)  # a replay from the tablet's outbox
    assert first.get_json() == {"saved": True, "changed": 3}
    assert again.get_json() == {"saved": True, "changed": 0}
    refused = reviewer.post(vurl, json={"entries": [{"criterion": "R1", "record": 99}]})
    assert refused.status_code == 422 and "message" in refused.get_json()["error"]
    assert reviewer.post(vurl, json={"entries": "nope"}).status_code == 422


def test_api_counts_per_criterion(world: World, criteria: Any, login_as: Any) -> None:
    record_audit.save(world.users["lead"], world.assessment, entries("R1", ["yes", "no"]))
    for role in ("lead", "member", "reviewer", "coordinator", "admin"):
        got = login_as(role).get(f"/api/v1/assessments/{world.assessment.id}/record-audits")
        assert got.status_code == 200
        data = got.get_json()
        assert data["sample"] == 10
        (unit,) = data["audits"]
        assert unit["source"] == "unit" and unit["records"] == 2
        assert unit["criteria"][0] == {
            "code": "R1",
            "standards": ["1.1"],
            "audited": 2,
            "yes": 1,
            "no": 1,
            "not_applicable": 0,
        }
        # counts only: no record number, no user
        assert "record" not in str(unit["criteria"]) and "updated_by" not in str(data)
    denied = login_as("outsider").get(f"/api/v1/assessments/{world.assessment.id}/record-audits")
    assert denied.status_code in (403, 404)


def test_export_has_aggregates_only(
    world: World, criteria: Any, login_as: Any, answer: Any
) -> None:
    answer(4, Y1="agree", Y3="Hemmelig tekst")
    lead = login_as("lead")
    url = f"/surveys/assessments/{world.assessment.id}/results"
    suppressed = lead.get(f"{url}.csv").data.decode("utf-8-sig")
    assert "too few answers yet" in suppressed and "I feel safe." not in suppressed
    answer(1, Y1="disagree", Y3="Hemmelig tekst")
    record_audit.save(world.users["lead"], world.assessment, entries("R1", ["yes", "no"]))
    for fmt in ("csv", "xlsx"):
        got = lead.get(f"{url}.{fmt}")
        assert got.status_code == 200
    text = lead.get(f"{url}.csv").data.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[1].split(",")[:6] == ["Young people", "Y1", "I feel safe.", "5", "5", "80.0"]
    assert "Record audit (unit),R1,A plan exists.,2,2,50.0" in text
    assert "Hemmelig" not in text  # free text never in an export
    assert lead.get(f"{url}.pdf").status_code == 404

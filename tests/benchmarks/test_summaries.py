"""The summary tables equal the raw ratings' GROUP BY; every relevant change invalidates them
(and irrelevant ones do not); pseudonyms are stable."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from kvip import scoring
from kvip.benchmarks import summaries
from kvip.benchmarks.models import BenchmarkCycleState, BenchmarkPseudonym, domain_counts
from kvip.cycles.models import Assessment, Rating
from kvip.extensions import db
from kvip.visits.models import Finding
from tests.benchmarks.conftest import CODES, NAMES, PEER_2, SELF_2, BenchWorld
from tests.benchmarks.helpers import domain_summaries, overall, series_values


def _state(cycle_id: int) -> BenchmarkCycleState:
    db.session.expire_all()
    state = db.session.get(BenchmarkCycleState, cycle_id)
    assert state is not None
    return state


def _fresh(bench: BenchWorld) -> BenchmarkCycleState:
    summaries.ensure_fresh([bench.cycle.id])
    state = _state(bench.cycle.id)
    assert state.built_version == state.version
    return state


def _api_scores(client: Any, bench: BenchWorld) -> dict[str, float]:
    data = client.get(f"/api/v1/cycles/{bench.cycle.id}/benchmark").get_json()
    return {u["name"]: u["overall"]["score"] for u in data["units"]}


def test_summaries_equal_the_raw_counts(bench: BenchWorld) -> None:
    _fresh(bench)
    for index, cycle in enumerate(bench.cycles):
        summaries.ensure_fresh([cycle.id])
        rows = db.session.execute(
            sa.select(domain_counts).where(domain_counts.c.cycle_id == cycle.id)
        ).mappings()
        got = {(r["unit_id"], r["series"], r["domain_id"]): scoring.counts_of(r) for r in rows}
        domains = {d.code: d.id for d in bench.edition.domains}
        for series in ("self", "peer", "bench"):
            for key, values in series_values(bench, index, series).items():
                for code, summary in domain_summaries(values).items():
                    assert got[(bench.units[key].id, series, domains[code])] == summary.counts
        # No peer series for the unit without a visit.
        if index == 1:
            assert not [k for k in got if k[0] == bench.units["delta"].id and k[1] == "peer"]


def test_a_finding_changed_after_the_visit_invalidates_and_rebuilds(
    client_as: Any, bench: BenchWorld
) -> None:
    client = client_as("coordinator")
    before = _fresh(bench).version
    std = bench.standards[CODES.index("1.3")]
    finding = db.session.scalar(
        sa.select(Finding).where(
            Finding.visit_id == bench.visits[(1, "own")].id, Finding.standard_id == std.id
        )
    )
    finding.value = "met"
    db.session.commit()
    state = _state(bench.cycle.id)
    assert state.version > before and state.built_version < state.version
    peer = list(PEER_2["own"])
    peer[CODES.index("1.3")] = "met"
    assert _api_scores(client, bench)[NAMES["own"]] == pytest.approx(overall(peer).score)
    assert _state(bench.cycle.id).built_version == _state(bench.cycle.id).version


def test_reopening_an_assessment_removes_the_unit(client_as: Any, bench: BenchWorld) -> None:
    client = client_as("coordinator")
    _fresh(bench)
    assessment = db.session.get(Assessment, bench.assessments[(1, "delta")].id)
    assessment.state = "in_progress"
    db.session.commit()
    scores = _api_scores(client, bench)
    assert NAMES["delta"] not in scores and len(scores) == 3


def test_editing_an_in_progress_self_assessment_does_not_invalidate(bench: BenchWorld) -> None:
    assessment = db.session.get(Assessment, bench.assessments[(1, "delta")].id)
    assessment.state = "in_progress"
    db.session.commit()
    version = _fresh(bench).version
    rating = db.session.scalar(
        sa.select(Rating).where(Rating.assessment_id == assessment.id).limit(1)
    )
    rating.value = "not_met" if rating.value != "not_met" else "met"
    db.session.commit()
    assert _state(bench.cycle.id).version == version


def test_a_completed_visit_switches_the_source(client_as: Any, bench: BenchWorld) -> None:
    client = client_as("coordinator")
    _fresh(bench)
    from kvip.visits.models import Visit

    visit = Visit(assessment_id=bench.assessments[(1, "delta")].id, state="in_progress")
    db.session.add(visit)
    db.session.flush()
    for std in bench.standards:
        db.session.add(Finding(visit_id=visit.id, standard_id=std.id, value="not_met"))
    db.session.commit()
    assert _api_scores(client, bench)[NAMES["delta"]] == pytest.approx(
        overall(SELF_2["delta"]).score
    )
    visit.state = "completed"
    db.session.commit()
    assert _api_scores(client, bench)[NAMES["delta"]] == 0.0


def test_unit_kind_change_and_bulk_statements_invalidate(client_as: Any, bench: BenchWorld) -> None:
    client = client_as("coordinator")
    version = _fresh(bench).version
    bench.units["delta"].kind = "acute"
    db.session.commit()
    assert _state(bench.cycle.id).version > version
    data = client.get(f"/api/v1/cycles/{bench.cycle.id}/benchmark?kind=acute").get_json()
    assert data["units_compared"] == 3
    version = _fresh(bench).version
    db.session.execute(
        sa.update(Rating)
        .where(Rating.assessment_id == bench.assessments[(1, "delta")].id)
        .values(value="met")
    )
    db.session.commit()
    assert _state(bench.cycle.id).version > version
    delta = [v if v is None or v == "not_applicable" else "met" for v in SELF_2["delta"]]
    assert _api_scores(client, bench)[NAMES["delta"]] == pytest.approx(overall(delta).score)


def test_refresh_rebuilds_after_changes_no_event_can_see(bench: BenchWorld) -> None:
    _fresh(bench)
    db.session.execute(
        sa.text("UPDATE findings SET value = 'not_met' WHERE visit_id = :v"),
        {"v": bench.visits[(1, "beta")].id},
    )
    db.session.commit()
    built = summaries.refresh_all(bench.network.id)
    assert set(built) == {c.id for c in bench.cycles}
    row = db.session.execute(
        sa.select(sa.func.sum(domain_counts.c.met)).where(
            domain_counts.c.unit_id == bench.units["beta"].id,
            domain_counts.c.series == "peer",
            domain_counts.c.cycle_id == bench.cycle.id,
        )
    ).scalar()
    assert row == 0


def test_pseudonyms_are_stable_and_new_units_are_appended(bench: BenchWorld) -> None:
    _fresh(bench)

    def positions() -> dict[int, int]:
        rows = db.session.execute(
            sa.select(BenchmarkPseudonym.unit_id, BenchmarkPseudonym.position).where(
                BenchmarkPseudonym.cycle_id == bench.cycle.id
            )
        )
        return dict(rows.all())

    first = positions()
    assert sorted(first.values()) == [0, 1, 2, 3]
    summaries.refresh_all(bench.network.id)
    assert positions() == first
    from tests.factories import create_institution, create_unit

    late = create_unit(create_institution(bench.network, "Sen institusjon"), "Senpost")
    db.session.add(Assessment(cycle_id=bench.cycle.id, unit_id=late.id, state="in_progress"))
    db.session.commit()
    summaries.ensure_fresh([bench.cycle.id])
    after = positions()
    assert {k: v for k, v in after.items() if k in first} == first and after[late.id] == 4
    salt = _state(bench.cycle.id).salt
    assert scoring.pseudonym_order(salt, bench.cycle.id, list(first)) == sorted(
        first, key=first.get
    )

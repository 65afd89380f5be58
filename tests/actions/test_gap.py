"""GAP status derivation on hand-computed cases, the unit's override, and linked actions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from kvip.actions import duties_ref, gap, services
from kvip.actions.models import GapOverride
from kvip.core.errors import ServiceError
from kvip.core.models import AuditEvent
from kvip.extensions import db
from tests.actions.helpers import Previous
from tests.factories import World


def _std(*values: str | None, kind: int = 2) -> list[tuple[str, int, str | None]]:
    return [(f"s{i}", kind, v) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("values", "status", "risk", "score"),
    [
        ([], "not_covered", None, None),
        (_std("not_applicable", None), "no_data", None, None),
        # 9 met + 1 partly: 100 × 9.5 / 10 = 95
        (_std(*["met"] * 9, "partly_met"), "in_place", "low", 95.0),
        # boundary: 4 met + 1 partly = 4.5 / 5 = 90 → in place
        (_std("met", "met", "met", "met", "partly_met"), "in_place", "low", 90.0),
        # 2 met + 1 partly: 2.5 / 3 = 83.3 → partly
        (_std("met", "met", "partly_met"), "partly", "medium", 250 / 3),
        # boundary: 3 met + 2 not met = 60 → partly
        (_std("met", "met", "met", "not_met", "not_met"), "partly", "medium", 60.0),
        # 7 met + 5 not met = 58.3 → gap
        (_std(*["met"] * 7, *["not_met"] * 5), "gap", "high", 700 / 12),
        # N/A is left out: met + not met = 50 → gap
        (_std("met", "not_applicable", "not_met"), "gap", "high", 50.0),
    ],
)
def test_derived_status(values, status: str, risk: str | None, score: float | None) -> None:  # type: ignore[no-untyped-def]
    derived = gap.derive(values)
    assert derived.status == status and derived.risk == risk
    assert derived.score == pytest.approx(score) if score is not None else derived.score is None


def test_an_essential_standard_not_met_caps_the_status_and_raises_the_risk() -> None:
    values = [("1.1", 1, "not_met")] + [(f"x{i}", 2, "met") for i in range(19)]
    derived = gap.derive(values)  # score 95 would be "in place"
    assert derived.score == pytest.approx(95.0)
    assert (derived.status, derived.risk, derived.type1_not_met) == ("partly", "high", ("1.1",))
    # a type 1 partly met does not cap
    assert gap.derive([("1.1", 1, "partly_met")] + values[1:]).status == "in_place"


def test_derive_all_covers_the_21_duties_in_order() -> None:
    result = gap.derive_all({"6a": [("1.1", 2)], "9c": [("1.2", 3)]}, {"1.1": "met"})
    assert list(result) == list(duties_ref.CODES) and len(result) == 21
    assert result["6a"].status == "in_place" and result["9c"].status == "no_data"
    assert result["7a"].status == "not_covered"
    assert [s.code for s, _d in duties_ref.by_section()] == ["6", "7", "8", "9"]
    assert [len(d) for _s, d in duties_ref.by_section()] == [7, 5, 6, 3]


def test_gap_of_an_assessment_uses_the_peer_ratings(world: World, prev: Previous) -> None:
    result = gap.gap_of(prev.assessment)
    assert result.source == "peer" and len(result.rows) == 21
    rows = {r.duty.code: r for r in result.rows}
    # Team: 1.1 not met (type 1, duty 8a); 1.2 partly (9b); self: 1.3 partly (6d), 2.1 not met
    # (type 1, 9b), 2.2 met (6d), 2.3 N/A (7e).
    assert (rows["8a"].status, rows["8a"].risk, rows["8a"].derived.score) == ("gap", "high", 0.0)
    assert rows["9b"].status == "gap" and rows["9b"].derived.score == pytest.approx(25.0)
    assert rows["6d"].status == "partly" and rows["6d"].derived.score == pytest.approx(75.0)
    assert rows["7e"].status == "no_data"
    assert sum(1 for r in result.rows if r.status == "not_covered") == 17


def test_gap_without_a_completed_visit_uses_self_ratings(world: World, request_ctx: None) -> None:
    result = gap.gap_of(world.assessment)
    rows = {r.duty.code: r for r in result.rows}
    assert result.source == "self"
    assert rows["8a"].status == "in_place" and rows["9b"].status == "no_data"


def test_override_with_reason_wins_and_can_be_cleared(world: World, prev: Previous) -> None:
    lead = world.users["lead"]
    with pytest.raises(ServiceError) as exc:
        gap.set_override(lead, prev.assessment, "9b", status="in_place", risk=None, reason="")
    assert "reason" in exc.value.fields
    with pytest.raises(ServiceError):
        gap.set_override(lead, prev.assessment, "9b", status="perfect", risk="x", reason="r")
    gap.set_override(lead, prev.assessment, "9b", status="in_place", risk="low", reason="Tilsyn")
    row = next(r for r in gap.gap_of(prev.assessment).rows if r.duty.code == "9b")
    assert (row.status, row.risk, row.derived.status) == ("in_place", "low", "gap")
    gap.set_override(lead, prev.assessment, "9b", status=None, risk=None, reason="")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GapOverride)) == 0
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.entity == "gap_override")
    ).all()
    assert "create" in actions and "delete" in actions


def test_actions_give_activity_deadline_and_responsible(world: World, prev: Previous) -> None:
    lead = world.users["lead"]
    soon, later = date.today() + timedelta(days=10), date.today() + timedelta(days=40)
    services.create_action(
        lead,
        prev.assessment,
        {"title": "A", "duties": ["9b"], "deadline": later.isoformat(), "responsible": "Kari"},
    )
    services.create_action(
        lead,
        prev.assessment,
        {"title": "B", "duties": ["9b", "8a"], "deadline": soon.isoformat(), "responsible": "Ola"},
    )
    row = next(r for r in gap.gap_of(prev.assessment).rows if r.duty.code == "9b")
    assert [a.title for a in row.actions] == ["B", "A"]
    assert row.deadline == soon and row.responsible == ["Ola", "Kari"]
    # Still open actions of the earlier cycle show in this year's GAP too.
    current = next(r for r in gap.gap_of(world.assessment).rows if r.duty.code == "9b")
    assert {a.title for a in current.actions} == {"A", "B"}


# --- one set of thresholds, applied to the number that is shown -----------------------------


def _scoring(met: int, not_met: int, partly: int = 0) -> list[tuple[str, int, str | None]]:
    """Type 2 standards giving the score 100 × (met + ½ partly) / (met + partly + not met)."""
    return _std(*["met"] * met, *["partly_met"] * partly, *["not_met"] * not_met)


@pytest.mark.parametrize(
    ("values", "raw", "shown", "status"),
    [
        # around 60: below, the rounding cases, at, above
        (_scoring(59, 41), 59.0, 59, "gap"),
        (_scoring(297, 203), 59.4, 59, "gap"),  # 59.4 is shown as 59: a gap
        (_scoring(119, 81), 59.5, 60, "partly"),  # 59.5 is shown as 60: partly (was "gap")
        (_scoring(149, 101), 59.6, 60, "partly"),  # issue 16: "Skår 60" with status "Mangel"
        (_scoring(3, 2), 60.0, 60, "partly"),
        (_scoring(61, 39), 61.0, 61, "partly"),
        # around 90
        (_scoring(89, 11), 89.0, 89, "partly"),
        (_scoring(447, 53), 89.4, 89, "partly"),
        (_scoring(179, 21), 89.5, 90, "in_place"),  # 89.5 is shown as 90: in place
        (_scoring(9, 1), 90.0, 90, "in_place"),
        (_scoring(91, 9), 91.0, 91, "in_place"),
        # halves are rounded up, not to even (Python's round(58.5) is 58)
        (_scoring(117, 83), 58.5, 59, "gap"),
        (_scoring(0, 1, partly=1), 25.0, 25, "gap"),
    ],
)
def test_status_follows_the_shown_score_at_every_boundary(  # type: ignore[no-untyped-def]
    values, raw: float, shown: int, status: str
) -> None:
    derived = gap.derive(values)
    assert derived.score == pytest.approx(raw)
    assert derived.shown_score == shown
    assert derived.status == status == gap.status_of_score(raw)
    assert gap.status_of_score(shown) == status  # the number shown has the same status


def test_thresholds_live_in_one_place() -> None:
    assert gap.status_of_score(gap.IN_PLACE_FROM) == "in_place"
    assert gap.status_of_score(gap.IN_PLACE_FROM - 0.5) == "in_place"
    assert gap.status_of_score(gap.IN_PLACE_FROM - 0.51) == "partly"
    assert gap.status_of_score(gap.PARTLY_FROM - 0.5) == "partly"
    assert gap.status_of_score(gap.PARTLY_FROM - 0.51) == "gap"
    assert gap.status_of_score(None) == "no_data"
    assert gap.shown_score(59.49999999999999) == 60  # 119/200 computed with float noise
    assert [s for s, _text in gap.legend()] == ["in_place", "partly", "gap"]

"""The §5 formulas on hand-computed numbers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kvip.benchmarks import scoring as s


def test_score_met_pct_completeness_by_hand() -> None:
    # 5 standards: met, met, partly, not_met, N/A; plus 1 unrated → |S| = 6
    values = ["met", "met", "partly_met", "not_met", "not_applicable", None]
    summary = s.summary_of(values)
    assert summary.counts.applicable == 4
    assert summary.score == pytest.approx(100 * (2 + 0.5) / 4)  # 62.5
    assert summary.met_pct == pytest.approx(50.0)
    assert summary.completeness == pytest.approx(100 * 5 / 6)


def test_undefined_when_nothing_applicable() -> None:
    summary = s.summary_of(["not_applicable", None])
    assert summary.score is None and summary.met_pct is None
    assert summary.completeness == 50.0
    assert s.summary_of([]).completeness is None


def test_group_summaries_count_unrated_in_the_set() -> None:
    ratings = {"1.1": "met", "1.2": "partly_met", "2.1": "not_met"}
    groups = {"1": ["1.1", "1.2", "1.3"], "2": ["2.1"]}
    result = s.group_summaries(ratings, groups)
    assert result["1"].score == 75.0 and result["1"].completeness == pytest.approx(200 / 3)
    assert result["2"].score == 0.0 and result["2"].completeness == 100.0


def test_unknown_value_is_an_error() -> None:
    with pytest.raises(ValueError):
        s.count(["excellent"])


def test_threshold_view() -> None:
    assert s.threshold_met(1, s.count(["met", "met"])) is True
    assert s.threshold_met(1, s.count(["met", "partly_met"])) is False
    assert s.threshold_met(2, s.count(["met"] * 4 + ["not_met"])) is True  # 80 %
    assert s.threshold_met(3, s.count(["met"] * 3 + ["not_met"] * 3)) is False  # 50 %


def test_agreement_and_weighted_kappa_by_hand() -> None:
    # self, peer pairs; the N/A and unrated pairs are ignored
    pairs = [
        ("met", "met"),
        ("met", "partly_met"),
        ("partly_met", "partly_met"),
        ("not_met", "not_met"),
        ("not_met", "met"),
        ("not_applicable", "met"),
        (None, "met"),
    ]
    result = s.agreement(pairs)
    assert result.n == 5
    assert result.percent == pytest.approx(60.0)
    # categories nm=0, pm=1, m=2; observed matrix rows=self, cols=peer
    # (2,2),(2,1),(1,1),(0,0),(0,2). weights 1, .5, 0
    po = (1 + 0.5 + 1 + 1 + 0) / 5  # 0.7
    row = [2 / 5, 1 / 5, 2 / 5]
    col = [1 / 5, 2 / 5, 2 / 5]
    pe = sum((1 - abs(i - j) / 2) * row[i] * col[j] for i in range(3) for j in range(3))
    assert result.kappa == pytest.approx((po - pe) / (1 - pe))


def test_kappa_perfect_and_degenerate() -> None:
    assert s.agreement([("met", "met"), ("not_met", "not_met")]).kappa == pytest.approx(1.0)
    assert s.agreement([("met", "met"), ("met", "met")]).kappa == 1.0
    assert s.agreement([]).kappa is None


def test_funnel_limits_by_hand() -> None:
    p_bar = s.pooled_proportion([(30, 40), (10, 20)])
    assert p_bar == pytest.approx(40 / 60)
    lo, hi = s.funnel_limits(0.5, 100, 1.96)
    assert lo == pytest.approx(0.5 - 1.96 * math.sqrt(0.25 / 100))
    assert hi == pytest.approx(0.5 + 0.098)
    assert s.funnel_position(0.5, 100, 50) == "within"
    assert s.funnel_position(0.5, 100, 62) == "above95"
    assert s.funnel_position(0.5, 100, 66) == "above998"
    assert s.funnel_position(0.5, 100, 30) == "below998"


def test_pseudonyms_are_stable_letters() -> None:
    assert [s.pseudonym(i) for i in (0, 10, 25, 26)] == [
        "Enhet A",
        "Enhet K",
        "Enhet Z",
        "Enhet AA",
    ]
    assert s.pseudonym(1, "en") == "Unit B"


@given(st.lists(st.sampled_from([*s.VALUES, None]), max_size=60))
def test_properties_of_summaries(values: list[str | None]) -> None:
    summary = s.summary_of(values)
    if summary.score is not None:
        assert 0 <= summary.met_pct <= summary.score <= 100  # type: ignore[operator]
    if values:
        assert 0 <= summary.completeness <= 100  # type: ignore[operator]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["met", "partly_met", "not_met"]),
            st.sampled_from(["met", "partly_met", "not_met"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_kappa_bounds(pairs: list[tuple[str, str]]) -> None:
    result = s.agreement(pairs)
    assert 0 <= result.percent <= 100  # type: ignore[operator]
    if result.kappa is not None:
        assert -1 - 1e-9 <= result.kappa <= 1 + 1e-9

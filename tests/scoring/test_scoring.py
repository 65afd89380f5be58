"""The §5 formulas on hand-computed numbers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kvip import scoring as s


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


ORD_VALUES = st.sampled_from(["met", "partly_met", "not_met"])


def test_kappa_perfect_and_degenerate() -> None:
    assert s.agreement([("met", "met"), ("not_met", "not_met")]).kappa == pytest.approx(1.0)
    assert s.agreement([("met", "met"), ("met", "met")]).kappa == 1.0
    assert s.agreement([]).kappa is None


def test_gwet_ac1_ac2_and_disagreement_by_hand() -> None:
    """Ten standards, rows = self, columns = peer over not_met (0) < partly_met (1) < met (2):

        self\\peer  0  1  2 | row
        0           1  1  0 |  2
        1           0  2  1 |  3
        2           0  1  4 |  5
        column      1  4  5 | 10

    Exact agreement: (1 + 2 + 4) / 10 = 0.70, so 3 disagreements, rate 30 %.
    π_k = (row_k + column_k) / 20 = (0.15, 0.35, 0.50);
    Σ π_k(1 − π_k) = 0.1275 + 0.2275 + 0.25 = 0.605.
    AC1 (q = 3): pe = Σ π(1 − π) / (q − 1) = 0.3025, AC1 = (0.70 − 0.3025) / 0.6975 = 53/93.
    AC2, linear weights (1 on the diagonal, ½ one step off, 0 two steps off; T_w = 5):
    pa = 0.70 + ½ × 3/10 = 0.85, pe = 5/6 × 0.605 = 0.50417,
    AC2 = (1020 − 605) / (1200 − 605) = 83/119.
    Weighted kappa: rows (0.2, 0.3, 0.5), columns (0.1, 0.4, 0.5),
    pe = 0.2 × 0.3 + 0.3 × 0.7 + 0.5 × 0.7 = 0.62, κ = (0.85 − 0.62) / 0.38 = 23/38.
    Wilson 95 % for 3/10 (z = 1.96): centre (0.3 + z²/20) / (1 + z²/10) = 0.35551,
    half-width z/(1 + z²/10) · √(0.021 + z²/400) = 0.24772 → 10.78 % to 60.32 %."""
    table = [[1, 1, 0], [0, 2, 1], [0, 1, 4]]
    a = s.agreement_from_table(table)
    assert a.n == 10 and a.percent == pytest.approx(70.0)
    assert a.ac1 == pytest.approx(53 / 93)
    assert a.ac2 == pytest.approx(83 / 119)
    assert a.kappa == pytest.approx(23 / 38)
    assert a.kappa_constant is None and a.kappa_shown == a.kappa
    assert a.disagreements == 3 and a.disagreement_rate == pytest.approx(30.0)
    low, high = a.disagreement_interval  # type: ignore[misc]
    assert low == pytest.approx(10.7789, abs=1e-4) and high == pytest.approx(60.3227, abs=1e-4)
    pairs = [(s.VALUES[2 - i], s.VALUES[2 - j]) for i in range(3) for j in range(3)]
    expanded = [pair for pair, c in zip(pairs, sum(table, []), strict=True) for _ in range(c)]
    assert s.agreement(expanded) == a


def test_kappa_paradox_one_side_constant() -> None:
    """The unit rated all ten "met", the team nine "met" and one "partly met": 90 % exact
    agreement, yet κ = 0 (pa = pe = 0.95, since the self marginal has one category).
    π = (0, 0.05, 0.95), Σ π(1 − π) = 0.095.
    AC1 = (0.90 − 0.095/2) / (1 − 0.0475) = 0.8525 / 0.9525 = 341/381 ≈ 0.895.
    AC2: pa = 0.90 + ½ × 0.1 = 0.95, pe = 5/6 × 0.095 = 95/1200, AC2 = 1045/1105 ≈ 0.946."""
    a = s.agreement([("met", "met")] * 9 + [("met", "partly_met")])
    assert a.percent == pytest.approx(90.0)
    assert a.kappa == pytest.approx(0.0)
    assert a.kappa_constant == "self" and a.kappa_degenerate and a.kappa_shown is None
    assert a.ac1 == pytest.approx(341 / 381)
    assert a.ac2 == pytest.approx(1045 / 1105)
    assert s.agreement([("met", "met"), ("partly_met", "met")]).kappa_constant == "peer"
    both = s.agreement([("met", "met"), ("met", "met")])
    assert both.kappa_constant == "both" and both.kappa_shown is None
    assert both.ac1 == pytest.approx(1.0) and both.ac2 == pytest.approx(1.0)


def test_wilson_interval_edges() -> None:
    assert s.wilson_interval(0, 0) is None
    low, high = s.wilson_interval(0, 5)  # type: ignore[misc]
    assert low == 0.0 and high == pytest.approx(1.96**2 / (5 + 1.96**2))  # 0.4345
    low, high = s.wilson_interval(5, 5)  # type: ignore[misc]
    assert high == pytest.approx(1.0) and low == pytest.approx(5 / (5 + 1.96**2))


@given(st.lists(st.tuples(ORD_VALUES, ORD_VALUES), min_size=1, max_size=40))
def test_gwet_bounds(pairs: list[tuple[str, str]]) -> None:
    a = s.agreement(pairs)
    assert a.ac1 is not None and a.ac2 is not None
    assert -1 - 1e-9 <= a.ac1 <= 1 + 1e-9 and -1 - 1e-9 <= a.ac2 <= 1 + 1e-9
    if a.percent == 100.0:
        assert a.ac1 == pytest.approx(1.0) and a.ac2 == pytest.approx(1.0)
    low, high = a.disagreement_interval  # type: ignore[misc]
    assert 0 <= low <= a.disagreement_rate <= high <= 100  # type: ignore[operator]


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


# --- the aggregated forms used with SQL results ---------------------------------------------

ORD = st.sampled_from(["met", "partly_met", "not_met"])


@given(st.lists(st.tuples(ORD, ORD), max_size=60))
def test_agreement_from_a_table_equals_agreement_from_pairs(pairs: list[tuple[str, str]]) -> None:
    table = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]
    for a, b in pairs:
        table[s.ORDINAL[a]][s.ORDINAL[b]] += 1
    from_pairs = s.agreement(pairs)
    from_table = s.agreement_from_table(table)
    assert from_table.n == from_pairs.n
    if from_pairs.percent is None:
        assert from_table.percent is None
    else:
        assert from_table.percent == pytest.approx(from_pairs.percent)
    if from_pairs.kappa is None:
        assert from_table.kappa is None
    else:
        assert from_table.kappa == pytest.approx(from_pairs.kappa)
    flat = [c for row in table for c in row]
    assert s.pair_table(flat) == table


def test_pair_table_needs_nine_cells() -> None:
    with pytest.raises(ValueError):
        s.pair_table([1, 2, 3])


@given(st.lists(st.lists(st.sampled_from([*s.VALUES, None]), max_size=12), max_size=15))
def test_summary_arrays_equal_summarise(sets: list[list[str | None]]) -> None:
    counts = [s.count(values) for values in sets]
    arrays = s.summary_arrays(
        [c.met for c in counts],
        [c.partly_met for c in counts],
        [c.not_met for c in counts],
        [c.not_applicable for c in counts],
        [c.total for c in counts],
    )
    for i, c in enumerate(counts):
        summary = s.summarise(c).as_dict()
        for key in ("score", "met_pct", "completeness", "applicable", "rated"):
            got, want = arrays[key][i], summary[key]
            assert (got is None and want is None) or got == pytest.approx(want)


def test_counts_of_a_row_and_value_shares() -> None:
    c = s.counts_of({"met": 3, "partly_met": 1, "not_met": 1, "not_applicable": 2, "total": 8})
    assert c.applicable == 5 and c.rated == 7
    assert s.value_pct(c, "met") == pytest.approx(60.0)
    assert s.value_pct(c, "partly_met") == pytest.approx(20.0)
    assert s.value_pct(c, "not_met") == pytest.approx(20.0)
    assert s.value_pct(s.Counts(), "met") is None
    with pytest.raises(ValueError):
        s.value_pct(c, "not_applicable")


def test_distribution_by_hand() -> None:
    d = s.distribution([10.0, None, 40.0, 20.0, 30.0, float("nan")])
    # sorted 10, 20, 30, 40: median 25, q1 at position .75 → 17.5, q3 at 2.25 → 32.5
    assert (d.n, d.median, d.q1, d.q3, d.low, d.high) == (4, 25.0, 17.5, 32.5, 10.0, 40.0)
    assert s.distribution([]).median is None
    assert s.distribution([5.0]).q1 == 5.0


def test_change_and_suppression() -> None:
    assert s.change(50.0, 62.5) == 12.5
    assert s.change(None, 62.5) is None
    assert s.suppressed(2, 3) and not s.suppressed(3, 3) and s.suppressed(0, 0)


def test_funnel_curve_follows_the_limits() -> None:
    curve = s.funnel_curve(0.6, 228, s.Z95, steps=10)
    assert curve[0][0] == 1 and curve[-1][0] == 228
    n, lo, hi = curve[-1]
    assert (lo, hi) == s.funnel_limits(0.6, 228, s.Z95)
    widths = [h - lo for _, lo, h in curve]
    assert widths == sorted(widths, reverse=True)  # the funnel narrows as n grows


def test_pseudonym_order_is_a_salted_permutation() -> None:
    ids = list(range(1, 30))
    order = s.pseudonym_order("salt-a", 7, ids)
    assert sorted(order) == ids
    assert order == s.pseudonym_order("salt-a", 7, list(reversed(ids)))  # stable
    assert order != s.pseudonym_order("salt-b", 7, ids)  # the salt decides, not the ids
    assert order != s.pseudonym_order("salt-a", 8, ids)  # and it differs per cycle
    assert order != ids

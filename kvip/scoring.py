"""The formulas of DESIGN §5. Pure functions, no Flask, no database: every view, export,
report and API response computes its numbers here.

Rating values: ``met``, ``partly_met``, ``not_met``, ``not_applicable``; None = unrated.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MET = "met"
PARTLY = "partly_met"
NOT_MET = "not_met"
NA = "not_applicable"
VALUES = (MET, PARTLY, NOT_MET, NA)
ORDINAL = {NOT_MET: 0, PARTLY: 1, MET: 2}
THRESHOLDS = {1: 100.0, 2: 80.0, 3: 60.0}
Z95 = 1.96
Z998 = 3.09


@dataclass(frozen=True)
class Counts:
    """How many standards of a set have each value (``total`` = size of the set)."""

    met: int = 0
    partly_met: int = 0
    not_met: int = 0
    not_applicable: int = 0
    total: int = 0

    @property
    def applicable(self) -> int:
        return self.met + self.partly_met + self.not_met

    @property
    def rated(self) -> int:
        return self.applicable + self.not_applicable

    @property
    def unrated(self) -> int:
        return self.total - self.rated

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.met + other.met,
            self.partly_met + other.partly_met,
            self.not_met + other.not_met,
            self.not_applicable + other.not_applicable,
            self.total + other.total,
        )


@dataclass(frozen=True)
class Summary:
    counts: Counts
    score: float | None
    met_pct: float | None
    completeness: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "score": self.score,
            "met_pct": self.met_pct,
            "completeness": self.completeness,
            "met": self.counts.met,
            "partly_met": self.counts.partly_met,
            "not_met": self.counts.not_met,
            "not_applicable": self.counts.not_applicable,
            "applicable": self.counts.applicable,
            "rated": self.counts.rated,
            "total": self.counts.total,
        }


def count(values: Iterable[str | None], total: int | None = None) -> Counts:
    """Count values; ``total`` is |S| (defaults to the number of values, None counting as unrated)."""
    items = list(values)
    c = Counter(v for v in items if v is not None)
    unknown = set(c) - set(VALUES)
    if unknown:
        raise ValueError(f"unknown rating values: {sorted(unknown)}")
    return Counts(c[MET], c[PARTLY], c[NOT_MET], c[NA], len(items) if total is None else total)


def score(c: Counts) -> float | None:
    """100 × (met + 0.5 × partly_met) / applicable; None when nothing is applicable."""
    if c.applicable == 0:
        return None
    return 100.0 * (c.met + 0.5 * c.partly_met) / c.applicable


def met_pct(c: Counts) -> float | None:
    """100 × met / applicable; None when nothing is applicable."""
    if c.applicable == 0:
        return None
    return 100.0 * c.met / c.applicable


def completeness(c: Counts) -> float | None:
    """100 × rated (N/A included) / |S|; None for an empty set."""
    if c.total == 0:
        return None
    return 100.0 * c.rated / c.total


def summarise(c: Counts) -> Summary:
    return Summary(c, score(c), met_pct(c), completeness(c))


def summary_of(values: Iterable[str | None], total: int | None = None) -> Summary:
    """Score, met % and completeness of one set of ratings."""
    return summarise(count(values, total))


def group_summaries(
    ratings: Mapping[str, str | None], groups: Mapping[str, Iterable[str]]
) -> dict[str, Summary]:
    """Summary per group (domain, type, duty…): ``ratings`` maps standard code → value,
    ``groups`` maps group key → the standard codes in it (unrated ones count in |S|)."""
    result = {}
    for key, codes in groups.items():
        codes = list(codes)
        result[key] = summary_of((ratings.get(code) for code in codes), total=len(codes))
    return result


def threshold_met(standard_type: int, c: Counts) -> bool | None:
    """Accreditation-style view: type 1 needs 100 % met, type 2 ≥ 80 %, type 3 ≥ 60 %."""
    pct = met_pct(c)
    if pct is None:
        return None
    return pct >= THRESHOLDS[standard_type] - 1e-9


# --- self vs peer agreement -----------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """Self vs peer agreement over the ordered scale not_met < partly_met < met.

    ``kappa`` is the formula's value; it says nothing when one side gave the same rating
    every time (the kappa paradox: 9 of 10 equal ratings can give kappa 0), which
    ``kappa_constant`` records ("self", "peer" or "both"); :attr:`kappa_shown` is None then.
    Gwet's ``ac1`` (nominal) and ``ac2`` (linear weights) stay meaningful in that case."""

    n: int
    percent: float | None
    kappa: float | None
    ac1: float | None = None
    ac2: float | None = None
    disagreements: int = 0
    kappa_constant: str | None = None

    @property
    def kappa_degenerate(self) -> bool:
        return self.kappa_constant is not None

    @property
    def kappa_shown(self) -> float | None:
        """Kappa where it means something; None where undefined or degenerate."""
        return None if self.kappa_degenerate else self.kappa

    @property
    def disagreement_rate(self) -> float | None:
        """100 × pairs that differ / pairs compared; None when nothing was compared."""
        return None if self.n == 0 else 100.0 * self.disagreements / self.n

    @property
    def disagreement_interval(self) -> tuple[float, float] | None:
        """95 % Wilson interval of the disagreement rate, in percent."""
        interval = wilson_interval(self.disagreements, self.n)
        return None if interval is None else (100.0 * interval[0], 100.0 * interval[1])


def agreement(pairs: Iterable[tuple[str | None, str | None]]) -> Agreement:
    """Percent exact agreement, linearly weighted Cohen's kappa and Gwet's AC1/AC2 over
    not_met < partly_met < met, using the standards where both ratings exist and neither is N/A."""
    table = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]
    for a, b in pairs:
        if a in ORDINAL and b in ORDINAL:
            table[ORDINAL[a]][ORDINAL[b]] += 1
    return agreement_from_table(table)


def weighted_kappa(pairs: Sequence[tuple[int, int]], k: int = 3) -> float | None:
    """Linearly weighted kappa for ordinal categories 0..k-1 (weights w = 1 - |i-j|/(k-1))."""
    table = [[0] * k for _ in range(k)]
    for a, b in pairs:
        table[a][b] += 1
    return weighted_kappa_table(table)


def weighted_kappa_table(table: Sequence[Sequence[int]]) -> float | None:
    """Linearly weighted kappa from a k×k table of counts (rows: first rater, columns: second)."""
    k = len(table)
    n = sum(sum(int(c) for c in row) for row in table)
    if n == 0:
        return None
    row = [sum(int(c) for c in table[i]) / n for i in range(k)]
    col = [sum(int(table[i][j]) for i in range(k)) / n for j in range(k)]
    po = pe = 0.0
    for i in range(k):
        for j in range(k):
            w = 1.0 - abs(i - j) / (k - 1)
            po += w * int(table[i][j]) / n
            pe += w * row[i] * col[j]
    if math.isclose(pe, 1.0):
        # Both raters used a single identical category: agreement is perfect but kappa is undefined.
        return 1.0 if math.isclose(po, 1.0) else None
    return (po - pe) / (1.0 - pe)


# --- funnel plot ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelPoint:
    key: str
    n: int
    met: int
    proportion: float


def pooled_proportion(points: Iterable[tuple[int, int]]) -> float | None:
    """p̄ = Σ met / Σ applicable over units given as (met, applicable)."""
    items = list(points)
    total = sum(n for _met, n in items)
    if total == 0:
        return None
    return sum(m for m, _n in items) / total


def funnel_limits(p_bar: float, n: int, z: float) -> tuple[float, float]:
    """Control limits p̄ ± z·√(p̄(1−p̄)/n), clipped to [0, 1]."""
    if n <= 0:
        return (0.0, 1.0)
    half = z * math.sqrt(p_bar * (1.0 - p_bar) / n)
    return (max(0.0, p_bar - half), min(1.0, p_bar + half))


def funnel_position(p_bar: float, n: int, met: int) -> str:
    """Where a unit lies: ``within``, ``above95``/``below95``, ``above998``/``below998``."""
    if n <= 0:
        return "within"
    return funnel_place(p_bar, n, met / n)


def funnel_place(p_bar: float, n: int, p: float) -> str:
    """As :func:`funnel_position`, for a unit's proportion ``p`` out of ``n`` (``n`` > 0)."""
    lo998, hi998 = funnel_limits(p_bar, n, Z998)
    lo95, hi95 = funnel_limits(p_bar, n, Z95)
    if p > hi998:
        return "above998"
    if p < lo998:
        return "below998"
    if p > hi95:
        return "above95"
    if p < lo95:
        return "below95"
    return "within"


def pseudonym(index: int, lang: str = "nb") -> str:
    """A stable label for the index-th other unit: Enhet A…Z, AA… (Unit A… in English)."""
    letters = ""
    i = index
    while True:
        letters = chr(ord("A") + i % 26) + letters
        i = i // 26 - 1
        if i < 0:
            break
    return f"{'Unit' if lang == 'en' else 'Enhet'} {letters}"


def pseudonym_order(salt: str, cycle_id: int, unit_ids: Iterable[int]) -> list[int]:
    """Units in pseudonym order: sorted by a keyed hash of (salt, cycle, unit), so that a
    label says nothing about a unit's id, name or when it joined (given a secret salt)."""

    def key(unit_id: int) -> str:
        return hashlib.sha256(f"{salt}:{cycle_id}:{unit_id}".encode()).hexdigest()

    return sorted(set(unit_ids), key=key)


# --- aggregated forms of the formulas (the same numbers, from counts instead of values) -------


def agreement_from_table(table: Sequence[Sequence[int]]) -> Agreement:
    """:func:`agreement` from a 3×3 contingency table ``table[self][peer]`` of counts over
    not_met=0 < partly_met=1 < met=2 (what a SQL ``GROUP BY`` returns)."""
    n = sum(int(table[i][j]) for i in range(3) for j in range(3))
    if n == 0:
        return Agreement(0, None, None)
    same = sum(int(table[i][i]) for i in range(3))
    return Agreement(
        n,
        100.0 * same / n,
        weighted_kappa_table(table),
        ac1=gwet_ac(table, weighted=False),
        ac2=gwet_ac(table, weighted=True),
        disagreements=n - same,
        kappa_constant=constant_side(table),
    )


def constant_side(table: Sequence[Sequence[int]]) -> str | None:
    """Which rater gave one and the same category every time ("self" = rows, "peer" =
    columns, "both"), or None. Kappa is 0 (or undefined) there whatever the agreement."""
    k = len(table)
    rows = sum(1 for i in range(k) if sum(int(c) for c in table[i]) > 0)
    cols = sum(1 for j in range(k) if sum(int(table[i][j]) for i in range(k)) > 0)
    if rows == 0:
        return None
    if rows == 1 and cols == 1:
        return "both"
    if rows == 1:
        return "self"
    if cols == 1:
        return "peer"
    return None


def gwet_ac(table: Sequence[Sequence[int]], *, weighted: bool) -> float | None:
    """Gwet's AC1 (``weighted=False``) or AC2 with linear weights w = 1 − |i−j|/(q−1), for
    two raters from a q×q table of counts (Gwet 2008; Handbook of Inter-Rater Reliability):

        pa = Σ w_ij p_ij,   π_k = (p_k· + p_·k) / 2,
        pe = T_w / (q(q−1)) · Σ π_k (1 − π_k)   with T_w = Σ w_ij (= q for AC1),
        AC = (pa − pe) / (1 − pe).

    None when nothing was compared."""
    q = len(table)
    n = sum(int(c) for row in table for c in row)
    if n == 0 or q < 2:
        return None

    def w(i: int, j: int) -> float:
        if weighted:
            return 1.0 - abs(i - j) / (q - 1)
        return 1.0 if i == j else 0.0

    pa = sum(w(i, j) * int(table[i][j]) for i in range(q) for j in range(q)) / n
    pi = [
        (sum(int(c) for c in table[k]) + sum(int(table[i][k]) for i in range(q))) / (2 * n)
        for k in range(q)
    ]
    t_w = sum(w(i, j) for i in range(q) for j in range(q))
    pe = t_w / (q * (q - 1)) * sum(p * (1.0 - p) for p in pi)
    return (pa - pe) / (1.0 - pe)  # pe ≤ T_w/q² < 1, so always defined


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion successes/n (as fractions); None when n = 0.
    Unlike p ± z·√(p(1−p)/n) it stays inside [0, 1] and is honest for small n and p near 0 or 1."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z * z / (4 * n * n))
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= n else min(1.0, centre + half)  # exact ends, no rounding error
    return (low, high)


def pair_table(flat: Sequence[int]) -> list[list[int]]:
    """The 3×3 table from its 9 cells in row order (n00, n01, …, n22)."""
    values = [int(v) for v in flat]
    if len(values) != 9:
        raise ValueError("a self × peer table has 9 cells")
    return [values[0:3], values[3:6], values[6:9]]


def counts_of(row: Mapping[str, int | float]) -> Counts:
    """A :class:`Counts` from a mapping with met, partly_met, not_met, not_applicable, total."""
    return Counts(
        int(row["met"]),
        int(row["partly_met"]),
        int(row["not_met"]),
        int(row["not_applicable"]),
        int(row["total"]),
    )


def change(before: float | None, after: float | None) -> float | None:
    """Difference after − before in percentage points; None if either is undefined."""
    if before is None or after is None:
        return None
    return after - before


@dataclass(frozen=True)
class Distribution:
    """Spread of unit scores: n, median, quartiles (linear interpolation), min, max."""

    n: int
    median: float | None
    q1: float | None
    q3: float | None
    low: float | None
    high: float | None


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (the usual 'type 7') of an already sorted sequence."""
    if not sorted_values:
        raise ValueError("no values")
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def distribution(values: Iterable[float | None]) -> Distribution:
    """Median, quartiles and range of the defined values (undefined scores are left out)."""
    items = sorted(float(v) for v in values if v is not None and not math.isnan(v))
    if not items:
        return Distribution(0, None, None, None, None, None)
    return Distribution(
        len(items),
        quantile(items, 0.5),
        quantile(items, 0.25),
        quantile(items, 0.75),
        items[0],
        items[-1],
    )


def suppressed(n_units: int, k: int) -> bool:
    """A group of fewer than k units is not shown (network setting, default 3)."""
    return n_units < max(int(k), 1)


def funnel_curve(
    p_bar: float, n_max: int, z: float, steps: int = 60
) -> list[tuple[int, float, float]]:
    """Control limits along n = 1…n_max as (n, lower, upper) for drawing a funnel."""
    n_max = max(int(n_max), 1)
    ns = sorted({max(1, round(1 + (n_max - 1) * i / (steps - 1))) for i in range(steps)})
    return [(n, *funnel_limits(p_bar, n, z)) for n in ns]


def summary_arrays(
    met: Sequence[float],
    partly_met: Sequence[float],
    not_met: Sequence[float],
    not_applicable: Sequence[float],
    total: Sequence[float],
) -> dict[str, list[Any]]:
    """:func:`summarise` for many sets at once (columns of counts, as SQL returns them),
    vectorised: score, met_pct, completeness (None where undefined), applicable, rated."""
    m = np.asarray(met, dtype=float)
    p = np.asarray(partly_met, dtype=float)
    nm = np.asarray(not_met, dtype=float)
    na = np.asarray(not_applicable, dtype=float)
    t = np.asarray(total, dtype=float)
    applicable = m + p + nm
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(applicable > 0, 100.0 * (m + 0.5 * p) / applicable, np.nan)
        mets = np.where(applicable > 0, 100.0 * m / applicable, np.nan)
        comps = np.where(t > 0, 100.0 * (applicable + na) / t, np.nan)

    def plain(values: np.ndarray) -> list[float | None]:
        return [None if v != v else v for v in values.tolist()]

    return {
        "score": plain(scores),
        "met_pct": plain(mets),
        "completeness": plain(comps),
        "applicable": [int(a) for a in applicable.tolist()],
        "rated": [int(r) for r in (applicable + na).tolist()],
    }


def value_pct(c: Counts, value: str) -> float | None:
    """100 × count(value) / applicable for met, partly_met or not_met; None when nothing applies."""
    if c.applicable == 0:
        return None
    if value not in ORDINAL:
        raise ValueError(f"not an applicable rating value: {value}")
    return 100.0 * {MET: c.met, PARTLY: c.partly_met, NOT_MET: c.not_met}[value] / c.applicable

"""Pseudonyms and filters that resist intersection (DESIGN §7 and §10: no filter combination on a
benchmark page singles out a pseudonymised unit). Pure functions: no Flask, no database.

The rule, for every viewer who sees other units as pseudonyms (unit staff in a pseudonymised
network; coordinators and admins see names and are not affected):

1. **Filters are offered as a set whose atoms all keep 0 or at least k units.** An *atom* is
   the counted units that answer every offered filter question alike: "kind = one of the
   offered kinds, or another kind" × "region = one of the offered regions, or another region".
   Every view that can be opened with offered filters (one value, several values, both
   questions, none) is a union of atoms, so whatever a viewer combines — two views'
   pseudonyms, their scores or texts, or a view subtracted from the unfiltered group — narrows
   to at least k units. A filter value outside the set is not offered (and refused if typed
   into a URL). In particular a cell with fewer than k units, or whose complement in the
   unfiltered group has fewer than k, is never offered.
2. **Pseudonyms are redrawn per view.** In a filtered view a unit's letter is its rank under a
   keyed hash of (the cycle's secret salt, cycle, filter set, the unit's stable position), so
   the letters of two views do not match up. The unfiltered view keeps the cycle's stable
   pseudonyms, so the unit page, the good-practice library and the annual report agree.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable, Mapping

# (unit kind, region) → counted units of the cycle with that kind and region
Cells = Mapping[tuple[str, str], int]
Atom = tuple[str | None, str | None]


def atoms(cells: Cells, kinds: Iterable[str], regions: Iterable[str]) -> Counter[Atom]:
    """Units per atom when ``kinds`` and ``regions`` are offered (None = "another kind/region")."""
    offered_kinds, offered_regions = set(kinds), set(regions)
    out: Counter[Atom] = Counter()
    for (kind, region), n in cells.items():
        if n > 0:
            key = (
                kind if kind in offered_kinds else None,
                region if region in offered_regions else None,
            )
            out[key] += n
    return out


def is_safe(cells: Cells, kinds: Iterable[str], regions: Iterable[str], k: int) -> bool:
    """Whether every atom of the offered filters keeps at least k units (or none)."""
    return all(n >= k for n in atoms(cells, kinds, regions).values())


def _sizes(cells: Cells) -> tuple[Counter[str], Counter[str], int]:
    kinds: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    for (kind, region), n in cells.items():
        if n > 0:
            kinds[kind] += n
            if region:
                regions[region] += n
    return kinds, regions, sum(n for n in cells.values() if n > 0)


def _one_question(sizes: Mapping[str, int], total: int, k: int) -> set[str]:
    """Values of one filter question: cells of at least k units, and the rest (the values left
    out) either empty or at least k — else the smallest offered cell joins the rest."""
    offered = {v for v, n in sizes.items() if n >= k}
    rest = total - sum(sizes[v] for v in offered)
    if 0 < rest < k and offered:
        offered.discard(min(offered, key=lambda v: (sizes[v], v)))
    return offered


def _both_questions(
    cells: Cells, kinds: set[str], regions: set[str], k: int
) -> tuple[set[str], set[str]]:
    """Greedy over both questions: while an atom is too small, stop offering the smallest value
    that shapes it (regions before kinds on a tie: "units like mine" matters more)."""
    kind_sizes, region_sizes, _total = _sizes(cells)
    kinds, regions = set(kinds), set(regions)
    while True:
        small = [atom for atom, n in atoms(cells, kinds, regions).items() if n < k]
        if not small:
            return kinds, regions
        candidates: list[tuple[int, int, str, str]] = []
        for kind, region in small:
            if kind is not None:
                candidates.append((kind_sizes[kind], 1, kind, "kind"))
            if region is not None:
                candidates.append((region_sizes[region], 0, region, "region"))
        if not candidates:  # the units of no offered value are too few: widen that group
            candidates = [(kind_sizes[v], 1, v, "kind") for v in kinds]
            candidates += [(region_sizes[v], 0, v, "region") for v in regions]
        if not candidates:  # nothing offered and still too small: the whole group is < k
            return set(), set()
        _size, _order, value, question = min(candidates)
        (kinds if question == "kind" else regions).discard(value)


def offered_filters(cells: Cells, k: int) -> tuple[frozenset[str], frozenset[str]]:
    """The kinds and regions a pseudonymised viewer may filter by: the safe set (every atom 0 or
    ≥ k units) with the most values among kinds only, regions only and both questions."""
    kind_sizes, region_sizes, total = _sizes(cells)
    only_kinds = _one_question(kind_sizes, total, k)
    only_regions = _one_question(region_sizes, total, k)
    options = [
        (only_kinds, set()),
        (set(), only_regions),
        _both_questions(cells, set(kind_sizes), set(region_sizes), k),
        _both_questions(cells, only_kinds, only_regions, k),
    ]
    safe = [(ks, rs) for ks, rs in options if is_safe(cells, ks, rs, k)]
    kinds, regions = max(safe, key=lambda o: len(o[0]) + len(o[1]), default=(set(), set()))
    return frozenset(kinds), frozenset(regions)


def view_key(kinds: Iterable[str], regions: Iterable[str]) -> str:
    """A filter set as text ("" for the unfiltered view)."""
    kinds, regions = sorted(set(kinds)), sorted(set(regions))
    if not kinds and not regions:
        return ""
    return f"kind={','.join(kinds)};region={','.join(regions)}"


def view_letters(salt: str, cycle_id: int, key: str, positions: Iterable[int]) -> dict[int, int]:
    """Stable pseudonym position → the index of the unit's letter in one view. The unfiltered
    view (key "") keeps the stable positions; a filtered view ranks the units by an HMAC of
    (cycle, filter set, position) keyed with the cycle's secret salt."""
    unique = sorted(set(positions))
    if not key:
        return {p: p for p in unique}
    secret = salt.encode()

    def rank(position: int) -> bytes:
        return hmac.new(secret, f"{cycle_id}|{key}|{position}".encode(), hashlib.sha256).digest()

    return {p: i for i, p in enumerate(sorted(unique, key=rank))}

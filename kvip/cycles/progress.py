"""How far a self-assessment has come, in one vocabulary: every standard is exactly one of
*rated*, *carried over, not confirmed* or *not rated*.

The page header, its filters, the summary, the cycle dashboard and the home page all take their
counts from :func:`progress_counts`, so "114 of 228 rated" is never shown beside "Not rated (0)"
with the other 114 somewhere else. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """The three disjoint counts of one set of standards (they add up to ``total``)."""

    rated: int = 0  # rated or confirmed this cycle (Not applicable counts as rated)
    carried_over: int = 0  # carried over from the last cycle, not confirmed yet
    not_rated: int = 0  # no value at all
    total: int = 0

    @property
    def completeness(self) -> float | None:
        """100 × rated / total (DESIGN §5: carried-over ratings are not fresh); None when empty."""
        if self.total == 0:
            return None
        return 100.0 * self.rated / self.total

    @property
    def open(self) -> int:
        """What is left before the self-assessment can be submitted."""
        return self.carried_over + self.not_rated

    def __add__(self, other: Progress) -> Progress:
        return Progress(
            self.rated + other.rated,
            self.carried_over + other.carried_over,
            self.not_rated + other.not_rated,
            self.total + other.total,
        )


def progress_counts(tally: Mapping[tuple[bool, bool], int], total: int) -> Progress:
    """The counts from ``(has a value, carried over) → number of rating rows`` and |S|.

    A carried-over row is "carried over, not confirmed" whatever its value; a row without a value
    and every standard without a row are "not rated".
    """
    rated = sum(n for (has_value, carried), n in tally.items() if has_value and not carried)
    carried = sum(n for (_has_value, is_carried), n in tally.items() if is_carried)
    return Progress(
        rated=rated, carried_over=carried, not_rated=max(total - rated - carried, 0), total=total
    )


def progress_of_rows(rows: Iterable[tuple[str | None, bool]]) -> Progress:
    """The counts of one set of standards given as ``(value, carried over)`` per standard."""
    tally: dict[tuple[bool, bool], int] = {}
    total = 0
    for value, carried in rows:
        key = (value is not None, bool(carried))
        tally[key] = tally.get(key, 0) + 1
        total += 1
    return progress_counts(tally, total)

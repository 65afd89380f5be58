"""Small pandas helpers between the SQL results and the scoring module."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from kvip import scoring
from kvip.benchmarks.models import PAIR_COLUMNS
from kvip.benchmarks.queries import COUNT_COLUMNS


def with_scores(df: pd.DataFrame) -> pd.DataFrame:
    """Add score, met_pct, completeness and applicable (from the count columns, by scoring)."""
    df = df.copy()
    if df.empty:
        for col in ("score", "met_pct", "completeness", "applicable", "rated"):
            df[col] = pd.Series(dtype=object)
        return df
    arrays = scoring.summary_arrays(
        *(df[c].tolist() for c in ("met", "partly_met", "not_met", "not_applicable", "total"))
    )
    for name in ("score", "met_pct", "completeness"):
        df[name] = pd.Series(arrays[name], index=df.index, dtype=object)
    df["applicable"] = arrays["applicable"]
    df["rated"] = arrays["rated"]
    return df


def sum_counts(df: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Counts summed per group (e.g. a unit's domains into its overall counts)."""
    if df.empty:
        return pd.DataFrame(columns=[*by, *COUNT_COLUMNS])
    return df.groupby(list(by), as_index=False, sort=False, dropna=False)[list(COUNT_COLUMNS)].sum()


def total_counts(df: pd.DataFrame) -> scoring.Counts:
    """All rows' counts summed (e.g. a whole network's ratings pooled)."""
    if df.empty:
        return scoring.Counts()
    sums = df[list(COUNT_COLUMNS)].sum()
    return scoring.Counts(*(int(sums[c]) for c in COUNT_COLUMNS))


def agreement_of(row: object) -> scoring.Agreement:
    """Agreement from a row (dict or named tuple) with the nine contingency cells n00 … n22."""
    cells = [row[c] if isinstance(row, dict) else getattr(row, c) for c in PAIR_COLUMNS]
    return scoring.agreement_from_table(scoring.pair_table([int(v) for v in cells]))


def opt(value: object) -> float | None:
    """A plain float or None (pandas NaN/None/objects alike)."""
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def rows_of(df: pd.DataFrame) -> Iterator[Any]:
    """The rows as named tuples (attribute access by column name). Much faster than
    ``DataFrame.itertuples``, which boxes every value through pandas."""
    if df.empty:
        return iter(())
    row = namedtuple("Row", [str(c) for c in df.columns], rename=True)  # type: ignore[misc]
    return map(row._make, zip(*(df[c].tolist() for c in df.columns), strict=True))


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts in one pass (never filter a DataFrame per row or per unit: too slow)."""
    if df.empty:
        return []
    columns = [str(c) for c in df.columns]
    values = zip(*(df[c].tolist() for c in df.columns), strict=True)
    return [dict(zip(columns, row, strict=True)) for row in values]


def index_by(df: pd.DataFrame, *keys: str) -> dict[Any, dict[str, Any]]:
    """Rows keyed by one column (or a tuple of columns); later rows win."""
    out: dict[Any, dict[str, Any]] = {}
    for row in records(df):
        key = row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)
        out[key] = row
    return out

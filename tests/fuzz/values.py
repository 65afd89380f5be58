"""Hypothesis strategies for hostile form values, and database checks shared by the fuzz tests.

A form field is described by a ``Kind`` (text with a length limit, an integer in a range, a date,
a choice, an id, a checkbox, a version, JSON); ``kinds_of(FormClass)`` reads them from a WTForms
class, so a field added to a form is fuzzed without touching the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from hypothesis import strategies as st
from wtforms import (
    BooleanField,
    DateField,
    FileField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import Length, NumberRange

from kvip.extensions import db

# Script text that must never come back unescaped; the marker makes it easy to spot.
SCRIPT = "<script>kvipfuzz(1)</script>"
MARKER = "<script>kvipfuzz"
INT32 = 2**31 - 1

NASTY_TEXT = [
    SCRIPT,
    '"><img src=x onerror=kvipfuzz(2)>',
    "æøå ÆØÅ – «sitat» …",
    "Ærlig 💡🧠🏥 emoji",
    "مرحبا بالعالم",  # right to left
    "\u202eRTL override\u202c",
    "e\u0301\u0301\u0301 combining ñ̃̃",
    "   ",
    "\t\n\r ",
    "\u00a0\u2003\u200b",
    "'; DROP TABLE users; --",
    "{{ 7*7 }} {% raw %}",
    "%(name)s %s {0}",
    "../../etc/passwd",
    "a" * 1000,
    "ø" * 300,
    "💡" * 260,
]


def _long(limit: int | None) -> st.SearchStrategy[str]:
    """Strings at and just past a length limit (or simply long when there is none)."""
    if limit is None:
        return st.sampled_from(["x" * 20_000, "ø" * 70_000])
    return st.sampled_from(
        ["x" * limit, "ø" * limit, "y" * (limit + 1), "å" * (limit + 1), "z" * (limit * 4 + 10)]
    )


def text(limit: int | None = None) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY_TEXT),
        st.text(max_size=40),
        _long(limit),
        st.just(""),
    )


NUMBERS_AS_TEXT = [
    "",
    "0",
    "-1",
    "1.5",
    "-0.0",
    "1e3",
    "1e309",
    "NaN",
    "inf",
    "١٢",  # Arabic-Indic digits
    "²",
    " 7 ",
    "12abc",
    str(INT32 + 1),
    str(2**63),
    str(-(2**63) - 1),
    "9" * 40,
]


def integer(lo: int | None = None, hi: int | None = None) -> st.SearchStrategy[str]:
    edges = [v for b in (lo, hi) if b is not None for v in (b - 1, b, b + 1)]
    return st.one_of(
        st.sampled_from(NUMBERS_AS_TEXT),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(edges or ["3"]).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


DATES = [
    "",
    "2031-05-05",
    "2024-02-29",
    "2023-02-29",
    "2024-13-01",
    "2024-00-10",
    "2024-01-32",
    "0001-01-01",
    "0000-01-01",
    "9999-12-31",
    "+10000-01-01",
    "1800-06-01",
    "3000-01-01",
    "31.12.2024",
    "12/31/2024",
    "2024-1-5",
    "20240105",
    "2024-01-05T10:00",
    "i morgen",
    "2024-01-05\u00a0",
]


def date_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(DATES),
        st.dates().map(lambda d: d.isoformat()),
        st.text(alphabet="0123456789-/.", max_size=12),
    )


@dataclass(frozen=True)
class Kind:
    """What a form field holds; ``values(ids)`` is the strategy for one submitted value."""

    name: str
    limit: int | None = None
    lo: int | None = None
    hi: int | None = None
    choices: tuple[str, ...] = ()
    multiple: bool = False

    def values(self, ids: dict[str, Any]) -> st.SearchStrategy[str]:
        if self.name == "text":
            return text(self.limit)
        if self.name == "int":
            return integer(self.lo, self.hi)
        if self.name == "date":
            return date_text()
        if self.name == "bool":
            return st.sampled_from(["y", "on", "1", "", "false", "0", "nei", SCRIPT])
        if self.name == "version":
            return st.one_of(st.sampled_from(["1", "2"]), integer(0, 3))
        if self.name == "json":
            return json_text(ids)
        real = [c.format(**ids) for c in self.choices]
        if self.name == "id":
            return st.one_of(st.sampled_from(real or ["1"]), id_text(ids))
        # choice: the real ones, unknown ones, and text
        return st.one_of(
            st.sampled_from(real) if real else st.nothing(),
            st.sampled_from(["unknown", "MET", "met ", "0", "-1", "none", "null"]),
            id_text(ids),
            text(40),
        )


def id_text(ids: dict[str, Any]) -> st.SearchStrategy[str]:
    """Ids of this world, of the foreign network, and ids no row has."""
    known = [str(v) for k, v in ids.items() if k.endswith("_id") and isinstance(v, int)]
    return st.one_of(
        st.sampled_from(known),
        st.sampled_from(["0", "-1", "999999", str(INT32 + 1), str(2**63), "1.5", "abc", ""]),
    )


def json_text(ids: dict[str, Any]) -> st.SearchStrategy[str]:
    scalar = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False),
        text(60),
        st.sampled_from(["met", "partly_met", "not_met", "not_applicable", "1.1", "9.9"]),
    )
    change = st.fixed_dictionaries(
        {},
        optional={
            "code": st.one_of(st.sampled_from(["1.1", "1.2", "2.3", "9.9", ""]), text(20)),
            "version": st.one_of(st.integers(-2, 3), st.sampled_from([2**40, "1", None])),
            "value": st.one_of(st.sampled_from(["met", "partly_met", "not_met", ""]), scalar),
            "comment": st.one_of(text(), scalar),
            "evidence": st.one_of(text(), scalar),
            "links": st.one_of(text(), scalar),
        },
    )
    structure = st.recursive(scalar, lambda inner: st.lists(inner, max_size=3), max_leaves=6)
    import json

    return st.one_of(
        st.lists(change, max_size=4).map(json.dumps),
        structure.map(json.dumps),
        st.sampled_from(["", "[", "{}", "null", "[1, 2", "NaN", "[" * 3000 + "]" * 3000]),
    )


def kinds_of(form_class: type) -> dict[str, Kind]:
    """The fields of a WTForms class and what each holds, read from its validators."""
    kinds: dict[str, Kind] = {}
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if not isinstance(unbound, UnboundField):
            continue
        cls = unbound.field_class
        validators = unbound.kwargs.get("validators") or []
        choices = tuple(str(c[0]) for c in unbound.kwargs.get("choices") or [])
        if issubclass(cls, FileField):
            continue
        if issubclass(cls, BooleanField):
            kinds[name] = Kind("bool")
        elif issubclass(cls, IntegerField):
            rng = next((v for v in validators if isinstance(v, NumberRange)), None)
            kinds[name] = Kind("int", lo=rng and rng.min, hi=rng and rng.max)  # type: ignore[arg-type]
        elif issubclass(cls, DateField):
            kinds[name] = Kind("date")
        elif issubclass(cls, SelectMultipleField):
            kinds[name] = Kind("choice", choices=choices, multiple=True)
        elif issubclass(cls, (SelectField, RadioField)):
            kinds[name] = Kind("choice", choices=choices)
        else:
            length = next((v for v in validators if isinstance(v, Length)), None)
            limit = length.max if length is not None and length.max >= 0 else None
            kinds[name] = Kind("text", limit=limit)
    return kinds


def form_data(kinds: dict[str, Kind], ids: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A whole post: each field missing, once or repeated; sometimes an unknown field too."""

    def field(kind: Kind) -> st.SearchStrategy[Any]:
        one = kind.values(ids)
        return st.one_of(one, st.lists(one, min_size=2, max_size=3))

    fixed = {name: field(kind) for name, kind in kinds.items()}
    return st.fixed_dictionaries(
        {},
        optional={**fixed, "zz_unknown_field": text(20)},
    )


# --- database checks ---------------------------------------------------------------------------


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the world is small), in primary-key order."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        result = db.session.execute(sa.select(table).order_by(*order))
        rows[table.name] = [tuple(r) for r in result]
    return rows


def changed_tables(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


def column_problems() -> list[str]:
    """Values the database would refuse or that break the model's limits (SQLite is lenient)."""
    problems: list[str] = []
    for table in db.metadata.sorted_tables:
        checks = []
        for col in table.columns:
            if isinstance(col.type, sa.String) and col.type.length:
                checks.append((col, "len", col.type.length))
            elif type(col.type) is sa.Integer:
                checks.append((col, "int", INT32))
        for col, how, limit in checks:
            if how == "len":
                cond = sa.func.length(col) > limit
            else:
                cond = sa.or_(col > limit, col < -limit - 1)
            found = db.session.scalar(sa.select(col).where(cond).limit(1))
            if found is not None:
                problems.append(f"{table.name}.{col.name} ({how} > {limit}): {str(found)[:60]!r}")
        for name in ("name", "title", "name_nb", "name_en"):
            col = table.columns.get(name)
            if col is not None and isinstance(col.type, sa.String):
                for value in db.session.scalars(sa.select(col)):
                    if value is not None and not value.strip():
                        problems.append(f"{table.name}.{name} is blank: {value!r}")
    return problems

"""What every benchmark page shares: the chosen cycle, filters and series, who is looking (as
SQL conditions), labels of units, and the :class:`Table` that pages render and export."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd
import sqlalchemy as sa
from babel.numbers import get_decimal_symbol, get_group_symbol, get_minus_sign_symbol
from flask import g
from flask_babel import get_locale
from flask_babel import gettext as _

from kvip import scoring
from kvip.accounts.permissions import member_unit_ids
from kvip.benchmarks import privacy, queries, summaries
from kvip.benchmarks.frames import rows_of
from kvip.benchmarks.queries import Filters, Viewer
from kvip.core.errors import NotFound
from kvip.core.i18n import lang as current_lang
from kvip.core.permissions import can
from kvip.cycles.permissions import assessments_visible_to
from kvip.cycles.vocabulary import rating_labels
from kvip.network.models import Network, Unit
from kvip.visits.permissions import visits_visible_to

SERIES = ("bench", "self", "peer")
T = TypeVar("T")
LABELS_KEY = "_benchmark_labels"  # cleared after each request (views.py)


def per_request(key: str, build: Callable[[], T]) -> T:
    """Translated labels built once per request and language (gettext costs ~0.1 ms a call,
    too much per table cell)."""
    store = g.setdefault(LABELS_KEY, {})
    if key not in store:
        store[key] = build()
    return store[key]  # type: ignore[no-any-return]


def format_number(value: Any, kind: str = "score") -> str:
    """A number as shown on the dashboards: scores to 0.1, kappa to 0.01, '–' if undefined,
    with the locale's decimal and group symbols (babel's format_decimal costs 0.25 ms a call,
    too much for a table of a thousand units)."""
    if value is None or value == "":
        return "–"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number != number:  # NaN
        return "–"
    decimal, group, minus = _number_symbols()
    if kind == "int":
        text = f"{int(number):,}"
    elif kind == "kappa":
        text = f"{number:,.2f}"
    else:
        text = f"{number:,.1f}"
    text = text.replace(",", "\0").replace(".", decimal).replace("\0", group)
    return text.replace("-", minus) if number < 0 and text.strip("-0.,") else text.lstrip("-")


_SYMBOLS: ContextVar[tuple[str, str, str] | None] = ContextVar("benchmark_symbols", default=None)


def _number_symbols() -> tuple[str, str, str]:
    """The locale's decimal, group and minus symbols, looked up once per request
    (:func:`remember_locale_symbols` runs before each request)."""
    return _SYMBOLS.get() or _locale_symbols()


def remember_locale_symbols() -> None:
    _SYMBOLS.set(_locale_symbols())


def _locale_symbols() -> tuple[str, str, str]:
    locale = get_locale() or "nb"
    return (
        get_decimal_symbol(locale),
        get_group_symbol(locale),
        get_minus_sign_symbol(locale),
    )


def series_labels() -> dict[str, str]:
    return per_request("series", _series_labels)


def _series_labels() -> dict[str, str]:
    return {
        "bench": _("Peer review where done, else self-assessment"),
        "self": _("Self-assessment"),
        "peer": _("Peer review"),
    }


def value_labels() -> dict[str | None, str]:
    return per_request("values", _value_labels)


def _value_labels() -> dict[str | None, str]:
    labels: dict[str | None, str] = {value: label for value, label in rating_labels().items()}
    labels[None] = _("Not rated")
    return labels


def source_label(peer_reviewed: bool) -> str:
    labels = per_request(
        "source", lambda: {True: _("peer-reviewed"), False: _("self-assessed only")}
    )
    return labels[bool(peer_reviewed)]


class NoCycles(NotFound):
    """The network has no cycle yet: pages show an explanation instead of charts."""


@dataclass(frozen=True)
class CycleInfo:
    id: int
    year: int
    name: str
    state: str
    edition_id: int
    counted: int  # units in the benchmark: submitted, or visited
    enrolled: int = 0  # units taking part (assessments)
    peer_reviewed: int = 0  # units with a completed visit

    @property
    def provisional(self) -> bool:
        """A cycle that is not closed yet: every figure from it is provisional (DESIGN §5)."""
        return self.state != "closed"


def default_cycle(cycles: Sequence[CycleInfo]) -> CycleInfo:
    """The cycle a dashboard opens on (``cycles`` newest first): the newest with peer-reviewed
    results (a completed visit), else the newest closed one, else the newest."""
    return next(
        (c for c in cycles if c.peer_reviewed > 0),
        next((c for c in cycles if c.state == "closed"), cycles[0]),
    )


def provisional_note(cycle: CycleInfo) -> str:
    """The one-line warning every page, export and report of an open cycle carries."""
    return _("Provisional: %(detail)s", detail=provisional_detail(cycle))


def provisional_detail(cycle: CycleInfo) -> str:
    return _(
        "%(cycle)s is still open: %(n)d of %(total)d units have submitted, %(peer)d of them "
        "peer-reviewed. The figures will change.",
        cycle=cycle.name,
        n=cycle.counted,
        total=cycle.enrolled,
        peer=cycle.peer_reviewed,
    )


@dataclass(frozen=True)
class Pseudonyms:
    """How other units are labelled in one view (a cycle and a filter set): the one place
    pseudonyms are made (see :mod:`kvip.benchmarks.privacy` for the rule)."""

    lang: str
    # stable position → the index of the unit's letter in this view; None = the stable letters
    letters: Mapping[int, int] | None = None

    @property
    def redrawn(self) -> bool:
        return self.letters is not None

    def index(self, position: Any) -> int | None:
        if position is None or (isinstance(position, float) and pd.isna(position)):
            return None
        if self.letters is None:
            return int(position)
        return self.letters.get(int(position))

    def label(self, position: Any) -> str:
        """The unit's pseudonym ("Enhet K") in this view, from its stable position in the cycle."""
        index = self.index(position)
        if index is None:
            return _("Unit ?")
        return scoring.pseudonym(index, self.lang)


def filters_offered_in(ctx: Context, cycle_id: int) -> bool:
    """Whether the view's filters may be applied to another cycle's figures (a trend): the
    offered set is chosen per cycle, so a filtered figure of cycle ``cycle_id`` is shown to a
    pseudonymised viewer only where the same filters are offered in that cycle too."""
    if ctx.named or not ctx.filters.active or cycle_id == ctx.cycle.id:
        return True
    summaries.ensure_fresh([cycle_id])
    kinds, regions = privacy.offered_filters(queries.counted_cells(cycle_id), ctx.k)
    return set(ctx.filters.kinds) <= kinds and set(ctx.filters.regions) <= regions


def pseudonyms_for(cycle_id: int, filters: Filters, lang: str) -> Pseudonyms:
    """The labels of one view: the cycle's stable pseudonyms when unfiltered, letters redrawn
    by a keyed hash of (cycle, filter set, unit) in a filtered view."""
    key = privacy.view_key(filters.kinds, filters.regions)
    if not key:
        return Pseudonyms(lang)
    positions = queries.pseudonym_positions(cycle_id).values()
    salt = queries.pseudonym_salt(cycle_id)
    return Pseudonyms(lang, privacy.view_letters(salt, cycle_id, key, positions))


@dataclass
class Context:
    """The common inputs of a benchmark page."""

    user: Any
    network: Network
    cycle: CycleInfo
    cycles: list[CycleInfo]
    filters: Filters
    series: str
    k: int
    named: bool
    viewer: Viewer
    lang: str
    domains: pd.DataFrame
    group_n: int
    kinds: list[str]
    regions: list[str]
    pseudonyms: Pseudonyms
    # Filter values asked for but not offered to this viewer (they could single out a unit).
    refused: Filters = field(default_factory=Filters)
    focus_unit: Unit | None = None
    # The chosen cycle's summaries as read (a key for figures kept in process).
    revision: summaries.Revision = ()
    _titles: dict[str, str] = field(default_factory=dict)

    @property
    def suppressed(self) -> bool:
        return scoring.suppressed(self.group_n, self.k)

    @property
    def provisional(self) -> bool:
        return self.cycle.provisional

    @property
    def provisional_note(self) -> str:
        return provisional_note(self.cycle) if self.cycle.provisional else ""

    @property
    def provisional_detail(self) -> str:
        return provisional_detail(self.cycle) if self.cycle.provisional else ""

    def domain_title(self, code: str) -> str:
        if not self._titles:
            for d in rows_of(self.domains):
                title = getattr(d, f"title_{self.lang}") or d.title_nb
                self._titles[str(d.code)] = f"{d.code} {title}"
        return self._titles.get(str(code), str(code))

    def args(self, **extra: Any) -> dict[str, Any]:
        """Query arguments that reproduce this view (for links and exports)."""
        values: dict[str, Any] = {"cycle": self.cycle.id, **self.filters.as_args()}
        if self.series != "bench":
            values["series"] = self.series
        values.update(extra)
        return {k: v for k, v in values.items() if v not in (None, [], "")}


def viewer_for(user: Any, network: Network, focus_unit_id: int | None = None) -> Viewer:
    """The viewer's rights as SQL conditions on Unit / Assessment / Visit."""
    named = can(user, "benchmark.named", network)
    own: Any = (
        Unit.id == focus_unit_id
        if focus_unit_id is not None
        else Unit.id.in_(member_unit_ids(user))
    )
    return Viewer(
        named=sa.true() if named else sa.false(),
        own=own,
        assessment_visible=assessments_visible_to(user),
        visit_visible=visits_visible_to(user),
    )


def parse_filters(
    args: Mapping[str, Any], kinds: Sequence[str], regions: Sequence[str]
) -> tuple[Filters, Filters]:
    """Filters from query arguments, keeping only the kinds and regions offered; the second
    value holds those asked for that exist but are not offered (unknown values are dropped)."""
    getlist = getattr(args, "getlist", None)

    def values(name: str) -> list[str]:
        if getlist is not None:
            return [v for v in getlist(name) if v]
        raw = args.get(name) or []
        return [raw] if isinstance(raw, str) else list(raw)

    asked_kinds, asked_regions = set(values("kind")), set(values("region"))
    return (
        Filters(
            kinds=tuple(sorted(asked_kinds & set(kinds))),
            regions=tuple(sorted(asked_regions & set(regions))),
        ),
        Filters(
            kinds=tuple(sorted(asked_kinds - set(kinds))),
            regions=tuple(sorted(asked_regions - set(regions))),
        ),
    )


def _cycle_infos(network: Network) -> list[CycleInfo]:
    return [
        CycleInfo(
            int(r.cycle_id),
            int(r.year),
            str(r.name),
            str(r.state),
            int(r.edition_id),
            int(r.counted),
            int(r.enrolled),
            int(r.peer_reviewed),
        )
        for r in rows_of(queries.cycles_of(network.id))
    ]


def build_context(
    user: Any, network: Network, args: Mapping[str, Any], focus_unit: Unit | None = None
) -> Context:
    """Resolve cycle (default: :func:`default_cycle`), filters and series; make sure the
    cycle's summaries are fresh. A viewer who sees pseudonyms is offered only the filters of
    :func:`kvip.benchmarks.privacy.offered_filters`."""
    cycles = _cycle_infos(network)
    if not cycles:
        raise NoCycles(_("This network has no cycles yet."))
    k = network.group_size_k
    wanted = args.get("cycle")
    cycle: CycleInfo | None = None
    if wanted not in (None, ""):
        try:
            wanted_id = int(str(wanted))
        except ValueError as exc:
            raise NotFound(_("No such cycle in this network.")) from exc
        cycle = next((c for c in cycles if c.id == wanted_id), None)
        if cycle is None:
            raise NotFound(_("No such cycle in this network."))
    if cycle is None:
        cycle = default_cycle(cycles)
    revision = summaries.ensure_fresh([cycle.id])
    named = can(user, "benchmark.named", network)
    all_kinds, all_regions = queries.filter_options(network.id)
    kinds, regions = all_kinds, all_regions
    if not named:
        cycle_id = cycle.id
        offered_kinds, offered_regions = summaries.cached(
            "offered_filters",
            revision,
            k,
            lambda: privacy.offered_filters(queries.counted_cells(cycle_id), k),
        )
        kinds = [v for v in all_kinds if v in offered_kinds]
        regions = [v for v in all_regions if v in offered_regions]
    filters, refused = parse_filters(args, kinds, regions)
    # Values that exist in the network but are not offered are refused; unknown ones dropped.
    refused = Filters(
        kinds=tuple(v for v in refused.kinds if v in all_kinds),
        regions=tuple(v for v in refused.regions if v in all_regions),
    )
    series = str(args.get("series") or "bench")
    if series not in SERIES:
        series = "bench"
    lang = current_lang()
    return Context(
        user=user,
        network=network,
        cycle=cycle,
        cycles=cycles,
        filters=filters,
        series=series,
        k=k,
        named=named,
        viewer=viewer_for(user, network, focus_unit.id if focus_unit else None),
        lang=lang,
        domains=queries.domains_of(cycle.edition_id),
        group_n=summaries.cached(
            "group_size", revision, filters, lambda: queries.group_size(cycle.id, filters)
        ),
        kinds=kinds,
        regions=regions,
        pseudonyms=pseudonyms_for(cycle.id, filters, lang),
        refused=refused,
        focus_unit=focus_unit,
        revision=revision,
    )


def unit_label(name: Any, position: Any, pseudonyms: Pseudonyms) -> str:
    """A unit's name where the viewer may see it, else its pseudonym in the view."""
    if isinstance(name, str) and name:
        return name
    return pseudonyms.label(position)


def add_labels(df: pd.DataFrame, pseudonyms: Pseudonyms) -> pd.DataFrame:
    """Add ``label`` (name or pseudonym) and a boolean ``own`` column. In a view with redrawn
    pseudonyms the rows are put in the order of the view's letters, so that not even the
    order of the rows carries across views."""
    if df.empty:
        df["label"] = pd.Series(dtype=str)
        return df
    positions = df["position"].tolist()
    labels = [
        unit_label(n, p, pseudonyms) for n, p in zip(df["name"].tolist(), positions, strict=True)
    ]
    # Two units may share a name (in different institutions): keep labels unique per unit.
    if "key" in df:
        seen: dict[str, Any] = {}
        for i, (label, key, pos) in enumerate(
            zip(labels, df["key"].tolist(), positions, strict=True)
        ):
            if seen.setdefault(label, key) != key and pseudonyms.index(pos) is not None:
                labels[i] = f"{label} ({pseudonyms.label(pos)})"
    df["label"] = labels
    if "own" in df:
        df["own"] = df["own"].fillna(False).astype(bool)
    if pseudonyms.redrawn:
        order = [pseudonyms.index(p) for p in positions]
        df["_order"] = [-1 if i is None else i for i in order]
        df = df.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    return df


# --- tables that pages show and export ---------------------------------------------------------

KINDS = ("text", "int", "score", "kappa", "value", "label")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # one of KINDS
    screen: bool = True  # shown in the HTML table
    export: bool = True  # written to CSV / .xlsx


@dataclass
class Table:
    """One table of a page: shown as HTML and exported as CSV / .xlsx with the same numbers."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    caption: str = ""
    note: str = ""

    @property
    def screen_columns(self) -> list[Column]:
        return [c for c in self.columns if c.screen]

    @property
    def export_columns(self) -> list[Column]:
        return [c for c in self.columns if c.export]

    def frame(self) -> pd.DataFrame:
        """Rounded as on screen (scores to 0.1, kappa to 0.01), headers translated. Text is as
        typed: the writers in :mod:`kvip.benchmarks.exports` keep it from running as a formula."""
        data: dict[str, list[Any]] = {}
        for col in self.export_columns:
            values = [row.get(col.key) for row in self.rows]
            if col.kind == "score":
                values = [None if v is None else round(float(v), 1) for v in values]
            elif col.kind == "kappa":
                values = [None if v is None else round(float(v), 2) for v in values]
            elif col.kind == "value":
                names = value_labels()
                values = [names.get(v, v) for v in values]
            data[col.label] = values
        return pd.DataFrame(data, columns=[c.label for c in self.export_columns])

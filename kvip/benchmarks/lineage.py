"""Following standards across editions, so that trends cross an edition boundary.

A trend is shown on the standards of its *basis* edition: the edition of the newest cycle
shown. Cycles on an earlier edition are restated on those standards through the mapping
between the editions (the saved one — e.g. from ``mapping-from-kvip-2026.yaml`` — else the
suggestion from equal codes and texts, :func:`kvip.standards.queries.links`):

* a standard continues the older standards linked to it: reworded or unchanged ones, and
  those merged into it (their ratings are pooled);
* a split standard continues into each of its parts (each part shows the old rating);
* a dropped standard continues nowhere and a new one has no past: the line breaks;
* a domain of the basis edition is restated as the older standards that continue into it.

Where a link says the meaning changed, the trend marks the boundary (chart and table): the
earlier ratings are shown but were given to a requirement that no longer reads the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from flask import g
from flask_babel import ngettext

from kvip import scoring
from kvip.benchmarks import queries
from kvip.benchmarks.frames import rows_of
from kvip.benchmarks.models import domain_counts
from kvip.benchmarks.queries import COUNT_COLUMNS, Filters
from kvip.extensions import db
from kvip.standards import queries as standard_queries
from kvip.standards.models import Edition

_CACHE_KEY = "kvip_lineage"


@dataclass
class Lineage:
    """How the standards of the basis edition continue the standards of earlier editions."""

    basis_edition_id: int
    chain: list[int]  # edition ids, the one used longest ago first, the basis last
    slugs: dict[int, str]  # edition id → slug
    codes: dict[int, str]  # standard id → code (every edition of the chain)
    basis_order: list[int]  # the basis edition's standard ids in reading order
    basis_domain: dict[int, str]  # basis standard id → its domain code
    saved: dict[int, bool]  # edition id B → the mapping into B was saved (else suggested)
    # basis standard id → edition id → the standard ids of that edition it continues
    preds: dict[int, dict[int, tuple[int, ...]]] = field(default_factory=dict)
    # basis standard id → edition id B → its meaning changed on the step into B
    changed_into: dict[int, dict[int, bool]] = field(default_factory=dict)

    @property
    def crosses_editions(self) -> bool:
        return len(self.chain) > 1

    def predecessors(self, std_id: int, edition_id: int) -> tuple[int, ...]:
        """The standards of ``edition_id`` that basis standard ``std_id`` continues."""
        return self.preds.get(std_id, {}).get(edition_id, ())

    def meaning_changed_since(self, std_id: int, edition_id: int) -> bool:
        """Whether a rating of the standard in ``edition_id`` was given to a requirement whose
        meaning has changed since (on any step up to the basis edition)."""
        if edition_id not in self.chain:
            return False
        later = self.chain[self.chain.index(edition_id) + 1 :]
        flags = self.changed_into.get(std_id, {})
        return any(flags.get(e, False) for e in later)

    def changed_at(self, edition_id: int) -> list[int]:
        """Basis standards whose meaning changed on the step into ``edition_id``."""
        return [s for s in self.basis_order if self.changed_into.get(s, {}).get(edition_id)]

    def domain_sets(self, edition_id: int) -> dict[str, set[int]]:
        """Basis domain code → the standards of ``edition_id`` that continue into it."""
        out: dict[str, set[int]] = {}
        for s in self.basis_order:
            out.setdefault(self.basis_domain[s], set()).update(self.predecessors(s, edition_id))
        return out

    def continued_codes(self, std_id: int) -> list[tuple[str, list[str]]]:
        """(edition slug, codes) for every earlier edition, newest first, where the standard
        continues older standards under other codes or more than one."""
        out = []
        own = self.codes.get(std_id, "")
        for edition_id in reversed(self.chain[:-1]):
            codes = [self.codes.get(o, "?") for o in self.predecessors(std_id, edition_id)]
            if codes != [own]:
                out.append((self.slugs.get(edition_id, "?"), codes))
        return out


def build(cycles: Iterable[Any]) -> Lineage:
    """The lineage for the cycles shown (objects with ``id``, ``year``, ``edition_id``):
    editions ordered by the newest cycle that used them; the newest cycle's is the basis.
    Cached for the request."""
    order = sorted(cycles, key=lambda c: (c.year, c.id))
    last_use: dict[int, int] = {}
    for i, c in enumerate(order):
        last_use[int(c.edition_id)] = i
    chain = sorted(last_use, key=lambda e: last_use[e])
    key = tuple(chain)
    cache = g.setdefault(_CACHE_KEY, {})
    if key not in cache:
        cache[key] = _build(chain)
    result: Lineage = cache[key]
    return result


def _build(chain: list[int]) -> Lineage:
    if not chain:
        return Lineage(0, [], {}, {}, [], {}, {})
    editions = {
        e.id: e for e in db.session.scalars(sa.select(Edition).where(Edition.id.in_(chain)))
    }
    basis = chain[-1]
    codes: dict[int, str] = {}
    basis_order: list[int] = []
    basis_domain: dict[int, str] = {}
    for edition_id in chain:
        for r in rows_of(queries.standards_of(edition_id)):
            codes[int(r.standard_id)] = str(r.code)
            if edition_id == basis:
                basis_order.append(int(r.standard_id))
                basis_domain[int(r.standard_id)] = str(r.domain_code)
    lineage = Lineage(
        basis_edition_id=basis,
        chain=chain,
        slugs={e: editions[e].slug for e in chain if e in editions},
        codes=codes,
        basis_order=basis_order,
        basis_domain=basis_domain,
        saved={},
    )
    current: dict[int, list[int]] = {s: [s] for s in basis_order}
    for s in basis_order:
        lineage.preds[s] = {basis: (s,)}
        lineage.changed_into[s] = {}
    for older, newer in reversed(list(zip(chain, chain[1:], strict=False))):
        links, saved = standard_queries.links(editions[older], editions[newer])
        lineage.saved[newer] = saved
        back: dict[int, list[tuple[int, bool]]] = {}
        for link in links:
            if link.old_id is not None and link.new_id is not None:
                entries = back.setdefault(link.new_id, [])
                entry = (link.old_id, link.meaning_changed)
                # The standard it mainly continues first, then those merged into it.
                if link.change in standard_queries.MAIN_KINDS:
                    entries.insert(0, entry)
                else:
                    entries.append(entry)
        for s in basis_order:
            olds: list[int] = []
            changed = False
            for b in current[s]:
                for o, meaning in back.get(b, []):
                    changed = changed or meaning
                    if o not in olds:
                        olds.append(o)
            lineage.preds[s][older] = tuple(olds)
            lineage.changed_into[s][newer] = changed
            current[s] = olds
    return lineage


# --- restating counts on the basis edition's standards -------------------------------------------


def _pool(per_standard: Mapping[int, Mapping[str, int]], ids: Iterable[int]) -> dict[str, int]:
    out = dict.fromkeys(COUNT_COLUMNS, 0)
    for std_id in ids:
        counts = per_standard.get(std_id)
        if counts is None:
            continue
        for c in COUNT_COLUMNS:
            out[c] += int(counts.get(c, 0))
    return out


def value_counts(value: str | None) -> dict[str, int]:
    """The §5 counts of one standard's rating (total 1)."""
    counts = dict.fromkeys(COUNT_COLUMNS, 0)
    if value in scoring.VALUES:
        counts[str(value)] = 1
    counts["total"] = 1
    return counts


def restate_domains(
    trend: pd.DataFrame,
    cycles: Sequence[Any],
    lineage: Lineage,
    per_standard: Mapping[int, Mapping[int, Mapping[str, int]]],
) -> pd.DataFrame:
    """``trend`` (rows per cycle × domain code with the count columns) with the rows of every
    cycle on an earlier edition replaced by counts pooled over the standards that continue
    into each basis domain. ``per_standard`` gives, per such cycle id, standard id → counts.
    Other columns of a replaced cycle's rows (year, name, units) are kept."""
    if not lineage.crosses_editions or trend.empty:
        return trend
    edition_of = {int(c.id): int(c.edition_id) for c in cycles}
    restated_ids = {
        cid
        for cid, eid in edition_of.items()
        if eid != lineage.basis_edition_id and cid in per_standard
    }
    if not restated_ids:
        return trend
    keep = trend[~trend["cycle_id"].isin(list(restated_ids))]
    extra = [c for c in trend.columns if c not in (*COUNT_COLUMNS, "domain_code")]
    new_rows: list[dict[str, Any]] = []
    for cycle_id in sorted(restated_ids):
        sample = trend[trend["cycle_id"] == cycle_id]
        if sample.empty:
            continue
        base = {c: sample.iloc[0][c] for c in extra}
        if "units" in sample:
            base["units"] = int(sample["units"].max())
        sets = lineage.domain_sets(edition_of[cycle_id])
        for domain_code, ids in sets.items():
            row = {**base, "domain_code": domain_code, **_pool(per_standard[cycle_id], ids)}
            row["total"] = _total(per_standard[cycle_id], ids)
            new_rows.append(row)
    out = pd.concat([keep, pd.DataFrame(new_rows, columns=trend.columns)], ignore_index=True)
    return out.sort_values(["year", "cycle_id", "domain_code"], kind="stable").reset_index(
        drop=True
    )


def _total(per_standard: Mapping[int, Mapping[str, int]], ids: Iterable[int]) -> int:
    return sum(int(per_standard.get(i, {}).get("total", 0)) for i in ids)


def unit_standard_counts(
    unit_id: int, cycles: Sequence[Any], series: str, *, only_other_editions: Lineage | None
) -> dict[int, dict[int, dict[str, int]]]:
    """cycle id → standard id → the unit's counts (one rating each) in ``series``, for the
    cycles in which the unit's assessment counts. With ``only_other_editions``, only the
    cycles on an edition other than its basis."""
    wanted = [
        c
        for c in cycles
        if only_other_editions is None or c.edition_id != only_other_editions.basis_edition_id
    ]
    if not wanted:
        return {}
    t = domain_counts
    counted = db.session.execute(
        sa.select(t.c.cycle_id, t.c.assessment_id)
        .where(t.c.unit_id == unit_id, t.c.cycle_id.in_([c.id for c in wanted]))
        .distinct()
    ).all()
    edition_of = {c.id: c.edition_id for c in wanted}
    out: dict[int, dict[int, dict[str, int]]] = {}
    for cycle_id, assessment_id in counted:
        values = queries.assessment_values(int(assessment_id), int(edition_of[cycle_id]))
        peer_reviewed = not values.empty and bool(values["peer_reviewed"].iloc[0])
        if series == "peer" and not peer_reviewed:
            continue  # no team findings: the peer series has no rows for this cycle either
        out[int(cycle_id)] = {
            int(r.standard_id): value_counts(series_value(r, series)) for r in rows_of(values)
        }
    return out


def series_value(row: Any, series: str) -> str | None:
    """A standard's value in a series: the self rating, the team's finding, or the benchmark
    value (the finding where the visit is completed, else the self rating)."""
    if series == "self":
        return row.self_value
    if series == "peer":
        return row.peer_value
    return row.peer_value if row.peer_reviewed else row.self_value


def network_standard_counts(
    cycles: Sequence[Any], series: str, filters: Filters, lineage: Lineage
) -> dict[int, dict[int, dict[str, int]]]:
    """cycle id → standard id → the network's pooled counts, for the cycles on an edition
    other than the basis (from the standard-level summaries)."""
    out: dict[int, dict[int, dict[str, int]]] = {}
    for c in cycles:
        if c.edition_id == lineage.basis_edition_id:
            continue
        totals = queries.standard_totals(c.id, series, filters)
        out[int(c.id)] = {
            int(r.standard_id): {col: int(getattr(r, col)) for col in COUNT_COLUMNS}
            for r in rows_of(totals)
        }
    return out


def restated_standard(
    lineage: Lineage, std_id: int, edition_id: int, per_standard: Mapping[int, Mapping[str, int]]
) -> scoring.Counts | None:
    """The counts of a basis standard in a cycle on ``edition_id``: its own where that is the
    basis, else pooled over the standards it continues; None where it continues none."""
    ids = (
        (std_id,)
        if edition_id == lineage.basis_edition_id
        else lineage.predecessors(std_id, edition_id)
    )
    if not any(i in per_standard for i in ids):
        return None
    return scoring.counts_of(_pool(per_standard, ids))


# --- marks where the meaning changed -------------------------------------------------------------


@dataclass(frozen=True)
class Boundary:
    """The first cycle on a newer edition, and which standards changed meaning there."""

    cycle_id: int
    edition_slug: str
    changed: dict[str, list[str]]  # basis domain code → codes whose meaning changed

    def codes(self, domain_code: str | None) -> list[str]:
        if domain_code is None:
            return [c for codes in self.changed.values() for c in codes]
        return self.changed.get(domain_code, [])


def boundaries(cycles: Sequence[Any], lineage: Lineage) -> list[Boundary]:
    """Every place where the shown cycles move to a newer edition of the chain."""
    out: list[Boundary] = []
    order = sorted(cycles, key=lambda c: (c.year, c.id))
    for before, after in zip(order, order[1:], strict=False):
        if before.edition_id == after.edition_id or after.edition_id not in lineage.chain:
            continue
        if before.edition_id in lineage.chain and lineage.chain.index(
            before.edition_id
        ) > lineage.chain.index(after.edition_id):
            continue
        changed: dict[str, list[str]] = {}
        for s in lineage.changed_at(after.edition_id):
            changed.setdefault(lineage.basis_domain[s], []).append(lineage.codes[s])
        out.append(Boundary(int(after.id), lineage.slugs.get(after.edition_id, "?"), changed))
    return out


def meaning_note(edition_slug: str, codes: list[str]) -> str:
    """The note beside the first cycle on ``edition_slug`` where ``codes`` changed meaning."""
    return ngettext(
        "From %(edition)s the meaning of standard %(codes)s changed: earlier ratings are not fully comparable.",
        "From %(edition)s the meaning of standards %(codes)s changed: earlier ratings are not fully comparable.",
        len(codes),
        edition=edition_slug,
        codes=", ".join(codes),
    )

"""Reads of the standards module: the current edition, search, regulation coverage, comparing
editions and following a standard from one edition to the next.

An edition holds a few hundred standards at most, so search and comparison work on the one
edition's rows in Python (case-insensitive for any alphabet, ranked, highlighted); their cost
depends on the edition's size, never on how many editions, cycles or units exist.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload

from kvip.core.errors import NotFound
from kvip.core.i18n import lang
from kvip.extensions import db
from kvip.standards.duties import DIMENSIONS, SECTIONS, Dimension, Duty
from kvip.standards.models import (
    Domain,
    Edition,
    Standard,
    StandardDimension,
    StandardDuty,
    StandardMapping,
)

# --- editions ---------------------------------------------------------------------------------


def current_edition() -> Edition | None:
    """The latest published edition (DESIGN: the edition new cycles and the API default to)."""
    return db.session.scalar(
        sa.select(Edition)
        .where(Edition.published.is_not(None))
        .order_by(Edition.published.desc(), Edition.id.desc())
        .limit(1)
    )


def edition_or_current(slug: str | None) -> Edition:
    """The edition named by ``slug``, else the current one; NotFound if there is none."""
    if slug:
        edition = db.session.scalar(sa.select(Edition).where(Edition.slug == slug))
        if edition is None:
            raise NotFound(_("There is no edition “%(slug)s”.", slug=slug))
        return edition
    edition = current_edition()
    if edition is None:
        raise NotFound(_("No edition of the standards has been published yet."))
    return edition


@dataclass
class EditionRow:
    edition: Edition
    standards: int
    cycles: int
    current: bool

    @property
    def in_use(self) -> bool:
        return self.edition.frozen or self.cycles > 0


def edition_rows() -> list[EditionRow]:
    """Every edition with its number of standards and of cycles using it, newest first."""
    n_standards = (
        sa.select(sa.func.count(Standard.id))
        .where(Standard.edition_id == Edition.id)
        .scalar_subquery()
    )
    # The cycles table through Edition.cycles: standards comes before cycles (ARCHITECTURE.md).
    cycles = sa.inspect(Edition).relationships["cycles"].target
    n_cycles = (
        sa.select(sa.func.count())
        .select_from(cycles)
        .where(cycles.c.edition_id == Edition.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Edition, n_standards, n_cycles).order_by(
            Edition.published.is_(None), Edition.published.desc(), Edition.id.desc()
        )
    ).all()
    current = current_edition()
    return [
        EditionRow(ed, int(ns or 0), int(nc or 0), current is not None and ed.id == current.id)
        for ed, ns, nc in rows
    ]


def standards_of(edition: Edition) -> list[Standard]:
    """The edition's standards in reading order, with their domain, duties and dimensions."""
    return list(
        db.session.scalars(
            sa.select(Standard)
            .join(Domain, Domain.id == Standard.domain_id)
            .where(Standard.edition_id == edition.id)
            .options(joinedload(Standard.domain))
            .order_by(Domain.position, Standard.position)
        )
    )


def standard_by_code(edition: Edition, code: str) -> Standard:
    std = db.session.scalar(
        sa.select(Standard)
        .where(Standard.edition_id == edition.id, Standard.code == code)
        .options(joinedload(Standard.domain))
    )
    if std is None:
        raise NotFound(_("There is no standard %(code)s in this edition.", code=code))
    return std


def domain_by_code(edition: Edition, code: str) -> Domain:
    domain = db.session.scalar(
        sa.select(Domain).where(Domain.edition_id == edition.id, Domain.code == code)
    )
    if domain is None:
        raise NotFound(_("There is no domain %(code)s in this edition.", code=code))
    return domain


def has_methods(edition: Edition) -> bool:
    """Whether any standard of the edition says how it is checked (editions before methods
    have none, and their pages offer no method filter)."""
    rows = db.session.scalars(
        sa.select(Standard.methods).where(Standard.edition_id == edition.id).limit(400)
    )
    return any(rows)


def type_counts(edition: Edition) -> dict[int, dict[int, int]]:
    """domain id → {type: count}."""
    out: dict[int, dict[int, int]] = {}
    rows = db.session.execute(
        sa.select(Standard.domain_id, Standard.type, sa.func.count())
        .where(Standard.edition_id == edition.id)
        .group_by(Standard.domain_id, Standard.type)
    )
    for domain_id, std_type, count in rows:
        out.setdefault(domain_id, {})[std_type] = count
    return out


# --- search -----------------------------------------------------------------------------------

_TERM = re.compile(r'"([^"]+)"|(\S+)')


def fold(text: str) -> str:
    """Lower-case letter by letter, keeping the length, so that matches map back onto the
    original text for highlighting (Æ/æ, Ø/ø and Å/å included)."""
    lowered = text.lower()
    if len(lowered) == len(text):  # nearly always; the letter-by-letter way is slow
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def terms_of(query: str) -> list[str]:
    """Search words; ``"quoted words"`` stay together as a phrase."""
    terms = [fold((a or b).strip()) for a, b in _TERM.findall(query or "")]
    return [t for t in terms if t]


@dataclass
class Filters:
    q: str = ""
    type: int | None = None
    duty: str | None = None  # a duty code (6d) or a whole section (6)
    dimension: str | None = None
    domain: str | None = None
    method: str | None = None

    @property
    def active(self) -> bool:
        return bool(
            self.q.strip() or self.type or self.duty or self.dimension or self.domain or self.method
        )

    def args(self, **override: Any) -> dict[str, Any]:
        """Query-string arguments for links (empty values left out)."""
        values = {
            "q": self.q,
            "type": self.type,
            "duty": self.duty,
            "dimension": self.dimension,
            "domain": self.domain,
            "method": self.method,
        }
        values.update(override)
        return {k: v for k, v in values.items() if v not in (None, "")}


@dataclass
class Hit:
    standard: Standard
    score: int
    # Where the words were found other than the shown text: (label key, snippet markup).
    also: list[tuple[str, Markup]] = field(default_factory=list)


def _matches(std: Standard, filters: Filters) -> bool:
    if filters.type and std.type != filters.type:
        return False
    if filters.domain and std.domain.code != filters.domain:
        return False
    if filters.duty:
        duties = std.duties
        if len(filters.duty) == 1:
            if not any(d.startswith(filters.duty) for d in duties):
                return False
        elif filters.duty not in duties:
            return False
    if filters.method and filters.method not in (std.methods or ()):
        return False
    return not (filters.dimension and filters.dimension not in std.dimensions)


def search(edition: Edition, filters: Filters) -> list[Hit]:
    """Standards of ``edition`` that pass the filters and contain every search word (in the
    code, the text or the guidance, Norwegian or English). Ranked: exact code first, then
    words found in the shown text, then elsewhere; ties keep reading order."""
    terms = terms_of(filters.q)
    shown = lang() if has_request_context() else "nb"
    other = "en" if shown == "nb" else "nb"
    hits: list[Hit] = []
    for position, std in enumerate(standards_of(edition)):
        if not _matches(std, filters):
            continue
        if not terms:
            hits.append(Hit(std, -position))
            continue
        fields = {
            "code": fold(std.code),
            "text": fold(getattr(std, f"text_{shown}")),
            "text_other": fold(getattr(std, f"text_{other}")),
            "guidance": fold(getattr(std, f"guidance_{shown}") or ""),
            "guidance_other": fold(getattr(std, f"guidance_{other}") or ""),
        }
        weights = {"code": 50, "text": 10, "text_other": 4, "guidance": 2, "guidance_other": 1}
        score = 0
        found_in: set[str] = set()
        for term in terms:
            places = [name for name, value in fields.items() if term in value]
            if not places:
                break
            score += sum(weights[p] for p in places)
            found_in.update(places)
        else:
            if len(terms) == 1 and fields["code"] == terms[0]:
                score += 10_000
            hit = Hit(std, score * 1000 - position)
            if "text" not in found_in:
                for name, attr in (
                    ("text_other", f"text_{other}"),
                    ("guidance", f"guidance_{shown}"),
                    ("guidance_other", f"guidance_{other}"),
                ):
                    if name in found_in:
                        hit.also.append((name, snippet(getattr(std, attr) or "", terms)))
                        break
            hits.append(hit)
    hits.sort(key=lambda h: -h.score)
    return hits


def _ranges(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    folded = fold(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = folded.find(term)
        while term and start >= 0:
            spans.append((start, start + len(term)))
            start = folded.find(term, start + len(term))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def highlight(text: str, terms: Iterable[str]) -> Markup:
    """``text`` escaped, with each occurrence of the search words in ``<mark>``."""
    terms = list(terms)
    if not terms:
        return escape(text)
    out = Markup("")
    last = 0
    for a, b in _ranges(text, terms):
        out += escape(text[last:a]) + Markup("<mark>") + escape(text[a:b]) + Markup("</mark>")
        last = b
    return out + escape(text[last:])


def snippet(text: str, terms: list[str], width: int = 70) -> Markup:
    """A short piece of ``text`` around the first match, highlighted."""
    ranges = _ranges(text, terms)
    if not ranges:
        return escape(text[: width * 2])
    start = max(0, ranges[0][0] - width)
    end = min(len(text), ranges[0][1] + width)
    piece = text[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return Markup(prefix) + highlight(piece, terms) + Markup(suffix)


# --- coverage ---------------------------------------------------------------------------------


@dataclass
class CoverageRow:
    item: Duty | Dimension
    counts: dict[int, int]  # domain id → number of standards
    total: int


@dataclass
class CoverageSection:
    section: Any  # a duties.Section, or None for dimensions
    rows: list[CoverageRow]


@dataclass
class Coverage:
    domains: list[Domain]
    sections: list[CoverageSection]
    dimensions: list[CoverageRow]
    domain_totals: dict[int, int]
    total: int

    @property
    def uncovered_duties(self) -> list[Duty]:
        return [r.item for s in self.sections for r in s.rows if r.total == 0]  # type: ignore[misc]

    @property
    def uncovered_dimensions(self) -> list[Dimension]:
        return [r.item for r in self.dimensions if r.total == 0]  # type: ignore[misc]


def _counts_by_domain(edition: Edition, code: Any, standard_id: Any) -> dict[str, dict[int, int]]:
    """code → {domain id: number of the edition's standards with that code} in one query."""
    counts: dict[str, dict[int, int]] = {}
    for value, domain_id, count in db.session.execute(
        sa.select(code, Standard.domain_id, sa.func.count())
        .join(Standard, Standard.id == standard_id)
        .where(Standard.edition_id == edition.id)
        .group_by(code, Standard.domain_id)
    ):
        counts.setdefault(value, {})[domain_id] = count
    return counts


def coverage(edition: Edition) -> Coverage:
    """How many standards of each domain serve each of the 21 duties and the 6 dimensions."""
    domains = list(
        db.session.scalars(
            sa.select(Domain).where(Domain.edition_id == edition.id).order_by(Domain.position)
        )
    )
    duty_counts = _counts_by_domain(edition, StandardDuty.duty, StandardDuty.standard_id)
    dim_counts = _counts_by_domain(
        edition, StandardDimension.dimension, StandardDimension.standard_id
    )
    domain_totals = {
        domain_id: count
        for domain_id, count in db.session.execute(
            sa.select(Standard.domain_id, sa.func.count())
            .where(Standard.edition_id == edition.id)
            .group_by(Standard.domain_id)
        )
    }
    sections = [
        CoverageSection(
            section,
            [
                CoverageRow(
                    d, duty_counts.get(d.code, {}), sum(duty_counts.get(d.code, {}).values())
                )
                for d in section.duties
            ],
        )
        for section in SECTIONS
    ]
    dimensions = [
        CoverageRow(d, dim_counts.get(d.code, {}), sum(dim_counts.get(d.code, {}).values()))
        for d in DIMENSIONS
    ]
    return Coverage(domains, sections, dimensions, domain_totals, sum(domain_totals.values()))


# --- comparing editions -----------------------------------------------------------------------


@dataclass
class Change:
    kind: str  # added | removed | reworded | changed | moved
    old: Standard | None
    new: Standard | None
    fields: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    old: Any  # an Edition (or EditionData in an import preview)
    new: Any
    added: list[Change]
    removed: list[Change]
    reworded: list[Change]
    changed: list[Change]
    moved: list[Change]
    unchanged: int

    @property
    def differences(self) -> int:
        return sum(
            len(x) for x in (self.added, self.removed, self.reworded, self.changed, self.moved)
        )


def _norm(text: str) -> str:
    return " ".join(fold(text).split())


def _similar(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, _norm(a), _norm(b), autojunk=False)
    if matcher.real_quick_ratio() < 0.8 or matcher.quick_ratio() < 0.8:
        return 0.0
    return matcher.ratio()


SIMILAR = 0.85
# Pairwise similarity is quadratic: above this many pairs only identical texts count as moved.
MAX_PAIRS = 4000


def compare(old: Edition, new: Edition) -> Comparison:
    """Standards added, removed, reworded (same code, new text), changed (same text, other
    type, duties, dimensions or guidance) and moved (a new code for the same or nearly the
    same text) from ``old`` to ``new``."""
    return compare_standards(old, new, standards_of(old), standards_of(new))


def compare_standards(old: Any, new: Any, old_list: list[Any], new_list: list[Any]) -> Comparison:
    """:func:`compare` on lists of standards (models or :class:`StandardData`)."""
    old_by_code = {s.code: s for s in old_list}
    new_by_code = {s.code: s for s in new_list}
    reworded, changed = [], []
    unchanged = 0
    for code, std in new_by_code.items():
        before = old_by_code.get(code)
        if before is None:
            continue
        if _norm(before.text_nb) != _norm(std.text_nb) or _norm(before.text_en) != _norm(
            std.text_en
        ):
            reworded.append(Change("reworded", before, std, ["text"]))
            continue
        fields = [
            name
            for name in ("type", "duties", "dimensions", "methods", "guidance_nb", "guidance_en")
            if _value(before, name) != _value(std, name)
        ]
        if fields:
            changed.append(Change("changed", before, std, fields))
        else:
            unchanged += 1
    gone = [s for c, s in old_by_code.items() if c not in new_by_code]
    fresh = [s for s in new_list if s.code not in old_by_code]
    moved: list[Change] = []
    by_text = {_norm(s.text_nb): s for s in gone}
    for std in list(fresh):
        before = by_text.get(_norm(std.text_nb))
        if before is not None and before in gone:
            moved.append(Change("moved", before, std))
            gone.remove(before)
            fresh.remove(std)
    if len(gone) * len(fresh) <= MAX_PAIRS:
        for std in list(fresh):
            best, score = None, 0.0
            for before in gone:
                ratio = _similar(before.text_nb, std.text_nb)
                if ratio > score:
                    best, score = before, ratio
            if best is not None and score >= SIMILAR:
                moved.append(Change("moved", best, std, ["text"]))
                gone.remove(best)
                fresh.remove(std)
    return Comparison(
        old=old,
        new=new,
        added=[Change("added", None, s) for s in fresh],
        removed=[Change("removed", s, None) for s in gone],
        reworded=reworded,
        changed=changed,
        moved=moved,
        unchanged=unchanged,
    )


def _value(std: Any, name: str) -> Any:
    value = getattr(std, name)
    if name == "methods":
        value = value or ()
    # Duties and dimensions are sets: their order differs between models and loaded data.
    return sorted(value) if isinstance(value, (list, tuple)) else value


def word_diff(old: str, new: str) -> Markup:
    """``new`` with removed words in ``<del>`` and added words in ``<ins>``."""
    a, b = old.split(), new.split()
    out: list[Markup] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape(" ".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(Markup("<del>") + escape(" ".join(a[i1:i2])) + Markup("</del>"))
        if op in ("insert", "replace"):
            out.append(Markup("<ins>") + escape(" ".join(b[j1:j2])) + Markup("</ins>"))
    return Markup(" ").join(out)


# --- following a standard across editions ------------------------------------------------------

# The kinds whose link continues a standard's main line (a merged-in standard is absorbed).
MAIN_KINDS = ("same", "reworded", "split")


@dataclass(frozen=True)
class Link:
    """One link of a mapping between two editions (see :class:`StandardMapping`): ``old_id``
    None for a new standard, ``new_id`` None for a dropped one."""

    old_id: int | None
    new_id: int | None
    change: str  # one of models.CHANGE_KINDS
    meaning_changed: bool = False
    note: str = ""


def infer_links(
    pairs: dict[int, list[int]],
    old_list: list[Any],
    new_list: list[Any],
) -> list[Link]:
    """Links with their kinds from "new standard id → the old standard ids it continues": an
    old standard continued by several new ones is split; of several old ones continued by one
    new standard, the one with its code (else the first) is its main line and the others are
    merged into it; the main line is ``same`` when the texts are equal, else ``reworded``; old
    standards continued by none are dropped, new standards continuing none are new."""
    old_by_id = {s.id: s for s in old_list}
    continued: dict[int, int] = {}
    for olds in pairs.values():
        for o in olds:
            continued[o] = continued.get(o, 0) + 1
    links: list[Link] = []
    for std in new_list:
        olds = [o for o in pairs.get(std.id, []) if o in old_by_id]
        if not olds:
            links.append(Link(None, std.id, "new"))
            continue
        main = next((o for o in olds if old_by_id[o].code == std.code), olds[0])
        for o in olds:
            before = old_by_id[o]
            if continued[o] > 1:
                kind = "split"
            elif o != main:
                kind = "merged"
            elif _norm(before.text_nb) == _norm(std.text_nb) and _norm(before.text_en) == _norm(
                std.text_en
            ):
                kind = "same"
            else:
                kind = "reworded"
            links.append(Link(o, std.id, kind))
    links.extend(Link(s.id, None, "dropped") for s in old_list if s.id not in continued)
    return links


def suggested_mapping(
    old: Edition,
    new: Edition,
    old_list: list[Standard] | None = None,
    new_list: list[Standard] | None = None,
) -> dict[int, int | None]:
    """new standard id → the old standard id it continues: the same code (even if reworded),
    or the same text under a new code; None for standards that are new in ``new``."""
    old_list = standards_of(old) if old_list is None else old_list
    new_list = standards_of(new) if new_list is None else new_list
    comparison = compare_standards(old, new, old_list, new_list)
    pairs: dict[int, int | None] = {s.id: None for s in new_list}
    for change in comparison.reworded + comparison.changed + comparison.moved:
        assert change.new is not None and change.old is not None
        pairs[change.new.id] = change.old.id
    old_by_code = {s.code: s.id for s in old_list}
    for std in new_list:
        if pairs[std.id] is None and std.code in old_by_code:
            pairs[std.id] = old_by_code[std.code]
    return pairs


def saved_links(old: Edition, new: Edition) -> list[Link] | None:
    """The links saved for this pair of editions (from a mapping file or the mapping page),
    or None if none are saved. Rows saved before kinds existed get inferred kinds."""
    rows = db.session.execute(
        sa.select(
            StandardMapping.from_standard_id,
            StandardMapping.to_standard_id,
            StandardMapping.change,
            StandardMapping.meaning_changed,
            StandardMapping.note,
        )
        .where(StandardMapping.from_edition_id == old.id, StandardMapping.to_edition_id == new.id)
        .order_by(StandardMapping.id)
    ).all()
    if not rows:
        return None
    if all(r.change for r in rows):
        return [
            Link(r.from_standard_id, r.to_standard_id, r.change, bool(r.meaning_changed), r.note)
            for r in rows
        ]
    pairs: dict[int, list[int]] = {}
    for r in rows:
        if r.to_standard_id is not None:
            olds = pairs.setdefault(r.to_standard_id, [])
            if r.from_standard_id is not None:
                olds.append(r.from_standard_id)
    return infer_links(pairs, standards_of(old), standards_of(new))


def links(
    old: Edition,
    new: Edition,
    old_list: list[Standard] | None = None,
    new_list: list[Standard] | None = None,
) -> tuple[list[Link], bool]:
    """The links from ``old`` to ``new`` and whether they were saved (else suggested from
    equal codes and texts). Trends across editions follow standards through these."""
    saved = saved_links(old, new)
    if saved is not None:
        return saved, True
    old_list = standards_of(old) if old_list is None else old_list
    new_list = standards_of(new) if new_list is None else new_list
    suggested = suggested_mapping(old, new, old_list, new_list)
    pairs = {n: ([o] if o is not None else []) for n, o in suggested.items()}
    return infer_links(pairs, old_list, new_list), False


def continues(links_: list[Link]) -> dict[int, list[int]]:
    """new standard id → the old standard ids it continues, its main line first."""
    out: dict[int, list[int]] = {}
    for link in links_:
        if link.new_id is None:
            continue
        olds = out.setdefault(link.new_id, [])
        if link.old_id is None:
            continue
        if link.change in MAIN_KINDS:
            olds.insert(0, link.old_id)
        else:
            olds.append(link.old_id)
    return out


def saved_mapping(old: Edition, new: Edition) -> dict[int, int | None] | None:
    """The mapping saved for this pair of editions as new id → the old id of its main line
    (None for a new standard), or None if none is saved."""
    saved = saved_links(old, new)
    if saved is None:
        return None
    return {n: (olds[0] if olds else None) for n, olds in continues(saved).items()}


def mapping(
    old: Edition,
    new: Edition,
    old_list: list[Standard] | None = None,
    new_list: list[Standard] | None = None,
) -> tuple[dict[int, list[int]], bool]:
    """new standard id → the old standard ids it continues (main line first; empty for a new
    standard), and whether it was saved (else suggested)."""
    found, saved = links(old, new, old_list, new_list)
    return continues(found), saved


@dataclass(frozen=True)
class Related:
    """A saved link of one standard to another edition, as its page shows it."""

    direction: str  # previous | next
    standard: Standard | None  # None: dropped in the next edition
    edition: Edition
    change: str | None
    meaning_changed: bool
    note: str


def related_in_other_editions(std: Standard) -> list[Related]:
    """Saved links touching ``std``: the older standards it continues ("previous") and the
    newer standards that continue it ("next", or a dropped mark)."""
    out: list[Related] = []
    for row in db.session.scalars(
        sa.select(StandardMapping)
        .where(
            sa.or_(
                StandardMapping.to_standard_id == std.id,
                StandardMapping.from_standard_id == std.id,
            )
        )
        .order_by(StandardMapping.id)
    ):
        if row.to_standard_id == std.id and row.from_standard is not None:
            other = row.from_standard
            out.append(
                Related(
                    "previous",
                    other,
                    other.edition,
                    row.change,
                    row.meaning_changed,
                    row.note,
                )
            )
        elif row.from_standard_id == std.id:
            edition = db.session.get(Edition, row.to_edition_id)
            assert edition is not None
            out.append(
                Related(
                    "next",
                    row.to_standard,
                    edition,
                    row.change,
                    row.meaning_changed,
                    row.note,
                )
            )
    return out


def change_counts(links_: list[Link]) -> dict[str, int]:
    """How many standards had each kind of change: new standards count by their new side,
    all others by their old side (a split counts once)."""
    seen: dict[str, set[int]] = {}
    for link in links_:
        key = link.new_id if link.change == "new" else link.old_id
        if key is not None:
            seen.setdefault(link.change, set()).add(key)
    return {kind: len(ids) for kind, ids in seen.items()}

"""Evidence from later modules beside each standard, without the earlier modules importing
them: a module registers a provider, the self-assessment (cycles) and the visit screens
(visits) ask this registry and render the lines generically (``templates/core/_evidence.html``).

Evidence is shown beside a rating, never turned into one. A provider is only called for an
assessment the caller may already read; it applies its own thresholds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EvidenceLine:
    """One line beside a standard, e.g. source "Ungdom", summary "7 av 9 enige"."""

    source: str
    summary: str
    detail: str = ""  # e.g. the question asked, shown on hover and to screen readers
    muted: bool = False  # e.g. "too few answers yet": shown, but not as a result


@dataclass(frozen=True)
class EvidenceSection:
    """A block for the visit pack and the report: a title, a note (e.g. the threshold) and
    rows of (label, value) under headings."""

    title: str
    note: str = ""
    groups: list[tuple[str, str, list[tuple[str, str]]]] = field(default_factory=list)
    # (heading, status line, rows)


StandardProvider = Callable[[int, Sequence[str] | None], dict[str, list[EvidenceLine]]]
SectionProvider = Callable[[int], list[EvidenceSection]]
# (label, url) of a page with more evidence for the assessment, or None.
LinkProvider = Callable[[int], "tuple[str, str] | None"]

_STANDARD_PROVIDERS: list[StandardProvider] = []
_SECTION_PROVIDERS: list[SectionProvider] = []
_LINK_PROVIDERS: list[LinkProvider] = []


def register(
    standards: StandardProvider | None = None,
    sections: SectionProvider | None = None,
    link: LinkProvider | None = None,
) -> None:
    """Add a module's providers (once: registering the same function again is a no-op)."""
    for fn, registry in (
        (standards, _STANDARD_PROVIDERS),
        (sections, _SECTION_PROVIDERS),
        (link, _LINK_PROVIDERS),
    ):
        if fn is not None and fn not in registry:
            registry.append(fn)  # type: ignore[arg-type]


def links_for(assessment_id: int) -> list[tuple[str, str]]:
    """Links to the modules' evidence pages of an assessment (e.g. its questionnaires)."""
    return [link for fn in _LINK_PROVIDERS if (link := fn(assessment_id)) is not None]


def evidence_for(
    assessment_id: int, standard_codes: Sequence[str] | None = None
) -> dict[str, list[EvidenceLine]]:
    """Every provider's lines per standard code (codes without evidence are left out; None:
    every standard)."""
    merged: dict[str, list[EvidenceLine]] = {}
    for provider in _STANDARD_PROVIDERS:
        for code, lines in provider(assessment_id, standard_codes).items():
            if lines:
                merged.setdefault(code, []).extend(lines)
    return merged


def sections_for(assessment_id: int) -> list[EvidenceSection]:
    """Every provider's sections for the visit pack and report of an assessment."""
    out: list[EvidenceSection] = []
    for provider in _SECTION_PROVIDERS:
        out.extend(provider(assessment_id))
    return out

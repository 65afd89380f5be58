"""The 21 duties of §§ 6–9 of the regulation on management and quality improvement, as the
actions module sees them.

The standards module owns the list (``kvip.standards.duties.DUTIES``); this adapter gives the
actions module the shape it reads (code, section, short title, the regulation's wording).
"""

from __future__ import annotations

from dataclasses import dataclass

from kvip.standards.duties import DUTIES as upstream


@dataclass(frozen=True)
class DutyRef:
    code: str  # "6a"
    section: str  # "6"
    title_nb: str
    title_en: str
    text_nb: str
    text_en: str


@dataclass(frozen=True)
class SectionRef:
    code: str
    title_nb: str
    title_en: str


SECTIONS: tuple[SectionRef, ...] = (
    SectionRef("6", "§ 6 Plikten til å planlegge", "§ 6 The duty to plan"),
    SectionRef("7", "§ 7 Plikten til å gjennomføre", "§ 7 The duty to implement"),
    SectionRef("8", "§ 8 Plikten til å evaluere", "§ 8 The duty to evaluate"),
    SectionRef("9", "§ 9 Plikten til å korrigere", "§ 9 The duty to correct"),
)


def _load() -> tuple[DutyRef, ...]:
    """The standards module's 21 duties, with its short summaries as titles."""

    return tuple(
        DutyRef(
            d.code,
            str(d.section),
            d.short_nb or d.text_nb,
            d.short_en or d.text_en,
            d.text_nb,
            d.text_en,
        )
        for d in upstream
    )


DUTIES: tuple[DutyRef, ...] = _load()
CODES: tuple[str, ...] = tuple(d.code for d in DUTIES)
_BY_CODE = {d.code: d for d in DUTIES}


def duty(code: str) -> DutyRef | None:
    return _BY_CODE.get(code)


def section(code: str) -> SectionRef:
    return next(s for s in SECTIONS if s.code == code)


def by_section() -> list[tuple[SectionRef, list[DutyRef]]]:
    """The duties grouped §6 plan, §7 do, §8 evaluate, §9 correct."""
    return [(s, [d for d in DUTIES if d.section == s.code]) for s in SECTIONS]

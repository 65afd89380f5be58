"""The 21 duties of §§ 6–9 of the regulation on management and quality improvement, as the
actions module sees them.

The standards module owns the list (``kvip.standards.duties.DUTIES``). Until it is merged this
module falls back to its own copy (short titles from the GAP table of seed 000, full wording of
the regulation from seed 002, English by us). Everything in the actions module reads duties from
here only, so the fallback can be dropped in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


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

# code, short nb, short en, full nb, full en
_FALLBACK: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "6a",
        "Mål, oppgaver og organisering",
        "Goals, tasks and organisation",
        "ha oversikt over og beskrive virksomhetens mål, oppgaver, aktiviteter og organisering. "
        "Det skal klart fremgå hvordan ansvar, oppgaver og myndighet er fordelt og hvordan det "
        "skal arbeides systematisk for kvalitetsforbedring og pasient- og brukersikkerhet i "
        "virksomheten",
        "have an overview of and describe the organisation's goals, tasks, activities and "
        "organisation, showing clearly how responsibility, tasks and authority are allocated and "
        "how quality improvement and patient and user safety are worked on systematically",
    ),
    (
        "6b",
        "Innhente informasjon og kunnskap",
        "Gather information and knowledge",
        "innhente tilstrekkelig informasjon og kunnskap til å kunne planlegge og gjennomføre "
        "oppgavene",
        "gather sufficient information and knowledge to plan and carry out the tasks",
    ),
    (
        "6c",
        "Oversikt over regelverk og faglig normerende dokumenter",
        "Overview of regulations and professional guidance",
        "ha oversikt over relevant regelverk, retningslinjer og veiledere, og planlegge hvordan "
        "dette skal gjøres kjent i virksomheten",
        "have an overview of relevant regulations, guidelines and guidance, and plan how they are "
        "made known in the organisation",
    ),
    (
        "6d",
        "Oversikt over områder med risiko for svikt",
        "Overview of areas at risk of failure",
        "ha oversikt over områder i virksomheten hvor det er risiko for svikt eller mangel på "
        "etterlevelse av myndighetskrav og områder hvor det er behov for vesentlig forbedring av "
        "kvaliteten på tjenesten og pasient- og brukersikkerheten",
        "have an overview of areas at risk of failure or of not complying with statutory "
        "requirements, and of areas where quality and patient and user safety need substantial "
        "improvement",
    ),
    (
        "6e",
        "Planlegge hvordan risiko kan minimaliseres",
        "Plan how risk can be minimised",
        "planlegge hvordan risiko som beskrevet i § 6 d kan minimaliseres og særlig legge vekt på "
        "risikofaktorer forbundet med samhandling internt og eksternt",
        "plan how the risks described in § 6 d can be minimised, with particular weight on risks "
        "in internal and external cooperation",
    ),
    (
        "6f",
        "Oversikt over kompetanse og behov for opplæring",
        "Overview of competence and training needs",
        "ha oversikt over medarbeideres kompetanse og behov for opplæring",
        "have an overview of staff competence and training needs",
    ),
    (
        "6g",
        "Oversikt over avvik og forbedringsarbeid",
        "Overview of deviations and improvement work",
        "ha oversikt over avvik, herunder uønskede hendelser, evalueringer, klager, "
        "brukererfaringer, statistikk, informasjon og annet som sier noe om virksomheten "
        "overholder helse- og omsorgslovgivningen",
        "have an overview of deviations, including adverse events, evaluations, complaints, user "
        "experience, statistics and other information showing whether the organisation complies "
        "with health and care legislation",
    ),
    (
        "7a",
        "Gjøre kjent og gjennomføre oppgaver, organisering og planer",
        "Make tasks, organisation and plans known and carry them out",
        "sørge for at virksomhetens oppgaver, organisering og planer er kjent i virksomheten og "
        "gjennomføres",
        "ensure that the organisation's tasks, organisation and plans are known and carried out",
    ),
    (
        "7b",
        "Nødvendig kunnskap og kompetanse hos medarbeidere",
        "Necessary knowledge and competence of staff",
        "sørge for at medarbeidere i virksomheten har nødvendig kunnskap om og kompetanse i det "
        "aktuelle fagfeltet, relevant regelverk, retningslinjer, veiledere og styringssystemet",
        "ensure that staff have the necessary knowledge and competence in their field, the "
        "relevant regulations, guidelines, guidance and the management system",
    ),
    (
        "7c",
        "Tiltak for å avdekke, rette opp og forebygge svikt",
        "Measures to detect, correct and prevent failure",
        "utvikle og iverksette nødvendige prosedyrer, instrukser, rutiner eller andre tiltak for "
        "å avdekke, rette opp og forebygge overtredelse av helse- og omsorgslovgivningen",
        "develop and implement the procedures, instructions, routines or other measures needed to "
        "detect, correct and prevent breaches of health and care legislation",
    ),
    (
        "7d",
        "Medvirkning fra medarbeidere",
        "Staff involvement",
        "sørge for at virksomhetens medarbeidere medvirker slik at samlet kunnskap og erfaring "
        "utnyttes",
        "ensure that staff take part so that their combined knowledge and experience are used",
    ),
    (
        "7e",
        "Medvirkning fra pasienter, brukere og pårørende",
        "Involvement of patients, users and relatives",
        "sørge for å gjøre bruk av erfaringer fra pasienter, brukere og pårørende",
        "ensure that the experience of patients, users and relatives is used",
    ),
    (
        "8a",
        "Kontrollere at oppgaver og planer gjennomføres",
        "Check that tasks and plans are carried out",
        "kontrollere at virksomhetens oppgaver, tiltak, planer og mål gjennomføres",
        "check that the organisation's tasks, measures, plans and goals are carried out",
    ),
    (
        "8b",
        "Vurdere effekt av gjennomføring",
        "Assess the effect of implementation",
        "vurdere om gjennomføringen av oppgavene, tiltakene og planene er egnet til å etterleve "
        "krav i helse- og omsorgslovgivningen",
        "assess whether the way tasks, measures and plans are carried out meets the requirements "
        "of health and care legislation",
    ),
    (
        "8c",
        "Evaluere om iverksatte tiltak ivaretar krav",
        "Evaluate whether implemented measures meet requirements",
        "evaluere om iverksatte tiltak ivaretar kravene i helse- og omsorgslovgivningen",
        "evaluate whether implemented measures meet the requirements of health and care "
        "legislation",
    ),
    (
        "8d",
        "Bruk av erfaringer fra pasienter, brukere og pårørende",
        "Use of the experience of patients, users and relatives",
        "vurdere virksomheten på bakgrunn av pasienter, brukere og pårørendes erfaringer",
        "assess the organisation in the light of the experience of patients, users and relatives",
    ),
    (
        "8e",
        "Gjennomgå avvik og uønskede hendelser",
        "Review deviations and adverse events",
        "gjennomgå avvik, herunder uønskede hendelser, slik at lignende forhold kan forebygges",
        "review deviations, including adverse events, so that similar events can be prevented",
    ),
    (
        "8f",
        "Systematisk gjennomgang av styringssystemet",
        "Systematic review of the management system",
        "minst en gang årlig systematisk gjennomgå og vurdere hele styringssystemet opp mot "
        "tilgjengelig statistikk og informasjon om virksomheten",
        "at least once a year systematically review the whole management system against the "
        "statistics and information available about the organisation",
    ),
    (
        "9a",
        "Rette opp uforsvarlige og lovstridige forhold",
        "Correct unsound and unlawful conditions",
        "rette opp uforsvarlige og lovstridige forhold",
        "correct unsound and unlawful conditions",
    ),
    (
        "9b",
        "Korrigerende tiltak som bidrar til etterlevelse av lovgivningen",
        "Corrective measures that ensure compliance with legislation",
        "sørge for korrigerende tiltak som bidrar til at helse- og omsorgslovgivningen etterleves",
        "ensure corrective measures so that health and care legislation is complied with",
    ),
    (
        "9c",
        "Forbedre rutiner og prosedyrer",
        "Improve routines and procedures",
        "forbedre nødvendige prosedyrer, instrukser, rutiner eller andre tiltak for å avdekke, "
        "rette opp og forebygge overtredelse av helse- og omsorgslovgivningen",
        "improve the procedures, instructions, routines or other measures needed to detect, "
        "correct and prevent breaches of health and care legislation",
    ),
)


def _first(item: Any, *names: str) -> str:
    for name in names:
        value = item.get(name) if isinstance(item, dict) else getattr(item, name, None)
        if isinstance(value, dict):  # {"nb": ..., "en": ...}
            continue
        if value:
            return str(value)
    return ""


def _lang(item: Any, names: Iterable[str], lang: str) -> str:
    """``title_nb`` style attributes, or ``title: {nb, en}`` dictionaries."""
    for name in names:
        found = _first(item, f"{name}_{lang}")
        if found:
            return found
        value = item.get(name) if isinstance(item, dict) else getattr(item, name, None)
        if isinstance(value, dict) and value.get(lang):
            return str(value[lang])
    return ""


def _adapt(items: Iterable[Any]) -> tuple[DutyRef, ...]:
    """Turn the standards module's duty objects into :class:`DutyRef`s (shape-tolerant)."""
    refs = []
    for item in items:
        code = _first(item, "code").strip().lower().replace(" ", "")
        title_nb = _lang(item, ("title", "short", "label", "name"), "nb")
        title_en = _lang(item, ("title", "short", "label", "name"), "en")
        text_nb = _lang(item, ("text",), "nb") or title_nb
        text_en = _lang(item, ("text",), "en") or title_en
        if not code or not (title_nb or text_nb):
            raise ValueError("unexpected duty shape")
        refs.append(
            DutyRef(
                code,
                code[0],
                title_nb or text_nb,
                title_en or text_en or title_nb,
                text_nb,
                text_en or text_nb,
            )
        )
    if len(refs) != 21:
        raise ValueError("expected the 21 duties")
    return tuple(refs)


def _load() -> tuple[DutyRef, ...]:
    try:
        from kvip.standards.duties import DUTIES as upstream  # type: ignore[import-not-found]

        return _adapt(upstream.values() if isinstance(upstream, dict) else upstream)
    except (ImportError, ValueError, AttributeError, TypeError):
        return tuple(DutyRef(c, c[0], tnb, ten, fnb, fen) for c, tnb, ten, fnb, fen in _FALLBACK)


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

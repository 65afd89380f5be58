"""The 21 duties of §6–§9 of the regulation on management and quality improvement, and the six
quality dimensions of the national strategy, and the methods by which a reviewer checks a
standard.

The Norwegian text of each duty is the regulation's own wording (forskrift om ledelse og
kvalitetsforbedring i helse- og omsorgstjenesten, FOR-2016-10-28-1250); the English text is our
translation, not an official one. The dimensions are those of the national strategy for quality
improvement «…og bedre skal det bli» (2005).

Other modules import :data:`DUTIES`, :data:`DUTY_CODES`, :data:`SECTIONS`, :data:`DIMENSIONS`
and :data:`METHODS` (the one place where the methods' labels are written, in nb and en).
Objects carry ``*_nb`` / ``*_en`` attributes, so templates show them with ``|loc('text')``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Duty:
    """One lettered item of §6–§9, e.g. ``6d``."""

    code: str
    section: int
    text_nb: str
    text_en: str
    # Our short summary for tables and menus (the regulation has none).
    short_nb: str = ""
    short_en: str = ""

    @property
    def letter(self) -> str:
        return self.code[-1]

    @property
    def label(self) -> str:
        """``§ 6 d`` – how the regulation is cited."""
        return f"§ {self.section} {self.letter}"


@dataclass(frozen=True)
class Section:
    """One of the four duties: §6 plan, §7 do, §8 evaluate, §9 correct."""

    number: int
    key: str  # plan | do | evaluate | correct
    short_nb: str
    short_en: str
    title_nb: str
    title_en: str
    intro_nb: str
    intro_en: str
    duties: tuple[Duty, ...]

    @property
    def label(self) -> str:
        return f"§ {self.number}"


@dataclass(frozen=True)
class Dimension:
    """A quality dimension; ``label`` is short, ``text`` the strategy's own wording."""

    code: str
    label_nb: str
    label_en: str
    text_nb: str
    text_en: str


_DUTY_TEXT: list[tuple[str, str, str]] = [
    (
        "6a",
        "ha oversikt over og beskrive virksomhetens mål, oppgaver, aktiviteter og organisering. "
        "Det skal klart fremgå hvordan ansvar, oppgaver og myndighet er fordelt og hvordan det "
        "skal arbeides systematisk for kvalitetsforbedring og pasient- og brukersikkerhet i "
        "virksomheten",
        "have an overview of and describe the organisation's goals, tasks, activities and "
        "organisation. It must be clear how responsibility, tasks and authority are distributed "
        "and how the organisation is to work systematically on quality improvement and patient "
        "and user safety",
    ),
    (
        "6b",
        "innhente tilstrekkelig informasjon og kunnskap til å kunne planlegge og gjennomføre "
        "oppgavene",
        "obtain sufficient information and knowledge to be able to plan and carry out the tasks",
    ),
    (
        "6c",
        "ha oversikt over relevant regelverk, retningslinjer og veiledere, og planlegge hvordan "
        "dette skal gjøres kjent i virksomheten",
        "have an overview of relevant regulations, guidelines and guidance, and plan how these "
        "are to be made known in the organisation",
    ),
    (
        "6d",
        "ha oversikt over områder i virksomheten hvor det er risiko for svikt eller mangel på "
        "etterlevelse av myndighetskrav og områder hvor det er behov for vesentlig forbedring av "
        "kvaliteten på tjenesten og pasient- og brukersikkerheten",
        "have an overview of areas of the organisation where there is a risk of failure or of "
        "non-compliance with statutory requirements, and of areas where the quality of the "
        "service and patient and user safety need substantial improvement",
    ),
    (
        "6e",
        "planlegge hvordan risiko som beskrevet i § 6 d kan minimaliseres og særlig legge vekt på "
        "risikofaktorer forbundet med samhandling internt og eksternt",
        "plan how the risk described in § 6 d can be minimised, with particular emphasis on risk "
        "factors associated with cooperation internally and externally",
    ),
    (
        "6f",
        "ha oversikt over medarbeideres kompetanse og behov for opplæring",
        "have an overview of employees' competence and training needs",
    ),
    (
        "6g",
        "ha oversikt over avvik, herunder uønskede hendelser, evalueringer, klager, "
        "brukererfaringer, statistikk, informasjon og annet som sier noe om virksomheten "
        "overholder helse- og omsorgslovgivningen, inkludert om tjenestene er faglig forsvarlige "
        "og om virksomheten arbeider systematisk for kvalitetsforbedring og pasient- og "
        "brukersikkerhet.",
        "have an overview of deviations, including adverse events, evaluations, complaints, user "
        "experiences, statistics, information and anything else that shows whether the "
        "organisation complies with health and care legislation, including whether the services "
        "are professionally sound and whether the organisation works systematically on quality "
        "improvement and patient and user safety.",
    ),
    (
        "7a",
        "sørge for at virksomhetens oppgaver, organisering og planer er kjent i virksomheten og "
        "gjennomføres",
        "ensure that the organisation's tasks, organisation and plans are known in the "
        "organisation and are carried out",
    ),
    (
        "7b",
        "sørge for at medarbeidere i virksomheten har nødvendig kunnskap om og kompetanse i det "
        "aktuelle fagfeltet, relevant regelverk, retningslinjer, veiledere og styringssystemet",
        "ensure that the organisation's employees have the necessary knowledge of and competence "
        "in the field concerned, the relevant regulations, guidelines, guidance and the "
        "management system",
    ),
    (
        "7c",
        "utvikle og iverksette nødvendige prosedyrer, instrukser, rutiner eller andre tiltak for å "
        "avdekke, rette opp og forebygge overtredelse av helse- og omsorgslovgivningen, inkludert "
        "brudd på krav til faglig forsvarlighet og systematisk arbeid for kvalitetsforbedring og "
        "pasient- og brukersikkerhet",
        "develop and implement the procedures, instructions, routines or other measures needed to "
        "detect, correct and prevent breaches of health and care legislation, including breaches "
        "of the requirements of professional soundness and of systematic work on quality "
        "improvement and patient and user safety",
    ),
    (
        "7d",
        "sørge for at virksomhetens medarbeidere medvirker slik at samlet kunnskap og erfaring "
        "utnyttes",
        "ensure that the organisation's employees take part, so that their combined knowledge "
        "and experience is put to use",
    ),
    (
        "7e",
        "sørge for å gjøre bruk av erfaringer fra pasienter, brukere og pårørende.",
        "ensure that the experiences of patients, users and their families are put to use.",
    ),
    (
        "8a",
        "kontrollere at virksomhetens oppgaver, tiltak, planer og mål gjennomføres",
        "check that the organisation's tasks, measures, plans and goals are carried out",
    ),
    (
        "8b",
        "vurdere om gjennomføringen av oppgavene, tiltakene og planene er egnet til å etterleve "
        "krav i helse- og omsorgslovgivningen, inkludert krav til faglig forsvarlighet og "
        "systematisk arbeid for kvalitetsforbedring og pasient- og brukersikkerhet",
        "assess whether the way the tasks, measures and plans are carried out is suited to "
        "meeting the requirements of health and care legislation, including the requirements of "
        "professional soundness and of systematic work on quality improvement and patient and "
        "user safety",
    ),
    (
        "8c",
        "evaluere om iverksatte tiltak ivaretar kravene i helse- og omsorgslovgivningen",
        "evaluate whether the measures implemented meet the requirements of health and care "
        "legislation",
    ),
    (
        "8d",
        "vurdere virksomheten på bakgrunn av pasienter, brukere og pårørendes erfaringer",
        "assess the organisation in the light of the experiences of patients, users and their "
        "families",
    ),
    (
        "8e",
        "gjennomgå avvik, herunder uønskede hendelser, slik at lignende forhold kan forebygges",
        "review deviations, including adverse events, so that similar situations can be prevented",
    ),
    (
        "8f",
        "minst en gang årlig systematisk gjennomgå og vurdere hele styringssystemet opp mot "
        "tilgjengelig statistikk og informasjon om virksomheten for å sikre at det fungerer som "
        "forutsatt og bidrar til kontinuerlig forbedring av virksomheten.",
        "at least once a year, systematically review and assess the whole management system "
        "against the statistics and information available about the organisation, to make sure "
        "that it works as intended and contributes to continuous improvement of the "
        "organisation.",
    ),
    (
        "9a",
        "rette opp uforsvarlige og lovstridige forhold",
        "correct conditions that are unsound or unlawful",
    ),
    (
        "9b",
        "sørge for korrigerende tiltak som bidrar til at helse- og omsorgslovgivningen etterleves, "
        "inkludert faglig forsvarlige tjenester, og at systematisk arbeid for "
        "kvalitetsforbedring og pasient- og brukersikkerhet gjennomføres.",
        "ensure corrective measures that help make sure that health and care legislation is "
        "complied with, including professionally sound services, and that systematic work on "
        "quality improvement and patient and user safety is carried out.",
    ),
    (
        "9c",
        "forbedre nødvendige prosedyrer, instrukser, rutiner eller andre tiltak for å avdekke, "
        "rette opp og forebygge overtredelse av helse- og omsorgslovgivningen, inkludert krav til "
        "faglig forsvarlighet og systematisk arbeid for kvalitetsforbedring og pasient- og "
        "brukersikkerhet.",
        "improve the procedures, instructions, routines or other measures needed to detect, "
        "correct and prevent breaches of health and care legislation, including the requirements "
        "of professional soundness and of systematic work on quality improvement and patient and "
        "user safety.",
    ),
]

_DUTY_SHORT: dict[str, tuple[str, str]] = {
    "6a": ("Mål, oppgaver, ansvar og myndighet", "Goals, tasks, responsibility and authority"),
    "6b": ("Informasjon og kunnskap for å planlegge", "Information and knowledge to plan"),
    "6c": ("Regelverk, retningslinjer og veiledere", "Regulations, guidelines and guidance"),
    "6d": ("Oversikt over risikoområder", "Overview of areas of risk"),
    "6e": ("Planlegge hvordan risiko minimaliseres", "Plan how to minimise risk"),
    "6f": ("Kompetanse og opplæringsbehov", "Competence and training needs"),
    "6g": (
        "Oversikt over avvik, klager og erfaringer",
        "Overview of incidents, complaints, feedback",
    ),
    "7a": ("Oppgaver og planer er kjent og gjennomføres", "Tasks and plans known and carried out"),
    "7b": ("Medarbeidere har nødvendig kompetanse", "Staff have the competence needed"),
    "7c": ("Prosedyrer og rutiner som forebygger svikt", "Procedures that prevent failures"),
    "7d": ("Medarbeidere medvirker", "Staff take part"),
    "7e": ("Bruke erfaringer fra pasienter og pårørende", "Use patients' and families' experience"),
    "8a": ("Kontrollere at planer og tiltak gjennomføres", "Check that plans and measures happen"),
    "8b": ("Vurdere om gjennomføringen oppfyller kravene", "Assess whether practice meets the law"),
    "8c": ("Evaluere iverksatte tiltak", "Evaluate measures implemented"),
    "8d": (
        "Vurdere ut fra pasienters og pårørendes erfaringer",
        "Assess from patients' experience",
    ),
    "8e": ("Gjennomgå avvik for å forebygge", "Review incidents to prevent them"),
    "8f": ("Årlig gjennomgang av styringssystemet", "Yearly review of the management system"),
    "9a": (
        "Rette opp uforsvarlige og lovstridige forhold",
        "Correct unsound or unlawful conditions",
    ),
    "9b": ("Korrigerende tiltak", "Corrective measures"),
    "9c": ("Forbedre prosedyrer og rutiner", "Improve procedures and routines"),
}

DUTIES: list[Duty] = [
    Duty(
        code=code,
        section=int(code[0]),
        text_nb=nb,
        text_en=en,
        short_nb=_DUTY_SHORT[code][0],
        short_en=_DUTY_SHORT[code][1],
    )
    for code, nb, en in _DUTY_TEXT
]
DUTY_CODES: tuple[str, ...] = tuple(d.code for d in DUTIES)
DUTY_BY_CODE: dict[str, Duty] = {d.code: d for d in DUTIES}

_SECTION_TEXT = [
    (6, "plan", "Planlegge", "Plan", "planlegge", "plan"),
    (7, "do", "Gjennomføre", "Do", "gjennomføre", "carry out"),
    (8, "evaluate", "Evaluere", "Evaluate", "evaluere", "evaluate"),
    (9, "correct", "Korrigere", "Correct", "korrigere", "correct"),
]

SECTIONS: list[Section] = [
    Section(
        number=number,
        key=key,
        short_nb=short_nb,
        short_en=short_en,
        title_nb=f"Plikten til å {verb_nb}",
        title_en=f"The duty to {verb_en}",
        intro_nb=f"Plikten til å {verb_nb} virksomhetens aktiviteter innebærer følgende oppgaver:",
        intro_en=(
            f"The duty to {verb_en} the organisation's activities entails the following tasks:"
        ),
        duties=tuple(d for d in DUTIES if d.section == number),
    )
    for number, key, short_nb, short_en, verb_nb, verb_en in _SECTION_TEXT
]
SECTION_BY_NUMBER: dict[int, Section] = {s.number: s for s in SECTIONS}

DIMENSIONS: list[Dimension] = [
    Dimension(
        "effective",
        "Virkningsfulle",
        "Effective",
        "er virkningsfulle",
        "are effective",
    ),
    Dimension(
        "safe",
        "Trygge og sikre",
        "Safe",
        "er trygge og sikre",
        "are safe and secure",
    ),
    Dimension(
        "user_involvement",
        "Brukermedvirkning",
        "User involvement",
        "involverer brukere og gir dem innflytelse",
        "involve users and give them influence",
    ),
    Dimension(
        "coordinated",
        "Samordnet og kontinuitet",
        "Coordinated",
        "er samordnet og preget av kontinuitet",
        "are coordinated and marked by continuity",
    ),
    Dimension(
        "resources",
        "God ressursutnyttelse",
        "Good use of resources",
        "utnytter ressursene på en god måte",
        "make good use of resources",
    ),
    Dimension(
        "accessible",
        "Tilgjengelige og rettferdig fordelt",
        "Accessible and fair",
        "er tilgjengelige og rettferdig fordelt",
        "are accessible and fairly distributed",
    ),
]
DIMENSION_CODES: tuple[str, ...] = tuple(d.code for d in DIMENSIONS)
DIMENSION_BY_CODE: dict[str, Dimension] = {d.code: d for d in DIMENSIONS}


@dataclass(frozen=True)
class Method:
    """A source of evidence a reviewer uses to check a standard (the edition field ``methods``);
    ``label`` names it, ``text`` says what the reviewer does."""

    code: str
    label_nb: str
    label_en: str
    text_nb: str
    text_en: str


METHODS: list[Method] = [
    Method(
        "document",
        "Dokumentgjennomgang",
        "Document review",
        "leser prosedyrer, planer, logger og referater",
        "reads procedures, plans, logs and minutes",
    ),
    Method(
        "interview_staff",
        "Samtale med ansatte",
        "Interview with staff",
        "spør ansatte, også vikarer og nattevakter",
        "asks staff, including temporary and night staff",
    ),
    Method(
        "interview_young_person",
        "Samtale med ungdom",
        "Interview with young people",
        "snakker med pasientene",
        "talks with the young people",
    ),
    Method(
        "interview_parent",
        "Samtale med foreldre",
        "Interview with parents",
        "snakker med foreldre eller andre med foreldreansvar",
        "talks with parents or others with parental responsibility",
    ),
    Method(
        "observation",
        "Observasjon",
        "Observation",
        "ser selv på lokaler, utstyr og praksis",
        "looks at the premises, equipment and practice",
    ),
    Method(
        "record_audit",
        "Journalgjennomgang",
        "Record audit",
        "går gjennom et utvalg pasientjournaler",
        "audits a sample of patient records",
    ),
    Method(
        "questionnaire_young_person",
        "Spørreskjema til ungdom",
        "Young people's questionnaire",
        "bruker svarene fra pasientenes spørreskjema",
        "uses the answers to the young people's questionnaire",
    ),
    Method(
        "questionnaire_parent",
        "Spørreskjema til foreldre",
        "Parent questionnaire",
        "bruker svarene fra foreldrenes spørreskjema",
        "uses the answers to the parents' questionnaire",
    ),
    Method(
        "questionnaire_staff",
        "Spørreskjema til ansatte",
        "Staff questionnaire",
        "bruker svarene fra de ansattes spørreskjema",
        "uses the answers to the staff questionnaire",
    ),
]
METHOD_CODES: tuple[str, ...] = tuple(m.code for m in METHODS)
METHOD_BY_CODE: dict[str, Method] = {m.code: m for m in METHODS}

TYPES: tuple[int, ...] = (1, 2, 3)


def duty(code: str) -> Duty:
    """The duty with ``code`` (``KeyError`` if unknown)."""
    return DUTY_BY_CODE[code]


def dimension(code: str) -> Dimension:
    """The dimension with ``code`` (``KeyError`` if unknown)."""
    return DIMENSION_BY_CODE[code]


def method_labels(codes: list[str] | tuple[str, ...], lang: str) -> list[str]:
    """The labels of ``codes`` in ``lang`` (nb or en), in the vocabulary's order; unknown codes
    (never stored by the loader) are shown as they are."""
    order = {c: i for i, c in enumerate(METHOD_CODES)}
    out = []
    for code in sorted(codes, key=lambda c: order.get(c, len(order))):
        method = METHOD_BY_CODE.get(code)
        out.append(code if method is None else getattr(method, f"label_{lang}", method.label_nb))
    return out

"""The 21 duties of §6–§9 and the six quality dimensions that other modules import."""

from __future__ import annotations

from kvip.standards.duties import (
    DIMENSION_CODES,
    DIMENSIONS,
    DUTIES,
    DUTY_CODES,
    SECTIONS,
    dimension,
    duty,
)


def test_twenty_one_duties_in_the_regulations_order() -> None:
    assert (
        *(f"6{c}" for c in "abcdefg"),
        *(f"7{c}" for c in "abcde"),
        *(f"8{c}" for c in "abcdef"),
        *(f"9{c}" for c in "abc"),
    ) == DUTY_CODES
    assert [d.code for d in DUTIES] == list(DUTY_CODES)
    assert all(d.text_nb and d.text_en and d.short_nb and d.short_en for d in DUTIES)


def test_sections_group_the_duties_plan_do_evaluate_correct() -> None:
    assert [(s.number, s.key, len(s.duties)) for s in SECTIONS] == [
        (6, "plan", 7),
        (7, "do", 5),
        (8, "evaluate", 6),
        (9, "correct", 3),
    ]
    assert SECTIONS[0].title_nb == "Plikten til å planlegge"
    assert SECTIONS[3].intro_nb == (
        "Plikten til å korrigere virksomhetens aktiviteter innebærer følgende oppgaver:"
    )


def test_duty_text_is_the_regulations_own_wording() -> None:
    assert duty("6f").text_nb == "ha oversikt over medarbeideres kompetanse og behov for opplæring"
    assert duty("9a").text_nb == "rette opp uforsvarlige og lovstridige forhold"
    assert (
        duty("7e").text_nb
        == "sørge for å gjøre bruk av erfaringer fra pasienter, brukere og pårørende."
    )
    assert duty("8f").text_nb.startswith(
        "minst en gang årlig systematisk gjennomgå og vurdere hele"
    )
    assert "pasient- og brukersikkerhet" in duty("6a").text_nb
    assert duty("6d").label == "§ 6 d"


def test_six_dimensions_of_the_national_strategy() -> None:
    assert DIMENSION_CODES == (
        "effective",
        "safe",
        "user_involvement",
        "coordinated",
        "resources",
        "accessible",
    )
    assert dimension("safe").text_nb == "er trygge og sikre"
    assert dimension("user_involvement").text_nb == "involverer brukere og gir dem innflytelse"
    assert all(d.label_nb and d.label_en for d in DIMENSIONS)

"""GAP analysis: questionnaires are evidence for duties 7e (collected) and 8d (results, only
above the respondent threshold); staff questionnaires are not patients' or relatives' voices."""

from __future__ import annotations

import secrets

from kvip.actions.gap import gap_of
from kvip.surveys import services
from tests.factories import World


def _answer(world: World, n: int) -> None:
    collection = services.collection_for(world.assessment, "young_person")
    for _i in range(n):
        services.submit_response(
            collection, {"Y1": "agree", "Y2": "agree"}, secrets.token_urlsafe(18)
        )


def _voices(world: World) -> dict[str, list[str]]:
    return {r.duty.code: r.voices for r in gap_of(world.assessment).rows if r.voices}


def test_questionnaires_are_evidence_for_7e_and_8d(world: World) -> None:
    _answer(world, 4)
    assert _voices(world) == {
        "7e": ["Ungdom: 4 svar"],
        "8d": ["Ungdom: for få svar ennå"],
    }
    _answer(world, 1)
    # Y1 agree is positive (100 %), Y2 "I am bullied" agree is not (0 %): 50 % on average
    assert _voices(world)["8d"] == ["Ungdom: 50 % positive i snitt (2 spørsmål)"]


def test_no_collection_no_voices(world: World, app) -> None:  # type: ignore[no-untyped-def]
    from kvip.extensions import db
    from kvip.surveys.models import Collection

    db.session.query(Collection).delete()
    db.session.commit()
    assert _voices(world) == {}

"""Aggregates with the threshold; evidence beside the standards and in the visit screens;
the network setting never goes below 5."""

from __future__ import annotations

from typing import Any

import pytest

from kvip.core.errors import ServiceError
from kvip.core.evidence import evidence_for, sections_for
from kvip.extensions import db
from kvip.surveys import services
from kvip.surveys.results import question_result, results_for
from tests.factories import World


def test_question_result_counts_positive_without_wont_say() -> None:
    # 2 strongly agree, 1 agree, 1 disagree, 3 won't say
    assert question_result({4: 2, 3: 1, 2: 1, 0: 3}, "agree") == (4, 3, 75.0)
    # worded negatively: disagreeing is positive
    assert question_result({4: 1, 2: 2, 1: 1}, "disagree") == (4, 3, 75.0)
    assert question_result({0: 5}, "agree") == (0, 0, None)


def test_results_appear_only_from_five_respondents(world: World, answer: Any) -> None:
    answer(4, Y1="agree", Y2="strongly_disagree", Y3="Maten er god")
    (young,) = results_for(world.assessment, free_text=True)
    assert young.respondents == 4 and young.suppressed
    assert young.questions == [] and young.free_texts == []
    lines = evidence_for(world.assessment.id, ["1.1"])
    assert [(x.source, x.summary, x.muted) for x in lines["1.1"]] == [
        ("Young people", "too few answers yet (4 of at least 5)", True)
    ]
    answer(1, Y1="disagree", Y2="wont_say")
    (young,) = results_for(world.assessment, free_text=True)
    assert young.respondents == 5 and not young.suppressed
    y1, y2 = young.questions
    assert (y1.n, y1.positive_count, y1.positive_pct) == (5, 4, 80.0)
    assert y1.distribution == {
        "strongly_agree": 0,
        "agree": 4,
        "disagree": 1,
        "strongly_disagree": 0,
    }
    assert (y2.n, y2.positive_count, y2.wont_say) == (4, 4, 1)
    assert young.free_texts == ["Maten er god"] * 4
    lines = evidence_for(world.assessment.id, ["1.1", "1.2", "2.1"])
    assert [x.summary for x in lines["1.1"]] == ["4 of 5 agree"]
    assert [x.summary for x in lines["1.2"]] == ["4 of 4 disagree"]
    assert "2.1" not in lines  # the staff questionnaire is not collected
    (section,) = sections_for(world.assessment.id)
    assert section.title == "What young people, parents and staff told us"
    assert "at least 5" in section.note
    heading, status, rows = section.groups[0]
    assert status == "5 respondents" and rows[0] == ("I feel safe.", "4 of 5 agree (80%)")


def test_network_threshold_is_raised_but_never_below_five(world: World, answer: Any) -> None:
    coordinator = world.users["coordinator"]
    with pytest.raises(ServiceError):
        services.update_settings(
            coordinator, world.network, min_respondents=4, record_audit_sample=10
        )
    services.update_settings(coordinator, world.network, min_respondents=6, record_audit_sample=12)
    answer(5)
    (young,) = results_for(world.assessment)
    assert young.suppressed and young.threshold == 6
    answer(1)
    (young,) = results_for(world.assessment)
    assert not young.suppressed


def test_evidence_shows_on_the_self_assessment_and_the_visit_screens(
    world: World, answer: Any, login_as: Any
) -> None:
    answer(5, Y1="agree")
    page = login_as("member").get(f"/cycles/assessments/{world.assessment.id}")
    text = page.get_data(as_text=True)
    assert "Young people:</strong> 5 of 5 agree" in text
    reviewer = login_as("reviewer")
    overview = reviewer.get(f"/visits/{world.visit.id}").get_data(as_text=True)
    assert "What young people, parents and staff told us" in overview
    assert "5 of 5 agree (100%)" in overview
    mode = reviewer.get(f"/visits/{world.visit.id}/mode").get_data(as_text=True)
    assert "What young people, parents and staff told us" in mode
    consolidate = reviewer.get(f"/visits/{world.visit.id}/consolidate").get_data(as_text=True)
    assert "5 of 5 agree" in consolidate


def test_the_report_snapshot_keeps_the_section(world: World, answer: Any) -> None:
    from kvip.visits import reports

    answer(5, Y1="agree")
    content = reports.build_content(world.visit)
    assert content["voices"][0]["title"] == "What young people, parents and staff told us"
    db.session.rollback()


def test_the_visit_pack_carries_each_standards_evidence_lines(
    world: World, answer: Any, login_as: Any
) -> None:
    """Visit mode draws its per-standard cards from the pack (offline after "prepare"): the
    lines are in it, with the same threshold as the self-assessment's."""
    reviewer = login_as("reviewer")

    def standards() -> dict[str, Any]:
        pack = reviewer.get(f"/api/v1/visits/{world.visit.id}").get_json()
        return {s["code"]: s for d in pack["domains"] for s in d["standards"]}

    answer(4, Y1="agree", Y2="strongly_disagree")
    below = standards()
    assert below["1.1"]["evidence"] == [
        {
            "source": "Young people",
            "summary": "too few answers yet (4 of at least 5)",
            "detail": "",
            "muted": True,
        }
    ]
    assert below["2.1"]["evidence"] == []  # nothing mapped to it was collected
    answer(1, Y1="disagree", Y2="wont_say")
    above = standards()
    assert above["1.1"]["evidence"] == [
        {
            "source": "Young people",
            "summary": "4 of 5 agree",
            "detail": "I feel safe.",
            "muted": False,
        }
    ]
    assert [x["summary"] for x in above["1.2"]["evidence"]] == ["4 of 4 disagree"]
    # The same lines as beside the standard in the self-assessment.
    lines = evidence_for(world.assessment.id)
    for code, std in above.items():
        assert [x["summary"] for x in std["evidence"]] == [x.summary for x in lines.get(code, [])]

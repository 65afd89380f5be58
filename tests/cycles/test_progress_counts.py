"""One set of counts, one vocabulary: rated / carried over, not confirmed / not rated – the same
in the self-assessment's header, its filters, its summary and the cycle dashboard."""

from __future__ import annotations

import re

from kvip.cycles import queries
from kvip.cycles.models import Rating
from kvip.cycles.progress import Progress, progress_counts, progress_of_rows
from kvip.extensions import db
from tests.factories import World, standards_of


def test_progress_counts_are_disjoint_and_add_up() -> None:
    # 2 fresh values, 1 carried with a value, 1 carried without one, 1 row without a value.
    tally = {(True, False): 2, (True, True): 1, (False, True): 1, (False, False): 1}
    p = progress_counts(tally, total=8)
    assert p == Progress(rated=2, carried_over=2, not_rated=4, total=8)
    assert p.rated + p.carried_over + p.not_rated == p.total
    assert p.completeness == 25.0
    assert p.open == 6


def test_progress_of_rows_and_empty_set() -> None:
    rows = [("met", False), ("not_applicable", False), ("met", True), (None, False)]
    assert progress_of_rows(rows) == Progress(rated=2, carried_over=1, not_rated=1, total=4)
    assert progress_of_rows([]).completeness is None


def _carry_two(world: World) -> None:
    stds = standards_of(world.edition)  # 6 standards; the first is rated "met"
    for s, value in ((stds[1], "met"), (stds[2], "partly_met")):
        db.session.add(
            Rating(
                assessment_id=world.assessment.id,
                standard_id=s.id,
                value=value,
                carried_over=True,
            )
        )
    db.session.commit()


def test_one_function_feeds_page_data_and_dashboard(world: World) -> None:
    _carry_two(world)
    data = queries.load_assessment(world.assessment)
    expected = Progress(rated=1, carried_over=2, not_rated=3, total=6)
    assert data.counts == expected
    assert sum((d.counts for d in data.domains), Progress()) == expected
    assert sum(data.type_counts.values(), Progress()) == expected
    assert queries.counts_of([world.assessment])[world.assessment.id] == expected


def test_header_filters_and_summary_say_the_same(world: World, login_as) -> None:  # type: ignore[no-untyped-def]
    _carry_two(world)
    client = login_as("lead")
    page = client.get(f"/cycles/assessments/{world.assessment.id}").get_data(as_text=True)
    # Header: 1 of 6 rated, 2 carried over not confirmed, 3 not rated – never "Not rated (0)".
    assert re.search(r'id="sa-count">1</strong> av 6 vurdert', page)
    assert 'id="sa-carried">2<' in page
    assert 'id="sa-unrated">3<' in page
    assert re.search(r'Ikke vurdert <span class="n" data-filter-count="unrated">\(3\)', page)
    assert re.search(
        r'Overført, ikke bekreftet <span class="n" data-filter-count="carried">\(2\)', page
    )
    assert 'Fullført <span id="sa-pct">17</span> %' in page
    summary = client.get(f"/cycles/assessments/{world.assessment.id}/summary").get_data(
        as_text=True
    )
    assert re.search(r"<strong>1</strong> av 6 vurdert", summary)
    assert re.search(r"<strong>2</strong> overført, ikke bekreftet", summary)
    assert re.search(r"<strong>3</strong> ikke vurdert", summary)
    # The three percentages are labelled so they are not confused.
    assert re.search(r"Fullført <strong>17\xa0%</strong>", summary)
    assert re.search(r"Skår <strong>83</strong>", summary)  # (2 met + ½ partly) / 3
    assert re.search(r"Oppfylt <strong>67\xa0%</strong>", summary)

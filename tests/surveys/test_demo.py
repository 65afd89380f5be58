"""The demo network has questionnaire answers in both cycles, one instrument below the
threshold, and the visited unit's answers reach the demo reviewer's visit pack."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kvip.core.evidence import sections_for
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.surveys.models import Collection
from kvip.surveys.results import results_for


def test_demo_has_answers_above_and_below_the_threshold(demo: Any) -> None:
    assessments = db.session.scalars(
        sa.select(Assessment).where(
            Assessment.id.in_(sa.select(Collection.assessment_id).distinct())
        )
    ).all()
    assert len(assessments) == 4  # demo unit and visited unit, previous and current cycle
    suppressed = {(a.id, r.code): r.suppressed for a in assessments for r in results_for(a)}
    assert list(suppressed.values()).count(True) == 1
    assert sum(1 for v in suppressed.values() if not v) == 11
    visited = max(
        (a for a in assessments if a.unit_id != assessments[0].unit_id), key=lambda a: a.id
    )
    (section,) = sections_for(visited.id)
    assert all(rows for _h, _s, rows in section.groups)

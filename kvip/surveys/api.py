"""The surveys' part of the JSON API (DESIGN §8): an assessment's questionnaire aggregates.

Same permissions as the assessment. A suppressed instrument (fewer respondents than the
network's threshold, never below 5) carries its count and no per-question numbers; free text
is never in the API.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from kvip.api import bp
from kvip.api.spec import COUNT, PERCENT, STRING, array, enum, nullable, obj, operation, path_id
from kvip.core.errors import NotFound
from kvip.core.permissions import require
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.surveys.instruments import INSTRUMENT_CODES
from kvip.surveys.results import AGREE_WORDS, results_for


@bp.get("/assessments/<int:assessment_id>/questionnaires")
def assessment_questionnaires(assessment_id: int) -> Any:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(_("No such self-assessment."))
    require(current_user, "surveys.results", assessment)
    instruments = []
    for r in results_for(assessment):
        instruments.append(
            {
                "code": r.code,
                "respondents": r.respondents,
                "threshold": r.threshold,
                "suppressed": r.suppressed,
                "questions": [
                    {
                        "code": q.code,
                        "standards": q.standards,
                        "n": q.n,
                        "positive_pct": q.positive_pct,
                        "distribution": q.distribution,
                        "wont_say": q.wont_say,
                    }
                    for q in r.questions
                ],
            }
        )
    return jsonify({"instruments": instruments})


_QUESTION = obj(
    {
        "code": STRING,
        "standards": array(STRING, description="Codes of the standards it evidences"),
        "n": {**COUNT, "description": "Answering on the scale (“won't say” not counted)"},
        "positive_pct": nullable(PERCENT),
        "distribution": obj({w: COUNT for w in AGREE_WORDS}),
        "wont_say": COUNT,
    }
)
operation(
    "/assessments/{id}/questionnaires",
    "get",
    summary="Questionnaire results of a self-assessment (aggregates only)",
    description=(
        "Per instrument its respondents; an instrument with fewer respondents than the "
        "threshold (the network's setting, never below 5) is suppressed and has no questions. "
        "No answer of one respondent and no free text is ever returned."
    ),
    tags=["surveys"],
    parameters=[path_id()],
    response=obj(
        {
            "instruments": array(
                obj(
                    {
                        "code": enum(INSTRUMENT_CODES),
                        "respondents": COUNT,
                        "threshold": {**COUNT, "minimum": 5},
                        "suppressed": {"type": "boolean"},
                        "questions": array(_QUESTION),
                    }
                )
            )
        }
    ),
    response_description="The instruments collected for the assessment",
    errors={403: "Not the caller's to read", 404: "No such assessment"},
)

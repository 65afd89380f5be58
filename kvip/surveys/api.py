"""The surveys' part of the JSON API (DESIGN §8): an assessment's questionnaire aggregates
and its record-audit counts.

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
from kvip.surveys import record_audit
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


# --- record audits: counts per criterion and source (no record's answers) ---


@bp.get("/assessments/<int:assessment_id>/record-audits")
def assessment_record_audits(assessment_id: int) -> Any:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(_("No such self-assessment."))
    require(current_user, "surveys.results", assessment)
    audits = [
        {
            "source": r.source,
            "sample": r.sample,
            "records": r.records,
            "criteria": [
                {
                    "code": c.code,
                    "standards": c.standards,
                    "audited": c.audited,
                    "yes": c.yes,
                    "no": c.no,
                    "not_applicable": c.not_applicable,
                }
                for c in r.criteria
            ],
        }
        for r in record_audit.results_for(assessment, "en")
    ]
    return jsonify(
        {"sample": record_audit.sample_size(assessment.cycle.network_id), "audits": audits}
    )


operation(
    "/assessments/{id}/record-audits",
    "get",
    summary="Record audits of a self-assessment (counts per criterion)",
    description=(
        "Per source (the unit before the visit, the visit team during it) the records audited "
        "of the network's sample and, per criterion, how many records answered yes, no and "
        "not applicable. Records are numbered only; no patient is identified."
    ),
    tags=["surveys"],
    parameters=[path_id()],
    response=obj(
        {
            "sample": {**COUNT, "minimum": 1, "description": "The network's sample size"},
            "audits": array(
                obj(
                    {
                        "source": enum(record_audit.SOURCES),
                        "sample": COUNT,
                        "records": {**COUNT, "description": "Records with any answer"},
                        "criteria": array(
                            obj(
                                {
                                    "code": STRING,
                                    "standards": array(STRING),
                                    "audited": COUNT,
                                    "yes": COUNT,
                                    "no": COUNT,
                                    "not_applicable": COUNT,
                                }
                            )
                        ),
                    }
                )
            ),
        }
    ),
    response_description="The record audits of the assessment",
    errors={403: "Not the caller's to read", 404: "No such assessment"},
)

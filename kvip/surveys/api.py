"""The surveys' part of the JSON API (DESIGN §8): an assessment's questionnaire aggregates and
its record-audit counts (no record's answers).

Same permissions as the assessment. A suppressed instrument (fewer respondents than the
network's threshold, never below 5) carries its count and no per-question numbers; free text
is never in the API.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import fields, validate

from kvip.core.api import Count, OneOf, OutSchema, Percent, bp, errors
from kvip.core.errors import NotFound
from kvip.core.permissions import require
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.surveys import record_audit
from kvip.surveys.instruments import INSTRUMENT_CODES
from kvip.surveys.results import results_for


class DistributionSchema(OutSchema):
    strongly_agree = Count()
    agree = Count()
    disagree = Count()
    strongly_disagree = Count()


class QuestionResultSchema(OutSchema):
    code = fields.String()
    standards = fields.List(
        fields.String(), metadata={"description": "Codes of the standards it evidences"}
    )
    n = Count(metadata={"description": "Answering on the scale (“won't say” not counted)"})
    positive_pct = Percent()
    distribution = fields.Nested(DistributionSchema)
    wont_say = Count()


class InstrumentResultSchema(OutSchema):
    code = OneOf(INSTRUMENT_CODES)
    respondents = Count()
    threshold = Count(metadata={"description": "The network's threshold (never below 5)"})
    suppressed = fields.Boolean()
    questions = fields.List(
        fields.Nested(QuestionResultSchema),
        metadata={"description": "Empty when suppressed"},
    )


class QuestionnairesSchema(OutSchema):
    instruments = fields.List(fields.Nested(InstrumentResultSchema))


class CriterionCountsSchema(OutSchema):
    code = fields.String()
    standards = fields.List(fields.String(), metadata={"description": "Standards it evidences"})
    audited = Count(metadata={"description": "Records in which it was checked"})
    yes = Count()
    no = Count()
    not_applicable = Count()


class RecordAuditSchema(OutSchema):
    source = OneOf(record_audit.SOURCES, metadata={"description": "unit: before the visit"})
    sample = Count()
    records = Count(metadata={"description": "Records with any answer"})
    criteria = fields.List(fields.Nested(CriterionCountsSchema))


class RecordAuditsSchema(OutSchema):
    sample = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "The network's sample size"}
    )
    audits = fields.List(fields.Nested(RecordAuditSchema))


@bp.get("/assessments/<int:assessment_id>/questionnaires")
@bp.response(200, QuestionnairesSchema, description="The instruments collected for the assessment")
@errors({403: "Not the caller's to read", 404: "No such assessment"})
def assessment_questionnaires(assessment_id: int) -> Any:
    """Questionnaire results of a self-assessment (aggregates only; no answer of one
    respondent and no free text, ever)"""
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(_("No such self-assessment."))
    require(current_user, "surveys.results", assessment)
    return {
        "instruments": [
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
            for r in results_for(assessment)
        ]
    }


@bp.get("/assessments/<int:assessment_id>/record-audits")
@bp.response(200, RecordAuditsSchema, description="The record audits of the assessment")
@errors({403: "Not the caller's to read", 404: "No such assessment"})
def assessment_record_audits(assessment_id: int) -> Any:
    """Record audits of a self-assessment (counts per criterion)

    Per source (the unit before the visit, the visit team during it) the records audited of
    the network's sample and, per criterion, how many records answered yes, no and not
    applicable. Records are numbered only; no patient is identified."""
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(_("No such self-assessment."))
    require(current_user, "surveys.results", assessment)
    return {
        "sample": record_audit.sample_size(assessment.cycle.network_id),
        "audits": [
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
        ],
    }

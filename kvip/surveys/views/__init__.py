"""Survey pages: the unit's collection page (staff), the public questionnaire reached with a
single-use code, and kiosk mode for the unit's tablet."""

from flask import Blueprint

from kvip.core import evidence
from kvip.surveys import record_audit, results

bp = Blueprint("surveys", __name__, url_prefix="/surveys")


# The self-assessment and the visit screens show questionnaire evidence through core.
def _questionnaires_link(assessment_id: int) -> tuple[str, str] | None:
    from flask import url_for
    from flask_babel import gettext as _

    return _("Questionnaires"), url_for("surveys.assessment", assessment_id=assessment_id)


evidence.register(
    standards=results.evidence_lines, sections=results.evidence_sections, link=_questionnaires_link
)
evidence.register(standards=record_audit.evidence_lines, sections=record_audit.evidence_sections)

from kvip.surveys.views import export, kiosk, manage, records, respond  # noqa: E402,F401

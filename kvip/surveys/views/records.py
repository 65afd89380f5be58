"""Record-audit pages: the unit's audit before the visit and the visit team's during it.

The visit team's page works offline like visit mode: it is stored on the tablet through the
app's service worker, and answers saved without a network wait in an outbox on the tablet
(``static/js/surveys-records.js``) until they are sent, once, when it is online again.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kvip.core import evidence
from kvip.core.assets import static_url
from kvip.core.errors import ServiceError
from kvip.core.permissions import can, require
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.surveys import record_audit
from kvip.surveys.results import lang
from kvip.surveys.views import bp
from kvip.surveys.views.common import assessment_or_404, body_too_large
from kvip.visits.models import Visit
from kvip.visits.offline import offline_bundle

VALUE_CHOICES = ("yes", "no", "not_applicable")


def _entries_from_form(criteria: list[str], sample: int) -> list[dict[str, Any]]:
    """Every select of the grid (an empty one clears the answer)."""
    out = []
    for code in criteria:
        for n in range(1, sample + 1):
            name = f"r-{code}-{n}"
            if name in request.form:
                out.append({"criterion": code, "record": n, "value": request.form[name]})
    return out


def _render(assessment: Any, visit: Visit | None, *, status: int = 200, error: str = "") -> Any:
    source = "visit" if visit is not None else "unit"
    instrument = record_audit.instrument_of(assessment.cycle.edition_id)
    sample = record_audit.sample_size(assessment.cycle.network_id)
    saved = record_audit.entries_of(assessment.id, source)
    if visit is not None:
        action = url_for("surveys.visit_records", visit_id=visit.id)
        offline = offline_bundle()
        assets = [static_url("js/surveys-records.js"), static_url("css/surveys.css")]
        config: dict[str, Any] | None = {
            "swUrl": url_for("visits.service_worker"),
            "scope": url_for("core.home"),
            "pagesCache": offline["pagesCache"],
            "assetsCache": offline["assetsCache"],
            "assets": offline["assets"] + assets,
            "pageUrl": action,
        }
    else:
        action = url_for("surveys.unit_records", assessment_id=assessment.id)
        config = None
    return render_template(
        "surveys/records.html",
        assessment=assessment,
        unit=db.session.get(Unit, assessment.unit_id),
        visit=visit,
        instrument=instrument,
        sample=sample,
        saved=saved,
        results=record_audit.results_for(assessment, lang()),
        action=action,
        offline_config=config,
        error=error,
        lang_code=lang(),
        choices=VALUE_CHOICES,
    ), status


def _save(assessment: Any, visit: Visit | None) -> Any:
    instrument = record_audit.instrument_of(assessment.cycle.edition_id)
    sample = record_audit.sample_size(assessment.cycle.network_id)
    criteria = [q.code for q in instrument.questions] if instrument else []
    if body_too_large():
        message = _("Too much data in one go.")
        if request.is_json:
            return jsonify({"error": {"code": "too_large", "message": message}}), 413
        return _render(assessment, visit, status=413, error=message)
    if request.is_json:
        body = request.get_json(silent=True)
        entries = body.get("entries") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            message = _("Each answer needs a criterion, a record and a value.")
            return jsonify({"error": {"code": "invalid", "message": message}}), 422
        try:
            changed = record_audit.save(current_user, assessment, entries, visit=visit)
        except ServiceError as exc:
            db.session.rollback()
            return jsonify({"error": {"code": exc.code, "message": exc.message}}), exc.status
        return jsonify({"saved": True, "changed": changed})
    try:
        record_audit.save(
            current_user, assessment, _entries_from_form(criteria, sample), visit=visit
        )
    except ServiceError as exc:
        db.session.rollback()
        return _render(assessment, visit, status=exc.status, error=exc.message)
    flash(_("The record audit is saved."), "success")
    return redirect(request.path)


@bp.route("/assessments/<int:assessment_id>/records", methods=["GET", "POST"])
@login_required
def unit_records(assessment_id: int) -> Any:
    """The unit's record audit before the visit."""
    assessment = assessment_or_404(assessment_id, "surveys.record_audit")
    if request.method == "POST":
        return _save(assessment, None)
    return _render(assessment, None)


@bp.route("/visits/<int:visit_id>/records", methods=["GET", "POST"])
@login_required
def visit_records(visit_id: int) -> Any:
    """The visit team's record audit (works offline on the team's tablet)."""
    visit = db.get_or_404(Visit, visit_id)
    require(current_user, "visit.record", visit)
    if request.method == "POST":
        return _save(visit.assessment, visit)
    return _render(visit.assessment, visit)


def record_audit_link(assessment_id: int) -> tuple[str, str] | None:
    """The self-assessment and the visit screens link to the record audit of whoever looks:
    the unit's staff to the unit's audit, a visit team member to the team's."""
    if not current_user.is_authenticated:
        return None
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None or record_audit.instrument_of(assessment.cycle.edition_id) is None:
        return None
    if can(current_user, "surveys.record_audit", assessment):
        return _("Record audit"), url_for("surveys.unit_records", assessment_id=assessment_id)
    for visit in db.session.scalars(sa.select(Visit).where(Visit.assessment_id == assessment_id)):
        if can(current_user, "visit.record", visit):
            return _("Record audit"), url_for("surveys.visit_records", visit_id=visit.id)
    return None


evidence.register(link=record_audit_link)

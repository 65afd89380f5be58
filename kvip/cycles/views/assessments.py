"""The self-assessment screens: rating page, summary, change history, confirm, submit, reopen
and the Excel round trip. Routes live on the cycles blueprint; writes go through services."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kvip.accounts.models import User
from kvip.core import audit, dates, downloads
from kvip.core.errors import ServiceError
from kvip.core.i18n import lang
from kvip.core.models import AuditEvent
from kvip.core.permissions import can
from kvip.core.web import call_and_redirect, load_or_404
from kvip.cycles import charts, excel, queries, services
from kvip.cycles.forms import ApplyForm, ConfirmRatingForm, ReopenForm, StartForm, UploadForm
from kvip.cycles.models import Assessment, AssessmentState, CycleState, Rating
from kvip.cycles.views import bp
from kvip.cycles.vocabulary import (
    EVIDENCE_KINDS,
    RATING_VALUES,
    assessment_state_labels,
    evidence_kind_labels,
    field_labels,
    rating_labels,
)
from kvip.extensions import db
from kvip.network import overrides
from kvip.network.forms import OverrideForm
from kvip.standards.labels import type_labels as standard_type_labels
from kvip.standards.models import Standard


def _editable(assessment: Assessment) -> bool:
    return (
        assessment.cycle.state == CycleState.open.value
        and assessment.state != AssessmentState.submitted.value
        and can(current_user, "assessment.edit", assessment)
        and services.window_problem(assessment) is None
    )


def _last_reopen(assessment: Assessment) -> AuditEvent | None:
    return db.session.scalar(
        sa.select(AuditEvent)
        .where(
            AuditEvent.entity == "assessment",
            AuditEvent.entity_id == assessment.id,
            AuditEvent.action == "reopen",
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )


def _user_names(ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(wanted))).all())


def _client_strings() -> dict[str, str]:
    """The texts the autosave script shows, in the user's language."""
    return {
        "saving": _("Saving…"),
        "saved": _("Saved"),
        "queued": _("Not sent yet – will retry"),
        "offline": _(
            "Offline – your changes are kept on this device and sent when the connection is back."
        ),
        "failed": _("Not saved"),
        "conflict": _("Someone else changed this"),
        "locked": _("The self-assessment is locked; this change was not saved."),
        "all_saved": _("All changes saved."),
        "pending": _("%(n)s changes waiting to be sent."),
        "restored": _("Restored %(n)s unsent changes from this device."),
        "theirs": _("Their version"),
        "yours": _("Your version"),
        "keep_mine": _("Keep mine"),
        "take_theirs": _("Take theirs"),
        "conflict_title": _("Someone else saved this standard while you were editing it"),
        "conflict_by": _("Saved by %(name)s"),
        "rating": _("Rating"),
        "comment": _("Comment"),
        "evidence": _("Evidence"),
        "links": _("Links"),
        "kinds": _("Kinds of evidence"),
        "none": _("(none)"),
        "unrated": _("Not rated"),
        "confirmed": _("Confirmed"),
        "no_match": _("No standards in this domain match the filter."),
        "history_failed": _("The change history could not be loaded."),
        "loading": _("Loading…"),
        "open_unrated": _("Not rated yet: %(n)s"),
        "open_carried": _("Carried over, not confirmed yet: %(n)s"),
    }


@bp.get("/assessments/<int:assessment_id>")
@login_required
def assessment(assessment_id: int) -> Any:
    """The self-assessment: every standard of the edition, rated with autosave."""
    a = load_or_404(Assessment, assessment_id, "assessment.read")
    data = queries.load_assessment(a)
    editable = _editable(a)
    names = _user_names({a.submitted_by_id})
    window_problem = services.window_problem(a)
    return render_template(
        "cycles/assessment.html",
        a=a,
        data=data,
        editable=editable,
        window_problem=window_problem,
        window_before=bool(
            a.cycle.self_assessment_opens and dates.today() < a.cycle.self_assessment_opens
        ),
        window_override=overrides.override_of("assessment_window", a.id),
        can_override=(
            window_problem is not None
            and a.cycle.state == CycleState.open.value
            and a.state != AssessmentState.submitted.value
            and overrides.may_override(current_user, a.cycle.network_id)
        ),
        can_submit=can(current_user, "assessment.submit", a),
        can_reopen=(
            a.state == AssessmentState.submitted.value
            and a.cycle.state == CycleState.open.value
            and can(current_user, "assessment.reopen", a)
        ),
        reopen_form=ReopenForm(),
        back_url=(
            url_for("cycles.detail", cycle_id=a.cycle_id)
            if can(current_user, "network.manage", a.cycle.network_id)
            else None
        ),
        last_reopen=_last_reopen(a) if a.state == AssessmentState.in_progress.value else None,
        names=names,
        language=lang(),
        labels=rating_labels(),
        values=RATING_VALUES,
        kinds=EVIDENCE_KINDS,
        kind_labels=evidence_kind_labels(),
        type_labels=standard_type_labels(),
        state_labels=assessment_state_labels(),
        client={
            "assessmentId": a.id,
            "api": url_for("api.put_rating", assessment_id=a.id, code="__code__"),
            "editable": editable,
            "hasPrevious": data.previous_assessment_id is not None,
            "labels": rating_labels(),
            "kindLabels": evidence_kind_labels(),
            "strings": _client_strings(),
        },
    )


@bp.get("/assessments/<int:assessment_id>/summary")
@login_required
def summary(assessment_id: int) -> Any:
    """Scores per domain and type (table and chart), completeness, carried-over count."""
    a = load_or_404(Assessment, assessment_id, "assessment.read")
    data = queries.load_assessment(a)
    previous = queries.previous_domain_scores(data.previous_assessment_id)
    language = lang()
    bars = [
        charts.Bar(
            label=f"{d.code} {d.title_en if language == 'en' else d.title_nb}",
            score=d.summary.score if d.summary else None,
            previous=previous[d.code].score if d.code in previous else None,
        )
        for d in data.domains
    ]
    figure = charts.scores_figure(
        bars,
        title=_("Score per domain"),
        current_name=a.cycle.name,
        previous_name=_("Last cycle") if previous else None,
        axis_title=_("Score (0–100)"),
    )
    return render_template(
        "cycles/summary.html",
        a=a,
        data=data,
        previous=previous,
        figure=figure,
        language=language,
        labels=rating_labels(),
        type_labels=standard_type_labels(),
        state_labels=assessment_state_labels(),
        names=_user_names({a.submitted_by_id}),
    )


@bp.get("/assessments/<int:assessment_id>/standards/<code>/history")
@login_required
def rating_history(assessment_id: int, code: str) -> Any:
    """The change history of one standard's rating (a fragment for the page, or a page)."""
    a = load_or_404(Assessment, assessment_id, "assessment.read")
    standard = services.standard_for(a, code)
    rating_id = db.session.scalar(
        sa.select(Rating.id).where(Rating.assessment_id == a.id, Rating.standard_id == standard.id)
    )
    events = audit.history("rating", rating_id, limit=100) if rating_id else []
    template = "cycles/_history.html" if request.args.get("fragment") else "cycles/history.html"
    return render_template(
        template,
        a=a,
        standard=standard,
        events=events,
        labels=rating_labels(),
        kind_labels=evidence_kind_labels(),
        field_labels=field_labels(),
    )


def _page(a: Assessment, anchor: str = "") -> str:
    return url_for("cycles.assessment", assessment_id=a.id) + anchor


def _back(a: Assessment, anchor: str = "") -> Any:
    return redirect(_page(a, anchor))


def _anchor(code: str) -> str:
    return "#s-" + re.sub(r"[^0-9A-Za-z]", "-", code)


@bp.post("/assessments/<int:assessment_id>/standards/<code>/confirm")
@login_required
def confirm_rating(assessment_id: int, code: str) -> Any:
    """Confirm one carried-over rating as still true (the page does this by autosave)."""
    a = load_or_404(Assessment, assessment_id, "assessment.edit")
    form = ConfirmRatingForm()
    if not form.validate():
        abort(400)
    version = form.version.data
    return call_and_redirect(
        lambda: services.save_rating(current_user, a, code, {"version": version, "confirm": True}),
        success=_("Rating %(code)s confirmed.", code=code),
        to=_page(a, _anchor(code)),
    )


@bp.post("/assessments/<int:assessment_id>/domains/<domain_code>/confirm")
@login_required
def confirm_domain(assessment_id: int, domain_code: str) -> Any:
    """Confirm every carried-over rating of a domain."""
    a = load_or_404(Assessment, assessment_id, "assessment.edit")
    return call_and_redirect(
        lambda: services.confirm_domain(current_user, a, domain_code),
        success=lambda n: _("%(num)d ratings confirmed.", num=n),
        to=_page(a, f"#d-{domain_code}"),
    )


@bp.post("/assessments/<int:assessment_id>/start")
@login_required
def choose_start(assessment_id: int) -> Any:
    """The unit lead chooses, before starting, from last year's answers or blank."""
    a = load_or_404(Assessment, assessment_id, "assessment.submit")
    form = StartForm()
    if not form.validate_on_submit():
        flash(_("Choose how to start the self-assessment."), "error")
        return _back(a)
    return call_and_redirect(
        lambda: services.choose_start(current_user, a, form.start.data or ""),
        success=lambda n: (
            _("The self-assessment starts blank.")
            if form.start.data == "blank"
            else _(
                "%(num)d answers from last year are carried over. Confirm or change each one.",
                num=n,
            )
        ),
        to=_page(a),
    )


@bp.post("/assessments/<int:assessment_id>/submit")
@login_required
def submit(assessment_id: int) -> Any:
    a = load_or_404(Assessment, assessment_id, "assessment.submit")
    return call_and_redirect(
        lambda: services.submit_assessment(current_user, a),
        success=_("The self-assessment is submitted. Thank you!"),
        to=url_for("cycles.summary", assessment_id=a.id),
        failure_to=_page(a, "#submit"),
    )


@bp.post("/assessments/<int:assessment_id>/reopen")
@login_required
def reopen(assessment_id: int) -> Any:
    a = load_or_404(Assessment, assessment_id, "assessment.reopen")
    form = ReopenForm()
    return call_and_redirect(
        lambda: services.reopen_assessment(current_user, a, form.reason.data or ""),
        success=_("The self-assessment is reopened; the unit can edit it again."),
        to=_page(a),
    )


@bp.post("/assessments/<int:assessment_id>/window-override")
@login_required
def window_override(assessment_id: int) -> Any:
    """A coordinator lets this unit rate and submit outside the window, with a reason."""
    a = load_or_404(Assessment, assessment_id, "assessment.read")
    return call_and_redirect(
        lambda: overrides.grant_override(
            current_user,
            rule="assessment_window",
            entity_id=a.id,
            network_id=a.cycle.network_id,
            unit_id=a.unit_id,
            reason=OverrideForm().reason.data,
        ),
        success=_("The unit can now rate and submit outside the window."),
        to=_page(a),
    )


# --- Excel round trip ---------------------------------------------------------------------------


def _filename(a: Assessment) -> str:
    prefix = "self-assessment" if lang() == "en" else "egenvurdering"
    return f"{prefix}-{downloads.slug(a.unit.name, 'unit')}-{a.cycle.year}.xlsx"


@bp.get("/assessments/<int:assessment_id>/export.xlsx")
@login_required
def export(assessment_id: int) -> Any:
    """The self-assessment as a spreadsheet to fill in offline."""
    a = load_or_404(Assessment, assessment_id, "assessment.read")
    data = queries.load_assessment(a, with_previous=False)
    content = excel.export_workbook(data, lang=lang(), title=f"{a.unit.name} · {a.cycle.name}")
    return send_file(
        io.BytesIO(content),
        mimetype=excel.XLSX_MIME,
        as_attachment=True,
        download_name=_filename(a),
    )


@bp.route("/assessments/<int:assessment_id>/import", methods=["GET", "POST"])
@login_required
def upload(assessment_id: int) -> Any:
    """Upload a filled-in spreadsheet: a preview of changes, errors per row, conflicts."""
    a = load_or_404(Assessment, assessment_id, "assessment.edit")
    form = UploadForm()
    errors: list[str] = []
    result = None
    apply_form = ApplyForm()
    status = 200
    locked = not _editable(a)
    if not locked and form.validate_on_submit():
        codes = set(
            db.session.scalars(
                sa.select(Standard.code).where(Standard.edition_id == a.cycle.edition_id)
            )
        )
        parsed = excel.parse_workbook(form.file.data.stream, a.id, codes)
        errors = parsed.errors
        if errors:
            status = 422
        else:
            data = queries.load_assessment(a, with_previous=False)
            result = excel.preview(parsed, data)
            apply_form.changes.data = json.dumps([c.payload() for c in result.changes])
    elif request.method == "POST":
        status = 422
    return render_template(
        "cycles/upload.html",
        a=a,
        form=form,
        apply_form=apply_form,
        errors=errors,
        result=result,
        locked=locked,
        labels=rating_labels(),
        kind_labels=evidence_kind_labels(),
        limit=excel.PREVIEW_LIMIT,
    ), status


@bp.post("/assessments/<int:assessment_id>/import/apply")
@login_required
def apply_import(assessment_id: int) -> Any:
    """Apply a previewed upload: all changes or none."""
    a = load_or_404(Assessment, assessment_id, "assessment.edit")
    form = ApplyForm()
    try:
        changes = json.loads(form.changes.data or "")
    except (ValueError, RecursionError):  # not JSON, or nested too deep to decode
        changes = None
    try:
        n = services.apply_import(current_user, a, changes)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("cycles.upload", assessment_id=a.id))
    flash(_("%(num)d standards updated from the spreadsheet.", num=n), "success")
    return _back(a)

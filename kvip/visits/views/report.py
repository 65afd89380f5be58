"""The visit report as HTML and PDF, its states, the unit's comments, and a unit's reports."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from kvip.core import audit, chart_images, jobs, versioning
from kvip.core.errors import ServiceError
from kvip.core.i18n import lang
from kvip.core.permissions import can, require
from kvip.core.web import call_and_redirect, load_or_404
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.network import overrides
from kvip.network.models import Unit
from kvip.standards import labels as standard_labels
from kvip.visits import charts, labels, reports
from kvip.visits.forms import CommentResponseForm, ReportCommentForm
from kvip.visits.models import Report, ReportComment, ReportState, Visit
from kvip.visits.permissions import visits_visible_to
from kvip.visits.views import bp
from kvip.visits.views.visits import grant_visit_override, report_of


def _report(visit_id: int) -> tuple[Visit, Report]:
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        abort(404)
    report = report_of(visit)
    if report is None:
        # The team and coordinator learn there is no report yet; others learn nothing.
        require(current_user, "visit.read", visit)
        abort(404)
    require(current_user, "report.view", report)
    return visit, report


def _context(visit: Visit, report: Report, *, pdf: bool) -> dict[str, Any]:
    content = reports.content_of(report)
    comments: dict[str, list[ReportComment]] = defaultdict(list)
    for c in report.comments:
        comments[c.section].append(c)

    def comments_in(section: str, standards: list[dict[str, Any]] | None = None) -> list[Any]:
        """Comments on a section, and on the standards listed in it, oldest first."""
        found = list(comments.get(section, []))
        for s in standards or []:
            found.extend(comments.get(f"standard:{s['code']}", []))
        return sorted(found, key=lambda c: c.id)

    figure = charts.domain_scores(content.get("domains") or [], lang())
    return {
        "pdf": pdf,
        "figure": charts.to_json(figure) if figure else None,
        "visit": visit,
        "report": report,
        "content": content,
        "comments_in": comments_in,
        "kinds_plural": labels.observation_kinds_plural(),
        "types": standard_labels.type_labels(),
        "deadlines": reports.deadlines(visit, report),
    }


@bp.get("/<int:visit_id>/report")
@login_required
def report(visit_id: int) -> Any:
    visit, report = _report(visit_id)
    return _render_report(visit, report)


def _render_report(
    visit: Visit,
    report: Report,
    *,
    typed: dict[str, Any] | None = None,
    conflict: versioning.ConflictNotice | None = None,
    status: int = 200,
) -> Any:
    """The report page; after a conflict a response form keeps what the lead typed."""
    is_lead = can(current_user, "visit.lead", visit)
    may_comment = report.state == ReportState.shared_with_unit.value and can(
        current_user, "report.comment", visit
    )
    return render_template(
        "visits/report.html",
        **_context(visit, report, pdf=False),
        is_lead=is_lead,
        may_comment=may_comment,
        revision=reports.revision_note(report),
        comment_period_end=reports.comment_period_end(report),
        finalise_problem=(
            reports.finalise_problem(report)
            if report.state == ReportState.shared_with_unit.value
            else None
        ),
        can_override=overrides.may_override(current_user, visit.assessment.cycle.network_id),
        period_override=overrides.override_of("comment_period", report.id),
        may_declare_no_comments=reports.may_declare_no_comments(current_user, report),
        history=audit.history("report", report.id, limit=20),
        typed=typed,
        conflict=conflict,
    ), status


@bp.get("/<int:visit_id>/report.pdf")
@login_required
def report_pdf(visit_id: int) -> Any:
    visit, report = _report(visit_id)
    context = _context(visit, report, pdf=True)
    chart, images = chart_images.for_pdf({"domains": context["figure"]}, lang())
    html = render_template(
        "visits/report_pdf.html", **context, may_comment=False, chart=chart.get("domains")
    )
    jobs.progress(50)  # when made by the job queue: its progress bar moves
    pdf = reports.render_pdf(html, images)
    name = f"kvip-report-{visit.assessment.cycle.year}-{visit.id}.pdf"
    return (
        pdf,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="{name}"',
        },
    )


@bp.post("/<int:visit_id>/report/<action>")
@login_required
def report_action(visit_id: int, action: str) -> Any:
    visit, report = _report(visit_id)
    if action == "override":
        return _override_comment_period(visit, report)
    steps = {
        "no-comments": (
            reports.declare_no_comments,
            _("Thank you. The review team can now make the report final."),
        ),
        "share": (reports.share_report, _("The draft report is shared with the unit.")),
        "finalise": (reports.finalise_report, _("The report is final.")),
        "refresh": (reports.refresh_report, _("The draft is updated from the visit's data.")),
    }
    if action not in steps:
        abort(404)
    step, done = steps[action]
    return call_and_redirect(
        lambda: step(current_user, report),
        success=done,
        to=url_for("visits.report", visit_id=visit.id),
    )


def _override_comment_period(visit: Visit, report: Report) -> Any:
    """A coordinator lets the lead reviewer make the report final before the comment period
    ends, with a reason (audited)."""
    require(current_user, "network.manage", visit.assessment.cycle.network_id)
    if report.state != ReportState.shared_with_unit.value:
        flash(
            _(
                "The report is not in the right state for this (it is %(state)s).",
                state=report.state,
            ),
            "error",
        )
        return redirect(url_for("visits.report", visit_id=visit.id))
    grant_visit_override(
        visit, "comment_period", report.id, _("The lead reviewer can now make the report final.")
    )
    return redirect(url_for("visits.report", visit_id=visit.id))


@bp.post("/<int:visit_id>/report/comments")
@login_required
def report_comment(visit_id: int) -> Any:
    visit, report = _report(visit_id)
    form = ReportCommentForm()
    section = form.target_section()
    anchor = section.replace(":", "-")
    return call_and_redirect(
        lambda: reports.add_comment(current_user, report, section, form.text.data or ""),
        success=_("Thank you. Your comment is sent to the review team."),
        to=url_for("visits.report", visit_id=visit.id) + f"#sec-{anchor}",
    )


@bp.post("/<int:visit_id>/report/comments/<int:comment_id>/respond")
@login_required
def comment_respond(visit_id: int, comment_id: int) -> Any:
    visit, report = _report(visit_id)
    comment = db.session.get(ReportComment, comment_id)
    if comment is None or comment.report_id != report.id:
        abort(404)
    form = CommentResponseForm()
    response = form.response.data or ""
    try:
        reports.respond_to_comment(current_user, comment, response, version=form.version.data)
    except versioning.EditConflict as exc:
        theirs = exc.current
        anchor = f"#comment-{comment_id}"
        conflict = versioning.notice(
            exc,
            [(_("Response from the lead reviewer"), theirs.response if theirs else "", response)],
            reload_url=url_for("visits.report", visit_id=visit_id) + anchor,
        )
        typed = {"comment_id": comment_id, "response": response, "version": exc.current_version}
        visit, report = _report(visit_id)
        return _render_report(visit, report, typed=typed, conflict=conflict, status=409)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Response saved."), "success")
    anchor = comment.section.replace(":", "-")
    return redirect(url_for("visits.report", visit_id=visit.id) + f"#sec-{anchor}")


@bp.get("/units/<int:unit_id>/reports")
@login_required
def unit_reports(unit_id: int) -> Any:
    unit = load_or_404(Unit, unit_id, "unit.read")
    readable = sa.or_(
        Report.state.in_([ReportState.shared_with_unit.value, ReportState.final.value]),
        visits_visible_to(current_user),
    )
    rows = db.session.scalars(
        sa.select(Report)
        .join(Visit, Visit.id == Report.visit_id)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .options(joinedload(Report.visit).joinedload(Visit.assessment).joinedload(Assessment.cycle))
        .where(Assessment.unit_id == unit.id, readable)
        .order_by(Cycle.year.desc())
        .limit(100)
    ).all()
    return render_template(
        "visits/unit_reports.html",
        unit=unit,
        reports=rows,
        deadlines=reports.deadlines,
    )

"""The GAP analysis page (with the unit's overrides) and the maturity self-rating."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kvip.actions import charts, exports, gap, labels, maturity, queries, services
from kvip.actions.forms import GapOverrideForm, MaturityForm
from kvip.actions.views import bp
from kvip.actions.views.home import plan_context
from kvip.core import audit, versioning
from kvip.core.downloads import content_disposition
from kvip.core.errors import ServiceError
from kvip.core.permissions import can, require
from kvip.core.web import load_or_404
from kvip.cycles.models import Assessment, CycleState
from kvip.extensions import db
from kvip.network.models import Unit


def _gap_context(assessment: Assessment) -> dict[str, Any]:
    return {
        "gap": gap.gap_of(assessment),
        "gap_statuses": gap.status_labels(),
        "gap_badge": gap.status_badge,
        "override_statuses": gap.OVERRIDE_STATUSES,
        "risks": labels.risk_labels(),
        "statuses": labels.status_labels(),
        "badge": labels.status_badge,
        "legend": gap.legend(),
    }


@bp.get("/assessments/<int:assessment_id>/gap", endpoint="gap")
@login_required
def gap_page(assessment_id: int) -> Any:
    assessment = load_or_404(Assessment, assessment_id, "actions.read")
    return _render_gap(assessment)


def _render_gap(
    assessment: Assessment,
    *,
    typed: dict[str, Any] | None = None,
    conflict: versioning.ConflictNotice | None = None,
    status: int = 200,
) -> Any:
    """The GAP page; after a conflict, the duty's form keeps what the person typed."""
    return render_template(
        "actions/gap.html",
        **plan_context(assessment),
        **_gap_context(assessment),
        typed=typed,
        conflict=conflict,
        tab="gap",
    ), status


@bp.get("/assessments/<int:assessment_id>/gap.pdf")
@login_required
def gap_pdf(assessment_id: int) -> Any:
    assessment = load_or_404(Assessment, assessment_id, "actions.read")
    data = exports.gap_pdf(gap.gap_of(assessment), queries.today())
    name = "".join(ch if ch.isalnum() else "-" for ch in assessment.unit.name).strip("-").lower()
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": content_disposition(
                f"gap-{name}-{assessment.cycle.year}.pdf", inline=True
            )
        },
    )


@bp.post("/assessments/<int:assessment_id>/gap/<duty>")
@login_required
def gap_override(assessment_id: int, duty: str) -> Any:
    """The unit's own status/risk for one duty, with a reason (empty both → back to derived)."""
    assessment = load_or_404(Assessment, assessment_id, "actions.edit")
    back = url_for("actions.gap", assessment_id=assessment.id) + f"#duty-{duty}"
    form = GapOverrideForm()
    if form.clear.data:
        status = risk = None
    else:
        status = form.status.data or None
        risk = form.risk.data or None
    reason = form.reason.data or ""
    try:
        gap.set_override(
            current_user,
            assessment,
            duty,
            status=status,
            risk=risk,
            reason=reason,
            version=form.version.data,
        )
    except versioning.EditConflict as exc:
        theirs = exc.current
        statuses, risks = gap.status_labels(), labels.risk_labels()
        typed = {
            "duty": duty,
            "status": status or "",
            "risk": risk or "",
            "reason": reason,
            "version": exc.current_version,
        }
        conflict = versioning.notice(
            exc,
            [
                (
                    _("Status"),
                    statuses.get(theirs.status or "", "") if theirs else "",
                    statuses.get(status or "", ""),
                ),
                (
                    _("Risk"),
                    risks.get(theirs.risk or "", "") if theirs else "",
                    risks.get(risk or "", ""),
                ),
                (_("Reason"), theirs.reason if theirs else "", reason),
            ],
            reload_url=back,
        )
        conflict.message = f"§ {duty}: {conflict.message}"
        return _render_gap(assessment, typed=typed, conflict=conflict, status=409)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(f"§ {duty}: {exc.message}", "error")
        return redirect(back)
    flash(_("§ %(duty)s saved.", duty=duty), "success")
    return redirect(back)


@bp.post("/assessments/<int:assessment_id>/from-duty/<duty>")
@login_required
def from_duty(assessment_id: int, duty: str) -> Any:
    """One tap from a GAP row: an action for the duty (with the standards behind its status),
    then its form; the row's existing action when it has one."""
    assessment = load_or_404(Assessment, assessment_id, "actions.edit")
    action, created = services.create_from_duty(current_user, assessment, duty)
    if created:
        flash(
            _("Action created for § %(duty)s. Add who is responsible and a deadline.", duty=duty),
            "success",
        )
    else:
        flash(_("An action for § %(duty)s already exists; here it is.", duty=duty), "info")
    return redirect(url_for("actions.edit_action", action_id=action.id))


# --- maturity ------------------------------------------------------------------------------


@bp.get("/units/<int:unit_id>/maturity", endpoint="maturity")
@login_required
def maturity_page(unit_id: int) -> Any:
    unit = db.get_or_404(Unit, unit_id)
    rows = queries.assessments_of_unit(unit.id)
    if not rows:
        require(current_user, "unit.read", unit)
        return render_template("actions/maturity.html", unit=unit, assessment=None, rows=[])
    chosen_id = request.args.get("assessment", type=int)
    assessment = next((a for a in rows if a.id == chosen_id), None) or next(
        (a for a in rows if a.cycle.state != CycleState.closed.value), rows[0]
    )
    require(current_user, "actions.read", assessment)
    return _render_maturity(unit, rows, assessment)


def _render_maturity(
    unit: Unit,
    rows: list[Assessment],
    assessment: Assessment,
    *,
    typed: dict[str, Any] | None = None,
    conflict: versioning.ConflictNotice | None = None,
    status: int = 200,
) -> Any:
    """The maturity page; after a conflict the form keeps what the person chose and wrote."""
    points = maturity.series(unit.id)
    level_list = maturity.levels()
    figure = (
        charts.maturity_figure(
            points, maturity.aspect_labels(), {lv.number: lv.name for lv in level_list}
        )
        if points
        else None
    )
    current = maturity.ratings_of(assessment.id)
    history = []
    for row in current.values():
        history += audit.history("maturity_rating", row.id, limit=20)
    history.sort(key=lambda e: (e.at, e.id), reverse=True)
    editable = (
        can(current_user, "actions.edit", assessment)
        and assessment.cycle.state != CycleState.closed.value
    )
    return render_template(
        "actions/maturity.html",
        **plan_context(assessment),
        rows=rows,
        points=points,
        figure=figure,
        levels=level_list,
        aspects=maturity.aspect_labels(),
        hints=maturity.aspect_level_hints(),
        current=current,
        editable=editable,
        errors={},
        level_name=maturity.level_name,
        history=history,
        typed=typed,
        conflict=conflict,
        tab="maturity",
    ), status


@bp.post("/assessments/<int:assessment_id>/maturity")
@login_required
def rate_maturity(assessment_id: int) -> Any:
    assessment = load_or_404(Assessment, assessment_id, "actions.edit")
    form = MaturityForm()
    levels_by_aspect = form.per_aspect("level")
    comments = {a: text or "" for a, text in form.per_aspect("comment").items()}
    versions = form.per_aspect("version")
    back = url_for("actions.maturity", unit_id=assessment.unit_id, assessment=assessment.id)
    try:
        maturity.rate(current_user, assessment, levels_by_aspect, comments, versions)
    except versioning.EditConflict as exc:
        stored = maturity.ratings_of(assessment.id)
        names = maturity.aspect_labels()

        def shown(level: Any, comment: str) -> str:
            try:
                text = f"{int(level)} {maturity.level_name(int(level))}"
            except (TypeError, ValueError):
                text = ""
            return f"{text} – {comment.strip()}" if comment.strip() else text

        conflict = versioning.notice(
            exc,
            [
                (
                    names[a],
                    shown(stored[a].level, stored[a].comment) if a in stored else "",
                    shown(levels_by_aspect[a], comments[a]),
                )
                for a in maturity.ASPECTS
            ],
            reload_url=back,
        )
        typed = {
            "levels": levels_by_aspect,
            "comments": comments,
            "versions": {a: versioning.version_of(stored.get(a)) for a in maturity.ASPECTS},
        }
        unit = db.get_or_404(Unit, assessment.unit_id)
        rows = queries.assessments_of_unit(unit.id)
        return _render_maturity(unit, rows, assessment, typed=typed, conflict=conflict, status=409)
    except ServiceError as exc:
        names = maturity.aspect_labels()
        details = "; ".join(f"{names.get(k, k)}: {v}" for k, v in exc.fields.items())
        flash(f"{exc.message} {details}".strip(), "error")
        return redirect(back)
    flash(_("The maturity self-rating was saved."), "success")
    return redirect(back)

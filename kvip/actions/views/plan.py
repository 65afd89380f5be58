"""The action plan page, the action form, state moves, verification and the plan's exports."""

from __future__ import annotations

from itertools import groupby
from operator import attrgetter
from typing import Any

import sqlalchemy as sa
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kvip.accounts.models import Membership, User
from kvip.actions import duties_ref, exports, gap, labels, queries, services
from kvip.actions.forms import ActionForm, DropForm, MoveForm, VerifyForm
from kvip.actions.models import Action
from kvip.actions.views import bp
from kvip.actions.views.home import (
    apply_errors,
    plan_context,
    safe_next,
)
from kvip.core import audit, versioning
from kvip.core.downloads import content_disposition
from kvip.core.errors import NotFound, ServiceError
from kvip.core.i18n import localized
from kvip.core.permissions import can, require
from kvip.core.web import load_or_404
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.standards.models import Domain, Standard
from kvip.visits.models import Visit

NO_DOMAIN = (10**6, "")
ONE_TAP_VALUES = ("not_met", "partly_met")


def group_by_status(actions: list[Action]) -> list[tuple[str, str, list[Action]]]:
    names = labels.status_labels()
    return [
        (status, names[status], [a for a in actions if a.status == status])
        for status in queries.STATUS_ORDER
        if any(a.status == status for a in actions)
    ]


def _domain_key(action: Action) -> tuple[int, str]:
    if not action.standards:
        return NO_DOMAIN
    domain: Domain = action.standards[0].domain
    return (domain.position, f"{domain.code} {localized(domain, 'title')}")


def group_by_domain(actions: list[Action]) -> list[tuple[str, str, list[Action]]]:
    """By the domain of the action's first standard; actions without standards come last."""
    ordered = sorted(actions, key=lambda a: (_domain_key(a), a.id))
    groups = []
    for key, items in groupby(ordered, key=_domain_key):
        label = key[1] or _("Not linked to a standard")
        groups.append((f"domain-{key[0]}", label, list(items)))
    return groups


def _standards_to_act_on(assessment: Assessment) -> dict[str, list[Standard]]:
    """Standards rated not met and partly met (the visit team's rating where the visit is
    completed, else the unit's own; DESIGN §5), in the edition's order."""
    ratings, _source = gap.ratings_for(assessment)
    wanted = {code: value for code, value in ratings.items() if value in ONE_TAP_VALUES}
    found: dict[str, list[Standard]] = {value: [] for value in ONE_TAP_VALUES}
    if not wanted:
        return found
    for standard in db.session.scalars(
        sa.select(Standard)
        .join(Domain, Domain.id == Standard.domain_id)
        .where(
            Standard.edition_id == assessment.cycle.edition_id,
            Standard.code.in_(list(wanted)),
        )
        .order_by(Domain.position, Standard.position, Standard.id)
    ):
        found[wanted[standard.code]].append(standard)
    return found


@bp.get("/assessments/<int:assessment_id>")
@login_required
def plan(assessment_id: int) -> Any:
    assessment = load_or_404(Assessment, assessment_id, "actions.read")
    ctx = plan_context(assessment)
    actions = queries.actions_of(assessment.id)
    mode = "domain" if request.args.get("group") == "domain" else "status"
    groups = group_by_domain(actions) if mode == "domain" else group_by_status(actions)
    report = queries.final_report(assessment.id)
    observations = queries.shared_observations(assessment.id, ("improvement", "recommendation"))
    to_act_on = _standards_to_act_on(assessment) if ctx["can_edit"] else {}
    on = ctx["on"]
    return render_template(
        "actions/plan.html",
        **ctx,
        actions=actions,
        groups=groups,
        mode=mode,
        counts=queries.counts_by_status(actions, on),
        plan_due=queries.plan_due(assessment.id),
        report=report,
        observations=observations,
        not_met=to_act_on.get("not_met", []),
        partly_met=to_act_on.get("partly_met", []),
        taken=queries.sources_taken(assessment.id),
        by_standard=queries.actions_by_standard(actions),
        is_overdue=lambda a: queries.is_overdue(a, on),
        moves=services.allowed_moves,
        statuses=labels.status_labels(),
        move_label=labels.move_label,
        forward=labels.FORWARD,
        risks=labels.risk_labels(),
        pdsa=labels.pdsa_labels(),
        kinds=labels.observation_kind_labels(),
        badge=labels.status_badge,
        tab="plan",
    )


def _member_names(assessment: Assessment) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(User.name)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id == assessment.unit_id, User.active.is_(True))
            .order_by(User.name)
        )
    )


def _setup_form(form: ActionForm) -> None:
    form.risk.choices = list(labels.risk_labels().items())
    form.pdsa_stage.choices = list(labels.pdsa_labels().items())
    form.duties.choices = [
        (d.code, f"§ {d.code} {localized(d, 'title')}") for d in duties_ref.DUTIES
    ]


def _form_data(form: ActionForm) -> dict[str, Any]:
    return {
        "title": form.title.data,
        "description": form.description.data,
        "responsible": form.responsible.data,
        "deadline": form.deadline.data or "",
        "risk": form.risk.data,
        "pdsa_stage": form.pdsa_stage.data,
        "success_measure": form.success_measure.data,
        "standard_codes": form.standard_codes.data or "",
        "duties": form.duties.data or [],
    }


def _render_form(
    assessment: Assessment,
    form: ActionForm,
    action: Action | None,
    status: int,
    conflict: versioning.ConflictNotice | None = None,
) -> Any:
    history = audit.history("action", action.id, limit=100) if action else []
    return render_template(
        "actions/action_form.html",
        **plan_context(assessment),
        form=form,
        conflict=conflict,
        action=action,
        history=history,
        members=_member_names(assessment),
        pdsa_hints=labels.pdsa_hints(),
        statuses=labels.status_labels(),
        move_label=labels.move_label,
        forward=labels.FORWARD,
        moves=services.allowed_moves(action) if action else [],
        sources=labels.source_labels(),
        badge=labels.status_badge,
        drop_form=DropForm(prefix="drop"),
        is_overdue=queries.is_overdue,
        duty_sections=duties_ref.by_section(),
        tab="plan",
    ), status


@bp.route("/assessments/<int:assessment_id>/new", methods=["GET", "POST"])
@login_required
def new_action(assessment_id: int) -> Any:
    assessment = load_or_404(Assessment, assessment_id, "actions.edit")
    form = ActionForm()
    _setup_form(form)
    if request.method == "GET":
        standard_id = request.args.get("standard", type=int)
        standard = db.session.get(Standard, standard_id) if standard_id else None
        if standard is not None and standard.edition_id == assessment.cycle.edition_id:
            form.standard_codes.data = standard.code
            form.duties.data = standard.duties
            form.title.data = f"{standard.code}: "
        duty = request.args.get("duty", "")
        if duty in duties_ref.CODES:
            form.duties.data = sorted({*(form.duties.data or []), duty})
    if form.validate_on_submit():
        try:
            action = services.create_action(current_user, assessment, _form_data(form))
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            flash(_("The action was added to the plan."), "success")
            return redirect(
                url_for("actions.plan", assessment_id=assessment.id) + f"#action-{action.id}"
            )
    return _render_form(assessment, form, None, 422 if request.method == "POST" else 200)


@bp.post("/assessments/<int:assessment_id>/from-observation/<int:observation_id>")
@login_required
def from_observation(assessment_id: int, observation_id: int) -> Any:
    """One tap: an action from an area for improvement or a recommendation, then its form."""
    assessment = load_or_404(Assessment, assessment_id, "actions.edit")
    action = services.create_from_observation(current_user, assessment, observation_id)
    flash(_("Action created from the finding. Add who is responsible and a deadline."), "success")
    return redirect(url_for("actions.edit_action", action_id=action.id))


@bp.post("/assessments/<int:assessment_id>/from-standard/<int:standard_id>")
@login_required
def from_standard(assessment_id: int, standard_id: int) -> Any:
    """One tap: an action for a standard not met or partly met, then its form; the action
    the plan already has for the standard when there is one."""
    assessment = load_or_404(Assessment, assessment_id, "actions.edit")
    try:
        action, created = services.create_from_standard(current_user, assessment, standard_id)
    except NotFound:
        raise
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("actions.plan", assessment_id=assessment.id) + "#sources-title")
    if created:
        flash(
            _("Action created from the standard. Add who is responsible and a deadline."),
            "success",
        )
    else:
        flash(
            _("The plan already has an action for this standard; here it is."),
            "info",
        )
    return redirect(url_for("actions.edit_action", action_id=action.id))


def _fill(form: ActionForm, action: Action) -> None:
    form.title.data = action.title
    form.description.data = action.description
    form.responsible.data = action.responsible
    form.deadline.data = action.deadline.isoformat() if action.deadline else ""
    form.risk.data = action.risk
    form.pdsa_stage.data = action.pdsa_stage
    form.success_measure.data = action.success_measure
    form.standard_codes.data = ", ".join(s.code for s in action.standards)
    form.duties.data = action.duties
    form.version.data = str(action.version)


@bp.route("/<int:action_id>", methods=["GET", "POST"])
@login_required
def edit_action(action_id: int) -> Any:
    action = load_or_404(Action, action_id, "actions.read", on=attrgetter("assessment"))
    assessment = action.assessment
    form = ActionForm()
    _setup_form(form)
    if request.method == "GET":
        _fill(form, action)
        return _render_form(assessment, form, action, 200)
    require(current_user, "actions.edit", assessment)
    status = 422
    conflict = None
    if form.validate_on_submit():
        try:
            services.update_action(
                current_user, action, _form_data(form), version=form.version.data
            )
        except versioning.EditConflict as exc:
            # Keep what the person typed; show the stored version beside it.
            theirs = ActionForm(formdata=None, meta={"csrf": False})
            _setup_form(theirs)
            if exc.current is not None:
                _fill(theirs, exc.current)
            conflict = versioning.form_conflict(
                form, exc, theirs, reload_url=url_for("actions.edit_action", action_id=action.id)
            )
            status = 409
        except ServiceError as exc:
            apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("actions.edit_action", action_id=action.id))
    return _render_form(assessment, form, action, status, conflict)


@bp.post("/<int:action_id>/status")
@login_required
def move(action_id: int) -> Any:
    """Move an action to another state (plain form post, safe to repeat)."""
    action = load_or_404(Action, action_id, "actions.edit", on=attrgetter("assessment"))
    form = MoveForm()
    target = form.to.data or ""
    back = safe_next(url_for("actions.edit_action", action_id=action.id), form.next.data)
    reason = form.reason.data or form.drop_reason.data or ""
    try:
        services.change_status(current_user, action, target, reason=reason)
    except ServiceError as exc:
        details = " ".join(str(m) for m in exc.fields.values())
        flash(f"{exc.message} {details}".strip(), "error")
        return redirect(url_for("actions.edit_action", action_id=action.id))
    flash(
        _(
            "“%(title)s” is now %(status)s.",
            title=action.title,
            status=labels.status_labels()[action.status].lower(),
        ),
        "success",
    )
    return redirect(back)


@bp.post("/<int:action_id>/verify")
@login_required
def verify(action_id: int) -> Any:
    """The next visit's team: verified, or not verified with a comment."""
    action = load_or_404(Action, action_id, "actions.verify", on=attrgetter("assessment"))
    form = VerifyForm()
    back = safe_next(url_for("actions.plan", assessment_id=action.assessment_id), form.next.data)
    visit_id = form.visit_id.data
    visit = db.session.get(Visit, visit_id) if visit_id else None
    if not form.validate_on_submit():
        flash(_("The form expired or was incomplete. Please try again."), "error")
        return redirect(back)
    try:
        services.verify_action(
            current_user, action, form.outcome.data or "", form.comment.data or "", visit=visit
        )
    except ServiceError as exc:
        details = " ".join(str(m) for m in exc.fields.values())
        flash(f"{exc.message} {details}".strip(), "error")
        return redirect(back + f"#verify-{action.id}")
    outcome = _("verified") if action.verification_outcome == "verified" else _("not verified")
    flash(_("“%(title)s” recorded as %(outcome)s.", title=action.title, outcome=outcome), "success")
    return redirect(back + f"#verify-{action.id}")


def _filename(assessment: Assessment, kind: str, ext: str) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in assessment.unit.name).strip("-").lower()
    return f"{kind}-{safe}-{assessment.cycle.year}.{ext}"


@bp.get("/assessments/<int:assessment_id>/plan.xlsx")
@login_required
def export_xlsx(assessment_id: int) -> Any:
    assessment = load_or_404(Assessment, assessment_id, "actions.read")
    data = exports.plan_xlsx(assessment, queries.actions_of(assessment.id), queries.today())
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": content_disposition(_filename(assessment, "action-plan", "xlsx"))
        },
    )


@bp.get("/assessments/<int:assessment_id>/plan.pdf")
@login_required
def export_pdf(assessment_id: int) -> Any:
    assessment = load_or_404(Assessment, assessment_id, "actions.read")
    actions = queries.actions_of(assessment.id)
    data = exports.plan_pdf(assessment, actions, group_by_status(actions), queries.today())
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": content_disposition(
                _filename(assessment, "action-plan", "pdf"), inline=True
            )
        },
    )


def can_verify_any(assessment: Assessment) -> bool:
    return can(current_user, "actions.verify", assessment)

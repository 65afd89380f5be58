"""Screens of the visits module: the coordinator's visits, reviewer pool and teams (here), the
tablet visit mode and consolidation (:mod:`.mode`), the report (:mod:`.report`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from kvip.accounts.models import NetworkRole, NetworkRoleKind, User
from kvip.accounts.permissions import any_coordinator, coordinated_network_ids
from kvip.core import audit, formats
from kvip.core.errors import ServiceError
from kvip.core.forms import KvipForm, first_error
from kvip.core.nav import NavItem
from kvip.core.permissions import can
from kvip.core.web import call_and_redirect, load_or_404
from kvip.cycles.models import Assessment, AssessmentState, Cycle, CycleState
from kvip.cycles.vocabulary import rating_labels
from kvip.extensions import db
from kvip.network import overrides
from kvip.network.forms import OverrideForm
from kvip.network.models import Institution, Network, Unit
from kvip.visits import labels, reports, services
from kvip.visits.forms import (
    PlanVisitForm,
    ReopenVisitForm,
    TeamMemberForm,
    VisitDateForm,
    VisitStepForm,
)
from kvip.visits.models import ProposalState, Report, TeamMember, Visit, VisitDateProposal
from kvip.visits.offline import held_config
from kvip.visits.views import bp


def _on_any_team(user: Any) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(TeamMember.user_id == user.id))))


def nav_items(user: Any) -> list[NavItem]:
    if user.is_admin or any_coordinator(user) or _on_any_team(user):
        return [NavItem(_("Visits"), "visits.index", order=40)]
    return []


def unit_links(user: Any, unit: Any, role: str) -> list[tuple[str, str]]:
    links = [(_("Peer-review reports"), url_for("visits.unit_reports", unit_id=unit.id))]
    upcoming = db.session.scalar(
        sa.select(Visit.id)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .where(Assessment.unit_id == unit.id, Visit.state.in_(("planned", "scheduled")))
        .order_by(Visit.id.desc())
        .limit(1)
    )
    if upcoming is not None:
        links.append((_("Visit date"), url_for("visits.schedule", visit_id=upcoming)))
    return links


def network_links(user: Any, network: Any, role: str) -> list[tuple[str, str]]:
    if role == NetworkRoleKind.reviewer.value:
        return [(_("My visits"), url_for("visits.index"))]
    if role == NetworkRoleKind.coordinator.value:
        return [
            (_("Visits and teams"), url_for("visits.network_visits", network_id=network.id)),
            (_("Reviewer pool"), url_for("visits.reviewers", network_id=network.id)),
        ]
    return []


def _can_do(permission: str, obj: Any) -> bool:
    return can(current_user, permission, obj)


def _report_exists(visit: Visit) -> bool:
    return report_of(visit) is not None


# Template globals (not a context processor) so that imported macros can use them too.
_GLOBALS: dict[str, Callable[..., Any]] = {
    "visit_state_labels": labels.visit_states,
    "team_role_labels": labels.team_roles,
    "report_state_labels": labels.report_states,
    "rating_labels": rating_labels,
    "observation_kind_labels": labels.observation_kinds,
    "can_do": _can_do,
    "visit_report_exists": _report_exists,
}
for _name, _fn in _GLOBALS.items():
    bp.add_app_template_global(_fn, _name)


@bp.app_template_global("fmt_num")
def _fmt_num(value: float | None, digits: int = 0) -> str:
    """A number in the user's locale (decimal comma in Norwegian); "–" when undefined."""
    return formats.format_number(value, digits)


@bp.app_template_filter("css_string")
def _css_string(value: str) -> Markup:
    """A CSS string literal of our own words (a translated "Page" in an @page margin box),
    safe inside <style>: everything but letters, digits and spaces is a CSS hex escape.
    User text never goes into CSS; the PDFs carry it in running elements."""
    text = "".join(ch if ch.isalnum() or ch == " " else f"\\{ord(ch):x} " for ch in str(value))
    return Markup('"' + text + '"')


@bp.app_template_filter("isodate")
def _isodate(value: str | None) -> str:
    """A date stored as ISO text (report snapshots) in the user's locale."""
    if not value:
        return "–"
    try:
        return formats.format_date(date.fromisoformat(value[:10]), "medium")
    except ValueError:
        return value


# --- shared look-ups --------------------------------------------------------------------------


def report_of(visit: Visit) -> Report | None:
    return db.session.scalar(sa.select(Report).where(Report.visit_id == visit.id))


def _refuse(form: KvipForm, back: str) -> Any:
    """A form that did not validate: its first error as a flash, then back."""
    error = first_error(form)
    flash(
        error[1] if error else _("The form expired or was incomplete. Please try again."), "error"
    )
    return redirect(back)


def _cycles(network_id: int) -> list[Cycle]:
    return list(
        db.session.scalars(
            sa.select(Cycle).where(Cycle.network_id == network_id).order_by(Cycle.year.desc())
        )
    )


def _chosen_cycle(cycles: list[Cycle]) -> Cycle | None:
    wanted = request.args.get("cycle", type=int)
    for c in cycles:
        if c.id == wanted:
            return c
    return next(
        (c for c in cycles if c.state == CycleState.open.value), cycles[0] if cycles else None
    )


# --- my visits --------------------------------------------------------------------------------


@bp.get("/")
@login_required
def index() -> Any:
    mine = db.session.execute(
        sa.select(Visit, TeamMember.role)
        .join(TeamMember, TeamMember.visit_id == Visit.id)
        .options(
            joinedload(Visit.assessment).joinedload(Assessment.unit).joinedload(Unit.institution),
            joinedload(Visit.assessment).joinedload(Assessment.cycle),
        )
        .where(TeamMember.user_id == current_user.id)
        .order_by(Visit.date.desc().nulls_first(), Visit.id.desc())
        .limit(200)
    ).all()
    networks_query = sa.select(Network).order_by(Network.name)
    if not current_user.is_admin:
        networks_query = networks_query.where(Network.id.in_(coordinated_network_ids(current_user)))
    networks = db.session.scalars(networks_query).all()
    upcoming = [(v, r) for v, r in mine if v.state != "completed"]
    past = [(v, r) for v, r in mine if v.state == "completed"]
    return render_template(
        "visits/index.html",
        upcoming=upcoming,
        past=past,
        networks=networks,
        held_config=held_config(),
    )


# --- coordinator: visits of a cycle, planning --------------------------------------------------


@bp.get("/networks/<int:network_id>")
@login_required
def network_visits(network_id: int) -> Any:
    network = load_or_404(Network, network_id, "network.manage")
    cycles = _cycles(network.id)
    cycle = _chosen_cycle(cycles)
    visits = None
    unplanned: list[Assessment] = []
    reports_by_visit: dict[int, Report] = {}
    proposals_by_visit: dict[int, str] = {}
    if cycle is not None:
        page = max(1, request.args.get("page", 1, type=int))
        visits = db.paginate(
            sa.select(Visit)
            .join(Assessment, Assessment.id == Visit.assessment_id)
            .join(Unit, Unit.id == Assessment.unit_id)
            .options(
                joinedload(Visit.assessment)
                .joinedload(Assessment.unit)
                .joinedload(Unit.institution),
                selectinload(Visit.team).joinedload(TeamMember.user),
            )
            .where(Assessment.cycle_id == cycle.id)
            .order_by(Visit.date.nulls_first(), Unit.name),
            page=page,
            per_page=100,
            error_out=False,
        )
        ids = [v.id for v in visits.items]
        if ids:
            proposals_by_visit = dict(
                db.session.execute(
                    sa.select(VisitDateProposal.visit_id, VisitDateProposal.side).where(
                        VisitDateProposal.visit_id.in_(ids),
                        VisitDateProposal.state == ProposalState.open.value,
                    )
                ).all()
            )
            reports_by_visit = {
                r.visit_id: r
                for r in db.session.scalars(sa.select(Report).where(Report.visit_id.in_(ids)))
            }
        unplanned = list(
            db.session.scalars(
                sa.select(Assessment)
                .join(Unit, Unit.id == Assessment.unit_id)
                .options(joinedload(Assessment.unit).joinedload(Unit.institution))
                .where(
                    Assessment.cycle_id == cycle.id,
                    Assessment.state == AssessmentState.submitted.value,
                    ~sa.exists().where(Visit.assessment_id == Assessment.id),
                )
                .order_by(Unit.name)
                .limit(200)
            )
        )
    return render_template(
        "visits/network.html",
        network=network,
        cycles=cycles,
        cycle=cycle,
        visits=visits,
        unplanned=unplanned,
        reports_by_visit=reports_by_visit,
        proposals_by_visit=proposals_by_visit,
        deadlines=reports.deadlines,
    )


@bp.post("/networks/<int:network_id>/plan")
@login_required
def plan(network_id: int) -> Any:
    network = load_or_404(Network, network_id, "network.manage")
    form = PlanVisitForm()
    assessment = db.session.get(Assessment, form.assessment_id.data)
    if assessment is None or assessment.cycle.network_id != network.id:
        abort(404)
    back = url_for("visits.network_visits", network_id=network.id, cycle=assessment.cycle_id)
    if not form.validate():
        return _refuse(form, back)
    return call_and_redirect(
        lambda: services.plan_visit(current_user, assessment, form.date.data),
        success=_("Visit planned. Now build its team."),
        to=lambda visit: url_for("visits.team", visit_id=visit.id),
        failure_to=back,
    )


@bp.get("/networks/<int:network_id>/reviewers")
@login_required
def reviewers(network_id: int) -> Any:
    network = load_or_404(Network, network_id, "network.manage")
    cycles = _cycles(network.id)
    cycle = _chosen_cycle(cycles)
    page = max(1, request.args.get("page", 1, type=int))
    pool = services.reviewer_pool(network.id, cycle.id if cycle else None, page=page)
    return render_template(
        "visits/reviewers.html",
        network=network,
        cycles=cycles,
        cycle=cycle,
        pool=pool,
        add_email=request.args.get("email", "")[:254],
    )


# --- one visit: overview, team, date, state ----------------------------------------------------


def _overview(visit: Visit, *, reason: str = "", reason_error: str = "", status: int = 200) -> Any:
    report = report_of(visit)
    return render_template(
        "visits/overview.html",
        visit=visit,
        report=report,
        deadlines=reports.deadlines(visit, report),
        schedule_problems=services.schedule_problems(visit),
        start_problem=services.start_problem(visit) if visit.state == "scheduled" else None,
        completion_problems=services.completion_problems(visit)
        if visit.state == "in_progress"
        else [],
        history=audit.history("visit", visit.id, limit=30),
        can_manage=can(current_user, "visit.manage", visit),
        can_reopen=can(current_user, "visit.reopen", visit),
        is_lead=can(current_user, "visit.lead", visit),
        is_member=can(current_user, "visit.record", visit),
        reason=reason,
        reason_error=reason_error,
        reason_max=services.REOPEN_REASON_MAX,
    ), status


@bp.get("/<int:visit_id>")
@login_required
def overview(visit_id: int) -> Any:
    return _overview(load_or_404(Visit, visit_id, "visit.read"))


@bp.post("/<int:visit_id>/reopen")
@login_required
def reopen(visit_id: int) -> Any:
    """A coordinator reopens a completed visit, with a reason."""
    visit = load_or_404(Visit, visit_id, "visit.read")
    reason = ReopenVisitForm().reason.data or ""
    try:
        services.reopen_visit(current_user, visit, reason)
    except ServiceError as exc:
        db.session.rollback()
        if "reason" in exc.fields:
            return _overview(
                visit, reason=reason, reason_error=exc.fields["reason"], status=exc.status
            )
        flash(exc.message, "error")
        return redirect(url_for("visits.overview", visit_id=visit.id))
    flash(
        _(
            "The visit is reopened: its team can record findings again. Reports the unit has "
            "seen stay as they are."
        ),
        "success",
    )
    return redirect(url_for("visits.overview", visit_id=visit.id))


@bp.post("/<int:visit_id>/date-override")
@login_required
def date_override(visit_id: int) -> Any:
    """A coordinator lets the team start the visit on another day than its date, with a reason."""
    visit = load_or_404(Visit, visit_id, "visit.read")
    grant_visit_override(visit, "visit_date", visit.id, _("The team can now start the visit."))
    return redirect(url_for("visits.overview", visit_id=visit.id))


def grant_visit_override(visit: Visit, rule: str, entity_id: int, done: str) -> None:
    """A coordinator's exception to one of the cycle's date rules for ``visit``, with the
    reason from the form; the outcome is flashed."""
    try:
        overrides.grant_override(
            current_user,
            rule=rule,
            entity_id=entity_id,
            network_id=visit.assessment.cycle.network_id,
            unit_id=visit.assessment.unit_id,
            reason=OverrideForm().reason.data,
        )
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(done, "success")


@bp.get("/<int:visit_id>/team")
@login_required
def team(visit_id: int) -> Any:
    visit = load_or_404(Visit, visit_id, "visit.manage")
    q = request.args.get("q", "").strip()
    found: list[tuple[User, bool, str | None]] = []
    if q:
        pattern = f"%{q.lower()}%"
        rows = db.session.execute(
            sa.select(User, NetworkRole.trained_lead)
            .join(NetworkRole, NetworkRole.user_id == User.id)
            .where(
                NetworkRole.network_id == visit.assessment.cycle.network_id,
                NetworkRole.role == NetworkRoleKind.reviewer.value,
                sa.or_(sa.func.lower(User.name).like(pattern), User.email.like(pattern)),
            )
            .order_by(User.name)
            .limit(20)
        ).all()
        found = [(u, bool(t), services.conflict_of_interest(visit, u)) for u, t in rows]
    institutions = {
        i.id: i.name
        for i in db.session.scalars(
            sa.select(Institution).where(
                Institution.network_id == visit.assessment.cycle.network_id
            )
        )
    }
    return render_template(
        "visits/team.html",
        visit=visit,
        suggestions=services.suggest_reviewers(visit),
        warnings=services.team_warnings(visit),
        advice=services.team_advice(visit),
        schedule_problems=services.schedule_problems(visit),
        q=q,
        found=found,
        institutions=institutions,
        roles=labels.team_roles(),
    )


@bp.post("/<int:visit_id>/team")
@login_required
def team_add(visit_id: int) -> Any:
    visit = load_or_404(Visit, visit_id, "visit.manage")
    form = TeamMemberForm()
    role = form.role.data or ""
    user = db.session.get(User, form.user_id.data)
    if user is None:
        flash(_("Choose a reviewer."), "error")
        return redirect(url_for("visits.team", visit_id=visit.id))
    try:
        warnings = services.add_team_member(current_user, visit, user, role)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("visits.team", visit_id=visit.id))
    flash(
        _(
            "%(name)s added as %(role)s.",
            name=user.name,
            role=services.role_label(role).lower(),
        ),
        "success",
    )
    for warning in warnings:
        flash(warning, "warning")
    return redirect(url_for("visits.team", visit_id=visit.id))


@bp.post("/<int:visit_id>/team/<int:member_id>/remove")
@login_required
def team_remove(visit_id: int, member_id: int) -> Any:
    visit = load_or_404(Visit, visit_id, "visit.manage")
    member = db.session.get(TeamMember, member_id)
    if member is None or member.visit_id != visit.id:
        abort(404)
    name = member.user.name
    return call_and_redirect(
        lambda: services.remove_team_member(current_user, visit, member),
        success=_("%(name)s removed from the team.", name=name),
        to=url_for("visits.team", visit_id=visit.id),
    )


@bp.post("/<int:visit_id>/date")
@login_required
def set_date(visit_id: int) -> Any:
    visit = load_or_404(Visit, visit_id, "visit.manage")
    form = VisitDateForm()
    back = url_for("visits.team", visit_id=visit.id)
    if not form.validate():
        return _refuse(form, back)
    return call_and_redirect(
        lambda: services.set_visit_date(current_user, visit, form.date.data),
        success=_("Date saved."),
        to=back,
    )


@bp.post("/<int:visit_id>/state")
@login_required
def transition(visit_id: int) -> Any:
    visit = load_or_404(Visit, visit_id, "visit.read")
    form = VisitStepForm()
    if not form.validate():
        abort(400)
    action = form.action.data or ""
    steps = {
        "schedule": (services.schedule_visit, _("The visit is scheduled.")),
        "start": (services.start_visit, _("The visit has started.")),
        "complete": (
            services.complete_visit,
            _("The visit is completed; the draft report is ready."),
        ),
    }
    step, done = steps[action]
    try:
        step(current_user, visit)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        report = report_of(visit) if action == "complete" else None
        if report is not None and report.state != "draft":
            done = _(
                "The visit is completed again. The report the unit has seen is unchanged; "
                "open it to see what differs."
            )
        flash(done, "success")
    target = form.next.data or ""
    if target.startswith("/visits/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("visits.overview", visit_id=visit.id))

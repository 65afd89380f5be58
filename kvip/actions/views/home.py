"""The actions module's entry points (index, per-unit links, the visit pack), its navigation
and home links, and the helpers the other route files share."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kvip.accounts.models import Membership, NetworkRole, NetworkRoleKind
from kvip.actions import labels, queries
from kvip.actions.models import Action, ActionStatus
from kvip.actions.views import bp
from kvip.core.errors import ServiceError
from kvip.core.nav import NavItem
from kvip.core.permissions import can, require
from kvip.core.web import load_or_404
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.network.models import Network, Unit
from kvip.visits.models import TeamMember, Visit

# --- navigation and home page links ---------------------------------------------------------


def _has_plan_role(user: Any) -> bool:
    query = sa.select(
        sa.or_(
            sa.exists().where(Membership.user_id == user.id),
            sa.exists().where(NetworkRole.user_id == user.id),
        )
    )
    return bool(db.session.scalar(query))


def nav_items(user: Any) -> list[NavItem]:
    items = []
    if _has_plan_role(user):
        items.append(NavItem(_("Action plans"), "actions.index", order=40))
    items.append(NavItem(_("Due soon"), "actions.reminders", order=85))
    if user.is_admin:
        items.append(NavItem(_("Outbox"), "actions.outbox", order=95))
    return items


def unit_links(user: Any, unit: Any, role: str) -> list[tuple[str, str]]:
    return [
        (_("Action plan"), url_for("actions.unit_plan", unit_id=unit.id)),
        (_("GAP analysis (regulation §§ 6–9)"), url_for("actions.unit_gap", unit_id=unit.id)),
        (_("Maturity"), url_for("actions.maturity", unit_id=unit.id)),
        (_("Due soon"), url_for("actions.reminders")),
    ]


def network_links(user: Any, network: Any, role: str) -> list[tuple[str, str]]:
    if role == NetworkRoleKind.coordinator.value:
        return [
            (_("Action plans across units"), url_for("actions.overview", network_id=network.id))
        ]
    return [(_("Action plans to verify at visits"), url_for("actions.index") + "#verify")]


# --- shared helpers -------------------------------------------------------------------------


def safe_next(default: str, posted: str | None = None) -> str:
    """A local path from ``next`` (``posted`` by the form, else the query), else ``default``:
    never an open redirect."""
    target = (posted or request.args.get("next") or "").strip()
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def apply_errors(form: Any, exc: ServiceError) -> None:
    """Put a service's field errors on the form's fields; anything else becomes a flash."""
    shown = False
    for name, message in exc.fields.items():
        target = "standard_codes" if name == "standards" else name
        if hasattr(form, target):
            getattr(form, target).errors = [message]
            shown = True
    if not shown:
        flash(exc.message, "error")


def plan_context(assessment: Assessment) -> dict[str, Any]:
    """What every page about one assessment's plan shows in its header and tabs."""
    return {
        "assessment": assessment,
        "unit": assessment.unit,
        "cycle": assessment.cycle,
        "other_assessments": queries.assessments_of_unit(assessment.unit_id),
        "can_edit": can(current_user, "actions.edit", assessment),
        "on": queries.today(),
    }


# --- index and per-unit entry points ------------------------------------------------------


@bp.get("/")
@login_required
def index() -> Any:
    """Where the user's action plans are: their units, their networks, their coming visits."""
    memberships = db.session.scalars(
        sa.select(Membership)
        .join(Unit, Unit.id == Membership.unit_id)
        .where(Membership.user_id == current_user.id)
        .order_by(Unit.name)
    ).all()
    networks = db.session.scalars(
        sa.select(Network)
        .join(NetworkRole, NetworkRole.network_id == Network.id)
        .where(
            NetworkRole.user_id == current_user.id,
            NetworkRole.role == NetworkRoleKind.coordinator.value,
        )
        .order_by(Network.name)
    ).all()
    visits = db.session.scalars(
        sa.select(Visit)
        .join(TeamMember, TeamMember.visit_id == Visit.id)
        .where(TeamMember.user_id == current_user.id)
        .order_by(Visit.date.desc().nulls_last(), Visit.id.desc())
        .limit(50)
    ).all()
    plans = []
    for m in memberships:
        assessment = queries.plan_assessment(m.unit_id)
        counts = None
        if assessment is not None:
            counts = queries.counts_by_status(queries.actions_of(assessment.id))
        plans.append((m.unit, assessment, counts))
    to_verify = []
    for visit in visits:
        previous = queries.previous_assessment(visit.assessment)
        if previous is not None:
            waiting = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Action)
                .where(
                    Action.assessment_id == previous.id,
                    Action.status == ActionStatus.done.value,
                )
            )
            to_verify.append((visit, previous, waiting))
    return render_template(
        "actions/index.html",
        plans=plans,
        networks=networks,
        to_verify=to_verify,
        statuses=labels.status_labels(),
    )


@bp.get("/units/<int:unit_id>")
@login_required
def unit_plan(unit_id: int) -> Any:
    """The unit's plan that matters now (last cycle's while this year's self-assessment runs)."""
    unit = load_or_404(Unit, unit_id, "unit.read")
    assessment = queries.plan_assessment(unit.id)
    if assessment is None:
        flash(_("The unit has no assessment yet."), "info")
        return redirect(url_for("actions.index"))
    require(current_user, "actions.read", assessment)
    return redirect(url_for("actions.plan", assessment_id=assessment.id))


@bp.get("/units/<int:unit_id>/gap")
@login_required
def unit_gap(unit_id: int) -> Any:
    """The GAP analysis of the unit's newest assessment."""
    unit = load_or_404(Unit, unit_id, "unit.read")
    rows = queries.assessments_of_unit(unit.id)
    if not rows:
        flash(_("The unit has no assessment yet."), "info")
        return redirect(url_for("actions.index"))
    require(current_user, "actions.read", rows[0])
    return redirect(url_for("actions.gap", assessment_id=rows[0].id))


# --- the visit pack partial ----------------------------------------------------------------


@bp.app_context_processor
def _visit_pack_helper() -> dict[str, Any]:
    return {"actions_visit_pack": visit_pack}


def visit_pack(
    unit: Any = None, visit: Any = None, previous_assessment: Any = None
) -> dict[str, Any]:
    """Data for ``templates/actions/_visit_pack.html``: the previous cycle's plan of the unit a
    visit goes to, the open actions of every earlier cycle (grouped by cycle), with what the
    current user may do (any argument may be None)."""
    previous = previous_assessment
    if previous is None and visit is not None:
        previous = queries.previous_assessment(visit.assessment)
    if previous is None and visit is None and unit is not None:
        previous = queries.plan_assessment(unit.id)
    # Open actions of every earlier cycle (done, waiting for verification, or overdue).
    earlier: list[Any] = []
    if visit is not None and can(current_user, "actions.read", visit.assessment):
        earlier = queries.verification_groups(
            visit.assessment,
            skip=previous.id if previous is not None else None,
            visit_id=visit.id,
        )
    base = {
        "earlier": earlier,
        "can_verify_earlier": bool(earlier)
        and can(current_user, "actions.verify", earlier[0][1][0].assessment),
        "visit": visit,
        "is_overdue": lambda a: queries.is_overdue(a, queries.today()),
        "statuses": labels.status_labels(),
        "badge": labels.status_badge,
    }
    if previous is None or not can(current_user, "actions.read", previous):
        return {**base, "previous": None, "allowed": previous is None}
    # Finished actions first: they are what the team verifies.
    order = {"done": 0, "in_progress": 1, "planned": 2, "verified": 3, "dropped": 4}
    actions = sorted(queries.actions_of(previous.id), key=lambda a: (order.get(a.status, 5), a.id))
    on = queries.today()
    return {
        **base,
        "allowed": True,
        "previous": previous,
        "actions": actions,
        "counts": queries.counts_by_status(actions, on),
        "plan_due": queries.plan_due(previous.id),
        "can_verify": can(current_user, "actions.verify", previous),
        "visit": visit,
        "on": on,
        "is_overdue": lambda a: queries.is_overdue(a, on),
        "statuses": labels.status_labels(),
        "risks": labels.risk_labels(),
        "badge": labels.status_badge,
    }


@bp.get("/visits/<int:visit_id>/previous-plan")
@login_required
def next_visit(visit_id: int) -> Any:
    """The visit team's view of the unit's previous action plan, with the verify controls."""
    visit = load_or_404(Visit, visit_id, "visit.read")
    require(current_user, "actions.read", visit.assessment)
    return render_template("actions/next_visit.html", visit=visit, unit=visit.assessment.unit)


def cycles_of_network(network_id: int) -> list[Cycle]:
    return list(
        db.session.scalars(
            sa.select(Cycle)
            .where(Cycle.network_id == network_id)
            .order_by(Cycle.year.desc(), Cycle.id.desc())
        )
    )

"""Coordinator screens of the annual cycle (cycles, enrolment, dashboard), the navigation and
the home-page links. The self-assessment screens are in :mod:`kvip.cycles.views.assessments`."""

from __future__ import annotations

from datetime import date, timedelta
from operator import attrgetter
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kvip.accounts.models import Membership
from kvip.accounts.permissions import any_coordinator, coordinated_network_ids
from kvip.core import audit, dates, versioning
from kvip.core.errors import ServiceError
from kvip.core.i18n import localized
from kvip.core.nav import NavItem
from kvip.core.permissions import can, require
from kvip.core.web import call_and_redirect, load_or_404
from kvip.cycles import queries, services
from kvip.cycles.forms import ConfirmCloseForm, CycleForm, EnrolForm
from kvip.cycles.models import Assessment, Cycle, CycleState
from kvip.cycles.views import bp
from kvip.cycles.vocabulary import assessment_state_labels, cycle_state_labels
from kvip.extensions import db
from kvip.network.models import Network, Unit
from kvip.standards.models import Edition
from kvip.standards.queries import current_edition


def nav_items(user: Any) -> list[NavItem]:
    items = []
    if user.is_admin or any_coordinator(user):
        items.append(NavItem(_("Cycles"), "cycles.index", order=30))
    has_unit = db.session.scalar(sa.select(sa.exists().where(Membership.user_id == user.id)))
    if has_unit:
        items.append(NavItem(_("Self-assessment"), "cycles.mine", order=20))
    return items


def unit_links(user: Any, unit: Any, role: str) -> list[tuple[str, str]]:
    """The current cycle's self-assessment and summary for a unit card on the home page."""
    assessment = queries.current_assessment(unit.id)
    if assessment is None:
        return []
    year = assessment.cycle.year
    return [
        (
            _("Self-assessment %(year)d", year=year),
            url_for("cycles.assessment", assessment_id=assessment.id),
        ),
        (
            _("Summary %(year)d", year=year),
            url_for("cycles.summary", assessment_id=assessment.id),
        ),
    ]


def network_links(user: Any, network: Any, role: str) -> list[tuple[str, str]]:
    """Coordinators: the cycles of the network and the current cycle's dashboard."""
    if role != "coordinator":
        return []
    links = [(_("Cycles"), url_for("cycles.index"))]
    current = db.session.scalar(
        sa.select(Cycle)
        .where(Cycle.network_id == network.id, Cycle.state == CycleState.open.value)
        .order_by(Cycle.year.desc())
        .limit(1)
    )
    if current is not None:
        links.append(
            (
                _("Status of %(name)s", name=current.name),
                url_for("cycles.detail", cycle_id=current.id),
            )
        )
    return links


def _apply_errors(form: Any, exc: ServiceError) -> None:
    placed = False
    for name, message in exc.fields.items():
        if hasattr(form, name):
            getattr(form, name).errors = [message]
            placed = True
    if not placed:
        flash(exc.message, "error")


@bp.get("")
@login_required
def index() -> Any:
    """Every cycle of the networks the user coordinates (all networks for admins)."""
    query = sa.select(Network).order_by(Network.name)
    if not current_user.is_admin:
        query = query.where(Network.id.in_(coordinated_network_ids(current_user)))
    networks = db.session.scalars(query).all()
    if not networks:
        require(current_user, "platform.admin")
    cycles = db.session.scalars(
        sa.select(Cycle)
        .where(Cycle.network_id.in_([n.id for n in networks]))
        .order_by(Cycle.year.desc())
    ).all()
    counts = dict(
        db.session.execute(
            sa.select(Assessment.cycle_id, sa.func.count())
            .where(Assessment.cycle_id.in_([c.id for c in cycles]))
            .group_by(Assessment.cycle_id)
        ).all()
    )
    return render_template(
        "cycles/index.html",
        networks=networks,
        cycles=cycles,
        counts=counts,
        states=cycle_state_labels(),
    )


def _edition_choices() -> list[tuple[int, str]]:
    return [
        (e.id, f"{localized(e, 'name')} ({e.version})")
        for e in db.session.scalars(sa.select(Edition).order_by(Edition.loaded_at.desc()))
    ]


def _name_and_windows(form: CycleForm) -> dict[str, Any]:
    return {
        "name": form.name.data or "",
        "self_assessment_opens": form.self_assessment_opens.data,
        "self_assessment_closes": form.self_assessment_closes.data,
        "visit_window_start": form.visit_window_start.data,
        "visit_window_end": form.visit_window_end.data,
    }


@bp.route("/new/<int:network_id>", methods=["GET", "POST"])
@login_required
def new(network_id: int) -> Any:
    """Plan a new cycle: edition, year and windows."""
    network = load_or_404(Network, network_id, "network.manage")
    form = CycleForm()
    form.edition_id.choices = _edition_choices()
    if request.method == "GET":
        year = dates.today().year
        last = db.session.scalar(
            sa.select(sa.func.max(Cycle.year)).where(Cycle.network_id == network.id)
        )
        if last is not None and last >= year:
            year = last + 1
        form.year.data = year
        form.name.data = _("Cycle %(year)d", year=year)
        # The newest published edition is what a new cycle normally uses.
        current = current_edition()
        if current is not None:
            form.edition_id.data = current.id
        start = max(dates.today(), date(year, 1, 15))
        form.self_assessment_opens.data = start
        form.self_assessment_closes.data = start + timedelta(weeks=8)
        form.visit_window_start.data = start + timedelta(weeks=10)
        form.visit_window_end.data = start + timedelta(weeks=36)
    if form.validate_on_submit():
        try:
            cycle = services.create_cycle(
                current_user,
                network.id,
                edition_id=form.edition_id.data,
                year=form.year.data,
                **_name_and_windows(form),
            )
        except ServiceError as exc:
            _apply_errors(form, exc)
        else:
            flash(_("The cycle is planned. Enrol the units, then open it."), "success")
            return redirect(url_for("cycles.detail", cycle_id=cycle.id))
    status = 422 if request.method == "POST" else 200
    return render_template("cycles/cycle_form.html", network=network, form=form, cycle=None), status


@bp.route("/<int:cycle_id>/edit", methods=["GET", "POST"])
@login_required
def edit(cycle_id: int) -> Any:
    """Rename a cycle or move its windows."""
    cycle = load_or_404(Cycle, cycle_id, "network.manage", on=attrgetter("network_id"))
    form = CycleForm(obj=cycle)
    form.edition_id.choices = _edition_choices()
    form.edition_id.data = cycle.edition_id
    form.year.data = cycle.year
    conflict = None
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            services.update_cycle(
                current_user, cycle, **_name_and_windows(form), version=form.version.data
            )
        except versioning.EditConflict as exc:
            conflict = versioning.form_conflict(
                form, exc, reload_url=url_for("cycles.edit", cycle_id=cycle_id)
            )
            status = 409
        except ServiceError as exc:
            _apply_errors(form, exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("cycles.detail", cycle_id=cycle_id))
    return render_template(
        "cycles/cycle_form.html",
        network=cycle.network,
        form=form,
        cycle=cycle,
        conflict=conflict,
        history=audit.history("cycle", cycle_id, limit=50),
    ), status


@bp.get("/<int:cycle_id>")
@login_required
def detail(cycle_id: int) -> Any:
    """The cycle dashboard: every unit's state, completeness, carried-over count, days left."""
    cycle = load_or_404(Cycle, cycle_id, "network.manage", on=attrgetter("network_id"))
    rows = queries.dashboard(cycle)
    enrolled = {r.assessment.unit_id for r in rows}
    candidates = db.session.scalars(
        sa.select(Unit)
        .where(Unit.network_id == cycle.network_id, Unit.active.is_(True))
        .order_by(Unit.name)
    ).all()
    enrol_form = EnrolForm()
    enrol_form.unit_ids.choices = [(u.id, u.name) for u in candidates if u.id not in enrolled]
    if request.method == "GET":
        enrol_form.unit_ids.data = [u for u, _n in enrol_form.unit_ids.choices]
        # The network's default for where new self-assessments start.
        enrol_form.carry_over.data = bool(cycle.network.carry_over_default)
    tally = {state: 0 for state in assessment_state_labels()}
    for r in rows:
        tally[r.assessment.state] = tally.get(r.assessment.state, 0) + 1
    return render_template(
        "cycles/detail.html",
        cycle=cycle,
        rows=rows,
        tally=tally,
        days_left=queries.days_left(cycle),
        enrol_form=enrol_form,
        close_form=ConfirmCloseForm(),
        states=cycle_state_labels(),
        assessment_states=assessment_state_labels(),
    )


@bp.post("/<int:cycle_id>/enrol")
@login_required
def enrol(cycle_id: int) -> Any:
    """Enrol the chosen units (optionally starting from last cycle's ratings)."""
    cycle = load_or_404(Cycle, cycle_id, "network.manage", on=attrgetter("network_id"))
    form = EnrolForm()
    form.unit_ids.choices = [
        (u.id, u.name)
        for u in db.session.scalars(sa.select(Unit).where(Unit.network_id == cycle.network_id))
    ]
    form.validate()
    return call_and_redirect(
        lambda: services.enrol_units(
            current_user,
            cycle,
            [int(u) for u in (form.unit_ids.data or [])],
            carry_over=bool(form.carry_over.data),
        ),
        success=lambda created: (
            _("%(num)d units enrolled.", num=len(created)) if created else _("Nothing to enrol.")
        ),
        to=url_for("cycles.detail", cycle_id=cycle.id),
    )


@bp.post("/<int:cycle_id>/open")
@login_required
def open_(cycle_id: int) -> Any:
    cycle = load_or_404(Cycle, cycle_id, "network.manage", on=attrgetter("network_id"))
    return call_and_redirect(
        lambda: services.open_cycle(current_user, cycle),
        success=_("The cycle is open: the units can now rate themselves."),
        to=url_for("cycles.detail", cycle_id=cycle.id),
    )


@bp.post("/<int:cycle_id>/close")
@login_required
def close(cycle_id: int) -> Any:
    cycle = load_or_404(Cycle, cycle_id, "network.manage", on=attrgetter("network_id"))
    form = ConfirmCloseForm()
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm that the cycle should close."), "error")
        return redirect(url_for("cycles.detail", cycle_id=cycle.id))
    return call_and_redirect(
        lambda: services.close_cycle(current_user, cycle),
        success=_("The cycle is closed."),
        to=url_for("cycles.detail", cycle_id=cycle.id),
    )


@bp.get("/mine")
@login_required
def mine() -> Any:
    """The signed-in user's self-assessments; straight to the current one if there is one."""
    assessments = queries.assessments_of_user(current_user)
    open_ones = [a for a in assessments if a.cycle.state == CycleState.open.value]
    if len(open_ones) == 1:
        return redirect(url_for("cycles.assessment", assessment_id=open_ones[0].id))
    return render_template(
        "cycles/mine.html",
        assessments=assessments,
        states=assessment_state_labels(),
        can=can,
    )

"""Scheduling screens: a visit's date proposals and calendar invitation, and the coordinator's
calendar of a cycle's visits (a month grid, no script needed)."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload
from wtforms import Field

from kvip.core import dates
from kvip.core.errors import ServiceError
from kvip.core.formats import format_date
from kvip.core.forms import first_error
from kvip.core.permissions import can
from kvip.core.web import load_or_404
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.network.models import Network, Unit
from kvip.visits import ics, scheduling
from kvip.visits.forms import PickDateForm, ProposeDatesForm
from kvip.visits.models import Visit, VisitDateProposal
from kvip.visits.views import bp
from kvip.visits.views.visits import _chosen_cycle, _cycles


def _typed(field: Field) -> str:
    """What was typed in ``field``, for showing it again (cut to a sane length)."""
    return (field.raw_data[0] if field.raw_data else "")[:2100]


def _schedule_page(
    visit: Visit,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    proposal = scheduling.open_proposal(visit)
    side = scheduling.side_of(current_user, visit)
    return render_template(
        "visits/schedule.html",
        visit=visit,
        proposal=proposal,
        history=scheduling.proposals(visit),
        side=side,
        may_pick=proposal is not None and scheduling.may_pick(current_user, proposal),
        may_propose=side is not None and visit.state in ("planned", "scheduled"),
        can_manage=can(current_user, "visit.manage", visit),
        errors=errors or {},
        values=values or {},
        max_dates=scheduling.MAX_DATES,
        note_max=scheduling.NOTE_MAX,
    ), status


@bp.get("/<int:visit_id>/schedule")
@login_required
def schedule(visit_id: int) -> Any:
    """The visit's date: proposals, the answer, the calendar invitation."""
    return _schedule_page(load_or_404(Visit, visit_id, "visit.schedule"))


@bp.post("/<int:visit_id>/schedule/propose")
@login_required
def propose(visit_id: int) -> Any:
    visit = load_or_404(Visit, visit_id, "visit.schedule")
    form = ProposeDatesForm()
    values = {k: _typed(form[k]) for k in ("date_1", "date_2", "date_3", "note")}
    if not form.validate():
        name, message = first_error(form) or ("", "")
        return _schedule_page(visit, errors={name: message}, values=values, status=422)
    try:
        scheduling.propose_dates(current_user, visit, form.dates(), values["note"])
    except ServiceError as exc:
        db.session.rollback()
        if exc.fields:
            return _schedule_page(visit, errors=exc.fields, values=values, status=exc.status)
        flash(exc.message, "error")
        return redirect(url_for("visits.schedule", visit_id=visit.id))
    flash(_("The dates are proposed; the other side has been told."), "success")
    return redirect(url_for("visits.schedule", visit_id=visit.id))


@bp.post("/<int:visit_id>/schedule/pick")
@login_required
def pick(visit_id: int) -> Any:
    visit = load_or_404(Visit, visit_id, "visit.schedule")
    form = PickDateForm()
    proposal = db.session.get(VisitDateProposal, form.proposal_id.data)
    if proposal is None or proposal.visit_id != visit.id:
        abort(404)
    if not form.validate():
        flash((first_error(form) or ("", ""))[1], "error")
        return redirect(url_for("visits.schedule", visit_id=visit.id))
    try:
        scheduling.pick_date(current_user, proposal, form.date.data)
    except ServiceError as exc:
        db.session.rollback()
        if exc.status == 403:
            abort(403)
        flash(exc.message, "error")
        return redirect(url_for("visits.schedule", visit_id=visit.id))
    flash(
        _(
            "The visit is on %(date)s. The team and the unit have been sent the calendar "
            "invitation.",
            date=format_date(visit.date, "full"),
        ),
        "success",
    )
    return redirect(url_for("visits.schedule", visit_id=visit.id))


@bp.get("/<int:visit_id>/invitation.ics")
@login_required
def invitation(visit_id: int) -> Any:
    """The visit's calendar invitation (same UID every time; SEQUENCE rises with each new date)."""
    visit = load_or_404(Visit, visit_id, "visit.schedule")
    if visit.date is None:
        abort(404)
    summary, description = scheduling.invitations.event_text(visit)
    content = ics.invitation(visit, summary=summary, description=description)
    return Response(
        content,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="{ics.filename(visit)}"',
            "Cache-Control": "no-store",
        },
    )


# --- the coordinator's calendar ---------------------------------------------------------------


def _month(text: str | None, default: date) -> date:
    try:
        year, month = (int(p) for p in (text or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return default.replace(day=1)


def _shift(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


@bp.get("/networks/<int:network_id>/calendar")
@login_required
def calendar_view(network_id: int) -> Any:
    """The cycle's visits in a month grid (an accessible table), undated visits listed below."""
    network = load_or_404(Network, network_id, "network.manage")
    cycles = _cycles(network.id)
    cycle = _chosen_cycle(cycles)
    visits: list[Visit] = []
    if cycle is not None:
        visits = list(
            db.session.scalars(
                sa.select(Visit)
                .join(Assessment, Assessment.id == Visit.assessment_id)
                .join(Unit, Unit.id == Assessment.unit_id)
                .options(joinedload(Visit.assessment).joinedload(Assessment.unit))
                .where(Assessment.cycle_id == cycle.id)
                .order_by(Visit.date.nulls_last(), Unit.name)
                .limit(2000)
            ).unique()
        )
    dated = [v for v in visits if v.date is not None]
    default = dates.today()
    if (
        cycle is not None
        and cycle.visit_window_start
        and not (cycle.visit_window_start <= default <= (cycle.visit_window_end or default))
    ):
        default = cycle.visit_window_start
    elif dated and not any(v.date and v.date.year == default.year for v in dated):
        default = dated[0].date or default
    month = _month(request.args.get("month"), default)
    if not (1900 < month.year < 2200):
        month = default.replace(day=1)
    by_day: dict[date, list[Visit]] = {}
    for v in dated:
        assert v.date is not None
        by_day.setdefault(v.date, []).append(v)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    months_with_visits = sorted({v.date.replace(day=1) for v in dated if v.date is not None})
    weekday_names = [format_date(date(2024, 1, 1 + i), "EEEE") for i in range(7)]
    return render_template(
        "visits/calendar.html",
        network=network,
        cycles=cycles,
        cycle=cycle,
        month=month,
        prev_month=_shift(month, -1),
        next_month=_shift(month, 1),
        weeks=weeks,
        by_day=by_day,
        undated=[v for v in visits if v.date is None],
        in_month=sum(1 for v in dated if v.date and v.date.replace(day=1) == month),
        months_with_visits=months_with_visits,
        weekday_names=weekday_names,
        today=dates.today(),
    )

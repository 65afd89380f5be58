"""Reminders for the signed-in user, the e-mail outbox for admins, the coordinator's overview."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_login import current_user, login_required

from kvip.actions import charts, labels, queries, reminders, stats
from kvip.actions.models import Action, OutboxEmail
from kvip.actions.views import bp
from kvip.actions.views.home import cycles_of_network
from kvip.core import mail
from kvip.core.permissions import require
from kvip.core.web import load_or_404
from kvip.cycles.models import Assessment
from kvip.extensions import db
from kvip.network.models import Network


@bp.get("/reminders", endpoint="reminders")
@login_required
def reminders_page() -> Any:
    on = queries.today()
    items = reminders.due_items(current_user, on)
    return render_template(
        "actions/reminders.html",
        overdue=[i for i in items if i.overdue(on)],
        soon=[i for i in items if not i.overdue(on)],
        on=on,
        horizon=reminders.HORIZON_DAYS,
    )


@bp.get("/outbox")
@login_required
def outbox() -> Any:
    require(current_user, "platform.admin")
    page = max(1, request.args.get("page", 1, type=int))
    rows = db.paginate(
        sa.select(OutboxEmail).order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc()),
        page=page,
        per_page=50,
        error_out=False,
    )
    return render_template("actions/outbox.html", messages=rows, smtp=mail.smtp_configured())


@bp.get("/outbox/<int:message_id>")
@login_required
def outbox_message(message_id: int) -> Any:
    require(current_user, "platform.admin")
    message = db.get_or_404(OutboxEmail, message_id)
    return render_template("actions/outbox_message.html", message=message)


@bp.get("/networks/<int:network_id>")
@login_required
def overview(network_id: int) -> Any:
    """Across the network's units for one cycle: actions by status, overdue, time to done,
    verified at the next visit."""
    network = load_or_404(Network, network_id, "actions.overview")
    cycles = cycles_of_network(network.id)
    chosen = request.args.get("cycle", type=int)
    cycle = next((c for c in cycles if c.id == chosen), None)
    if chosen and cycle is None:
        abort(404)
    if cycle is None:
        with_actions = db.session.scalar(
            sa.select(Assessment.cycle_id)
            .join(Action, Action.assessment_id == Assessment.id)
            .where(Assessment.cycle_id.in_([c.id for c in cycles] or [0]))
            .order_by(Assessment.cycle_id.desc())
            .limit(1)
        )
        cycle = next((c for c in cycles if c.id == with_actions), cycles[0] if cycles else None)
    result = stats.overview(cycle) if cycle else None
    figure = None
    statuses = labels.status_labels()
    if result and result.units:
        figure = charts.status_figure(
            [u.name for u in result.units],
            {s: [u.counts[s] for u in result.units] for s in statuses},
            statuses,
        )
    return render_template(
        "actions/overview.html",
        network=network,
        cycles=cycles,
        cycle=cycle,
        result=result,
        figure=figure,
        statuses=statuses,
        plan_assessments={
            a.unit_id: a.id
            for a in db.session.scalars(
                sa.select(Assessment).where(Assessment.cycle_id == (cycle.id if cycle else 0))
            )
        },
    )

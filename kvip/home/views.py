"""The home page's "what should I do now?" panels per role, and the coordinator's list of the
units at one step of the cycle's pipeline.

This module sits above the domain modules (it reads cycles, visits and actions together);
``kvip.core.views.home`` renders the panels it contributes through ``home_panels``.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from kvip.actions import queries as action_queries
from kvip.actions import reminders
from kvip.core.web import load_or_404
from kvip.cycles.models import Cycle
from kvip.cycles.vocabulary import assessment_state_labels
from kvip.home import queries
from kvip.visits.labels import team_roles

bp = Blueprint("home", __name__, url_prefix="/home")

# Due within this many days (or overdue) is shown on the home page.
DUE_HORIZON_DAYS = 30


def step_labels() -> dict[str, str]:
    """The pipeline's steps in the user's language."""
    return {
        **assessment_state_labels(),
        "visit_planned": _("Visit planned"),
        "visited": _("Visited"),
        "report_shared": _("Report shared"),
        "final": _("Final report"),
        "action_plan": _("Action plan"),
    }


def home_panels(user: Any) -> list[tuple[str, dict[str, Any]]]:
    """The panels of the user's roles, most personal first; each item links to where to act."""
    on = action_queries.today()
    panels: list[tuple[str, dict[str, Any]]] = []
    units = queries.unit_homes(user)
    if units:
        panels.append(("home/_units.html", {"units": units}))
    due = reminders.due_items(user, on, horizon=DUE_HORIZON_DAYS)
    if due:
        panels.append(
            (
                "home/_due.html",
                {
                    "overdue": [i for i in due if i.overdue(on)],
                    "soon": [i for i in due if not i.overdue(on)],
                    "on": on,
                    "horizon": DUE_HORIZON_DAYS,
                },
            )
        )
    upcoming, waiting = queries.reviewer_visits(user)
    if upcoming or waiting:
        panels.append(
            (
                "home/_reviewer.html",
                {
                    "upcoming": upcoming,
                    "waiting": waiting,
                    "roles": team_roles(),
                    "on": on,
                },
            )
        )
    pipes = queries.pipelines(user, on)
    if pipes:
        panels.append(
            ("home/_coordinator.html", {"pipelines": pipes, "step_labels": step_labels()})
        )
    if user.is_admin:
        panels.append(("home/_admin.html", {"health": queries.health()}))
    return panels


@bp.get("/cycles/<int:cycle_id>/steps/<step>")
@login_required
def step_units(cycle_id: int, step: str) -> Any:
    """The units of a cycle at one step of the pipeline, each linked to where it stands."""
    cycle = load_or_404(Cycle, cycle_id, "network.manage", on=attrgetter("network_id"))
    if step not in queries.STEPS:
        abort(404)
    rows = queries.units_at_step(cycle, step)
    labels = step_labels()
    return render_template(
        "home/step_units.html",
        cycle=cycle,
        step=step,
        rows=rows,
        step_labels=labels,
        steps=queries.STEPS,
        states=assessment_state_labels(),
        back=url_for("core.home"),
    )

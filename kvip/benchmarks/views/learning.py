"""Pages of "ask to learn" (Forespørsler): thin views over :mod:`kvip.benchmarks.learning`."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kvip.accounts.permissions import unit_role
from kvip.benchmarks import learning
from kvip.benchmarks.forms import (
    LearningAcceptForm,
    LearningDeclineForm,
    LearningForwardForm,
    LearningRefuseForm,
    LearningRequestForm,
)
from kvip.benchmarks.models import LEARNING_MESSAGE_MAX, LEARNING_NOTE_MAX, LearningRequest
from kvip.benchmarks.views import bp
from kvip.core.errors import ServiceError
from kvip.core.permissions import PermissionDenied, can
from kvip.extensions import db
from kvip.network.models import Unit


def _request_or_404(request_id: int) -> LearningRequest:
    """The request if the user may see it; 404 otherwise (its existence is private)."""
    req = learning.get(request_id)
    if req is None or not can(current_user, "learning.read", req):
        abort(404)
    return req


def _sending_unit(value: int) -> Unit:
    """The unit a lead sends from: the one named (which they must lead), or their only one."""
    units = learning.lead_units(current_user)
    if not units:
        raise PermissionDenied("learning.send")
    wanted = value or None  # an IdField's 0: none named, or no valid id
    if wanted is None:
        if len(units) == 1:
            return units[0]
        abort(400)
    unit = db.session.get(Unit, wanted)
    if unit is None or not can(current_user, "learning.send", unit):
        raise PermissionDenied("learning.send")
    return unit


@bp.get("/requests")
@login_required
def learning_requests() -> Any:
    """Forespørsler: the user's requests in every role they hold."""
    return render_template(
        "benchmarks/learning_requests.html", box=learning.inbox(current_user), view=_view
    )


@bp.route("/requests/new", methods=["GET", "POST"])
@login_required
def learning_new() -> Any:
    """Write a request about one good practice (from "who to learn from" or the library)."""
    # The link from "who to learn from" fills the form by its query string; sending posts it.
    form = LearningRequestForm() if request.method == "POST" else LearningRequestForm(request.args)
    unit = _sending_unit(form.unit.data)
    observation_id = form.observation.data
    label = form.label.data
    message = form.message.data or ""
    error = None
    status = 200
    if request.method == "POST":
        try:
            req = learning.send(current_user, unit, observation_id, message, label)
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("Your request was sent to the network coordinator."), "success")
            return redirect(url_for("benchmarks.learning_request", request_id=req.id))
    try:
        practice = learning.practice_of(observation_id, unit)
    except ServiceError as exc:
        return render_template(
            "benchmarks/learning_new.html", practice=None, error=exc.message, unit=unit
        ), exc.status
    form.unit.data, form.observation.data = unit.id, practice.observation_id
    form.label.data = label or _("Another unit")
    return render_template(
        "benchmarks/learning_new.html",
        form=form,
        practice=practice,
        unit=unit,
        label=label or _("Another unit"),
        message=message,
        error=error,
        limit=LEARNING_MESSAGE_MAX,
    ), status


def _view(req: LearningRequest) -> dict[str, Any]:
    """What the page may show of a request to the current user: names only where allowed."""
    named = learning.may_see_names(current_user, req)
    from_unit = db.session.get(Unit, req.from_unit_id)
    to_unit = db.session.get(Unit, req.to_unit_id)
    # Each side always sees its own unit's name; the other's only where allowed.
    show_from = named or unit_role(current_user, req.from_unit_id) is not None
    show_to = named or unit_role(current_user, req.to_unit_id) is not None
    return {
        "req": req,
        "named": named,
        "from_name": from_unit.name if show_from and from_unit else _("A unit in the network"),
        "to_name": to_unit.name if show_to and to_unit else req.to_label,
        "state": state_labels().get(req.state, req.state),
    }


def state_labels() -> dict[str, str]:
    return {
        "sent": _("Waiting for the coordinator"),
        "forwarded": _("Passed on: waiting for the other unit"),
        "accepted": _("Accepted"),
        "declined": _("Declined by the other unit"),
        "refused": _("Not passed on by the coordinator"),
    }


@bp.get("/requests/<int:request_id>")
@login_required
def learning_request(request_id: int) -> Any:
    """One request, with the step the current user may take."""
    req = _request_or_404(request_id)
    from kvip.accounts.models import User

    people = {
        "requester": db.session.get(User, req.requested_by_id) if req.requested_by_id else None,
        "contact": db.session.get(User, req.contact_id) if req.contact_id else None,
    }
    return render_template(
        "benchmarks/learning_request.html",
        v=_view(req),
        people=people,
        can_forward=can(current_user, "learning.forward", req) and req.state == "sent",
        can_answer=can(current_user, "learning.answer", req) and req.state == "forwarded",
        contacts=learning.contacts(req.to_unit_id),
        note_limit=LEARNING_NOTE_MAX,
    )


def _step(request_id: int, action: Any, done: str) -> Any:
    req = _request_or_404(request_id)
    try:
        action(req)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("benchmarks.learning_request", request_id=req.id)), 303
    flash(done, "success")
    return redirect(url_for("benchmarks.learning_request", request_id=req.id))


@bp.post("/requests/<int:request_id>/forward")
@login_required
def learning_forward(request_id: int) -> Any:
    return _step(
        request_id,
        lambda r: learning.forward(current_user, r, LearningForwardForm().note.data),
        _("The request was passed on to the other unit."),
    )


@bp.post("/requests/<int:request_id>/refuse")
@login_required
def learning_refuse(request_id: int) -> Any:
    return _step(
        request_id,
        lambda r: learning.refuse(current_user, r, LearningRefuseForm().reason.data),
        _("The request was not passed on; the requesting unit sees your reason."),
    )


@bp.post("/requests/<int:request_id>/accept")
@login_required
def learning_accept(request_id: int) -> Any:
    return _step(
        request_id,
        lambda r: learning.accept(current_user, r, LearningAcceptForm().contact.data or None),
        _("Accepted: both units now see each other's name and contact person."),
    )


@bp.post("/requests/<int:request_id>/decline")
@login_required
def learning_decline(request_id: int) -> Any:
    return _step(
        request_id,
        lambda r: learning.decline(current_user, r, LearningDeclineForm().note.data),
        _("Declined. Your unit's name was not shared."),
    )

"""Kiosk mode on the unit's own tablet. A staff member starts it (and is signed out: no one
answering can reach anything else); each respondent answers and the screen resets; answers
queue on the tablet while it is offline and are sent once when it is online again; leaving
needs the password of the staff member who started it."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from kvip.core.errors import ServiceError
from kvip.cycles.models import Assessment
from kvip.extensions import db, limiter
from kvip.surveys import services
from kvip.surveys.forms import KioskExitForm, KioskStartForm
from kvip.surveys.models import KioskSession
from kvip.surveys.views import bp
from kvip.surveys.views.common import assessment_or_404, body_too_large

SESSION_KEY = "kvip_kiosk"
# SHA-256 of the key the tablet derived from the starter's password (see close_kiosk).
CHECK_KEY = "kvip_kiosk_check"
KIOSK_LIMIT = "240 per minute"


def _json_error(status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> Any:
    """The kiosk's script reads JSON errors (the API's shape), whatever the path."""
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return jsonify(body), status


def _running() -> KioskSession | None:
    return services.kiosk_session(session.get(SESSION_KEY))


@bp.post("/assessments/<int:assessment_id>/kiosk")
@login_required
def kiosk_start(assessment_id: int) -> Any:
    target = assessment_or_404(assessment_id, "surveys.kiosk")
    form = KioskStartForm()
    form.instruments.choices = [
        (c.instrument.code, c.instrument.code) for c in services.collections_of(target.id)
    ]
    if not form.validate_on_submit():
        if form.password.errors and not form.instruments.errors:
            flash(_("Type your password to start kiosk mode."), "error")
        else:
            flash(_("Choose one or more questionnaires whose collection is open today."), "error")
        return redirect(url_for("surveys.assessment", assessment_id=target.id))
    # The password the tablet derives its offline check from must be the starter's own.
    if not services.password_ok(current_user, form.password.data or ""):
        flash(_("That is not your password. Kiosk mode has not started."), "error")
        return redirect(url_for("surveys.assessment", assessment_id=target.id))
    try:
        token = services.start_kiosk(current_user, target, list(form.instruments.data or []))
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("surveys.assessment", assessment_id=target.id))
    # Signed out on this tablet: a respondent can reach nothing but the questionnaire.
    logout_user()
    session[SESSION_KEY] = token
    session[CHECK_KEY] = form.exit_check.data or None
    return redirect(url_for("surveys.kiosk"))


@bp.get("/kiosk")
def kiosk() -> Any:
    """The kiosk screen (public: nobody is signed in on the tablet while it runs)."""
    running = _running()
    if running is None:
        return render_template("surveys/kiosk_off.html"), 404
    assessment = db.session.get(Assessment, running.assessment_id)
    assert assessment is not None
    offered = {i.code: i for i in services.instruments_of(assessment.cycle.edition_id)}
    instruments = [offered[code] for code in running.instruments if code in offered]
    return render_template("surveys/kiosk.html", instruments=instruments, kiosk=running)


@bp.post("/kiosk/responses")
@limiter.limit(KIOSK_LIMIT)
def kiosk_submit() -> Any:
    """One respondent's answers from the kiosk's queue (JSON: instrument, submission_id,
    answers). Sent again after a lost connection: stored once, answered the same."""
    if body_too_large():
        return _json_error(413, "too_large", _("The request is too large."))
    running = _running()
    if running is None:
        return _json_error(403, "kiosk_ended", _("Kiosk mode is not running on this tablet."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(400, "bad_request", _("The request body must be a JSON object."))
    if data.get("kiosk") != running.id:
        # Queued under an earlier kiosk session (perhaps for another assessment): never
        # counted for the one running now.
        return _json_error(
            409, "other_kiosk", _("These answers were given in an earlier kiosk session.")
        )
    try:
        answers = data.get("answers")
        created = services.kiosk_submit(
            running,
            str(data.get("instrument", "")),
            answers if isinstance(answers, dict) else {},
            str(data.get("submission_id", "")),
        )
    except ServiceError as exc:
        db.session.rollback()
        return _json_error(exc.status, exc.code, exc.message, exc.fields)
    return jsonify({"stored": True, "first_time": created}), 201 if created else 200


@bp.route("/kiosk/exit", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def kiosk_exit() -> Any:
    """Leave kiosk mode: the password of the staff member who started it."""
    running = _running()
    if running is None:
        return redirect(url_for("core.home"))
    form = KioskExitForm()
    status = 200
    if form.validate_on_submit():
        user = services.end_kiosk(running, form.password.data or "")
        if user is not None:
            session.pop(SESSION_KEY, None)
            session.pop(CHECK_KEY, None)
            login_user(user)
            flash(_("Kiosk mode has ended."), "success")
            return redirect(url_for("surveys.assessment", assessment_id=running.assessment_id))
        form.password.errors = [_("That is not the password of the person who started kiosk mode.")]
        status = 422
    elif request.method == "POST":
        status = 422
    if body_too_large():
        abort(413)
    return render_template("surveys/kiosk_exit.html", form=form), status


@bp.post("/kiosk/close")
@limiter.limit("10 per minute")
def kiosk_close() -> Any:
    """Close kiosk mode that was left while the tablet was offline (JSON: proof, the key the
    tablet derived from the password typed then). The tablet sends its queued answers first.
    Nobody is signed in: the staff member signs in as usual afterwards."""
    if body_too_large():
        return _json_error(413, "too_large", _("The request is too large."))
    running = _running()
    if running is None:
        return _json_error(403, "kiosk_ended", _("Kiosk mode is not running on this tablet."))
    data = request.get_json(silent=True)
    proof = data.get("proof") if isinstance(data, dict) else None
    if not services.close_kiosk(running, session.get(CHECK_KEY), str(proof or "")):
        return _json_error(
            403, "wrong_proof", _("Kiosk mode cannot be closed from here: sign in to end it.")
        )
    session.pop(SESSION_KEY, None)
    session.pop(CHECK_KEY, None)
    return jsonify({"ended": True})

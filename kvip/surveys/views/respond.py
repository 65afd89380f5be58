"""The public questionnaire: reached with a single-use code (typed, or from the QR code on a
slip or a staff link). No sign-in; CSRF-protected, rate-limited, size-limited. A used or
unknown code gets a friendly page and nothing is stored."""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from kvip.core.errors import ServiceError
from kvip.extensions import db, limiter
from kvip.surveys import services
from kvip.surveys.models import Instrument, Response
from kvip.surveys.views import bp
from kvip.surveys.views.common import body_too_large

RESPOND_LIMIT = "60 per minute;600 per hour"
PROBLEM_STATUS = {"unknown": 404, "used": 410, "closed": 410, "not_yet": 403}


def _problem_page(problem: str) -> Any:
    return render_template("surveys/code_problem.html", problem=problem), PROBLEM_STATUS[problem]


def answers_from_form(instrument: Instrument) -> dict[str, str]:
    """The posted answers (fields ``q-<code>``) of one questionnaire; unknown ``q-`` fields are
    kept so that the service refuses them by name."""
    out: dict[str, str] = {}
    for key, value in request.form.items():
        if key.startswith("q-"):
            code = key[2:]
            question = next((q for q in instrument.questions if q.code == code), None)
            if question is not None and question.scale == "text" and not value.strip():
                continue
            out[code] = value
    return out


@bp.route("/answer", methods=["GET", "POST"])
@limiter.limit(RESPOND_LIMIT)
def enter_code() -> Any:
    """Type the code from a slip."""
    error = ""
    if request.method == "POST":
        if body_too_large():
            abort(413)
        typed = request.form.get("code", "")
        lookup = services.look_up_code(typed)
        if not lookup.problem:
            return redirect(
                url_for(
                    "surveys.respond", code=services.pretty_code(services.normalise_code(typed))
                )
            )
        if lookup.problem != "unknown":
            return _problem_page(lookup.problem)
        error = _("We did not find that code. Check the letters and digits on your slip.")
    return render_template("surveys/enter_code.html", error=error), 422 if error else 200


@bp.route("/answer/<code>", methods=["GET", "POST"])
@limiter.limit(RESPOND_LIMIT)
def respond(code: str) -> Any:
    """The questionnaire of a code; POST stores the answers once and uses the code up."""
    if request.method == "POST" and body_too_large():
        abort(413)
    submission_id = request.form.get("submission_id", "") if request.method == "POST" else ""
    lookup = services.look_up_code(code)
    if lookup.problem:
        if lookup.problem == "used" and submission_id and _stored(submission_id):
            # The same questionnaire sent twice (double tap, back and send again): stored once.
            return redirect(url_for("surveys.thanks"))
        return _problem_page(lookup.problem)
    assert lookup.collection is not None
    instrument = db.session.get(Instrument, lookup.collection.instrument_id)
    assert instrument is not None
    errors: dict[str, str] = {}
    message = ""
    answers: dict[str, str] = {}
    if request.method == "POST":
        answers = answers_from_form(instrument)
        try:
            services.submit_response(lookup.collection, answers, submission_id, code=lookup.code)
        except ServiceError as exc:
            db.session.rollback()
            errors, message = exc.fields, exc.message
        else:
            return redirect(url_for("surveys.thanks"))
    return render_template(
        "surveys/respond.html",
        instrument=instrument,
        action=url_for("surveys.respond", code=code),
        submission_id=submission_id or secrets.token_urlsafe(24),
        answers=answers,
        errors=errors,
        message=message,
    ), (422 if request.method == "POST" else 200)


def _stored(submission_id: str) -> bool:
    key = services.submission_key(submission_id)
    return bool(
        key and db.session.scalar(sa.select(sa.exists().where(Response.submission_hash == key)))
    )


@bp.get("/answer/thanks")
def thanks() -> Any:
    return render_template("surveys/thanks.html")

"""Error handling: friendly pages in the user's language, JSON errors under /api/."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from kvip.extensions import db


class PermissionDenied(Exception):
    """Raised by :func:`kvip.core.permissions.require`; answered with 403 (HTML page or JSON
    error)."""

    def __init__(self, permission: str, message: str | None = None) -> None:
        super().__init__(message or permission)
        self.permission = permission
        self.message = message


class ServiceError(Exception):
    """A rule of the domain refused an operation; ``status`` is the HTTP answer (409, 422 …)."""

    status = 422
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        status: int | None = None,
        code: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.payload = payload or {}


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood.")),
        401: (_("Please sign in"), _("You need to sign in to see this page.")),
        403: (_("Not allowed"), _("You do not have access to this page or action.")),
        404: (_("Not found"), _("We could not find what you were looking for.")),
        405: (_("Not allowed"), _("That kind of request is not accepted here.")),
        409: (_("Conflict"), _("Someone else changed this in the meantime.")),
        413: (_("Too large"), _("The file is too large.")),
        422: (_("Invalid input"), _("Please check what you entered.")),
        429: (_("Too many attempts"), _("Too many attempts. Please wait a minute and try again.")),
        500: (_("Something went wrong"), _("An unexpected error occurred. Nothing was saved.")),
    }


def error_response(
    status: int,
    code: str,
    message: str | None = None,
    fields: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Any:
    title, default_message = _messages().get(status, (_("Error"), _("An error occurred.")))
    text = message or default_message
    if wants_json():
        body: dict[str, Any] = {"error": {"code": code, "message": text, "fields": fields or {}}}
        if extra:
            body["error"].update(extra)
        return jsonify(body), status
    return render_template("core/error.html", status=status, title=title, message=text), status


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on the app."""

    @app.errorhandler(PermissionDenied)
    def _denied(exc: PermissionDenied) -> Any:
        db.session.rollback()
        return error_response(403, "forbidden", exc.message)

    @app.errorhandler(ServiceError)
    def _service(exc: ServiceError) -> Any:
        db.session.rollback()
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.payload)

    @app.errorhandler(StaleDataError)
    def _stale(exc: StaleDataError) -> Any:
        # A write that lost a race with another person's save (version_id_col) and that no
        # service turned into an EditConflict: still a 409, never a server error.
        db.session.rollback()
        return error_response(409, "conflict")

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        return error_response(
            400,
            "csrf",
            _("The form expired or was sent from elsewhere. Reload the page and try again."),
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        status = exc.code or 500
        codes = {
            400: "bad_request",
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            409: "conflict",
            413: "too_large",
            422: "invalid",
            429: "rate_limited",
        }
        return error_response(status, codes.get(status, "error"))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        db.session.rollback()
        app.logger.exception("Unhandled error")
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc
        return error_response(500, "server_error")

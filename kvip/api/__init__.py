"""The JSON API at /api/v1. Modules add routes in their own ``api.py`` with :data:`bp` and
describe them with :func:`kvip.api.spec.operation`; ``/api/v1/openapi.json`` is assembled from
those."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kvip.api.spec import STRING, document, obj, openapi_document, operation, schema
from kvip.core.errors import ServiceError
from kvip.core.setup import MAX_ID

__all__ = ["bp", "document", "int_arg", "json_body", "schema"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 with a clear message (JSON that cannot be read,
    nests too deeply or holds a lone surrogate: code ``bad_json``, see kvip.core.http)."""
    data = request.get_json() if request.is_json else None
    if not isinstance(data, dict):
        raise ServiceError(
            _("The request body must be a JSON object."), status=400, code="bad_request"
        )
    return data


def int_arg(name: str, default: int | None, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole-number query parameter within ``low``…``high`` (ids: a database INTEGER), its
    default when absent, or a 400 naming it: never a silent clamp, never a database error."""
    raw = request.args.get(name)
    if raw is None:
        return default
    # int() also reads "+1", " 1", "1_000" and non-ASCII digits; only plain digits are asked for.
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ServiceError(
            _(
                "%(name)s must be a whole number from %(low)d to %(high)d.",
                name=name,
                low=low,
                high=high,
            ),
            status=400,
            code="bad_parameter",
            fields={name: _("Out of range.")},
        )
    return int(raw)


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every API call needs a signed-in user or a bearer token (openapi.json included)."""


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(openapi_document())


@bp.get("/me")
def me() -> Any:
    user = current_user
    return jsonify({"id": user.id, "email": user.email, "name": user.name, "locale": user.locale})


operation(
    "/me",
    "get",
    summary="The calling user",
    response=obj(
        {
            "id": {"type": "integer"},
            "email": {**STRING, "format": "email"},
            "name": STRING,
            "locale": {"type": "string", "enum": ["nb", "en"]},
        }
    ),
    response_description="The user",
)
operation(
    "/openapi.json",
    "get",
    summary="This document (OpenAPI 3.0)",
    response={"type": "object", "required": ["openapi", "info", "paths"]},
    response_description="The OpenAPI document",
)

"""The JSON API at /api/v1. Modules add routes in their own ``api.py`` with :data:`bp` and
describe them with :func:`document`; ``/api/v1/openapi.json`` is assembled from those."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kvip.core.errors import ServiceError

bp = Blueprint("api", __name__, url_prefix="/api/v1")

_PATHS: dict[str, dict[str, Any]] = {}
_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object"},
                },
            }
        },
    }
}


def document(path: str, method: str, spec: dict[str, Any]) -> None:
    """Add one operation to the OpenAPI document (``path`` in OpenAPI form, e.g. ``/cycles/{id}``)."""
    spec.setdefault("security", [{"bearer": []}, {"cookie": []}])
    responses = spec.setdefault("responses", {})
    for status in ("401", "403"):
        responses.setdefault(
            status,
            {
                "description": "Not allowed",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        )
    _PATHS.setdefault(path, {})[method.lower()] = spec


def schema(name: str, definition: dict[str, Any]) -> None:
    """Register a reusable schema under ``#/components/schemas/<name>``."""
    _SCHEMAS[name] = definition


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 with a clear message."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ServiceError(
            _("The request body must be a JSON object."), status=400, code="bad_request"
        )
    return data


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every API call needs a signed-in user or a bearer token (openapi.json included)."""


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(
        {
            "openapi": "3.0.3",
            "info": {"title": "KvIP API", "version": "1.0"},
            "servers": [{"url": "/api/v1"}],
            "paths": dict(sorted(_PATHS.items())),
            "components": {
                "schemas": _SCHEMAS,
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
                },
            },
        }
    )


@bp.get("/me")
def me() -> Any:
    user = current_user
    return jsonify({"id": user.id, "email": user.email, "name": user.name, "locale": user.locale})


document(
    "/me",
    "get",
    {
        "summary": "The calling user",
        "responses": {
            "200": {
                "description": "The user",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "email": {"type": "string"},
                                "name": {"type": "string"},
                                "locale": {"type": "string"},
                            },
                        }
                    }
                },
            }
        },
    },
)

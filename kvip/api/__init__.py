"""The JSON API at /api/v1: registers the blueprint every module's ``api.py`` adds its routes
to (:data:`kvip.core.api.bp`) with flask-smorest, and serves ``/api/v1/openapi.json``,
generated from the modules' marshmallow schemas."""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask, current_app, jsonify
from flask_login import current_user
from flask_smorest import Api
from marshmallow import fields

from kvip.core.api import (
    ErrorSchema,
    IsoDate,
    IsoDateTime,
    OutSchema,
    bp,
)
from kvip.core.setup import MAX_ID, IdConverter

PREFIX = "/api/v1"

# Answers any operation can give (added to each operation of the document).
_ALWAYS = {
    "400": "Malformed request, e.g. a NUL character anywhere in it (code nul_character), or a "
    "host the platform does not serve (code unknown_host)",
    "401": "Not signed in, and no valid API token (Authorization: Bearer …); when that header "
    "is sent, the token alone counts, never a session cookie",
}
_WRITE_400 = (
    " or the body is not a JSON object, or is JSON nested deeper than 32 levels or with an "
    "unpaired surrogate (code bad_json), or (session cookie) the X-CSRFToken header is missing "
    "(code csrf)"
)
_GENERIC = {"422": "Invalid input; error.fields names each field"}
_TOO_LARGE = "The body is too large"
_SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from the profile page or "
        "`flask --app kvip users create-token EMAIL`",
    },
    "cookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "The browser's session; writes also need the X-CSRFToken header",
    },
}


class KvipApi(Api):  # type: ignore[misc]
    """flask-smorest without its own error handlers (kvip.core.errors answers every error in
    the envelope) and without its documentation blueprint (the document is served below,
    behind the sign-in like every API call)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        pass


def _id_param(converter: Any) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _error_ref(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def openapi_document(api: Api) -> dict[str, Any]:
    """The generated document, as served: paths relative to the ``/api/v1`` server, every
    operation with the answers every operation can give and both ways to authenticate."""
    spec = copy.deepcopy(api.spec.to_dict())
    error_ref = {"$ref": "#/components/schemas/Error"}
    paths: dict[str, Any] = {}
    for path, operations in spec.get("paths", {}).items():
        shared = operations.pop("parameters", [])
        for op in operations.values():
            # Path parameters with each operation (the document's readers look there).
            op["parameters"] = shared + op.get("parameters", [])
            op["security"] = [{"bearer": []}, {"cookie": []}]
            responses = op.setdefault("responses", {})
            responses.pop("default", None)
            for status, answer in list(responses.items()):
                if "$ref" in answer:  # flask-smorest's generic answers (e.g. 422 of a body)
                    responses[status] = {
                        "description": _GENERIC.get(status, answer["$ref"].rsplit("/", 1)[1]),
                        "content": _error_ref(error_ref),
                    }
            for status, text in _ALWAYS.items():
                if "requestBody" in op and status == "400":
                    text += _WRITE_400
                current = responses.get(status)
                if current is None or "content" not in current:
                    responses[status] = {"description": text, "content": _error_ref(error_ref)}
            if "requestBody" in op:
                op["requestBody"]["required"] = True
                responses.setdefault(
                    "413", {"description": _TOO_LARGE, "content": _error_ref(error_ref)}
                )
            op["responses"] = dict(sorted(responses.items()))
        paths[path.removeprefix(PREFIX) or "/"] = operations
    spec["paths"] = dict(sorted(paths.items()))
    spec["servers"] = [{"url": PREFIX}]
    spec.pop("tags", None)
    components = spec.setdefault("components", {})
    components["securitySchemes"] = _SECURITY_SCHEMES
    components.pop("responses", None)
    return spec


class MeSchema(OutSchema):
    id = fields.Integer()
    email = fields.Email()
    name = fields.String()
    locale = fields.String(metadata={"enum": ["nb", "en"]})


class OpenApiSchema(OutSchema):
    class Meta:
        unknown = "include"

    openapi = fields.String()
    info = fields.Dict()
    paths = fields.Dict()


def _schema_name(schema: Any) -> str | None:
    """Components are named after their schema class; the inside of the error envelope and
    the schemas marked ``INLINE`` are written out where they are used (None: inline)."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if name.endswith("ErrorBody") or getattr(cls, "INLINE", False):
        return None
    return name


def init_app(app: Flask) -> None:
    """Register the API blueprint (after every module's ``api.py`` was imported)."""
    app.config.update(
        API_TITLE="KvIP API",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=None,
    )
    from apispec.ext.marshmallow import MarshmallowPlugin

    # apispec documents None from the resolver as "write this schema inline".
    plugin = MarshmallowPlugin(_schema_name)  # type: ignore[arg-type]
    api = KvipApi(spec_kwargs={"marshmallow_plugin": plugin})
    api.init_app(app)
    api.register_converter(IdConverter, _id_param)
    api.register_field(IsoDate, "string", "date")
    api.register_field(IsoDateTime, "string", "date-time")
    api.register_blueprint(bp)
    app.extensions["kvip-api"] = api


@bp.get("/openapi.json")
@bp.response(200, OpenApiSchema, description="The OpenAPI document")
def openapi() -> Any:
    """This document (OpenAPI 3.0)"""
    return jsonify(openapi_document(current_app.extensions["kvip-api"]))


@bp.get("/me")
@bp.response(200, MeSchema, description="The user")
def me() -> Any:
    """The calling user"""
    return current_user

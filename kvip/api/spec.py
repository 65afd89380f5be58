"""Building blocks of the OpenAPI document, so that each module's ``api.py`` says only what is
particular to its operations: exact object schemas (every property present, nothing else),
id parameters with the database's range, and :func:`operation`, which adds the error answers
every operation can give in the one envelope of :mod:`kvip.core.errors`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kvip.core.setup import MAX_ID

Schema = dict[str, Any]

_PATHS: dict[str, dict[str, Any]] = {}
_SCHEMAS: dict[str, Any] = {}


def document(path: str, method: str, spec: dict[str, Any]) -> None:
    """Add one operation (``path`` in OpenAPI form, e.g. ``/cycles/{id}``); prefer
    :func:`operation`, which adds the error answers."""
    spec.setdefault("security", [{"bearer": []}, {"cookie": []}])
    _PATHS.setdefault(path, {})[method.lower()] = spec


def schema(name: str, definition: dict[str, Any]) -> Schema:
    """Register a reusable schema under ``#/components/schemas/<name>``; returns its ``$ref``."""
    _SCHEMAS[name] = definition
    return ref(name)


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.0 document."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "KvIP API", "version": "1.0"},
        "servers": [{"url": "/api/v1"}],
        "paths": dict(sorted(_PATHS.items())),
        "components": {
            "schemas": dict(sorted(_SCHEMAS.items())),
            "securitySchemes": {
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
            },
        },
    }


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
COUNT: Schema = {"type": "integer", "minimum": 0}
NUMBER: Schema = {"type": "number"}
PERCENT: Schema = {"type": "number", "minimum": 0, "maximum": 100, "nullable": True}
BOOLEAN: Schema = {"type": "boolean"}
DATE: Schema = {"type": "string", "format": "date"}
# Timestamps are UTC, written with a trailing Z (RFC 3339 wants a time zone).
DATETIME: Schema = {"type": "string", "format": "date-time"}
ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def ref(name: str) -> Schema:
    """``{"$ref": "#/components/schemas/<name>"}``."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """The schema, or null (OpenAPI 3.0 ``nullable``; a ``$ref`` is wrapped in ``allOf``)."""
    if "$ref" in schema:
        return {"allOf": [schema], "nullable": True}
    out = {**schema, "nullable": True}
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


def enum(values: Iterable[Any], **extra: Any) -> Schema:
    """A string (or integer) out of ``values``."""
    items = [getattr(v, "value", v) for v in values]
    kind = "integer" if all(isinstance(v, int) for v in items) else "string"
    return {"type": kind, "enum": items, **extra}


def array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


def obj(
    properties: Mapping[str, Schema],
    *,
    optional: Iterable[str] = (),
    open_ended: bool = False,
    **extra: Any,
) -> Schema:
    """An object with exactly these properties: all required except ``optional``, and no other
    property unless ``open_ended`` (so the document says when an answer gains a field)."""
    skip = set(optional)
    schema: Schema = {
        "type": "object",
        "required": [name for name in properties if name not in skip],
        "properties": dict(properties),
    }
    if not open_ended:
        schema["additionalProperties"] = False
    schema.update(extra)
    return schema


def error_schema(current: Schema | None = None) -> Schema:
    """The error envelope; ``current`` is the server's state a 409 carries in ``error.current``."""
    properties: dict[str, Schema] = {
        "code": {"type": "string", "pattern": "^[a-z_]+$", "example": "not_found"},
        "message": {"type": "string", "description": "For people, in the caller's language"},
        "fields": {
            "type": "object",
            "additionalProperties": STRING,
            "description": "Input field → what is wrong with it (empty when no field is to blame)",
        },
        "current": current or {"type": "object"},
    }
    return obj({"error": obj(properties, optional=["current"])})


# --- parameters -------------------------------------------------------------------------------


def path_id(name: str = "id", what: str = "") -> Schema:
    """An integer id in the path (a database INTEGER: 1 … 2³¹−1)."""
    param: Schema = {"name": name, "in": "path", "required": True, "schema": ID}
    if what:
        param["description"] = what
    return param


def path_text(name: str, description: str, **schema: Any) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1, **schema},
        "description": description,
    }


def query(name: str, schema: Schema, description: str = "", **extra: Any) -> Schema:
    param: Schema = {"name": name, "in": "query", "schema": schema, **extra}
    if description:
        param["description"] = description
    return param


def paging(max_limit: int, default_limit: int = 100) -> list[Schema]:
    """``limit`` and ``offset``; out of range answers 400."""
    return [
        query(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": max_limit, "default": default_limit},
        ),
        query("offset", {"type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0}),
    ]


# --- operations -------------------------------------------------------------------------------

_ERROR_TEXT = {
    400: "Malformed request, e.g. a NUL character anywhere in it (code nul_character), or a "
    "host the platform does not serve (code unknown_host)",
    401: "Not signed in, and no valid API token (Authorization: Bearer …); when that header "
    "is sent, the token alone counts, never a session cookie",
    403: "Signed in, but not allowed",
    404: "Not found",
    409: "Conflict with the current state",
    413: "The body is too large",
    422: "Invalid input; error.fields names each field",
}
_WRITE_400 = (
    " or the body is not a JSON object, or is JSON nested deeper than 32 levels or with an "
    "unpaired surrogate (code bad_json), or (session cookie) the X-CSRFToken header is missing "
    "(code csrf)"
)


def json_content(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def operation(
    path: str,
    method: str,
    *,
    summary: str,
    response: Schema | None,
    response_description: str,
    errors: Mapping[int, str | tuple[str, Schema]] | None = None,
    parameters: Sequence[Schema] = (),
    body: Schema | None = None,
    status: int = 200,
    response_headers: Mapping[str, Schema] | None = None,
    description: str = "",
    tags: Sequence[str] = (),
) -> None:
    """Document one operation with every answer it can give: ``response`` for ``status``,
    400 and 401 (any request can get them), 413 when it takes a body, and ``errors`` (status →
    what it means, or (meaning, schema) for an error that carries more, e.g. a 409's current
    state). Every error body is the :func:`error_schema` envelope."""
    success: Schema = {"description": response_description}
    if response is not None:
        success["content"] = json_content(response)
    if response_headers:
        success["headers"] = {
            name: {"schema": schema, "required": True} for name, schema in response_headers.items()
        }
    responses: dict[str, Schema] = {str(status): success}
    all_errors: dict[int, str | tuple[str, Schema]] = {400: _ERROR_TEXT[400], 401: _ERROR_TEXT[401]}
    if body is not None:
        all_errors[400] = _ERROR_TEXT[400] + _WRITE_400
        all_errors[413] = _ERROR_TEXT[413]
    for code, meaning in (errors or {}).items():
        all_errors[code] = meaning
    for code in sorted(all_errors):
        meaning = all_errors[code]
        text, schema = meaning if isinstance(meaning, tuple) else (meaning, ref("Error"))
        responses[str(code)] = {"description": text, "content": json_content(schema)}
    spec: Schema = {"summary": summary, "parameters": list(parameters), "responses": responses}
    if description:
        spec["description"] = description
    if tags:
        spec["tags"] = list(tags)
    if body is not None:
        spec["requestBody"] = {"required": True, "content": json_content(body)}
    document(path, method, spec)


schema("Error", error_schema())

# The §5 summary of a set of standards (kvip.benchmarks.scoring.Summary.as_dict), as every
# answer with scores gives it.
SUMMARY_PROPERTIES: dict[str, Schema] = {
    "score": {**PERCENT, "description": "100 × (met + ½ partly met) / applicable"},
    "met_pct": PERCENT,
    "completeness": PERCENT,
    **dict.fromkeys(
        ("met", "partly_met", "not_met", "not_applicable", "applicable", "rated", "total"), COUNT
    ),
}
SUMMARY = schema(
    "Summary",
    obj(
        SUMMARY_PROPERTIES,
        description="DESIGN §5: score and met % are null when nothing is applicable.",
    ),
)

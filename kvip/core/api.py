"""What every module's JSON API (``/api/v1``, DESIGN §8) shares, declared once on flask-smorest
(marshmallow schemas): the blueprint the modules' ``api.py`` add their routes to, the request
parser that answers bad input in the one error envelope of :mod:`kvip.core.errors`, and the
schemas and fields the answers share. ``kvip.api`` registers the blueprint and serves the
OpenAPI document generated from the schemas."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, NoReturn

import marshmallow as ma
from flask import Request, request
from flask_babel import gettext as _
from flask_login import login_required
from flask_smorest import Blueprint
from marshmallow import fields, validate
from webargs.flaskparser import FlaskParser

from kvip.core.db import iso
from kvip.core.errors import ServiceError
from kvip.core.setup import MAX_ID

__all__ = [
    "SUMMARY_KEYS",
    "BodySchema",
    "Count",
    "ErrorSchema",
    "Id",
    "IsoDate",
    "IsoDateTime",
    "OneOf",
    "OpenBodySchema",
    "OutSchema",
    "PageArgsSchema",
    "Percent",
    "QueryInt",
    "QuerySchema",
    "StrictBool",
    "StrictInt",
    "SummarySchema",
    "Text",
    "UnitRefSchema",
    "UserRefSchema",
    "bp",
    "conflict_schema",
    "errors",
    "int_arg",
    "json_body",
]


# --- reading requests -----------------------------------------------------------------------


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 with a clear message (JSON that cannot be read,
    nests too deeply or holds a lone surrogate: code ``bad_json``, see kvip.core.http)."""
    data = request.get_json() if request.is_json else None
    if not isinstance(data, dict):
        raise ServiceError(
            _("The request body must be a JSON object."), status=400, code="bad_request"
        )
    return data


def _range_message(name: str, low: int, high: int) -> str:
    return _(
        "%(name)s must be a whole number from %(low)d to %(high)d.", name=name, low=low, high=high
    )


def int_arg(name: str, default: int | None, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole-number query parameter within ``low``…``high`` (ids: a database INTEGER), its
    default when absent, or a 400 naming it: never a silent clamp, never a database error."""
    raw = request.args.get(name)
    if raw is None:
        return default
    # int() also reads "+1", " 1", "1_000" and non-ASCII digits; only plain digits are asked for.
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ServiceError(
            _range_message(name, low, high),
            status=400,
            code="bad_parameter",
            fields={name: _("Out of range.")},
        )
    return int(raw)


def _field_messages(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages as the envelope's flat ``field → message``."""
    out: dict[str, str] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = str(key) if key != "_schema" else ""
            joined = f"{prefix}.{name}" if prefix and name else (name or prefix or "body")
            out.update(_field_messages(value, joined))
    elif isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        out[prefix or "body"] = " ".join(_translated(m) for m in messages)
    elif isinstance(messages, list | tuple):
        for i, value in enumerate(messages):
            out.update(_field_messages(value, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix or "body"] = _translated(str(messages))
    return out


def _translated(message: str) -> str:
    """marshmallow's usual messages in the user's language (others as they are)."""
    known: dict[str, Callable[[], str]] = {
        "Unknown field.": lambda: _("Unknown field."),
        "Missing data for required field.": lambda: _("This field is required."),
        "Field may not be null.": lambda: _("This field is required."),
        "Not a valid string.": lambda: _("Give a text value."),
        "Not a valid list.": lambda: _("Give a list of codes."),
        "Not a valid integer.": lambda: _("Give a whole number."),
        "Not a valid boolean.": lambda: _("Give true or false."),
        "Not a valid date.": lambda: _("Give a date as YYYY-MM-DD."),
        "Invalid input type.": lambda: _("Give a JSON object."),
        "String does not match expected pattern.": lambda: _("Enter a value."),
    }
    if message in known:
        return known[message]()
    if message.startswith("Must be one of:"):
        return _("Not one of the allowed values.")
    if message.startswith("Longer than maximum length"):
        return _("The text is too long.")
    return message


class KvipParser(FlaskParser):
    """webargs, answering in the error envelope: a body that is not a JSON object 400
    (``bad_request``/``bad_json``, as :func:`json_body`), a query parameter out of range 400
    (``bad_parameter``), an invalid body 422 (``invalid``) with ``fields`` naming each field.
    The schema's own ``Meta.unknown`` decides about unknown fields."""

    def _raw_load_json(self, req: Request) -> Any:
        return json_body()

    def handle_error(
        self,
        error: ma.ValidationError,
        req: Request,
        schema: ma.Schema,
        *,
        error_status_code: int | None,
        error_headers: Mapping[str, str] | None,
    ) -> NoReturn:
        messages = error.messages
        location = next(iter(messages), "json") if isinstance(messages, dict) else "json"
        inner = messages.get(location, messages) if isinstance(messages, dict) else messages
        fields_ = _field_messages(inner)
        if location in ("query", "view_args"):
            name = next(iter(fields_), "")
            raise ServiceError(
                _("The parameter %(name)s is not valid.", name=name),
                status=400,
                code="bad_parameter",
                fields=fields_,
            )
        raise ServiceError(
            _("Nothing was saved. Please correct the marked fields."), fields=fields_
        )


class KvipBlueprint(Blueprint):
    ARGUMENTS_PARSER = KvipParser(unknown=None)


bp = KvipBlueprint("api", __name__, url_prefix="/api/v1", description="KvIP API")


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every API call needs a signed-in user or a bearer token (openapi.json included)."""


# --- documenting refusals -------------------------------------------------------------------


def errors(
    refusals: Mapping[int, str | tuple[str, type[ma.Schema] | ma.Schema]],
) -> Callable[[Any], Any]:
    """Document the error answers an operation can give besides those every operation can
    (400, 401, and 413 with a body; added by ``kvip.api``): status → what it means, or
    (meaning, schema) for one that carries more, e.g. a 409's current state."""

    def decorate(func: Any) -> Any:
        for status, meaning in refusals.items():
            text, schema = meaning if isinstance(meaning, tuple) else (meaning, ErrorSchema)
            func = bp.alt_response(status, schema=schema, description=text)(func)
        return func

    return decorate


# --- schemas --------------------------------------------------------------------------------


class OutSchema(ma.Schema):
    """An answer's object: every property present (required), nothing else (additionalProperties
    false), so the document says when an answer gains a field. Fields built with
    ``metadata={"optional": True}`` may be absent."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        if not field_obj.metadata.get("optional"):
            field_obj.required = True


class BodySchema(ma.Schema):
    """A request body that refuses unknown fields (422 naming them)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class OpenBodySchema(ma.Schema):
    """A request body whose other properties are ignored (documented as allowed)."""

    class Meta:
        unknown = ma.EXCLUDE
        ordered = True


class QuerySchema(ma.Schema):
    """Query parameters; others are ignored."""

    class Meta:
        unknown = ma.EXCLUDE
        ordered = True


def Id(**kwargs: Any) -> fields.Integer:  # noqa: N802  (a field, named like one)
    """A row id: a database INTEGER, 1 … 2³¹−1."""
    return StrictInt(validate=validate.Range(1, MAX_ID), **kwargs)


def Count(**kwargs: Any) -> fields.Integer:  # noqa: N802
    return fields.Integer(validate=validate.Range(min=0), **kwargs)


def Percent(**kwargs: Any) -> fields.Float:  # noqa: N802
    kwargs.setdefault("allow_none", True)
    return fields.Float(validate=validate.Range(0, 100), **kwargs)


class QueryInt(fields.Integer):
    """A whole number in a query string: plain ASCII digits only (int() would also read "+1",
    " 1", "1_000" and non-ASCII digits)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not (isinstance(value, str) and value.isascii() and value.isdigit()):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def OneOf(values: Iterable[Any], **kwargs: Any) -> fields.Field:  # noqa: N802
    """A string (or integer) out of ``values`` (enum members give their values)."""
    items = [getattr(v, "value", v) for v in values]
    if items and all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        return fields.Integer(validate=validate.OneOf(items), **kwargs)
    return fields.String(validate=validate.OneOf(items), **kwargs)


class StrictInt(fields.Integer):
    """A JSON integer: not a float, a string or a boolean."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBool(fields.Boolean):
    """A JSON true or false (not "yes", 1 or "true")."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Text(fields.String):
    """Text of at most ``max_length`` characters (``pattern="\\S"``: not blank)."""

    def __init__(self, max_length: int | None = None, *, blank: bool = True, **kwargs: Any) -> None:
        checks: list[Any] = []
        if max_length is not None:
            checks.append(validate.Length(max=max_length))
        if not blank:
            checks.append(validate.Regexp(r"\S"))
        super().__init__(validate=checks, **kwargs)


class IsoDate(fields.Date):
    """A date, written YYYY-MM-DD (a value already written passes as it is)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        return iso(value)


class IsoDateTime(fields.DateTime):
    """A UTC timestamp with a trailing Z (RFC 3339 wants a time zone)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        assert isinstance(value, datetime | date)
        return iso(value)


class ErrorBodySchema(OutSchema):
    code = fields.String(validate=validate.Regexp("^[a-z_]+$"), metadata={"example": "not_found"})
    message = fields.String(metadata={"description": "For people, in the caller's language"})
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "description": "Input field → what is wrong with it (empty when no field is to blame)"
        },
    )
    current = fields.Dict(metadata={"optional": True})


class ErrorSchema(OutSchema):
    """The error envelope every refusal answers with."""

    error = fields.Nested(ErrorBodySchema)


def conflict_schema(name: str, current: type[ma.Schema] | ma.Schema) -> type[ma.Schema]:
    """The envelope of a 409 whose ``error.current`` is the server's state (``current``)."""
    body = type(
        f"{name}ErrorBodySchema",
        (ErrorBodySchema,),
        {"current": fields.Nested(current, metadata={"optional": True})},
    )
    return type(f"{name}ErrorSchema", (OutSchema,), {"error": fields.Nested(body)})


class UserRefSchema(OutSchema):
    id = Id()
    name = fields.String()


class UnitRefSchema(OutSchema):
    id = Id()
    name = fields.String()


class SummarySchema(OutSchema):
    """DESIGN §5: score and met % are null when nothing is applicable."""

    score = Percent(metadata={"description": "100 × (met + ½ partly met) / applicable"})
    met_pct = Percent()
    completeness = Percent()
    met = Count()
    partly_met = Count()
    not_met = Count()
    not_applicable = Count()
    applicable = Count()
    rated = Count()
    total = Count()


SUMMARY_KEYS = tuple(SummarySchema._declared_fields)


class PageArgsSchema(QuerySchema):
    """``limit`` and ``offset`` (out of range: 400)."""

    MAX_PAGE = 500
    limit = QueryInt(validate=validate.Range(1, 500), load_default=100, metadata={"default": 100})
    offset = QueryInt(validate=validate.Range(0, MAX_ID), load_default=0, metadata={"default": 0})

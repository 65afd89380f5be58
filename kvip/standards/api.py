"""API: ``GET /api/v1/standards`` (an edition's domains with their standards) and
``GET /api/v1/editions``."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_login import current_user

from kvip.api import bp
from kvip.api.spec import (
    BOOLEAN,
    COUNT,
    DATE,
    STRING,
    array,
    enum,
    nullable,
    obj,
    operation,
    query,
    schema,
)
from kvip.core.db import iso
from kvip.core.permissions import require
from kvip.standards import queries
from kvip.standards.duties import DIMENSION_CODES, DUTY_CODES, METHOD_CODES
from kvip.standards.models import Edition


def _bilingual(obj: Any, name: str) -> dict[str, str]:
    return {"nb": getattr(obj, f"{name}_nb") or "", "en": getattr(obj, f"{name}_en") or ""}


def edition_json(edition: Edition, row: queries.EditionRow | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": edition.slug,
        "name": _bilingual(edition, "name"),
        "version": edition.version,
        "published": iso(edition.published),
        "total": edition.total,
        "frozen": edition.frozen,
    }
    if row is not None:
        data.update(
            {
                "standards": row.standards,
                "cycles": row.cycles,
                "in_use": row.in_use,
                "current": row.current,
            }
        )
    return data


@bp.get("/standards")
def standards() -> Any:
    require(current_user, "standards.read")
    edition = queries.edition_or_current(request.args.get("edition"))
    domains: dict[int, dict[str, Any]] = {}
    out_domains = []
    for domain in edition.domains:
        entry = {
            "code": domain.code,
            "slug": domain.slug,
            "title": _bilingual(domain, "title"),
            "standards": [],
        }
        domains[domain.id] = entry
        out_domains.append(entry)
    for std in queries.standards_of(edition):
        domains[std.domain_id]["standards"].append(
            {
                "code": std.code,
                "type": std.type,
                "text": _bilingual(std, "text"),
                "guidance": _bilingual(std, "guidance"),
                "duties": std.duties,
                "dimensions": std.dimensions,
                "methods": list(std.methods or ()),
            }
        )
    return jsonify({"edition": edition_json(edition), "domains": out_domains})


@bp.get("/editions")
def editions() -> Any:
    require(current_user, "standards.read")
    return jsonify({"editions": [edition_json(r.edition, r) for r in queries.edition_rows()]})


# --- OpenAPI ---------------------------------------------------------------------------------

_TEXT = schema("BilingualText", obj({"nb": STRING, "en": STRING}))
_EDITION = schema(
    "Edition",
    obj(
        {
            "slug": {**STRING, "example": "kvip-2026"},
            "name": _TEXT,
            "version": STRING,
            "published": nullable(DATE),
            "total": {**COUNT, "description": "Declared number of standards"},
            "frozen": {**BOOLEAN, "description": "Marked frozen (used by a cycle)"},
            "standards": {**COUNT, "description": "Standards loaded (list only)"},
            "cycles": {**COUNT, "description": "Cycles using it (list only)"},
            "in_use": {**BOOLEAN, "description": "Frozen or used by a cycle (list only)"},
            "current": {**BOOLEAN, "description": "The latest published edition (list only)"},
        },
        optional=["standards", "cycles", "in_use", "current"],
    ),
)
_STANDARD = schema(
    "Standard",
    obj(
        {
            "code": {**STRING, "example": "4.12"},
            "type": enum([1, 2, 3], description="1 essential (legal), 2 expected, 3 desirable"),
            "text": _TEXT,
            "guidance": _TEXT,
            "duties": array(
                enum(DUTY_CODES),
                description="Duties of §6–§9 of the regulation on management and quality "
                "improvement",
            ),
            "dimensions": array(enum(DIMENSION_CODES)),
            "methods": array(
                enum(METHOD_CODES),
                description="How a reviewer checks it (empty in editions without methods)",
            ),
        }
    ),
)
_DOMAIN = schema(
    "Domain",
    obj(
        {
            "code": {**STRING, "example": "4"},
            "slug": STRING,
            "title": _TEXT,
            "standards": array(_STANDARD),
        }
    ),
)
operation(
    "/standards",
    "get",
    summary="The standards of an edition, by domain",
    description="The current edition (the latest published) unless `edition` names one.",
    tags=["standards"],
    parameters=[query("edition", STRING, "An edition's slug, e.g. kvip-2026")],
    response=obj({"edition": _EDITION, "domains": array(_DOMAIN)}),
    response_description="The edition with its domains and standards",
    errors={404: "No such edition, or none published"},
)
operation(
    "/editions",
    "get",
    summary="Every edition of the standards, newest first",
    tags=["standards"],
    response=obj({"editions": array(_EDITION)}),
    response_description="The editions",
)

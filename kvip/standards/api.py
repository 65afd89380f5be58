"""API: ``GET /api/v1/standards`` (an edition's domains with their standards) and
``GET /api/v1/editions``."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_login import current_user

from kvip.api import bp, document, schema
from kvip.core.permissions import require
from kvip.standards import queries
from kvip.standards.models import Edition


def _bilingual(obj: Any, name: str) -> dict[str, str]:
    return {"nb": getattr(obj, f"{name}_nb") or "", "en": getattr(obj, f"{name}_en") or ""}


def edition_json(edition: Edition, row: queries.EditionRow | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": edition.slug,
        "name": _bilingual(edition, "name"),
        "version": edition.version,
        "published": edition.published.isoformat() if edition.published else None,
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
            }
        )
    return jsonify({"edition": edition_json(edition), "domains": out_domains})


@bp.get("/editions")
def editions() -> Any:
    require(current_user, "standards.read")
    return jsonify({"editions": [edition_json(r.edition, r) for r in queries.edition_rows()]})


_TEXT = {
    "type": "object",
    "required": ["nb", "en"],
    "properties": {"nb": {"type": "string"}, "en": {"type": "string"}},
}
schema("BilingualText", _TEXT)
schema(
    "Edition",
    {
        "type": "object",
        "required": ["slug", "name", "version", "published", "total", "frozen"],
        "properties": {
            "slug": {"type": "string", "example": "kvip-2026"},
            "name": {"$ref": "#/components/schemas/BilingualText"},
            "version": {"type": "string"},
            "published": {"type": "string", "format": "date", "nullable": True},
            "total": {"type": "integer", "description": "Declared number of standards"},
            "frozen": {"type": "boolean", "description": "Marked frozen (used by a cycle)"},
            "standards": {"type": "integer", "description": "Standards loaded (list only)"},
            "cycles": {"type": "integer", "description": "Cycles using it (list only)"},
            "in_use": {"type": "boolean", "description": "Frozen or used by a cycle (list only)"},
            "current": {
                "type": "boolean",
                "description": "The latest published edition (list only)",
            },
        },
    },
)
schema(
    "Standard",
    {
        "type": "object",
        "required": ["code", "type", "text", "guidance", "duties", "dimensions"],
        "properties": {
            "code": {"type": "string", "example": "4.12"},
            "type": {
                "type": "integer",
                "enum": [1, 2, 3],
                "description": "1 essential (legal requirement), 2 expected, 3 desirable",
            },
            "text": {"$ref": "#/components/schemas/BilingualText"},
            "guidance": {"$ref": "#/components/schemas/BilingualText"},
            "duties": {
                "type": "array",
                "items": {"type": "string", "example": "6d"},
                "description": "Duties of §6–§9 of the regulation on management and quality improvement",
            },
            "dimensions": {
                "type": "array",
                "items": {
                    "type": "string",
                    "enum": [
                        "effective",
                        "safe",
                        "user_involvement",
                        "coordinated",
                        "resources",
                        "accessible",
                    ],
                },
            },
        },
    },
)
schema(
    "Domain",
    {
        "type": "object",
        "required": ["code", "slug", "title", "standards"],
        "properties": {
            "code": {"type": "string", "example": "4"},
            "slug": {"type": "string"},
            "title": {"$ref": "#/components/schemas/BilingualText"},
            "standards": {"type": "array", "items": {"$ref": "#/components/schemas/Standard"}},
        },
    },
)
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
document(
    "/standards",
    "get",
    {
        "summary": "The standards of an edition, by domain",
        "description": "The current edition (the latest published) unless `edition` names one.",
        "parameters": [
            {
                "name": "edition",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "An edition's slug, e.g. kvip-2026",
            }
        ],
        "responses": {
            "200": {
                "description": "The edition with its domains and standards",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["edition", "domains"],
                            "properties": {
                                "edition": {"$ref": "#/components/schemas/Edition"},
                                "domains": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Domain"},
                                },
                            },
                        }
                    }
                },
            },
            "404": {"description": "No such edition, or none published", "content": _ERROR},
        },
    },
)
document(
    "/editions",
    "get",
    {
        "summary": "Every edition of the standards, newest first",
        "responses": {
            "200": {
                "description": "The editions",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["editions"],
                            "properties": {
                                "editions": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Edition"},
                                }
                            },
                        }
                    }
                },
            }
        },
    },
)

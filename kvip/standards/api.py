"""API: ``GET /api/v1/standards`` (an edition's domains with their standards) and
``GET /api/v1/editions``."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from marshmallow import fields

from kvip.core.api import Count, IsoDate, OneOf, OutSchema, QuerySchema, bp, errors
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


class BilingualTextSchema(OutSchema):
    nb = fields.String()
    en = fields.String()


class EditionSchema(OutSchema):
    slug = fields.String(metadata={"example": "kvip-2026"})
    name = fields.Nested(BilingualTextSchema)
    version = fields.String()
    published = IsoDate(allow_none=True)
    total = Count(metadata={"description": "Declared number of standards"})
    frozen = fields.Boolean(metadata={"description": "Marked frozen (used by a cycle)"})
    standards = Count(metadata={"description": "Standards loaded (list only)", "optional": True})
    cycles = Count(metadata={"description": "Cycles using it (list only)", "optional": True})
    in_use = fields.Boolean(
        metadata={"description": "Frozen or used by a cycle (list only)", "optional": True}
    )
    current = fields.Boolean(
        metadata={"description": "The latest published edition (list only)", "optional": True}
    )


class StandardSchema(OutSchema):
    code = fields.String(metadata={"example": "4.12"})
    type = OneOf(
        [1, 2, 3], metadata={"description": "1 essential (legal), 2 expected, 3 desirable"}
    )
    text = fields.Nested(BilingualTextSchema)
    guidance = fields.Nested(BilingualTextSchema)
    duties = fields.List(
        OneOf(DUTY_CODES),
        metadata={
            "description": "Duties of §6–§9 of the regulation on management and quality improvement"
        },
    )
    dimensions = fields.List(OneOf(DIMENSION_CODES))
    methods = fields.List(
        OneOf(METHOD_CODES),
        metadata={"description": "How a reviewer checks it (empty in editions without methods)"},
    )


class DomainSchema(OutSchema):
    code = fields.String(metadata={"example": "4"})
    slug = fields.String()
    title = fields.Nested(BilingualTextSchema)
    standards = fields.List(fields.Nested(StandardSchema))


class StandardsSchema(OutSchema):
    edition = fields.Nested(EditionSchema)
    domains = fields.List(fields.Nested(DomainSchema))


class EditionsSchema(OutSchema):
    editions = fields.List(fields.Nested(EditionSchema))


class StandardsArgsSchema(QuerySchema):
    edition = fields.String(metadata={"description": "An edition's slug, e.g. kvip-2026"})


@bp.get("/standards")
@bp.arguments(StandardsArgsSchema, location="query", as_kwargs=True)
@bp.response(200, StandardsSchema, description="The edition with its domains and standards")
@errors({404: "No such edition, or none published"})
def standards(edition: str | None = None) -> Any:
    """The standards of an edition, by domain

    The current edition (the latest published) unless `edition` names one.
    """
    require(current_user, "standards.read")
    edition_row = queries.edition_or_current(edition)
    domains: dict[int, dict[str, Any]] = {}
    out_domains = []
    for domain in edition_row.domains:
        entry = {
            "code": domain.code,
            "slug": domain.slug,
            "title": _bilingual(domain, "title"),
            "standards": [],
        }
        domains[domain.id] = entry
        out_domains.append(entry)
    for std in queries.standards_of(edition_row):
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
    return {"edition": edition_json(edition_row), "domains": out_domains}


@bp.get("/editions")
@bp.response(200, EditionsSchema, description="The editions")
def editions() -> Any:
    """Every edition of the standards, newest first"""
    require(current_user, "standards.read")
    return {"editions": [edition_json(r.edition, r) for r in queries.edition_rows()]}

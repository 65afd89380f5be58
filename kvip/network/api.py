"""API: ``GET /api/v1/units``, the units the caller may see (the same visibility query as the
network pages)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy.orm import joinedload

from kvip.core.api import Id, OutSchema, PageArgsSchema, QueryInt, bp
from kvip.core.setup import MAX_ID
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.network.permissions import units_visible_to


class UnitSchema(OutSchema):
    id = Id()
    name = fields.String()
    network_id = Id()
    institution = fields.String()
    kind = fields.String()
    beds = fields.Integer(validate=validate.Range(min=0))
    region = fields.String()
    active = fields.Boolean()


class UnitPageSchema(OutSchema):
    units = fields.List(fields.Nested(UnitSchema))
    next_offset = fields.Integer(allow_none=True, validate=validate.Range(min=0))


class UnitArgsSchema(PageArgsSchema):
    network_id = QueryInt(
        validate=validate.Range(1, MAX_ID), metadata={"description": "Only this network's"}
    )


@bp.get("/units")
@bp.arguments(UnitArgsSchema, location="query", as_kwargs=True)
@bp.response(200, UnitPageSchema, description="One page of units, by name")
def units_list(limit: int, offset: int, network_id: int | None = None) -> Any:
    """The units the caller may see

    Coordinators: their networks' units; unit leads and members: their own units; reviewers:
    the units of the visits they are on; admins: all.
    """
    query = (
        sa.select(Unit)
        .options(joinedload(Unit.institution))
        .where(units_visible_to(current_user))
        .order_by(Unit.name, Unit.id)
    )
    if network_id is not None:
        query = query.where(Unit.network_id == network_id)
    rows = db.session.scalars(query.limit(limit + 1).offset(offset)).all()
    return {
        "units": [
            {
                "id": u.id,
                "name": u.name,
                "network_id": u.network_id,
                "institution": u.institution.name,
                "kind": u.kind,
                "beds": u.beds,
                "region": u.region,
                "active": u.active,
            }
            for u in rows[:limit]
        ],
        "next_offset": offset + limit if len(rows) > limit else None,
    }

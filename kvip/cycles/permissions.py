"""Rules for cycles and assessments (DESIGN §7) and the cycles and assessments a user may see."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from kvip.accounts.models import NetworkRole, UnitRole, User
from kvip.accounts.permissions import (
    coordinated_network_ids,
    coordinates,
    member_unit_ids,
    unit_role,
)
from kvip.core.permissions import rule, visible_conditions
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.network.models import Unit


def network_of_assessment(assessment: Any) -> int:
    return int(assessment.cycle.network_id)


def cycles_visible_to(user: User) -> ColumnElement[bool]:
    """SQL condition on ``Cycle``: cycles of the networks the user works in (as coordinator,
    reviewer or through a unit); admins see all. Cycles hold no unit data, only dates."""
    if user.is_admin:
        return sa.true()
    return sa.or_(
        Cycle.network_id.in_(
            sa.select(NetworkRole.network_id).where(NetworkRole.user_id == user.id)
        ),
        Cycle.network_id.in_(sa.select(Unit.network_id).where(Unit.id.in_(member_unit_ids(user)))),
    )


def assessments_visible_to(user: User) -> ColumnElement[bool]:
    """SQL condition on ``Assessment`` matching the ``assessment.read`` rule: the network's
    coordinators, the unit's members, and what later modules add (reviewers of its visits)."""
    if user.is_admin:
        return sa.true()
    return sa.or_(
        Assessment.cycle_id.in_(
            sa.select(Cycle.id).where(Cycle.network_id.in_(coordinated_network_ids(user)))
        ),
        Assessment.unit_id.in_(member_unit_ids(user)),
        *visible_conditions("assessment", user),
    )


@rule("assessment.read")
def _assessment_read(user: User, assessment: Any) -> bool:
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(Assessment.id == assessment.id, assessments_visible_to(user))
            )
        )
    )


@rule("assessment.edit")
def _assessment_edit(user: User, assessment: Any) -> bool:
    """Rate standards: the unit's members and lead (state is checked by the service)."""
    return unit_role(user, assessment.unit_id) is not None


@rule("assessment.submit")
def _assessment_submit(user: User, assessment: Any) -> bool:
    return unit_role(user, assessment.unit_id) == UnitRole.unit_lead.value


@rule("assessment.reopen")
def _assessment_reopen(user: User, assessment: Any) -> bool:
    return coordinates(user, network_of_assessment(assessment))

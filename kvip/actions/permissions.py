"""Rules for action plans (DESIGN §7)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kvip.accounts.models import User
from kvip.accounts.permissions import coordinates, network_id_of, unit_role
from kvip.core.permissions import rule
from kvip.cycles.models import Assessment
from kvip.cycles.permissions import network_of_assessment
from kvip.extensions import db
from kvip.visits.models import TeamMember, Visit


@rule("actions.read")
def _actions_read(user: User, assessment: Any) -> bool:
    """Action plan: coordinator reads, the unit edits, reviewers of the unit's visits read."""
    if coordinates(user, network_of_assessment(assessment)):
        return True
    if unit_role(user, assessment.unit_id) is not None:
        return True
    on_team = sa.select(
        sa.exists()
        .where(TeamMember.user_id == user.id)
        .where(TeamMember.visit_id == Visit.id)
        .where(Visit.assessment_id == Assessment.id)
        .where(Assessment.unit_id == assessment.unit_id)
    )
    return bool(db.session.scalar(on_team))


@rule("actions.edit")
def _actions_edit(user: User, assessment: Any) -> bool:
    return unit_role(user, assessment.unit_id) is not None


@rule("actions.verify")
def _actions_verify(user: User, assessment: Any) -> bool:
    """Verify actions: a team member of a later visit to the same unit."""
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists()
                .where(TeamMember.user_id == user.id)
                .where(TeamMember.visit_id == Visit.id)
                .where(Visit.assessment_id == Assessment.id)
                .where(Assessment.unit_id == assessment.unit_id)
                .where(Assessment.id != assessment.id)
            )
        )
    )


@rule("actions.overview")
def _actions_overview(user: User, network: Any) -> bool:
    """Action plans across a network's units (counts, overdue, verified): admin or coordinator."""
    return user.is_admin or coordinates(user, network_id_of(network))

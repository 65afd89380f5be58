"""The surveys' permission rules (DESIGN §7), registered with the dispatcher in core.

Nobody has a rule that shows one respondent's answers: there is no such page, export or API.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kvip.accounts.models import UnitRole, User
from kvip.accounts.permissions import coordinates, unit_role
from kvip.core.permissions import can, rule
from kvip.extensions import db
from kvip.visits.models import TeamMember, Visit


@rule("surveys.manage")
def _surveys_manage(user: User, assessment: Any) -> bool:
    """Open collections and make single-use codes for an assessment: the unit's lead."""
    return unit_role(user, assessment.unit_id) == UnitRole.unit_lead.value


@rule("surveys.kiosk")
def _surveys_kiosk(user: User, assessment: Any) -> bool:
    """Start kiosk mode on the unit's tablet: any staff member of the unit."""
    return unit_role(user, assessment.unit_id) is not None


@rule("surveys.results")
def _surveys_results(user: User, assessment: Any) -> bool:
    """Aggregates (≥ the threshold) of an assessment: whoever may read the assessment."""
    return can(user, "assessment.read", assessment)


@rule("surveys.free_text")
def _surveys_free_text(user: User, assessment: Any) -> bool:
    """Free-text answers (above the threshold): the unit's lead and the team of a visit to it."""
    if unit_role(user, assessment.unit_id) == UnitRole.unit_lead.value:
        return True
    on_team = sa.select(
        sa.exists()
        .where(TeamMember.user_id == user.id)
        .where(TeamMember.visit_id == Visit.id)
        .where(Visit.assessment_id == assessment.id)
    )
    return bool(db.session.scalar(on_team))


@rule("surveys.settings")
def _surveys_settings(user: User, network: Any) -> bool:
    """A network's survey settings (threshold, record-audit sample): admin or its coordinator."""
    network_id = network if isinstance(network, int) else getattr(network, "id", None)
    return user.is_admin or coordinates(user, network_id)


@rule("surveys.record_audit")
def _surveys_record_audit(user: User, assessment: Any) -> bool:
    """The unit's own record audit before the visit: any staff member of the unit."""
    return unit_role(user, assessment.unit_id) is not None

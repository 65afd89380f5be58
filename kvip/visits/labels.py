"""User-facing names of the visit vocabulary (states, team roles, kinds, verification outcomes).
Rating values and assessment states have their names in :mod:`kvip.cycles.vocabulary`, standard
types in :mod:`kvip.standards.labels`."""

from __future__ import annotations

from flask_babel import gettext as _


def visit_states() -> dict[str, str]:
    return {
        "planned": _("Planned"),
        "scheduled": _("Scheduled"),
        "in_progress": _("In progress"),
        "completed": _("Completed"),
    }


def team_roles() -> dict[str, str]:
    return {
        "lead_reviewer": _("Lead reviewer"),
        "peer_reviewer": _("Peer reviewer"),
        "expert_by_experience": _("Expert by experience"),
    }


def observation_kinds() -> dict[str, str]:
    return {
        "good_practice": _("Good practice"),
        "improvement": _("Area for improvement"),
        "recommendation": _("Recommendation"),
    }


def observation_kinds_plural() -> dict[str, str]:
    return {
        "good_practice": _("Good practice"),
        "improvement": _("Areas for improvement"),
        "recommendation": _("Recommendations"),
    }


def report_states() -> dict[str, str]:
    return {
        "draft": _("Draft"),
        "shared_with_unit": _("Shared with the unit"),
        "final": _("Final"),
    }


def verification_outcomes() -> dict[str, str]:
    """The team's finding on an action at the next visit (visit mode; the action plan's export)."""
    return {"verified": _("Verified"), "not_verified": _("Not verified")}

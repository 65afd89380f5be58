"""User-facing names of the visit vocabulary (states, team roles, kinds). Rating values and
assessment states have their names in :mod:`kvip.cycles.vocabulary`."""

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


def standard_types() -> dict[int, str]:
    return {1: _("Type 1 (essential)"), 2: _("Type 2 (expected)"), 3: _("Type 3 (desirable)")}

"""User-facing names of the module's codes (statuses, risks, PDSA stages), in the user's language."""

from __future__ import annotations

from flask_babel import gettext as _


def status_labels() -> dict[str, str]:
    return {
        "planned": _("Planned"),
        "in_progress": _("In progress"),
        "done": _("Done"),
        "verified": _("Verified"),
        "dropped": _("Dropped"),
    }


def move_label(current: str, target: str) -> str:
    """Button text for moving an action from ``current`` to ``target``."""
    if target == "in_progress":
        return _("Reopen") if current == "done" else _("Start")
    if target == "planned":
        return _("Restore") if current == "dropped" else _("Back to planned")
    return {"done": _("Mark done"), "dropped": _("Drop…")}.get(target, target)


FORWARD = {"planned": "in_progress", "in_progress": "done"}


def risk_labels() -> dict[str, str]:
    return {"low": _("Low"), "medium": _("Medium"), "high": _("High")}


def pdsa_labels() -> dict[str, str]:
    return {
        "plan": _("Plan"),
        "do": _("Do"),
        "study": _("Study"),
        "act": _("Act"),
    }


def pdsa_hints() -> dict[str, str]:
    return {
        "plan": _("Plan: what change do we test, and how will we know it is an improvement?"),
        "do": _("Do: try the change on a small scale and record what happens."),
        "study": _("Study: compare the results with what we expected."),
        "act": _("Act: adopt, adapt or abandon the change."),
    }


def source_labels() -> dict[str, str]:
    return {
        "manual": _("Made by the unit"),
        "observation": _("From a finding of the visit"),
        "standard": _("From a standard not met"),
        "duty": _("From the GAP analysis"),
    }


def observation_kind_labels() -> dict[str, str]:
    return {
        "improvement": _("Area for improvement"),
        "recommendation": _("Recommendation"),
        "good_practice": _("Good practice"),
    }


def status_badge(status: str) -> str:
    """The CSS badge class for a status."""
    return {"done": "ok", "verified": "ok", "in_progress": "warn", "dropped": ""}.get(status, "")

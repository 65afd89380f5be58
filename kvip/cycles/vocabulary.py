"""The words of the self-assessment: rating values, evidence kinds, states, in the user's language."""

from __future__ import annotations

from flask_babel import gettext as _

from kvip.scoring import MET, NA, NOT_MET, PARTLY, VALUES

RATING_VALUES = VALUES
# The kinds of evidence a unit can name for a rating (the knowledge sources of the seeds).
EVIDENCE_KINDS = (
    "procedure",
    "record_audit",
    "incidents",
    "user_survey",
    "observation",
    "interview",
)
# Norwegian and English labels of the rating values, fixed (used in spreadsheets in both languages).
RATING_LABELS_NB = {
    MET: "Oppfylt",
    PARTLY: "Delvis oppfylt",
    NOT_MET: "Ikke oppfylt",
    NA: "Ikke relevant",
}
RATING_LABELS_EN = {
    MET: "Met",
    PARTLY: "Partly met",
    NOT_MET: "Not met",
    NA: "Not applicable",
}


def rating_labels() -> dict[str, str]:
    """Rating value → label in the current language."""
    return {
        MET: _("Met"),
        PARTLY: _("Partly met"),
        NOT_MET: _("Not met"),
        NA: _("Not applicable"),
    }


def evidence_kind_labels() -> dict[str, str]:
    return {
        "procedure": _("Written procedure"),
        "record_audit": _("Record audit"),
        "incidents": _("Incident reports"),
        "user_survey": _("User survey"),
        "observation": _("Observation"),
        "interview": _("Interview"),
    }


def cycle_state_labels() -> dict[str, str]:
    return {"planned": _("Planned"), "open": _("Open"), "closed": _("Closed")}


def assessment_state_labels() -> dict[str, str]:
    return {
        "not_started": _("Not started"),
        "in_progress": _("In progress"),
        "submitted": _("Submitted"),
    }


def field_labels() -> dict[str, str]:
    """Names of a rating's fields, for the change history."""
    return {
        "value": _("Rating"),
        "comment": _("Comment"),
        "evidence": _("Evidence"),
        "evidence_links": _("Links"),
        "evidence_kinds": _("Kinds of evidence"),
        "carried_over": _("Carried over"),
    }

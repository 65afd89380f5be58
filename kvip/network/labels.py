"""The kinds of unit in the user's language (forms, tables, dashboards, visit mode)."""

from __future__ import annotations

from flask_babel import gettext as _


def unit_kind_labels() -> dict[str, str]:
    return {
        "acute": _("Acute unit"),
        "general": _("General inpatient unit"),
        "specialised": _("Specialised unit"),
        "forensic": _("Secure / forensic unit"),
        "outpatient": _("Outpatient / day unit"),
    }

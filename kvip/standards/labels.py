"""User-facing names of a standard's type (1 essential, 2 expected, 3 desirable): the one home
of this vocabulary; the cycles, visits and benchmarks pages import it from here."""

from __future__ import annotations

from flask_babel import gettext as _


def type_names() -> dict[int, str]:
    """The type's word alone (beside "Type n", or as a column head)."""
    return {1: _("Essential"), 2: _("Expected"), 3: _("Desirable")}


def type_labels() -> dict[int, str]:
    """The type's number and word, e.g. "Type 1 – essential"."""
    return {1: _("Type 1 – essential"), 2: _("Type 2 – expected"), 3: _("Type 3 – desirable")}


def type_descriptions() -> dict[int, str]:
    """What each type means (a badge's title on the standards pages)."""
    return {
        1: _("Type 1 – essential: a legal requirement"),
        2: _("Type 2 – expected"),
        3: _("Type 3 – desirable: best practice"),
    }

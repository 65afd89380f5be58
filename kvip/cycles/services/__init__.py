"""Writes of the annual cycle (DESIGN §3, §7). Every function takes the acting user
explicitly, checks the permission, validates, writes, records the change in the audit log and
commits. ``cycles``: cycles and enrolment; ``ratings``: saving ratings; ``assessments``:
submit and reopen. Callers use this package: ``from kvip.cycles import services``.
"""

from kvip.cycles.services.assessments import (
    mark_started,
    open_work,
    reopen_assessment,
    require_editable,
    submit_assessment,
)
from kvip.cycles.services.carry_over import (
    START_CHOICES,
    carried_targets,
    carry_over_ratings,
    choose_start,
    earlier_assessments,
    previous_assessment,
    previous_assessments,
)
from kvip.cycles.services.cycles import (
    CYCLE_FIELDS,
    close_cycle,
    create_cycle,
    enrol_units,
    open_cycle,
    update_cycle,
)
from kvip.cycles.services.ratings import (
    AUDITED_RATING_FIELDS,
    IMPORT_NOTE,
    MAX_IMPORT_ROWS,
    MAX_LINK_LENGTH,
    MAX_LINKS,
    MAX_TEXT,
    RATING_FIELDS,
    RatingInput,
    apply_import,
    confirm_domain,
    parse_rating_input,
    rating_state,
    save_rating,
    split_kinds,
    split_links,
    standard_for,
    write_rating,
)

__all__ = [
    "AUDITED_RATING_FIELDS",
    "CYCLE_FIELDS",
    "START_CHOICES",
    "choose_start",
    "IMPORT_NOTE",
    "MAX_IMPORT_ROWS",
    "MAX_LINKS",
    "MAX_LINK_LENGTH",
    "MAX_TEXT",
    "RATING_FIELDS",
    "RatingInput",
    "apply_import",
    "carried_targets",
    "carry_over_ratings",
    "close_cycle",
    "confirm_domain",
    "create_cycle",
    "earlier_assessments",
    "enrol_units",
    "mark_started",
    "open_cycle",
    "open_work",
    "parse_rating_input",
    "previous_assessment",
    "previous_assessments",
    "rating_state",
    "reopen_assessment",
    "require_editable",
    "save_rating",
    "split_kinds",
    "split_links",
    "standard_for",
    "submit_assessment",
    "update_cycle",
    "write_rating",
]

"""SQL → pandas: every benchmark read. Aggregation happens in the database (``GROUP BY`` over the
summary tables of :mod:`kvip.benchmarks.models` or, for one assessment or one domain, over the
ratings and findings); permissions are SQL conditions (which names and ids a row carries).

Rows about units carry ``position`` (the unit's pseudonym in that cycle), ``own`` (the
viewer's unit), ``name`` (only where the viewer may see it) and ``unit_id``/``assessment_id``
(only where the viewer may see them); labels are made by :func:`kvip.benchmarks.context.add_labels`.
"""

from kvip.benchmarks.queries.base import (
    COUNT_COLUMNS,
    Filters,
    Viewer,
    cycles_of,
    domains_of,
    filter_options,
    frame,
    standards_of,
)
from kvip.benchmarks.queries.raw import (
    assessment_values,
    completed_visits,
    domain_cells,
    latest_completed_visit,
    meeting_units,
    observation_counts,
    observations,
)
from kvip.benchmarks.queries.summary import (
    counted_cells,
    group_domain_counts,
    group_size,
    matched_domain_totals,
    network_domain_trend,
    pseudonym_positions,
    pseudonym_salt,
    standard_pair_totals,
    standard_totals,
    unit_domain_counts,
    unit_domain_trend,
    unit_pair_counts,
    unit_spread_trend,
    unit_totals_by_cycle,
)

__all__ = [
    "COUNT_COLUMNS",
    "Filters",
    "Viewer",
    "assessment_values",
    "completed_visits",
    "counted_cells",
    "cycles_of",
    "domain_cells",
    "domains_of",
    "filter_options",
    "frame",
    "group_domain_counts",
    "group_size",
    "latest_completed_visit",
    "matched_domain_totals",
    "meeting_units",
    "network_domain_trend",
    "observation_counts",
    "observations",
    "pseudonym_positions",
    "pseudonym_salt",
    "standard_pair_totals",
    "standard_totals",
    "standards_of",
    "unit_domain_counts",
    "unit_domain_trend",
    "unit_pair_counts",
    "unit_spread_trend",
    "unit_totals_by_cycle",
]

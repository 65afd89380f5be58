"""Authorization rules: the home module (the pipeline's list of units at one step)."""

from tests.authz.table import Rule

ADMIN_COORD = frozenset({"admin", "coordinator"})

RULES = {
    "home.step_units": [
        Rule("/home/cycles/{cycle_id}/steps/submitted", allow=ADMIN_COORD),
        Rule("/home/cycles/{cycle_id}/steps/action_plan", allow=ADMIN_COORD),
    ],
}

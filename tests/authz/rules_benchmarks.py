"""Authorization rules: benchmark dashboards, library, annual report, exports, API."""

from tests.authz.table import SIGNED_IN, Rule

ADMIN_COORD = frozenset({"admin", "coordinator"})
UNIT = frozenset({"admin", "coordinator", "lead", "member"})
# benchmark.read: admins, coordinators and the members of any unit in the network (the
# outsider leads the other unit); reviewers have no benchmark access (DESIGN §7).
NETWORK_READERS = frozenset({"admin", "coordinator", "lead", "member", "outsider"})

RULES = {
    "benchmarks.index": Rule(
        "/benchmarks/", allow=NETWORK_READERS, note="redirects to a dashboard"
    ),
    "benchmarks.unit": Rule("/benchmarks/units/{unit_id}", allow=UNIT),
    "benchmarks.unit_pdf": Rule("/benchmarks/units/{unit_id}/dashboard.pdf", allow=UNIT),
    "benchmarks.unit_questionnaires": Rule(
        "/benchmarks/units/{unit_id}/questionnaires", allow=UNIT
    ),
    "benchmarks.unit_export": [
        Rule("/benchmarks/units/{unit_id}/export/domains.csv", allow=UNIT),
        Rule("/benchmarks/units/{unit_id}/export/learn.xlsx", allow=UNIT),
    ],
    "benchmarks.network": Rule("/benchmarks/networks/{network_id}", allow=ADMIN_COORD),
    "benchmarks.network_standards": Rule(
        "/benchmarks/networks/{network_id}/standards", allow=ADMIN_COORD
    ),
    "benchmarks.network_trends": Rule(
        "/benchmarks/networks/{network_id}/trends", allow=ADMIN_COORD
    ),
    "benchmarks.network_agreement": Rule(
        "/benchmarks/networks/{network_id}/agreement", allow=ADMIN_COORD
    ),
    "benchmarks.network_questionnaires": Rule(
        "/benchmarks/networks/{network_id}/questionnaires", allow=ADMIN_COORD
    ),
    "benchmarks.network_export": [
        Rule("/benchmarks/networks/{network_id}/export/overview/units.csv", allow=ADMIN_COORD),
        Rule("/benchmarks/networks/{network_id}/export/trends/trends.xlsx", allow=ADMIN_COORD),
        Rule(
            "/benchmarks/networks/{network_id}/export/questionnaires/questions.csv",
            allow=ADMIN_COORD,
        ),
    ],
    "benchmarks.good_practice": Rule(
        "/benchmarks/networks/{network_id}/good-practice", allow=NETWORK_READERS
    ),
    "benchmarks.good_practice_export": Rule(
        "/benchmarks/networks/{network_id}/good-practice.csv", allow=NETWORK_READERS
    ),
    "benchmarks.annual_report": Rule(
        "/benchmarks/networks/{network_id}/annual-report", allow=NETWORK_READERS
    ),
    "benchmarks.annual_report_pdf": Rule(
        "/benchmarks/networks/{network_id}/annual-report.pdf", allow=NETWORK_READERS
    ),
    "benchmarks.annual_export": [
        Rule(
            "/benchmarks/networks/{network_id}/annual-report/export/by_standard.csv",
            allow=NETWORK_READERS,
        ),
        Rule(
            "/benchmarks/networks/{network_id}/annual-report/export/survey_counts.xlsx",
            allow=NETWORK_READERS,
        ),
    ],
    "api.cycle_benchmark": Rule("/api/v1/cycles/{cycle_id}/benchmark", allow=NETWORK_READERS),
    # Ask to learn. The world's request goes from unit (lead, member) to other_unit (outsider
    # leads it) and has been passed on by the coordinator.
    "benchmarks.learning_requests": Rule(
        "/benchmarks/requests", allow=SIGNED_IN, note="each sees only their own lists"
    ),
    "benchmarks.learning_new": [
        # Only a unit lead may write one; the world's observation is no good practice: 400.
        Rule(
            "/benchmarks/requests/new?unit={unit_id}&observation={observation_id}",
            allow=frozenset({"lead"}),
        ),
        Rule(
            "/benchmarks/requests/new",
            method="POST",
            data={"unit": "{unit_id}", "observation": "{observation_id}", "message": "Hei"},
            allow=frozenset({"lead"}),
        ),
    ],
    "benchmarks.learning_request": Rule(
        "/benchmarks/requests/{learning_request_id}",
        allow=frozenset({"admin", "coordinator", "lead", "member", "outsider"}),
    ),
    "benchmarks.learning_forward": Rule(
        "/benchmarks/requests/{learning_request_id}/forward",
        method="POST",
        data={},
        allow=frozenset({"coordinator"}),
        note="already passed on: told so, nothing changes",
    ),
    "benchmarks.learning_refuse": Rule(
        "/benchmarks/requests/{learning_request_id}/refuse",
        method="POST",
        data={"reason": "Ikke nå"},
        allow=frozenset({"coordinator"}),
    ),
    "benchmarks.learning_accept": Rule(
        "/benchmarks/requests/{learning_request_id}/accept",
        method="POST",
        data={},
        allow=frozenset({"outsider"}),
    ),
    "benchmarks.learning_decline": Rule(
        "/benchmarks/requests/{learning_request_id}/decline",
        method="POST",
        data={},
        allow=frozenset({"outsider"}),
    ),
}

"""Authorization rules: export jobs (start, progress, download) and the admin's failed jobs."""

from tests.authz.rules_visits import READERS as REPORT_READERS
from tests.authz.table import NOBODY, Rule

ADMIN = frozenset({"admin"})
ADMIN_COORD = frozenset({"admin", "coordinator"})
NETWORK_READERS = frozenset({"admin", "coordinator", "lead", "member", "outsider"})
# The world's export job belongs to the coordinator: nobody else learns it exists (404), not
# even an admin.
OWNER = frozenset({"coordinator"})

RULES = {
    "jobs.start": [
        Rule(
            "/jobs/exports/annual_report?network_id={network_id}",
            method="POST",
            allow=NETWORK_READERS,
            note="the annual report's own permission (benchmark.read)",
        ),
        Rule(
            "/jobs/exports/network_audit?network_id={network_id}&fmt=csv",
            method="POST",
            allow=ADMIN_COORD,
        ),
        Rule("/jobs/exports/platform_audit?fmt=xlsx", method="POST", allow=ADMIN),
        Rule(
            "/jobs/exports/visit_report?visit_id={visit_id}",
            method="POST",
            allow=REPORT_READERS,
            note="the visit report's own permission (report.view)",
        ),
        Rule("/jobs/exports/no_such_kind", method="POST", allow=NOBODY),
    ],
    "jobs.job": Rule("/jobs/{job_id}", allow=OWNER),
    "jobs.status": Rule("/jobs/{job_id}/status", allow=OWNER),
    "jobs.download": Rule("/jobs/{job_id}/download", allow=OWNER),
    "jobs.admin": Rule("/jobs/admin", allow=ADMIN),
    "jobs.retry_export": Rule("/jobs/admin/exports/{job_id}/retry", method="POST", allow=ADMIN),
    "jobs.retry_mail": Rule(
        "/jobs/admin/mail/999999/retry",
        method="POST",
        allow=NOBODY,
        note="admins only; an unknown message is 404",
    ),
}

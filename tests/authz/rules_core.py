"""Authorization rules: core, accounts, network, API basics."""

from tests.authz.table import EVERYONE, NOBODY, SIGNED_IN, Rule

ADMIN_COORD = frozenset({"admin", "coordinator"})
ADMIN = frozenset({"admin"})

RULES = {
    "static": Rule("/static/css/kvip.css", public=True),
    "core.healthz": Rule("/healthz", public=True),
    "core.home": Rule("/", allow=SIGNED_IN),
    "accounts.login": [
        Rule("/login", public=True),
        Rule(
            "/login",
            method="POST",
            public=True,
            data={"email": "x@example.test", "password": "y"},
            extra_ok=(401,),
            note="a wrong sign-in answers 401",
        ),
    ],
    "accounts.logout": Rule("/logout", method="POST", public=True),
    "accounts.forgot_password": [
        Rule("/password/forgot", public=True),
        Rule("/password/forgot", method="POST", public=True, data={"email": "x@example.test"}),
    ],
    "accounts.reset_password": [
        Rule("/password/reset/not-a-token", public=True, extra_ok=(400,), note="bad link: 400"),
        Rule(
            "/password/reset/not-a-token",
            method="POST",
            public=True,
            data={"new_password": "a long enough one", "confirm": "a long enough one"},
            extra_ok=(400,),
        ),
    ],
    "accounts.send_password_link": Rule(
        "/admin/users/{user_id}/password-link", method="POST", allow=ADMIN_COORD
    ),
    "accounts.set_language": Rule("/language", method="POST", data={"locale": "en"}, public=True),
    "accounts.profile": Rule("/profile", allow=SIGNED_IN),
    "accounts.change_password": Rule(
        "/profile/password",
        method="POST",
        allow=SIGNED_IN,
        data={"current_password": "x", "new_password": "y"},
    ),
    "accounts.set_reminder_channel": Rule(
        "/profile/reminders", method="POST", allow=SIGNED_IN, data={"channel": "app"}
    ),
    "accounts.create_token": Rule(
        "/profile/tokens", method="POST", allow=SIGNED_IN, data={"name": "t"}
    ),
    "accounts.revoke_token": Rule(
        "/profile/tokens/999999/revoke",
        method="POST",
        allow=NOBODY,
        note="only the owner's own tokens; unknown ids are 404",
    ),
    "accounts.users": Rule("/admin/users", allow=ADMIN_COORD),
    "accounts.user_new": [
        Rule("/admin/users/new", allow=ADMIN_COORD),
        Rule("/admin/users/new", method="POST", allow=ADMIN_COORD, data={"email": "", "name": ""}),
    ],
    "accounts.user_edit": [
        Rule("/admin/users/{user_id}", allow=ADMIN_COORD),
        Rule(
            "/admin/users/{user_id}",
            method="POST",
            allow=ADMIN_COORD,
            data={"email": "", "name": ""},
        ),
    ],
    "accounts.user_grant": Rule(
        "/admin/users/{user_id}/roles",
        method="POST",
        allow=ADMIN_COORD,
        data={"scope": "unit:{unit_id}", "role": "unit_member"},
    ),
    "accounts.role_revoke": Rule(
        "/admin/roles/unit/999999/revoke",
        method="POST",
        allow=NOBODY,
        note="unknown membership → 404 for everyone",
    ),
    "network.networks": Rule("/networks", allow=ADMIN_COORD),
    "network.settings": [
        Rule("/networks/{network_id}/settings", allow=ADMIN_COORD),
        Rule(
            "/networks/{network_id}/settings", method="POST", allow=ADMIN_COORD, data={"name": ""}
        ),
    ],
    "network.institutions": Rule("/networks/{network_id}/institutions", allow=ADMIN_COORD),
    "network.institution_form": [
        Rule("/networks/{network_id}/institutions/new", allow=ADMIN_COORD),
        Rule("/networks/{network_id}/institutions/{institution_id}", allow=ADMIN_COORD),
        Rule(
            "/networks/{network_id}/institutions/new",
            method="POST",
            allow=ADMIN_COORD,
            data={"name": ""},
        ),
    ],
    "network.units": Rule("/networks/{network_id}/units", allow=ADMIN_COORD),
    "network.unit_form": [
        Rule("/networks/{network_id}/units/new", allow=ADMIN_COORD),
        Rule(
            "/networks/{network_id}/units/new", method="POST", allow=ADMIN_COORD, data={"name": ""}
        ),
        Rule("/networks/{network_id}/units/{unit_id}", allow=ADMIN_COORD),
        Rule(
            "/networks/{network_id}/units/{unit_id}",
            method="POST",
            allow=ADMIN_COORD,
            data={"name": "", "institution_id": "{institution_id}", "kind": "acute"},
        ),
    ],
    "network.audit_log": [
        Rule("/networks/{network_id}/audit", allow=ADMIN_COORD),
        Rule(
            "/networks/{network_id}/audit?from=2026-03-02&to=2026-03-01",
            allow=ADMIN_COORD,
            extra_ok=(422,),
            note="a reversed date range is refused with a message (422), not a 500",
        ),
    ],
    "network.audit_export": [
        Rule("/networks/{network_id}/audit/export.csv", allow=ADMIN_COORD),
        Rule("/networks/{network_id}/audit/export.xlsx?entity=unit", allow=ADMIN_COORD),
    ],
    "accounts.audit_log": [
        Rule("/admin/audit", allow=ADMIN, note="the platform log: admins only, coordinators 403"),
        Rule("/admin/audit?network=platform&entity=session", allow=ADMIN),
        Rule(
            "/admin/audit?network=abc",
            allow=ADMIN,
            extra_ok=(422,),
            note="an unknown network is refused with a message (422)",
        ),
    ],
    "accounts.audit_export": [
        Rule("/admin/audit/export.csv", allow=ADMIN),
        Rule("/admin/audit/export.xlsx?network={network_id}", allow=ADMIN),
    ],
    "api.openapi": Rule("/api/v1/openapi.json", allow=SIGNED_IN),
    "api.units_list": Rule("/api/v1/units", allow=SIGNED_IN),
    "api.me": Rule("/api/v1/me", allow=SIGNED_IN),
    "network.add_reviewer": Rule(
        "/networks/{network_id}/reviewers/add",
        method="POST",
        data={"email": "not-an-address"},
        allow=ADMIN_COORD,
        note="a bad address is refused with a message, nothing added",
    ),
    "network.decline_reviewer": [
        Rule(
            "/networks/reviewer-pool/decline/not-a-token",
            public=True,
            extra_ok=(400,),
            note="the signed link is the credential: a bad one answers 400",
        ),
        Rule(
            "/networks/reviewer-pool/decline/not-a-token",
            method="POST",
            public=True,
            extra_ok=(400,),
        ),
    ],
}

assert EVERYONE  # re-exported for rule modules

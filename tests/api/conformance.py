"""What the API tests share: the schemathesis checks that an answer matches the document, and
bearer-token headers for a user."""

from __future__ import annotations

from typing import Any

from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kvip.accounts import services

# No server error, a documented status and content type, the body and headers of its schema.
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def bearer(user: Any) -> dict[str, str]:
    """Headers authenticating as ``user`` with a fresh API token. Schemathesis's WSGI transport
    advertises gzip and brotli (requests' defaults) but does not decode a compressed answer, so
    the checks ask for the body as it is (compression has its own tests in tests/core)."""
    _row, token = services.create_token(user, user, "api-test")
    return {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}

"""The audit log page and its downloads, for one network or for the whole platform.

The network's views (``/networks/<id>/audit``) and the platform administrator's
(``/admin/audit``, in the accounts module) are both thin calls of :func:`show` and
:func:`download`; ``network`` None is the platform log.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import current_user

from kvip.core.errors import ServiceError
from kvip.network import audit_export, audit_log
from kvip.network.models import Network

# (page endpoint, export endpoint) of each scope.
NETWORK_ENDPOINTS = ("network.audit_log", "network.audit_export")
PLATFORM_ENDPOINTS = ("accounts.audit_log", "accounts.audit_export")


def show(network: Network | None) -> Any:
    """The page: the filter form and one page of matching events (422 with bad filters)."""
    audit_log.require_reader(current_user, network)
    try:
        filters = audit_log.parse_filters(request.args, network.id if network else None)
    except ServiceError as exc:
        return _render(network, None, exc), 422
    page = request.args.get("page", 1, type=int) or 1
    return _render(network, filters, None, page=page)


def download(network: Network | None, fmt: str) -> Any:
    """The CSV or Excel file of everything the filters match (the export is audited)."""
    audit_log.require_reader(current_user, network)
    try:
        filters = audit_log.parse_filters(request.args, network.id if network else None)
    except ServiceError as exc:
        return _render(network, None, exc), 422
    return audit_export.response(current_user, network, filters, fmt)


def _render(
    network: Network | None,
    filters: audit_log.AuditFilters | None,
    error: ServiceError | None,
    page: int = 1,
) -> str:
    """The page; with ``error`` the filter form shows it and no events are listed."""
    events = (
        audit_log.events_page(current_user, network, filters, page) if filters is not None else None
    )
    unit_names, network_names = audit_log.names_on_page(events.items if events else [])
    page_endpoint, export_endpoint = NETWORK_ENDPOINTS if network else PLATFORM_ENDPOINTS
    return render_template(
        "network/audit.html",
        network=network,
        scope={"network_id": network.id} if network else {},
        page_endpoint=page_endpoint,
        export_endpoint=export_endpoint,
        events=events,
        filters=filters,
        args=filters.query_args() if filters is not None else request.args.to_dict(),
        errors=error.fields if error else {},
        error=error.message if error else None,
        choices=audit_log.filter_choices(network, filters),
        unit_names=unit_names,
        network_names=network_names,
        entity_labels=audit_log.entity_labels(),
        action_labels=audit_log.action_labels(),
    )

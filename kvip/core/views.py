"""The home page (what each role can do next) and the health check."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required

from kvip.core import nav
from kvip.extensions import db

bp = Blueprint("core", __name__)


@bp.app_context_processor
def _evidence_helpers() -> dict[str, Any]:
    """``evidence_for(assessment_id)`` and ``evidence_sections(assessment_id)`` for the pages
    that show other modules' evidence (templates/core/_evidence.html); call them only where
    the page has already checked that the user may read the assessment."""
    from kvip.core import evidence

    return {
        "evidence_for": evidence.evidence_for,
        "evidence_sections": evidence.sections_for,
        "evidence_links": evidence.links_for,
    }


@bp.get("/")
@login_required
def home() -> Any:
    """What the signed-in user should do now (panels from the modules), then their shortcuts."""
    # The user's memberships and network roles (accounts' relationships on the user object).
    return render_template(
        "core/home.html",
        memberships=list(current_user.memberships),
        network_roles=list(current_user.network_roles),
        panels=nav.home_panels(current_user),
    )


@bp.get("/healthz")
def healthz() -> Any:
    """Liveness and database check for load balancers (no sign-in, no data)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})

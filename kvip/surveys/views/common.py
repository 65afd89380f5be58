"""Helpers shared by the survey pages."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user

from kvip.core.permissions import require
from kvip.core.urls import external_url
from kvip.cycles.models import Assessment
from kvip.extensions import db

# A questionnaire is a few kilobytes; anything much larger is not a questionnaire.
MAX_BODY = 64 * 1024


def assessment_or_404(assessment_id: int, permission: str) -> Assessment:
    """The assessment, after the permission check (deny by default)."""
    assessment = db.get_or_404(Assessment, assessment_id)
    require(current_user, permission, assessment)
    return assessment


def public_url(endpoint: str, **values: Any) -> str:
    """An address to print or hand out: built from KVIP_BASE_URL like every link in an
    e-mail, never from the request's host."""
    return external_url(endpoint, **values)


def body_too_large() -> bool:
    return (request.content_length or 0) > MAX_BODY

"""Ratings: validated saves with optimistic locking (a stale version is a 409 with the
current state), confirming carried-over ratings, applying a spreadsheet upload."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from kvip.accounts.models import User
from kvip.core import audit
from kvip.core.db import iso, utcnow
from kvip.core.errors import Conflict, NotFound, ServiceError
from kvip.core.permissions import require
from kvip.cycles.models import Assessment, Rating
from kvip.cycles.services.assessments import mark_started, require_editable
from kvip.cycles.vocabulary import EVIDENCE_KINDS, RATING_VALUES
from kvip.extensions import db
from kvip.standards.models import Domain, Standard

RATING_FIELDS = ("value", "comment", "evidence", "evidence_links", "evidence_kinds")
AUDITED_RATING_FIELDS = (*RATING_FIELDS, "carried_over")
MAX_TEXT = 10_000
MAX_LINKS = 20
MAX_LINK_LENGTH = 500
LINK_RE = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)


@dataclass(frozen=True)
class RatingInput:
    """A validated save: the fields sent (only those), the version it is based on, confirm flag."""

    values: dict[str, Any]
    version: int
    confirm: bool = False


def _text_field(data: Mapping[str, Any], name: str, errors: dict[str, str]) -> str | None:
    raw = data.get(name)
    if raw is None:
        return ""
    if not isinstance(raw, str):
        errors[name] = _("Must be text.")
        return None
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_TEXT:
        errors[name] = _("At most %(n)d characters.", n=MAX_TEXT)
        return None
    return text


def _links(raw: Any, errors: dict[str, str]) -> str | None:
    if raw is None:
        return ""
    if isinstance(raw, str):
        items = raw.splitlines()
    elif isinstance(raw, list) and all(isinstance(i, str) for i in raw):
        items = list(raw)
    else:
        errors["evidence_links"] = _("Give the links as a list of addresses.")
        return None
    links = [i.strip() for i in items if i.strip()]
    if len(links) > MAX_LINKS:
        errors["evidence_links"] = _("At most %(n)d links.", n=MAX_LINKS)
        return None
    for link in links:
        if len(link) > MAX_LINK_LENGTH or not LINK_RE.match(link):
            errors["evidence_links"] = _(
                "“%(link)s” is not a web address (it must start with https:// or http://).",
                link=link[:80],
            )
            return None
    return "\n".join(links)


def _kinds(raw: Any, errors: dict[str, str]) -> str | None:
    if raw is None:
        return ""
    if isinstance(raw, str):
        items = [i.strip() for i in raw.split(",") if i.strip()]
    elif isinstance(raw, list) and all(isinstance(i, str) for i in raw):
        items = list(raw)
    else:
        errors["evidence_kinds"] = _("Give the kinds of evidence as a list.")
        return None
    unknown = [i for i in items if i not in EVIDENCE_KINDS]
    if unknown:
        errors["evidence_kinds"] = _(
            "Unknown kind of evidence: %(kind)s. Choose from: %(choices)s.",
            kind=unknown[0][:40],
            choices=", ".join(EVIDENCE_KINDS),
        )
        return None
    return ",".join(k for k in EVIDENCE_KINDS if k in items)


def parse_rating_input(data: Mapping[str, Any]) -> RatingInput:
    """Validate a save request body; 422 with an error per field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "value" in data:
        value = data["value"]
        if value in (None, ""):
            values["value"] = None
        elif isinstance(value, str) and value in RATING_VALUES:
            values["value"] = value
        else:
            errors["value"] = _("Choose one of: %(choices)s.", choices=", ".join(RATING_VALUES))
    for name in ("comment", "evidence"):
        if name in data:
            text = _text_field(data, name, errors)
            if text is not None:
                values[name] = text
    if "evidence_links" in data:
        links = _links(data["evidence_links"], errors)
        if links is not None:
            values["evidence_links"] = links
    if "evidence_kinds" in data:
        kinds = _kinds(data["evidence_kinds"], errors)
        if kinds is not None:
            values["evidence_kinds"] = kinds
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        errors["version"] = _(
            "Send the version the change is based on (0 for a standard not rated yet)."
        )
        version = -1
    confirm = data.get("confirm", False)
    if not isinstance(confirm, bool):
        errors["confirm"] = _("Must be true or false.")
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors, status=422)
    return RatingInput(values=values, version=int(version), confirm=bool(confirm))


def rating_state(rating: Rating | None, code: str, actor: Any = None) -> dict[str, Any]:
    """The JSON form of a standard's rating (an unrated standard has version 0); ``actor``
    saves a query when they are the one who saved it last."""
    if rating is None:
        return {
            "code": code,
            "value": None,
            "comment": "",
            "evidence": "",
            "evidence_links": [],
            "evidence_kinds": [],
            "carried_over": False,
            "version": 0,
            "updated_at": None,
            "updated_by": None,
        }
    name = None
    if actor is not None and rating.updated_by_id == getattr(actor, "id", None):
        name = actor.name
    elif rating.updated_by_id:
        name = db.session.scalar(sa.select(User.name).where(User.id == rating.updated_by_id))
    return {
        "code": code,
        "value": rating.value,
        "comment": rating.comment or "",
        "evidence": rating.evidence or "",
        "evidence_links": split_links(rating.evidence_links),
        "evidence_kinds": split_kinds(rating.evidence_kinds),
        "carried_over": rating.carried_over,
        "version": rating.version,
        "updated_at": iso(rating.updated_at),
        "updated_by": name,
    }


def split_links(text: str | None) -> list[str]:
    return [line for line in (text or "").split("\n") if line]


def split_kinds(text: str | None) -> list[str]:
    return [k for k in (text or "").split(",") if k]


def standard_for(assessment: Assessment, code: str) -> Standard:
    """The standard with ``code`` in the assessment's edition, or 404."""
    standard = db.session.scalar(
        sa.select(Standard)
        .where(Standard.edition_id == assessment.cycle.edition_id, Standard.code == code)
        .options(sa.orm.lazyload("*"))  # duties and dimensions are not needed to save
    )
    if standard is None:
        raise NotFound(_("No standard %(code)s in this edition.", code=code[:20]))
    return standard


def _same(rating: Rating, values: Mapping[str, Any]) -> bool:
    return all((getattr(rating, k) or "") == (v or "") for k, v in values.items())


def write_rating(
    actor: Any,
    assessment: Assessment,
    standard: Standard,
    data: RatingInput,
    *,
    note: str | None = None,
) -> tuple[Rating | None, bool]:
    """Apply one validated save without committing; (rating, changed).

    A save based on another version than the current one is refused with 409 and the current
    state, except an exact repeat of what is stored (a retry whose first answer was lost).
    Any save clears the carried-over mark: the rating is now confirmed or changed.
    """
    rating = db.session.scalar(
        sa.select(Rating).where(
            Rating.assessment_id == assessment.id, Rating.standard_id == standard.id
        )
    )
    current = rating.version if rating is not None else 0
    if data.version != current:
        if rating is not None and not rating.carried_over and _same(rating, data.values):
            return rating, False
        raise Conflict(
            _("Someone else saved this standard in the meantime. Choose which version to keep."),
            payload={"current": rating_state(rating, standard.code)},
        )
    values = dict(data.values)
    if rating is None:
        if not any(values.get(k) for k in RATING_FIELDS):
            return None, False  # nothing to store for an unrated standard
        rating = Rating(
            assessment_id=assessment.id,
            standard_id=standard.id,
            value=None,
            comment="",
            evidence="",
            evidence_links="",
            evidence_kinds="",
            carried_over=False,
        )
        db.session.add(rating)
        before: dict[str, Any] = {f: None if f == "value" else "" for f in RATING_FIELDS}
        before["carried_over"] = False
        action = "create"
    else:
        before = audit.snapshot(rating, AUDITED_RATING_FIELDS)
        action = "update"
    for key, value in values.items():
        setattr(rating, key, value if key == "value" else (value or ""))
    changed_fields = any((before.get(k) or "") != (getattr(rating, k) or "") for k in RATING_FIELDS)
    if rating.carried_over and (changed_fields or data.confirm or values):
        rating.carried_over = False
        if not changed_fields:
            action = "confirm"
    if not changed_fields and rating.carried_over == before["carried_over"]:
        return rating, False
    rating.updated_at = utcnow()
    rating.updated_by_id = getattr(actor, "id", None)
    db.session.flush()  # the version check happens here (StaleDataError on a lost race)
    audit.record_diff(
        actor,
        "rating",
        rating,
        before,
        action=action,
        network_id=assessment.cycle.network_id,
        unit_id=assessment.unit_id,
        note=note,
    )
    mark_started(actor, assessment)
    return rating, True


def _race_conflict(assessment: Assessment, standard: Standard) -> Conflict:
    db.session.rollback()
    rating = db.session.scalar(
        sa.select(Rating).where(
            Rating.assessment_id == assessment.id, Rating.standard_id == standard.id
        )
    )
    return Conflict(
        _("Someone else saved this standard in the meantime. Choose which version to keep."),
        payload={"current": rating_state(rating, standard.code)},
    )


def save_rating(
    actor: Any, assessment: Assessment, code: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Save one standard's rating (value, comment, evidence) with optimistic locking; returns
    the stored state. 409 on a stale version, 422 on invalid input, 404 for an unknown code."""
    require(actor, "assessment.edit", assessment)
    require_editable(assessment)
    standard = standard_for(assessment, code)
    parsed = parse_rating_input(data)
    try:
        rating, _changed = write_rating(actor, assessment, standard, parsed)
        db.session.flush()
        # Read the answer before commit expires the objects (saves reloading them).
        state = rating_state(rating, standard.code, actor)
        db.session.commit()
    except (StaleDataError, IntegrityError):
        raise _race_conflict(assessment, standard) from None
    return state


def confirm_domain(actor: Any, assessment: Assessment, domain_code: str) -> int:
    """Confirm every carried-over rating of one domain as still true; returns how many."""
    require(actor, "assessment.edit", assessment)
    require_editable(assessment)
    domain = db.session.scalar(
        sa.select(Domain).where(
            Domain.edition_id == assessment.cycle.edition_id, Domain.code == domain_code
        )
    )
    if domain is None:
        raise NotFound(_("No such domain."))
    ratings = db.session.scalars(
        sa.select(Rating)
        .join(Standard, Standard.id == Rating.standard_id)
        .where(
            Rating.assessment_id == assessment.id,
            Rating.carried_over.is_(True),
            Standard.domain_id == domain.id,
        )
    ).all()
    now = utcnow()
    for rating in ratings:
        rating.carried_over = False
        rating.updated_at = now
        rating.updated_by_id = actor.id
        audit.record(
            actor,
            "rating",
            rating.id,
            action="confirm",
            changes={"carried_over": (True, False)},
            network_id=assessment.cycle.network_id,
            unit_id=assessment.unit_id,
        )
    if ratings:
        mark_started(actor, assessment)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(
            _("Someone else changed these ratings in the meantime. Reload and try again.")
        ) from None
    return len(ratings)


MAX_IMPORT_ROWS = 2000
# Audit note of changes made by a spreadsheet upload (translated when shown).
IMPORT_NOTE = "xlsx"


def apply_import(actor: Any, assessment: Assessment, changes: Any) -> int:
    """Apply the changes previewed from an uploaded spreadsheet: all of them or none.

    Each item is ``{code, version, value?, comment?, evidence?, evidence_kinds?,
    evidence_links?, confirm?}``; a version that is no longer
    current (someone saved meanwhile) refuses the whole import with 409.
    """
    require(actor, "assessment.edit", assessment)
    require_editable(assessment)
    if not isinstance(changes, list) or len(changes) > MAX_IMPORT_ROWS:
        raise ServiceError(_("The list of changes is not valid. Upload the file again."))
    codes = [c.get("code") for c in changes if isinstance(c, dict)]
    if len(codes) != len(changes) or not all(isinstance(c, str) for c in codes):
        raise ServiceError(_("The list of changes is not valid. Upload the file again."))
    standards = {
        s.code: s
        for s in db.session.scalars(
            sa.select(Standard)
            .where(Standard.edition_id == assessment.cycle.edition_id, Standard.code.in_(codes))
            .options(sa.orm.lazyload("*"))
        )
    }
    parsed = []
    for item in changes:
        standard = standards.get(item["code"])
        if standard is None:
            raise ServiceError(_("No standard %(code)s in this edition.", code=item["code"][:20]))
        body = {k: v for k, v in item.items() if k in (*RATING_FIELDS, "version", "confirm")}
        parsed.append((standard, parse_rating_input(body)))
    stale: list[str] = []
    applied = 0
    try:
        for standard, data in parsed:
            try:
                _rating, changed = write_rating(actor, assessment, standard, data, note=IMPORT_NOTE)
            except Conflict:
                stale.append(standard.code)
                continue
            applied += int(changed)
        if stale:
            raise Conflict(
                _(
                    "Nothing was applied: someone saved %(codes)s after your preview. Upload the file again to see the conflicts.",
                    codes=", ".join(stale[:10]),
                )
            )
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise Conflict(
            _("Nothing was applied: someone saved meanwhile. Upload the file again.")
        ) from None
    except ServiceError:
        db.session.rollback()
        raise
    return applied

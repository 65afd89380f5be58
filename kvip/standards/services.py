"""Writes of the standards module: load an edition (all or nothing, idempotent, never changing a
frozen edition), staged spreadsheet imports, publishing, deleting, code mappings."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from kvip.core import audit
from kvip.core.db import utcnow
from kvip.core.errors import Conflict, NotFound, ServiceError
from kvip.core.permissions import require
from kvip.extensions import db
from kvip.standards.loader import parse_edition_dir
from kvip.standards.models import (
    Domain,
    Edition,
    EditionImport,
    Standard,
    StandardDimension,
    StandardDuty,
    StandardMapping,
)
from kvip.standards.validation import EditionData, Problem, StandardData, message_locale

STANDARD_FIELDS = (
    "type",
    "text_nb",
    "text_en",
    "guidance_nb",
    "guidance_en",
    "methods",
    "position",
    "domain_id",
)
IMPORT_LIFETIME = timedelta(hours=24)


class EditionInvalid(ServiceError):
    """The files or sheet broke the rules; ``problems`` lists every one with its place."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            ngettext(
                "The edition has %(num)d problem; nothing was loaded.",
                "The edition has %(num)d problems; nothing was loaded.",
                len(problems),
            ),
            fields={"problems": [str(p) for p in problems]},
            code="invalid_edition",
        )
        self.problems = problems


@dataclass
class LoadResult:
    edition: Edition
    status: str  # created | updated | unchanged
    added: int = 0
    removed: int = 0
    changed: int = 0


def edition_in_use(edition: Edition) -> bool:
    """Frozen: marked so, or used by any cycle (whose ratings point at its standards)."""
    if edition.frozen:
        return True
    from kvip.cycles.models import Cycle

    return bool(db.session.scalar(sa.select(sa.exists().where(Cycle.edition_id == edition.id))))


def edition_by_slug(slug: str) -> Edition | None:
    return db.session.scalar(sa.select(Edition).where(Edition.slug == slug))


def frozen_refusal(edition: Edition) -> str:
    return _(
        "The edition “%(slug)s” is in use by a cycle and can no longer change. Load the changed standards as a new edition with its own short name (for example “%(slug)s-2”).",
        slug=edition.slug,
    )


def plan_load(data: EditionData) -> tuple[Edition | None, str]:
    """What loading ``data`` would do, without writing: (existing edition, status), status one
    of created | unchanged | updated | refused."""
    existing = edition_by_slug(data.slug)
    if existing is None:
        return None, "created"
    if existing.content_hash == data.content_hash():
        return existing, "unchanged"
    if edition_in_use(existing):
        return existing, "refused"
    return existing, "updated"


def _set_codes(std: Standard, duties: tuple[str, ...], dimensions: tuple[str, ...]) -> bool:
    """Make the standard's duty and dimension rows equal the given codes; True if changed."""
    changed = False
    for rows, wanted, make, attr in (
        (std._duty_rows, duties, lambda c: StandardDuty(duty=c), "duty"),
        (std._dimension_rows, dimensions, lambda c: StandardDimension(dimension=c), "dimension"),
    ):
        current = {getattr(r, attr): r for r in rows}
        for code, row in current.items():
            if code not in wanted:
                rows.remove(row)
                changed = True
        for code in wanted:
            if code not in current:
                rows.append(make(code))
                changed = True
    return changed


def _delete_mappings(*conditions: Any) -> None:
    """Delete the code mappings matching any condition. Explicit, because SQLite does not
    enforce the foreign keys' ON DELETE CASCADE."""
    db.session.execute(sa.delete(StandardMapping).where(sa.or_(*conditions)))


def _apply(edition: Edition, data: EditionData, actor: Any) -> tuple[int, int, int]:
    """Make the edition's domains and standards equal ``data``, matching them by code so that
    ids (and any code mappings) survive a re-load. Returns (added, removed, changed)."""
    edition.name_nb, edition.name_en = data.name_nb, data.name_en
    edition.version, edition.published, edition.total = data.version, data.published, data.total
    standards = {
        s.code: s
        for s in db.session.scalars(sa.select(Standard).where(Standard.edition_id == edition.id))
    }
    wanted_codes = {s.code for s in data.standards}
    removed = 0
    gone_ids = [std.id for code, std in standards.items() if code not in wanted_codes]
    if gone_ids:
        _delete_mappings(
            StandardMapping.from_standard_id.in_(gone_ids),
            StandardMapping.to_standard_id.in_(gone_ids),
        )
    for code, gone in list(standards.items()):
        if code not in wanted_codes:
            audit.record(
                actor, "standard", gone.id, action="delete", changes={"code": (code, None)}
            )
            db.session.delete(gone)
            del standards[code]
            removed += 1
    db.session.flush()
    domains = {
        d.code: d
        for d in db.session.scalars(sa.select(Domain).where(Domain.edition_id == edition.id))
    }
    wanted_domains = {d.code for d in data.domains}
    for code, unwanted in list(domains.items()):
        if code not in wanted_domains:
            db.session.delete(unwanted)
            del domains[code]
    db.session.flush()
    added = changed = 0
    for d_pos, d_data in enumerate(data.domains, start=1):
        domain = domains.get(d_data.code)
        if domain is None:
            domain = Domain(edition_id=edition.id, code=d_data.code)
            db.session.add(domain)
            domains[d_data.code] = domain
        domain.slug, domain.title_nb, domain.title_en = (
            d_data.slug,
            d_data.title_nb,
            d_data.title_en,
        )
        domain.position = d_pos
        db.session.flush()
        for s_pos, s_data in enumerate(d_data.standards, start=1):
            std = standards.get(s_data.code)
            values = _standard_values(s_data, domain.id, s_pos)
            if std is None:
                std = Standard(edition_id=edition.id, code=s_data.code, **values)
                _set_codes(std, s_data.duties, s_data.dimensions)
                db.session.add(std)
                added += 1
                continue
            before = audit.snapshot(std, (*STANDARD_FIELDS, "duties", "dimensions"))
            for name, value in values.items():
                setattr(std, name, value)
            codes_changed = _set_codes(std, s_data.duties, s_data.dimensions)
            after = {k: getattr(std, k) for k in STANDARD_FIELDS}
            if codes_changed or any(before[k] != after[k] for k in STANDARD_FIELDS):
                changes = {
                    k: (before[k], after[k]) for k in STANDARD_FIELDS if before[k] != after[k]
                }
                if codes_changed:
                    changes["duties"] = (before["duties"], list(s_data.duties))
                    changes["dimensions"] = (before["dimensions"], list(s_data.dimensions))
                audit.record(actor, "standard", std.id, action="update", changes=changes)
                changed += 1
    return added, removed, changed


def _standard_values(s: StandardData, domain_id: int, position: int) -> dict[str, Any]:
    return {
        "domain_id": domain_id,
        "type": s.type,
        "text_nb": s.text_nb,
        "text_en": s.text_en,
        "guidance_nb": s.guidance_nb,
        "guidance_en": s.guidance_en,
        "methods": list(s.methods),
        "position": position,
    }


def load_edition(actor: Any, data: EditionData, *, source: str = "") -> LoadResult:
    """Load a checked edition in one transaction: create it, update an unused edition of the
    same slug, or do nothing when the content is unchanged. A frozen edition is never changed.
    ``actor`` None means the platform itself (CLI, demo)."""
    if actor is not None:
        require(actor, "editions.manage")
    existing, status = plan_load(data)
    if status == "unchanged":
        assert existing is not None
        return LoadResult(existing, "unchanged")
    if status == "refused":
        assert existing is not None
        raise Conflict(frozen_refusal(existing), payload={"edition": existing.slug})
    digest = data.content_hash()
    try:
        if existing is None:
            edition = Edition(
                slug=data.slug,
                name_nb=data.name_nb,
                name_en=data.name_en,
                version=data.version,
                published=data.published,
                total=data.total,
                content_hash=digest,
                source=source[:300],
            )
            db.session.add(edition)
            db.session.flush()
            added, removed, changed = _apply(edition, data, actor)
            audit.record(
                actor,
                "edition",
                edition.id,
                action="create",
                changes={"slug": (None, edition.slug), "total": (None, edition.total)},
                note=source[:200] or None,
            )
        else:
            edition = existing
            before = audit.snapshot(
                edition, ("name_nb", "name_en", "version", "published", "total")
            )
            added, removed, changed = _apply(edition, data, actor)
            edition.content_hash = digest
            edition.source = source[:300]
            edition.loaded_at = utcnow()
            audit.record_diff(actor, "edition", edition, before, action="reload")
            audit.record(
                actor,
                "edition",
                edition.id,
                action="reload",
                note=f"+{added} −{removed} ~{changed}",
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return LoadResult(edition, status, added, removed, changed)


def load_edition_dir(path: str | Path, actor: Any = None) -> Edition:
    """Check and load an edition folder (e.g. ``standards/kvip-2026``) and return the edition;
    raises :class:`EditionInvalid` listing every problem, or Conflict for a frozen edition."""
    with message_locale():
        data, problems = parse_edition_dir(path)
        if problems or data is None:
            raise EditionInvalid(problems)
        return load_edition(actor, data, source=str(path)).edition


# --- staged spreadsheet imports ---------------------------------------------------------------


def stage_import(actor: Any, data: EditionData, filename: str) -> str:
    """Keep a checked upload until its uploader confirms it; returns the confirmation token."""
    require(actor, "editions.manage")
    cutoff = utcnow() - IMPORT_LIFETIME
    db.session.execute(sa.delete(EditionImport).where(EditionImport.created_at < cutoff))
    token = secrets.token_urlsafe(32)
    db.session.add(
        EditionImport(
            token=token,
            user_id=actor.id,
            filename=filename[:255],
            payload=json.dumps(data.to_json(), ensure_ascii=False),
        )
    )
    db.session.commit()
    return token


def staged_import(actor: Any, token: str) -> tuple[EditionImport, EditionData]:
    """The upload behind ``token``, only for the user who uploaded it."""
    require(actor, "editions.manage")
    row = db.session.scalar(
        sa.select(EditionImport).where(
            EditionImport.token == token, EditionImport.user_id == actor.id
        )
    )
    if row is None or row.created_at < utcnow() - IMPORT_LIFETIME:
        raise NotFound(_("This import has expired or does not exist. Upload the file again."))
    return row, EditionData.from_json(json.loads(row.payload))


def confirm_import(actor: Any, token: str) -> LoadResult:
    """Load a staged upload (the same all-or-nothing load as the CLI) and forget it."""
    row, data = staged_import(actor, token)
    filename = row.filename
    # Forgotten in the same transaction as the load: both happen or neither does.
    db.session.delete(row)
    try:
        result = load_edition(actor, data, source=filename)
    except Exception:
        db.session.rollback()
        raise
    if result.status == "unchanged":
        db.session.commit()
    return result


# --- publishing and deleting ----------------------------------------------------------------


def publish_edition(actor: Any, edition: Edition, on: date | None = None) -> Edition:
    """Give a draft edition a publication date; the latest published edition is the current one."""
    require(actor, "editions.manage")
    if edition.published is not None:
        raise ServiceError(_("This edition is already published."), status=409, code="conflict")
    before = audit.snapshot(edition, ("published",))
    edition.published = on or date.today()
    audit.record_diff(actor, "edition", edition, before, action="publish")
    db.session.commit()
    return edition


def delete_edition(actor: Any, edition: Edition) -> None:
    """Delete an edition no cycle has used (e.g. a wrong import)."""
    require(actor, "editions.manage")
    if edition_in_use(edition):
        raise Conflict(
            _(
                "The edition “%(slug)s” is in use by a cycle and cannot be deleted.",
                slug=edition.slug,
            )
        )
    audit.record(
        actor, "edition", edition.id, action="delete", changes={"slug": (edition.slug, None)}
    )
    _delete_mappings(
        StandardMapping.from_edition_id == edition.id,
        StandardMapping.to_edition_id == edition.id,
    )
    db.session.delete(edition)
    db.session.commit()


# --- code mappings between editions -------------------------------------------------------------


def save_mapping(
    actor: Any, old: Edition, new: Edition, pairs: dict[int, int | None]
) -> list[StandardMapping]:
    """Save which standard of ``old`` each standard of ``new`` continues (None: new standard).
    ``pairs`` maps every standard id of ``new`` to a standard id of ``old`` or None; an old
    standard may be continued by more than one new standard (a split), never the other way."""
    require(actor, "editions.manage")
    if old.id == new.id:
        raise ServiceError(_("Choose two different editions."))
    new_ids = set(db.session.scalars(sa.select(Standard.id).where(Standard.edition_id == new.id)))
    old_ids = set(db.session.scalars(sa.select(Standard.id).where(Standard.edition_id == old.id)))
    unknown_new = set(pairs) - new_ids
    unknown_old = {v for v in pairs.values() if v is not None} - old_ids
    if unknown_new or unknown_old:
        raise ServiceError(_("The mapping names standards that are not in these editions."))
    db.session.execute(
        sa.delete(StandardMapping).where(
            StandardMapping.from_edition_id == old.id, StandardMapping.to_edition_id == new.id
        )
    )
    rows = [
        StandardMapping(
            from_edition_id=old.id,
            to_edition_id=new.id,
            from_standard_id=pairs.get(std_id),
            to_standard_id=std_id,
            created_by_id=getattr(actor, "id", None),
        )
        for std_id in sorted(new_ids)
    ]
    db.session.add_all(rows)
    audit.record(
        actor,
        "edition",
        new.id,
        action="mapping",
        note=f"{old.slug} → {new.slug}: {sum(1 for r in rows if r.from_standard_id)}/{len(rows)}",
    )
    db.session.commit()
    return rows

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
from flask import has_app_context
from flask_babel import gettext as _
from flask_babel import ngettext

from kvip.core import audit, dates
from kvip.core.db import utcnow
from kvip.core.errors import Conflict, NotFound, ServiceError
from kvip.core.permissions import require
from kvip.extensions import db
from kvip.standards import queries
from kvip.standards.loader import parse_edition_dir
from kvip.standards.mapping_file import (
    MEANING_KINDS,
    MappingData,
    from_slug_of,
    mapping_files,
    parse_mapping_file,
)
from kvip.standards.models import (
    CHANGE_KINDS,
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
# Kinds that say the same thing about a kept pair: the wording is a matter of judgement.
MAIN_LINE = {"same", "reworded"}


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
    return bool(db.session.scalar(sa.select(Edition.cycles.any()).where(Edition.id == edition.id)))


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


def _codes_of_loaded(slug: str) -> set[str] | None:
    """The codes of a loaded edition, or None (not loaded, no database yet, or no app)."""
    if not has_app_context():
        return None
    try:
        edition = edition_by_slug(slug)
        if edition is None:
            return None
        return set(
            db.session.scalars(sa.select(Standard.code).where(Standard.edition_id == edition.id))
        )
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return None


def _codes_of_folder(folder: Path) -> set[str] | None:
    """The codes of a valid edition folder, or None."""
    if not (folder / "edition.yaml").is_file():
        return None
    data, problems = parse_edition_dir(folder)
    return None if problems or data is None else {s.code for s in data.standards}


def check_edition_folder(
    path: str | Path, *, for_load: bool = False
) -> tuple[EditionData | None, list[MappingData], list[Problem]]:
    """Check an edition folder and its mapping files (``mapping-from-<slug>.yaml``) together;
    returns the edition, the mappings and every problem (nothing may be loaded unless the
    list is empty). The older edition of a mapping is read from the database (it must be
    loaded ``for_load``), else — only to check — from its folder beside this one."""
    with message_locale():
        data, problems = parse_edition_dir(path)
        mappings: list[MappingData] = []
        files = mapping_files(path)
        if data is None or not files:
            return data, mappings, problems
        new_codes = {s.code for s in data.standards}
        label = str(path).rstrip("/")
        for file in files:
            slug = from_slug_of(file)
            old_codes = _codes_of_loaded(slug)
            if old_codes is None and not for_load:
                old_codes = _codes_of_folder(Path(path).resolve().parent / slug)
            mapping, found = parse_mapping_file(
                file,
                to_slug=data.slug,
                new_codes=new_codes,
                old_codes=old_codes,
                label=f"{label}/{file.name}",
            )
            problems.extend(found)
            if mapping is not None:
                mappings.append(mapping)
        return (None if problems else data), mappings, problems


def load_edition_dir(path: str | Path, actor: Any = None) -> Edition:
    """Check and load an edition folder (e.g. ``standards/kvip-2026``) with its mapping files
    and return the edition; raises :class:`EditionInvalid` listing every problem, or Conflict
    for a frozen edition."""
    with message_locale():
        data, mappings, problems = check_edition_folder(path, for_load=True)
        if problems or data is None:
            raise EditionInvalid(problems)
        edition = load_edition(actor, data, source=str(path)).edition
        for mapping in mappings:
            load_mapping(actor, edition, mapping)
        return edition


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
    edition.published = on or dates.today()
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


def _replace_links(
    actor: Any, old: Edition, new: Edition, links: list[queries.Link], note: str
) -> tuple[list[StandardMapping], bool]:
    """Make the saved rows of (old, new) equal ``links``; (rows, whether anything changed)."""
    existing = list(
        db.session.scalars(
            sa.select(StandardMapping)
            .where(
                StandardMapping.from_edition_id == old.id, StandardMapping.to_edition_id == new.id
            )
            .order_by(StandardMapping.id)
        )
    )

    def key(x: Any) -> tuple[Any, ...]:
        old_id = x.old_id if isinstance(x, queries.Link) else x.from_standard_id
        new_id = x.new_id if isinstance(x, queries.Link) else x.to_standard_id
        return (old_id, new_id, x.change, bool(x.meaning_changed), x.note or "")

    if sorted(map(key, existing), key=repr) == sorted(map(key, links), key=repr):
        return existing, False
    db.session.execute(
        sa.delete(StandardMapping).where(
            StandardMapping.from_edition_id == old.id, StandardMapping.to_edition_id == new.id
        )
    )
    rows = [
        StandardMapping(
            from_edition_id=old.id,
            to_edition_id=new.id,
            from_standard_id=link.old_id,
            to_standard_id=link.new_id,
            change=link.change,
            meaning_changed=link.meaning_changed,
            note=link.note,
            created_by_id=getattr(actor, "id", None),
        )
        for link in links
    ]
    db.session.add_all(rows)
    counts = queries.change_counts(links)
    summary = ", ".join(f"{kind} {counts[kind]}" for kind in CHANGE_KINDS if counts.get(kind))
    audit.record(
        actor,
        "edition",
        new.id,
        action="mapping",
        note=f"{old.slug} → {new.slug} ({note}): {summary}"[:500],
    )
    return rows, True


def save_mapping(
    actor: Any, old: Edition, new: Edition, pairs: dict[int, int | None | list[int]]
) -> list[StandardMapping]:
    """Save which standards of ``old`` each standard of ``new`` continues (None or an empty
    list: a new standard; several: older standards merged into it). An old standard continued
    by several new ones is split; one continued by none is dropped. A link kept from the
    saved mapping keeps its kind, its "meaning changed" mark and its note; other kinds are
    inferred (:func:`queries.infer_links`)."""
    require(actor, "editions.manage")
    if old.id == new.id:
        raise ServiceError(_("Choose two different editions."))
    new_list = queries.standards_of(new)
    old_list = queries.standards_of(old)
    new_ids = {s.id for s in new_list}
    old_ids = {s.id for s in old_list}
    wanted: dict[int, list[int]] = {}
    for to_id, value in pairs.items():
        olds = [] if value is None else [value] if isinstance(value, int) else list(value)
        wanted[to_id] = list(dict.fromkeys(olds))
    unknown_new = set(wanted) - new_ids
    unknown_old = {o for olds in wanted.values() for o in olds} - old_ids
    if unknown_new or unknown_old:
        raise ServiceError(_("The mapping names standards that are not in these editions."))
    links = queries.infer_links(wanted, old_list, new_list)
    before = {(x.old_id, x.new_id): x for x in queries.saved_links(old, new) or []}
    kept = []
    for link in links:
        previous = before.get((link.old_id, link.new_id))
        if previous is None:
            kept.append(link)
        elif previous.change == link.change or {previous.change, link.change} <= MAIN_LINE:
            # A pair that stays keeps what was said about it (e.g. in the mapping file).
            kept.append(previous)
        else:
            kept.append(
                queries.Link(
                    link.old_id,
                    link.new_id,
                    link.change,
                    previous.meaning_changed and link.change in MEANING_KINDS,
                    previous.note,
                )
            )
    rows, _changed = _replace_links(actor, old, new, kept, "mapping page")
    db.session.commit()
    return rows


def load_mapping(actor: Any, new: Edition, data: MappingData) -> str:
    """Store a checked mapping file (:mod:`kvip.standards.mapping_file`) as the saved mapping
    from its older edition to ``new``, replacing any saved before; "unchanged" when it is
    already saved exactly so, else "saved". The older edition must be loaded."""
    if actor is not None:
        require(actor, "editions.manage")
    old = edition_by_slug(data.from_slug)
    if old is None:
        raise NotFound(_("The edition %(slug)s is not loaded: load it first.", slug=data.from_slug))
    old_ids = dict(
        db.session.execute(
            sa.select(Standard.code, Standard.id).where(Standard.edition_id == old.id)
        ).all()
    )
    new_ids = dict(
        db.session.execute(
            sa.select(Standard.code, Standard.id).where(Standard.edition_id == new.id)
        ).all()
    )
    try:
        links = [
            queries.Link(
                old_ids[old_code] if old_code is not None else None,
                new_ids[new_code] if new_code is not None else None,
                change,
                meaning,
                note,
            )
            for old_code, new_code, change, meaning, note in data.links()
        ]
    except KeyError as exc:
        raise ServiceError(
            _("The mapping names standard %(code)s, which is not loaded.", code=exc.args[0])
        ) from exc
    try:
        _rows, changed = _replace_links(actor, old, new, links, "mapping file")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return "saved" if changed else "unchanged"

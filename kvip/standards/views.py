"""The standards library: browse and search, a standard's page, regulation coverage, editions
(list, detail, compare, code mapping) and the Excel round trip."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kvip.core import audit
from kvip.core.errors import NotFound, ServiceError
from kvip.core.i18n import lang
from kvip.core.nav import NavItem
from kvip.core.permissions import can, require
from kvip.extensions import db
from kvip.standards import queries, services
from kvip.standards.duties import (
    DIMENSION_BY_CODE,
    DIMENSIONS,
    DUTY_BY_CODE,
    DUTY_CODES,
    METHOD_BY_CODE,
    METHODS,
    SECTION_BY_NUMBER,
    SECTIONS,
    method_labels,
)
from kvip.standards.forms import ImportForm, mapping_form
from kvip.standards.labels import type_descriptions, type_names
from kvip.standards.models import CHANGE_KINDS, Edition, Standard
from kvip.standards.spreadsheet import EditionMeta, export_xlsx, parse_table
from kvip.standards.validation import Problem

bp = Blueprint("standards", __name__, url_prefix="/standards")


def nav_items(user: Any) -> list[NavItem]:
    """Every signed-in user may read the standards."""
    return [NavItem(_("Standards"), "standards.index", order=20)]


def network_links(user: Any, network: Any, role: str) -> list[tuple[str, str]]:
    if role == "coordinator":
        return [(_("Editions of the standards"), url_for("standards.editions"))]
    return []


def change_labels() -> dict[str, str]:
    """The kinds of change between editions (a mapping's ``change``), for people."""
    return {
        "same": _("Unchanged"),
        "reworded": _("Reworded"),
        "merged": _("Merged into another"),
        "split": _("Split"),
        "dropped": _("Dropped from the edition"),
        "new": _("New"),
    }


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "type_labels": type_names(),
        "change_labels": change_labels(),
        "type_descriptions": type_descriptions(),
        "SECTIONS": SECTIONS,
        "DIMENSIONS": DIMENSIONS,
        "METHODS": METHODS,
        "DUTY_BY_CODE": DUTY_BY_CODE,
        "DIMENSION_BY_CODE": DIMENSION_BY_CODE,
        "METHOD_BY_CODE": METHOD_BY_CODE,
        "can_manage_editions": can(current_user, "editions.manage"),
    }


@bp.app_template_global("method_labels")
def _method_labels(codes: Any) -> list[str]:
    """The labels of a standard's methods in the reader's language (any template may show
    them: the standards pages, the self-assessment, the visit screens)."""
    return method_labels(list(codes or ()), lang())


@bp.app_template_global("method_label_map")
def _method_label_map() -> dict[str, str]:
    """code → label in the reader's language, for pages that show many standards' methods."""
    language = lang()
    return {m.code: getattr(m, f"label_{language}", m.label_nb) for m in METHODS}


def _read() -> None:
    require(current_user, "standards.read")


def _edition(slug: str) -> Edition:
    edition = services.edition_by_slug(slug)
    if edition is None:
        raise NotFound(_("There is no edition “%(slug)s”.", slug=slug))
    return edition


def _filters(edition: Edition) -> queries.Filters:
    args = request.args
    std_type = args.get("type", "")
    duty = args.get("duty", "").strip().lower()
    dimension = args.get("dimension", "")
    domain = args.get("domain", "")
    method = args.get("method", "")
    domain_codes = {d.code for d in edition.domains}
    return queries.Filters(
        q=args.get("q", "")[:200],
        type=int(std_type) if std_type in ("1", "2", "3") else None,
        duty=duty if duty in DUTY_CODES or duty in ("6", "7", "8", "9") else None,
        dimension=dimension if dimension in DIMENSION_BY_CODE else None,
        domain=domain if domain in domain_codes else None,
        method=method if method in METHOD_BY_CODE else None,
    )


# --- browse and search ---------------------------------------------------------------------------


@bp.get("")
@login_required
def index() -> Any:
    _read()
    slug = request.args.get("edition")
    edition = queries.edition_or_current(slug) if slug else queries.current_edition()
    if edition is None:
        return render_template("standards/empty.html", rows=queries.edition_rows())
    filters = _filters(edition)
    hits = queries.search(edition, filters) if filters.active else []
    return render_template(
        "standards/index.html",
        edition=edition,
        editions=[r.edition for r in queries.edition_rows()],
        filters=filters,
        hits=hits,
        terms=queries.terms_of(filters.q),
        types=queries.type_counts(edition),
        highlight=queries.highlight,
        has_methods=queries.has_methods(edition),
    )


@bp.get("/<slug>/domains/<code>")
@login_required
def domain(slug: str, code: str) -> Any:
    _read()
    edition = _edition(slug)
    current = queries.domain_by_code(edition, code)
    standards = list(
        db.session.scalars(
            sa.select(Standard).where(Standard.domain_id == current.id).order_by(Standard.position)
        )
    )
    return render_template(
        "standards/domain.html", edition=edition, domain=current, standards=standards
    )


@bp.get("/<slug>/<code>")
@login_required
def standard(slug: str, code: str) -> Any:
    _read()
    edition = _edition(slug)
    std = queries.standard_by_code(edition, code)
    codes = list(
        db.session.execute(
            sa.select(Standard.code)
            .join(Standard.domain)
            .where(Standard.edition_id == edition.id)
            .order_by(sa.text("domains.position"), Standard.position)
        ).scalars()
    )
    index_of = codes.index(std.code)
    sections = [
        (SECTION_BY_NUMBER[n], [DUTY_BY_CODE[d] for d in std.duties if int(d[0]) == n])
        for n in sorted({int(d[0]) for d in std.duties})
    ]
    return render_template(
        "standards/standard.html",
        edition=edition,
        std=std,
        sections=sections,
        previous=codes[index_of - 1] if index_of > 0 else None,
        following=codes[index_of + 1] if index_of + 1 < len(codes) else None,
        related=queries.related_in_other_editions(std),
    )


@bp.get("/<slug>/coverage")
@login_required
def coverage(slug: str) -> Any:
    _read()
    edition = _edition(slug)
    return render_template(
        "standards/coverage.html", edition=edition, cov=queries.coverage(edition)
    )


# --- editions ---------------------------------------------------------------------------------


@bp.get("/editions")
@login_required
def editions() -> Any:
    _read()
    return render_template("standards/editions.html", rows=queries.edition_rows())


@bp.get("/editions/<slug>")
@login_required
def edition(slug: str) -> Any:
    _read()
    ed = _edition(slug)
    rows = {r.edition.id: r for r in queries.edition_rows()}
    cov = queries.coverage(ed)
    return render_template(
        "standards/edition.html",
        edition=ed,
        row=rows[ed.id],
        others=[r.edition for r in rows.values() if r.edition.id != ed.id],
        cov=cov,
        types=queries.type_counts(ed),
        history=audit.history("edition", ed.id, limit=50),
    )


@bp.get("/editions/compare")
@login_required
def compare() -> Any:
    _read()
    old = _edition(request.args.get("from", ""))
    new = _edition(request.args.get("to", ""))
    if old.id == new.id:
        flash(_("Choose two different editions to compare."), "warning")
        return redirect(url_for("standards.edition", slug=new.slug))
    old_list, new_list = queries.standards_of(old), queries.standards_of(new)
    links, saved = queries.links(old, new, old_list, new_list)
    return render_template(
        "standards/compare.html",
        cmp=queries.compare_standards(old, new, old_list, new_list),
        word_diff=queries.word_diff,
        mapping_rows=_mapping_rows(links, old_list, new_list),
        mapping_counts=queries.change_counts(links),
        mapping_saved=saved,
        change_kinds=CHANGE_KINDS,
    )


def _mapping_rows(
    links: list[queries.Link], old_list: list[Standard], new_list: list[Standard]
) -> list[dict[str, Any]]:
    """One row per older standard (its links gathered: a split lists its parts) and one per
    new standard, in the order of the kinds and then of the older edition."""
    by_id = {s.id: s for s in (*old_list, *new_list)}
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for link in links:
        key = ("new", link.new_id or 0) if link.old_id is None else ("old", link.old_id)
        row = rows.setdefault(
            key,
            {
                "old": by_id.get(link.old_id) if link.old_id else None,
                "new": [],
                "change": link.change,
                "meaning_changed": False,
                "note": link.note,
            },
        )
        if link.new_id is not None:
            row["new"].append(by_id[link.new_id])
        row["meaning_changed"] = row["meaning_changed"] or link.meaning_changed
    order = {kind: i for i, kind in enumerate(CHANGE_KINDS)}
    position = {s.id: i for i, s in enumerate((*old_list, *new_list))}

    def sort_key(row: dict[str, Any]) -> tuple[int, int]:
        first = row["old"] or (row["new"][0] if row["new"] else None)
        return (order.get(row["change"], 99), position.get(first.id, 0) if first else 0)

    return sorted(rows.values(), key=sort_key)


_CODE_SPLIT = re.compile(r"[,;\s]+")


@bp.route("/editions/<slug>/mapping", methods=["GET", "POST"])
@login_required
def mapping(slug: str) -> Any:
    _read()
    new = _edition(slug)
    old = _edition(request.args.get("from", ""))
    if old.id == new.id:
        raise ServiceError(_("Choose two different editions."))
    new_standards = queries.standards_of(new)
    old_standards = queries.standards_of(old)
    old_by_code = {s.code: s for s in old_standards}
    links, saved = queries.links(old, new, old_standards, new_standards)
    pairs = queries.continues(links)
    errors: dict[int, str] = {}
    status = 200
    form = mapping_form(s.id for s in new_standards)
    if request.method == "POST":
        require(current_user, "editions.manage")
        wanted: dict[int, int | None | list[int]] = {}
        for std in new_standards:
            codes = [c for c in _CODE_SPLIT.split(form.typed(std.id)) if c]
            unknown = [c for c in codes if c not in old_by_code]
            if unknown:
                errors[std.id] = _(
                    "There is no standard %(code)s in %(edition)s.",
                    code=unknown[0][:20],
                    edition=old.slug,
                )
            else:
                wanted[std.id] = [old_by_code[c].id for c in codes]
        if not errors:
            services.save_mapping(current_user, old, new, wanted)
            flash(_("Mapping saved."), "success")
            args: dict[str, Any] = {"from": old.slug}
            return redirect(url_for("standards.mapping", slug=new.slug, **args))
        status = 422
    code_of = {s.id: s.code for s in old_standards}
    if request.method == "POST":
        # Show what was typed, errors included, so nothing has to be typed again.
        entered = {std.id: form.typed(std.id) for std in new_standards}
    else:
        entered = {
            std.id: ", ".join(code_of[o] for o in pairs.get(std.id, [])) for std in new_standards
        }
    kinds: dict[int, list[queries.Link]] = {}
    for link in links:
        if link.new_id is not None:
            kinds.setdefault(link.new_id, []).append(link)
    dropped = {link.old_id: link for link in links if link.new_id is None}
    return render_template(
        "standards/mapping.html",
        old=old,
        new=new,
        new_standards=new_standards,
        old_standards=old_standards,
        entered=entered,
        old_by_code=old_by_code,
        code_of=code_of,
        kinds=kinds,
        saved=saved,
        errors=errors,
        not_continued=[(s, dropped.get(s.id)) for s in old_standards if s.id in dropped],
    ), status


@bp.post("/editions/<slug>/publish")
@login_required
def publish(slug: str) -> Any:
    ed = _edition(slug)
    services.publish_edition(current_user, ed)
    flash(_("The edition is published."), "success")
    return redirect(url_for("standards.edition", slug=ed.slug))


@bp.post("/editions/<slug>/delete")
@login_required
def delete(slug: str) -> Any:
    ed = _edition(slug)
    services.delete_edition(current_user, ed)
    flash(_("The edition “%(slug)s” was deleted.", slug=slug), "success")
    return redirect(url_for("standards.editions"))


# --- Excel round trip -------------------------------------------------------------------------


@bp.get("/editions/<slug>/export.xlsx")
@login_required
def export(slug: str) -> Any:
    require(current_user, "editions.manage")
    ed = _edition(slug)
    return Response(
        export_xlsx(ed),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{ed.slug}.xlsx"'},
    )


@bp.route("/editions/import", methods=["GET", "POST"])
@login_required
def import_edition() -> Any:
    require(current_user, "editions.manage")
    form = ImportForm()
    problems: list[Problem] = []
    if form.validate_on_submit():
        upload = form.file.data
        meta = EditionMeta(
            slug=form.slug.data or "",
            name_nb=(form.name_nb.data or "").strip(),
            name_en=(form.name_en.data or "").strip(),
            version=(form.version.data or "").strip(),
            published=form.published.data,
            total=form.total.data,
        )
        filename = upload.filename or "upload"
        data, problems = parse_table(upload.read(), filename, meta)
        if data is not None:
            token = services.stage_import(current_user, data, filename)
            return redirect(url_for("standards.import_staged", token=token))
    status = 422 if request.method == "POST" else 200
    return render_template("standards/import.html", form=form, problems=problems), status


@bp.route("/editions/import/<token>", methods=["GET", "POST"])
@login_required
def import_staged(token: str) -> Any:
    row, data = services.staged_import(current_user, token)
    if request.method == "POST":
        try:
            result = services.confirm_import(current_user, token)
        except ServiceError as exc:
            flash(exc.message, "error")
            return redirect(url_for("standards.import_staged", token=token))
        if result.status == "unchanged":
            flash(
                _(
                    "The edition “%(slug)s” already has exactly this content; nothing changed.",
                    slug=result.edition.slug,
                ),
                "info",
            )
        else:
            flash(_("The edition “%(slug)s” was loaded.", slug=result.edition.slug), "success")
        return redirect(url_for("standards.edition", slug=result.edition.slug))
    existing, plan = services.plan_load(data)
    baseline = existing if existing is not None else queries.current_edition()
    cmp = (
        queries.compare_standards(baseline, data, queries.standards_of(baseline), data.standards)
        if baseline is not None
        else None
    )
    served = {d for s in data.standards for d in s.duties}
    return render_template(
        "standards/import_preview.html",
        row=row,
        data=data,
        plan=plan,
        existing=existing,
        baseline=baseline,
        cmp=cmp,
        refusal=services.frozen_refusal(existing) if plan == "refused" and existing else None,
        uncovered=[d for d in DUTY_CODES if d not in served],
        token=token,
    )

"""Benchmark pages: the unit's dashboard, the coordinator's dashboards, the good-practice
library, the annual report (HTML and PDF), and CSV/.xlsx exports of every table."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kvip.accounts.models import Membership
from kvip.accounts.permissions import any_coordinator, coordinated_network_ids
from kvip.benchmarks import (
    annual,
    exports,
    learning,
    library,
    network_page,
    survey_pages,
    unit_page,
)
from kvip.benchmarks.context import (
    LABELS_KEY,
    Column,
    Context,
    NoCycles,
    Table,
    build_context,
    format_number,
    remember_locale_symbols,
    series_labels,
    value_labels,
)
from kvip.benchmarks.views import bp
from kvip.config import ROOT
from kvip.core import chart_images, downloads, jobs
from kvip.core.nav import NavItem
from kvip.core.pdf import render_pdf
from kvip.core.permissions import can, require
from kvip.core.web import load_or_404
from kvip.extensions import db
from kvip.network.labels import unit_kind_labels
from kvip.network.models import Network, Unit

NETWORK_PAGES = ("overview", "standards", "trends", "agreement", "questionnaires")
# Every table a page can export; a table left out because its group is too small is exported
# as a one-line note rather than a 404.
TABLES = {
    "unit": ("domains", "trend", "standard_trend", "differences", "learn"),
    "overview": ("units", "groups"),
    "standards": ("standards", "not_met", "heatmap"),
    "trends": ("trends", "standard_changes"),
    "agreement": ("agreement_units", "agreement_standards", "rewording"),
    "questionnaires": ("questions", "funnel"),
    "annual": (
        "trends",
        "most_improved",
        "themes",
        "by_standard",
        "survey_counts",
        "survey_spread",
    ),
}


def _has_membership(user: Any) -> bool:
    return bool(db.session.scalar(sa.select(sa.exists().where(Membership.user_id == user.id))))


def nav_items(user: Any) -> list[NavItem]:
    if user.is_admin or any_coordinator(user) or _has_membership(user):
        return [NavItem(_("Benchmarks"), "benchmarks.index", order=60)]
    return []


def unit_links(user: Any, unit: Any, role: str) -> list[tuple[str, str]]:
    return [
        (_("Benchmarks: compare and learn"), url_for("benchmarks.unit", unit_id=unit.id)),
        (
            _("Good-practice library"),
            url_for("benchmarks.good_practice", network_id=unit.network_id),
        ),
        (_("Requests to learn"), url_for("benchmarks.learning_requests")),
    ]


def network_links(user: Any, network: Any, role: str) -> list[tuple[str, str]]:
    if role != "coordinator":
        return []
    return [
        (_("Benchmarks"), url_for("benchmarks.network", network_id=network.id)),
        (_("Good-practice library"), url_for("benchmarks.good_practice", network_id=network.id)),
        (_("Annual report"), url_for("benchmarks.annual_report", network_id=network.id)),
        (_("Requests to learn"), url_for("benchmarks.learning_requests")),
    ]


@bp.app_template_filter("bm_num")
def _bm_num(value: Any, kind: str = "score") -> str:
    return format_number(value, kind)


@bp.before_request
def _locale_symbols() -> None:
    remember_locale_symbols()


@bp.teardown_app_request
def _forget_labels(_exc: BaseException | None) -> None:
    g.pop(LABELS_KEY, None)


@bp.errorhandler(NoCycles)
def _no_cycles(exc: NoCycles) -> Any:
    """Before the first cycle there is nothing to compare: say so, kindly."""
    return render_template("benchmarks/empty.html", message=exc.message), 200


@bp.app_template_global("bm_value_labels")
def _value_labels() -> dict[str | None, str]:
    return value_labels()


# --- choosing a dashboard ---------------------------------------------------------------------


@bp.get("/")
@login_required
def index() -> Any:
    networks = db.session.scalars(
        sa.select(Network)
        .where(
            sa.true()
            if current_user.is_admin
            else Network.id.in_(coordinated_network_ids(current_user))
        )
        .order_by(Network.name)
    ).all()
    units = db.session.scalars(
        sa.select(Unit)
        .join(Membership, Membership.unit_id == Unit.id)
        .where(Membership.user_id == current_user.id)
        .order_by(Unit.name)
    ).all()
    if len(networks) + len(units) == 0:
        require(current_user, "benchmark.network", 0)
    if len(networks) == 1 and not units:
        return redirect(url_for("benchmarks.network", network_id=networks[0].id))
    if len(units) == 1 and not networks:
        return redirect(url_for("benchmarks.unit", unit_id=units[0].id))
    return render_template("benchmarks/index.html", networks=networks, units=units)


# --- the unit's dashboard ---------------------------------------------------------------------


@bp.get("/units/<int:unit_id>")
@login_required
def unit(unit_id: int) -> Any:
    u = load_or_404(Unit, unit_id, "benchmark.unit")
    ctx = build_context(current_user, u.network, request.args, focus_unit=u)
    dash = unit_page.build(ctx, u)
    return render_template(
        "benchmarks/unit.html",
        dash=dash,
        ctx=ctx,
        can_ask=can(current_user, "learning.send", u),
        series_labels=series_labels(),
        kinds=unit_kind_labels(),
        export=lambda table, fmt: url_for(
            "benchmarks.unit_export", unit_id=u.id, table=table, fmt=fmt, **ctx.args()
        ),
    )


@bp.get("/units/<int:unit_id>/questionnaires")
@login_required
def unit_questionnaires(unit_id: int) -> Any:
    """The unit's questionnaires against the network (the unit dashboard's permissions)."""
    u = load_or_404(Unit, unit_id, "benchmark.unit")
    ctx = build_context(current_user, u.network, {"cycle": request.args.get("cycle")}, focus_unit=u)
    return render_template(
        "benchmarks/unit_questionnaires.html", page=survey_pages.unit(ctx, u), ctx=ctx
    )


@bp.get("/units/<int:unit_id>/dashboard.pdf")
@login_required
def unit_pdf(unit_id: int) -> Any:
    """The unit's dashboard as PDF: the same selection, figures (as images) and tables."""
    u = load_or_404(Unit, unit_id, "benchmark.unit")
    ctx = build_context(current_user, u.network, request.args, focus_unit=u)
    dash = unit_page.build(ctx, u)
    charts, images = chart_images.for_pdf(dash.figures, ctx.lang)
    css = (ROOT / "static" / "css" / "benchmarks-print.css").read_text(encoding="utf-8")
    html = render_template(
        "benchmarks/unit_pdf.html", dash=dash, ctx=ctx, pdf=True, css=css, charts=charts
    )
    name = f"kvip-{ctx.cycle.year}-{downloads.slug(u.name, 'unit')}.pdf"
    return Response(
        render_pdf(html, images),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/units/<int:unit_id>/export/<table>.<fmt>")
@login_required
def unit_export(unit_id: int, table: str, fmt: str) -> Any:
    u = load_or_404(Unit, unit_id, "benchmark.unit")
    if fmt not in exports.FORMATS:
        abort(404)
    ctx = build_context(current_user, u.network, request.args, focus_unit=u)
    dash = unit_page.build(ctx, u, figures=False)
    return _export("unit", dash.tables, table, fmt, f"{ctx.cycle.year}-{u.name}", ctx)


def _export(
    page: str, tables: dict[str, Table], name: str, fmt: str, stem: str, ctx: Context
) -> Response:
    if fmt not in exports.FORMATS or name not in TABLES[page]:
        abort(404)
    table = tables.get(name) or Table(
        name=name,
        title=name,
        columns=[Column("note", _("Note"))],
        rows=[{"note": _("Too few units to compare.")}],
    )
    return exports.response(table, fmt, stem, note=ctx.provisional_note)


# --- the coordinator's dashboards -------------------------------------------------------------


def _network_dashboard(page: str, network: Network, *, figures: bool = True) -> Any:
    ctx = build_context(current_user, network, request.args)
    if page == "overview":
        domain = request.args.get("funnel_domain") or None
        return ctx, network_page.overview(ctx, funnel_domain=domain, figures=figures)
    if page == "standards":
        return ctx, network_page.standards(
            ctx, domain_code=request.args.get("domain"), figures=figures
        )
    if page == "trends":
        return ctx, network_page.trends(ctx, figures=figures)
    if page == "questionnaires":
        return ctx, survey_pages.network(
            ctx, question=request.args.get("question"), figures=figures
        )
    return ctx, network_page.agreement(ctx, figures=figures)


def _render_network(page: str, network_id: int) -> Any:
    network = load_or_404(Network, network_id, "benchmark.network")
    ctx, dash = _network_dashboard(page, network)
    extra = {k: v for k, v in request.args.items() if k in ("funnel_domain", "domain", "question")}
    return render_template(
        f"benchmarks/network_{page}.html",
        dash=dash,
        ctx=ctx,
        page=page,
        series_labels=series_labels(),
        kinds=unit_kind_labels(),
        export=lambda table, fmt: url_for(
            "benchmarks.network_export",
            network_id=network.id,
            page=page,
            table=table,
            fmt=fmt,
            **ctx.args(**extra),
        ),
        # Tables too large for a request are made by the job queue ("Prepare file").
        export_job=lambda table, fmt: url_for(
            "jobs.start",
            kind="benchmark_table",
            network_id=network.id,
            page=page,
            table=table,
            fmt=fmt,
            **ctx.args(**extra),
        ),
        job_cells=exports.JOB_CELLS,
    )


@bp.get("/networks/<int:network_id>")
@login_required
def network(network_id: int) -> Any:
    return _render_network("overview", network_id)


@bp.get("/networks/<int:network_id>/standards")
@login_required
def network_standards(network_id: int) -> Any:
    return _render_network("standards", network_id)


@bp.get("/networks/<int:network_id>/trends")
@login_required
def network_trends(network_id: int) -> Any:
    return _render_network("trends", network_id)


@bp.get("/networks/<int:network_id>/agreement")
@login_required
def network_agreement(network_id: int) -> Any:
    return _render_network("agreement", network_id)


@bp.get("/networks/<int:network_id>/questionnaires")
@login_required
def network_questionnaires(network_id: int) -> Any:
    """Questionnaires across the network: answers per question and a funnel of units."""
    return _render_network("questionnaires", network_id)


@bp.get("/networks/<int:network_id>/export/<page>/<table>.<fmt>")
@login_required
def network_export(network_id: int, page: str, table: str, fmt: str) -> Any:
    network = load_or_404(Network, network_id, "benchmark.network")
    if page not in NETWORK_PAGES or fmt not in exports.FORMATS:
        abort(404)
    ctx, dash = _network_dashboard(page, network, figures=False)
    return _export(page, dash.tables, table, fmt, f"{network.slug}-{ctx.cycle.year}", ctx)


# --- good-practice library --------------------------------------------------------------------


@bp.get("/networks/<int:network_id>/good-practice")
@login_required
def good_practice(network_id: int) -> Any:
    network = load_or_404(Network, network_id, "benchmark.read")
    search = library.parse(request.args)
    lib = library.build(current_user, network, search)
    return render_template(
        "benchmarks/good_practice.html",
        lib=lib,
        ask_units=learning.lead_units(current_user, network.id),
        export=lambda fmt: url_for(
            "benchmarks.good_practice_export",
            network_id=network.id,
            fmt=fmt,
            **search.args(page=None),
        ),
    )


@bp.get("/networks/<int:network_id>/good-practice.<fmt>")
@login_required
def good_practice_export(network_id: int, fmt: str) -> Any:
    network = load_or_404(Network, network_id, "benchmark.read")
    if fmt not in exports.FORMATS:
        abort(404)
    lib = library.build(current_user, network, library.parse(request.args), export=True)
    return exports.response(lib.table, fmt, f"{network.slug}-good-practice")


# --- the annual report ------------------------------------------------------------------------


def _annual(network_id: int, *, figures: bool = True) -> tuple[Network, annual.AnnualReport]:
    network = load_or_404(Network, network_id, "benchmark.read")
    args = {"cycle": request.args.get("cycle")} if request.args.get("cycle") else {}
    ctx = build_context(current_user, network, args)
    return network, annual.build(ctx, figures=figures)


@bp.get("/networks/<int:network_id>/annual-report")
@login_required
def annual_report(network_id: int) -> Any:
    network, report = _annual(network_id)
    return render_template(
        "benchmarks/annual_report.html",
        report=report,
        ctx=report.ctx,
        pdf=False,
        export=lambda table, fmt: url_for(
            "benchmarks.annual_export",
            network_id=network.id,
            table=table,
            fmt=fmt,
            cycle=report.ctx.cycle.id,
        ),
    )


@bp.get("/networks/<int:network_id>/annual-report.pdf")
@login_required
def annual_report_pdf(network_id: int) -> Any:
    network, report = _annual(network_id)
    jobs.progress(30)  # when made by the job queue: its progress bar moves
    charts, images = chart_images.for_pdf(report.figures, report.ctx.lang)
    jobs.progress(50)
    css = (ROOT / "static" / "css" / "benchmarks-print.css").read_text(encoding="utf-8")
    html = render_template(
        "benchmarks/annual_report_pdf.html",
        report=report,
        ctx=report.ctx,
        pdf=True,
        css=css,
        charts=charts,
    )
    jobs.progress(65)
    pdf = render_pdf(html, images)
    jobs.progress(95)
    name = f"{network.slug}-annual-report-{report.ctx.cycle.year}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/networks/<int:network_id>/annual-report/export/<table>.<fmt>")
@login_required
def annual_export(network_id: int, table: str, fmt: str) -> Any:
    network, report = _annual(network_id, figures=False)
    return _export(
        "annual",
        report.tables,
        table,
        fmt,
        f"{network.slug}-{report.ctx.cycle.year}-annual",
        report.ctx,
    )

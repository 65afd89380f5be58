"""Coordinator and admin screens: network settings, institutions, units, audit history."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kvip.accounts.permissions import any_coordinator
from kvip.core import audit, versioning
from kvip.core.errors import ServiceError
from kvip.core.nav import NavItem
from kvip.core.permissions import require
from kvip.core.web import load_or_404
from kvip.extensions import db
from kvip.network import (
    audit_page,
    reviewer_pool,
    services,
    user_admin,  # noqa: F401 - the user administration's routes (accounts' blueprint)
)
from kvip.network.forms import AddReviewerForm, InstitutionForm, NetworkForm, UnitForm
from kvip.network.labels import unit_kind_labels
from kvip.network.models import UNIT_KINDS, Institution, Network, Unit

bp = Blueprint("network", __name__, url_prefix="/networks")


def nav_items(user: Any) -> list[NavItem]:
    if user.is_admin or any_coordinator(user):
        return [NavItem(_("Network"), "network.networks", order=70)]
    return []


def _apply_errors(form: Any, exc: ServiceError) -> None:
    for field, message in exc.fields.items():
        if hasattr(form, field):
            getattr(form, field).errors = [message]
    if not exc.fields:
        flash(exc.message, "error")


@bp.get("")
@login_required
def networks() -> Any:
    rows = services.networks_for(current_user)
    if not rows and not current_user.is_admin:
        require(current_user, "platform.admin")
    if len(rows) == 1 and not current_user.is_admin:
        return redirect(url_for("network.units", network_id=rows[0].id))
    return render_template("network/networks.html", networks=rows)


@bp.route("/<int:network_id>/settings", methods=["GET", "POST"])
@login_required
def settings(network_id: int) -> Any:
    network = load_or_404(Network, network_id, "network.manage")
    form = NetworkForm(obj=network)
    form.benchmark_visibility.choices = [
        ("pseudonymised", _("Pseudonymised (e.g. “Unit K”)")),
        ("named", _("By name")),
    ]
    conflict = None
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            services.update_network(
                current_user,
                network,
                name=form.name.data or "",
                benchmark_visibility=form.benchmark_visibility.data or "",
                min_group_size=form.min_group_size.data or 0,
                visit_date_tolerance_days=form.visit_date_tolerance_days.data,
                comment_period_days=form.comment_period_days.data,
                carry_over_default=bool(form.carry_over_default.data),
                version=form.version.data,
            )
        except versioning.EditConflict as exc:
            conflict = versioning.form_conflict(
                form, exc, reload_url=url_for("network.settings", network_id=network_id)
            )
            status = 409
        except ServiceError as exc:
            _apply_errors(form, exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("network.settings", network_id=network.id))
    return render_template(
        "network/settings.html", network=network, form=form, conflict=conflict
    ), status


@bp.get("/<int:network_id>/institutions")
@login_required
def institutions(network_id: int) -> Any:
    network = load_or_404(Network, network_id, "network.manage")
    rows = db.session.scalars(
        sa.select(Institution)
        .where(Institution.network_id == network.id)
        .order_by(Institution.name)
    ).all()
    return render_template("network/institutions.html", network=network, institutions=rows)


@bp.route("/<int:network_id>/institutions/new", methods=["GET", "POST"])
@bp.route("/<int:network_id>/institutions/<int:institution_id>", methods=["GET", "POST"])
@login_required
def institution_form(network_id: int, institution_id: int | None = None) -> Any:
    network = load_or_404(Network, network_id, "network.manage")
    institution = None
    if institution_id is not None:
        institution = db.get_or_404(Institution, institution_id)
        if institution.network_id != network.id:
            abort(404)
    form = InstitutionForm(obj=institution)
    conflict = None
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            services.save_institution(
                current_user,
                network.id,
                institution,
                name=form.name.data or "",
                region=form.region.data or "",
                version=form.version.data,
            )
        except versioning.EditConflict as exc:
            conflict = versioning.form_conflict(form, exc, reload_url=request.path)
            status = 409
        except ServiceError as exc:
            _apply_errors(form, exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("network.institutions", network_id=network_id))
    return render_template(
        "network/institution_form.html",
        network=network,
        form=form,
        institution=institution,
        conflict=conflict,
    ), status


@bp.get("/<int:network_id>/units")
@login_required
def units(network_id: int) -> Any:
    network = load_or_404(Network, network_id, "network.manage")
    rows = db.session.scalars(
        sa.select(Unit).where(Unit.network_id == network.id).order_by(Unit.name)
    ).all()
    return render_template(
        "network/units.html", network=network, units=rows, kinds=unit_kind_labels()
    )


@bp.route("/<int:network_id>/units/new", methods=["GET", "POST"])
@bp.route("/<int:network_id>/units/<int:unit_id>", methods=["GET", "POST"])
@login_required
def unit_form(network_id: int, unit_id: int | None = None) -> Any:
    network = load_or_404(Network, network_id, "network.manage")
    unit = None
    if unit_id is not None:
        unit = db.get_or_404(Unit, unit_id)
        if unit.network_id != network.id:
            abort(404)
    form = UnitForm(obj=unit)
    form.institution_id.choices = [
        (i.id, i.name)
        for i in db.session.scalars(
            sa.select(Institution)
            .where(Institution.network_id == network.id)
            .order_by(Institution.name)
        )
    ]
    form.kind.choices = list(unit_kind_labels().items())
    conflict = None
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            services.save_unit(
                current_user,
                network.id,
                unit,
                name=form.name.data or "",
                institution_id=form.institution_id.data or 0,
                kind=form.kind.data or "",
                beds=form.beds.data or 0,
                region=form.region.data or "",
                active=bool(form.active.data),
                version=form.version.data,
            )
        except versioning.EditConflict as exc:
            conflict = versioning.form_conflict(form, exc, reload_url=request.path)
            status = 409
        except ServiceError as exc:
            _apply_errors(form, exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("network.units", network_id=network_id))
    history = audit.history("unit", unit.id, limit=30) if unit else []
    return render_template(
        "network/unit_form.html",
        network=network,
        form=form,
        unit=unit,
        history=history,
        kinds=UNIT_KINDS,
        conflict=conflict,
    ), status


@bp.get("/<int:network_id>/audit")
@login_required
def audit_log(network_id: int) -> Any:
    return audit_page.show(db.get_or_404(Network, network_id))


@bp.get("/<int:network_id>/audit/export.<any(csv, xlsx):fmt>")
@login_required
def audit_export(network_id: int, fmt: str) -> Any:
    return audit_page.download(db.get_or_404(Network, network_id), fmt)


# --- the shared reviewer pool -----------------------------------------------------------------


@bp.post("/<int:network_id>/reviewers/add")
@login_required
def add_reviewer(network_id: int) -> Any:
    """Add a person to the network's reviewer pool by e-mail address (see reviewer_pool)."""
    network = load_or_404(Network, network_id, "network.manage")
    form = AddReviewerForm()
    email, name = form.cut()
    try:
        added = reviewer_pool.add_reviewer(
            current_user,
            network.id,
            email,
            name=name,
            trained_lead=form.trained_lead.data == "y",
        )
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("visits.reviewers", network_id=network.id, email=email))
    if added.invited:
        flash(
            _(
                "%(email)s had no account: one was made, an invitation to set a password was "
                "sent, and the person is in the reviewer pool.",
                email=added.user.email,
            ),
            "success",
        )
    else:
        flash(
            _(
                "%(name)s is now in the reviewer pool and has been told by e-mail (they can "
                "decline).",
                name=added.user.name,
            ),
            "success",
        )
    return redirect(url_for("visits.reviewers", network_id=network.id))


@bp.route("/reviewer-pool/decline/<token>", methods=["GET", "POST"])
def decline_reviewer(token: str) -> Any:
    """The signed link in the "you were added" e-mail: confirm, then leave the pool."""
    role = reviewer_pool.role_for_decline_token(token)
    if role is None:
        return render_template("network/decline_reviewer.html", role=None, done=False), 400
    if request.method == "POST":
        try:
            network = reviewer_pool.decline(token)
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("network/decline_reviewer.html", role=None, done=False), 400
        return render_template(
            "network/decline_reviewer.html", role=None, done=True, network_name=network.name
        )
    return render_template("network/decline_reviewer.html", role=role, done=False)

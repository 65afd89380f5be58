"""The unit's questionnaire page: collection windows, codes to print or hand out, kiosk
start, and the aggregates (never one respondent's answers). The network's survey settings."""

from __future__ import annotations

from typing import Any

import segno
import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from kvip.core.dates import today
from kvip.core.errors import ServiceError
from kvip.core.permissions import can, require
from kvip.extensions import db
from kvip.network.models import Network, Unit
from kvip.surveys import results, services
from kvip.surveys.forms import CodesForm, CollectionForm, KioskStartForm, SettingsForm
from kvip.surveys.models import CodeChannel, Collection, ResponseCode
from kvip.surveys.views import bp
from kvip.surveys.views.common import assessment_or_404, public_url


def _apply_errors(form: Any, exc: ServiceError) -> None:
    for name, message in exc.fields.items():
        if hasattr(form, name):
            getattr(form, name).errors = [message]
    if not exc.fields:
        flash(exc.message, "error")


def _code_counts(assessment_id: int) -> dict[int, tuple[int, int]]:
    """Per collection: (codes made, codes used). Counts only."""
    rows = db.session.execute(
        sa.select(
            ResponseCode.collection_id,
            sa.func.count(),
            sa.func.sum(sa.case((ResponseCode.used.is_(True), 1), else_=0)),
        )
        .join(Collection, Collection.id == ResponseCode.collection_id)
        .where(Collection.assessment_id == assessment_id)
        .group_by(ResponseCode.collection_id)
    ).all()
    return {cid: (int(made), int(used or 0)) for cid, made, used in rows}


def _render(
    assessment: Any,
    *,
    collection_form: Any = None,
    codes_form: Any = None,
    kiosk_form: Any = None,
    status: int = 200,
) -> Any:
    instruments = services.instruments_of(assessment.cycle.edition_id)
    collections = services.collections_of(assessment.id)
    choices = [(i.code, _title(i)) for i in instruments]
    day = today()
    open_choices = [
        (c.instrument.code, _title(c.instrument)) for c in collections if c.is_open(day)
    ]
    collection_form = collection_form or CollectionForm(formdata=None)
    collection_form.instruments.choices = choices
    if collection_form.opens.data is None:
        collection_form.opens.data = day
    codes_form = codes_form or CodesForm(formdata=None)
    codes_form.instrument.choices = [(c.instrument.code, _title(c.instrument)) for c in collections]
    kiosk_form = kiosk_form or KioskStartForm(formdata=None)
    kiosk_form.instruments.choices = open_choices
    if kiosk_form.instruments.data is None:
        kiosk_form.instruments.data = [code for code, _label in open_choices]
    return render_template(
        "surveys/assessment.html",
        assessment=assessment,
        unit=assessment_unit(assessment),
        collections=collections,
        code_counts=_code_counts(assessment.id),
        results=results.results_for(
            assessment, free_text=can(current_user, "surveys.free_text", assessment)
        ),
        can_manage=can(current_user, "surveys.manage", assessment),
        can_settings=can(current_user, "surveys.settings", assessment.cycle.network_id),
        can_kiosk=can(current_user, "surveys.kiosk", assessment) and bool(open_choices),
        has_instruments=bool(instruments),
        collection_form=collection_form,
        codes_form=codes_form,
        kiosk_form=kiosk_form,
        today=day,
    ), status


def assessment_unit(assessment: Any) -> Any:
    return db.session.get(Unit, assessment.unit_id)


def _title(instrument: Any) -> str:
    return str(instrument.title_en if results.lang() == "en" else instrument.title_nb)


@bp.get("/assessments/<int:assessment_id>")
@login_required
def assessment(assessment_id: int) -> Any:
    """Questionnaires of an assessment: windows, counts, aggregates."""
    return _render(assessment_or_404(assessment_id, "surveys.results"))


@bp.post("/assessments/<int:assessment_id>/collections")
@login_required
def open_collection(assessment_id: int) -> Any:
    target = assessment_or_404(assessment_id, "surveys.manage")
    form = CollectionForm()
    form.instruments.choices = [
        (i.code, i.code) for i in services.instruments_of(target.cycle.edition_id)
    ]
    if form.validate_on_submit():
        try:
            services.open_collection(
                current_user,
                target,
                list(form.instruments.data or []),
                form.opens.data,
                form.closes.data,
            )
        except ServiceError as exc:
            _apply_errors(form, exc)
        else:
            flash(_("The collection is open."), "success")
            return redirect(url_for("surveys.assessment", assessment_id=target.id))
    return _render(target, collection_form=form, status=422)


@bp.post("/assessments/<int:assessment_id>/codes")
@login_required
def codes(assessment_id: int) -> Any:
    """Make single-use codes and show them once: a printable A4 sheet of slips, or links."""
    target = assessment_or_404(assessment_id, "surveys.manage")
    form = CodesForm()
    form.instrument.choices = [
        (c.instrument.code, c.instrument.code) for c in services.collections_of(target.id)
    ]
    if not form.validate_on_submit():
        return _render(target, codes_form=form, status=422)
    try:
        made = services.create_codes(
            current_user,
            target,
            form.instrument.data or "",
            form.count.data or 0,
            form.channel.data or "",
        )
    except ServiceError as exc:
        _apply_errors(form, exc)
        return _render(target, codes_form=form, status=422)
    collection = services.collection_for(target, form.instrument.data or "")
    slips = []
    for code in made:
        url = public_url("surveys.respond", code=services.pretty_code(code))
        svg = segno.make(url, error="m").svg_inline(scale=3, border=2, omitsize=False)
        slips.append({"code": services.pretty_code(code), "url": url, "qr": Markup(svg)})
    return render_template(
        "surveys/codes.html",
        assessment=target,
        unit=assessment_unit(target),
        collection=collection,
        instrument=collection.instrument,
        slips=slips,
        staff=form.channel.data == CodeChannel.staff_link.value,
        enter_url=public_url("surveys.enter_code"),
    )


@bp.route("/networks/<int:network_id>/settings", methods=["GET", "POST"])
@login_required
def settings(network_id: int) -> Any:
    """The network's threshold (never below 5) and record-audit sample size."""
    network = db.get_or_404(Network, network_id)
    require(current_user, "surveys.settings", network)
    row = services.settings_for(network.id)
    form = SettingsForm(obj=row)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                services.update_settings(
                    current_user,
                    network,
                    min_respondents=form.min_respondents.data or 0,
                    record_audit_sample=form.record_audit_sample.data or 0,
                )
            except ServiceError as exc:
                _apply_errors(form, exc)
            else:
                flash(_("Saved."), "success")
                return redirect(url_for("surveys.settings", network_id=network.id))
    return render_template("surveys/settings.html", network=network, form=form), status

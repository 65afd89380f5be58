"""The tablet visit mode (an offline-first shell the JavaScript fills from the visit pack), its
service worker and manifest, and the lead reviewer's consolidation."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from kvip.core.errors import Conflict, ServiceError
from kvip.core.i18n import lang
from kvip.core.models import AuditEvent
from kvip.core.permissions import can
from kvip.core.web import load_or_404
from kvip.cycles.models import Rating
from kvip.cycles.services import previous_assessment
from kvip.cycles.vocabulary import assessment_state_labels, rating_labels
from kvip.extensions import db
from kvip.network.labels import unit_kind_labels
from kvip.standards.models import Domain, Standard
from kvip.visits import labels, reports, services, sync
from kvip.visits.forms import ResolveFindingForm
from kvip.visits.models import Finding, Report, ReportState, Visit
from kvip.visits.offline import SW_SOURCE, held_config, offline_bundle
from kvip.visits.pack import may_record_now
from kvip.visits.views import bp
from kvip.visits.views.visits import report_of


def js_strings() -> dict[str, str]:
    """Every text the visit-mode script shows, translated on the server."""
    return {
        "online": _("Online"),
        "offline": _("Offline"),
        "pending_one": _("1 change waiting to be sent"),
        "pending_many": _("%(n)s changes waiting to be sent", n="{n}"),
        "all_sent": _("All changes are saved on the server"),
        "sending": _("Sending…"),
        "send_now": _("Send now"),
        "last_sync": _("Last sent {time}"),
        "prepare": _("Prepare for visit"),
        "preparing": _("Preparing…"),
        "prepared": _("Ready for offline use (prepared {time})"),
        "prepare_failed": _(
            "Could not prepare for offline use. Check the connection and try again."
        ),
        "not_prepared": _("Not yet prepared for offline use"),
        "no_pack": _(
            "This visit is not stored on this tablet. Connect to the network and open it again."
        ),
        "sign_in_again": _(
            "Your session has ended. Sign in again to send the waiting changes; they are kept on this tablet."
        ),
        "sign_in": _("Sign in"),
        "self_rating": _("Unit's self-assessment"),
        "team_rating": _("Team's finding"),
        "not_rated": _("Not rated"),
        "no_comment": _("No comment"),
        "evidence": _("Evidence"),
        "evidence_lines": _("What the questionnaires say"),
        "carried_over": _("Carried over from last cycle, not confirmed"),
        "agree": _("Agree with self rating"),
        "clear": _("Clear"),
        "comment": _("Team comment"),
        "guidance": _("Guidance"),
        "waiting": _("Saved on this tablet, waiting to be sent"),
        "saved": _("Saved on the server"),
        "by": _("by {name}"),
        "conflict": _("Conflict: changed by someone else"),
        "disputed": _("Open conflict for the lead reviewer"),
        "rejected": _("Refused by the server"),
        "progress": _("{done} of {total} rated"),
        "domain": _("Domain"),
        "observations": _("Observations"),
        "add_observation": _("Add observation"),
        "edit_observation": _("Change observation"),
        "save_observation": _("Save observation"),
        "cancel": _("Cancel"),
        "edit": _("Change"),
        "delete": _("Delete"),
        "confirm_delete": _("Yes, delete"),
        "kind": _("Kind"),
        "text": _("Text"),
        "link_standards": _("Link to standards (optional)"),
        "whole_domain": _("Applies to this domain"),
        "no_observations": _("No observations for this domain yet."),
        "write_text": _("Write the observation first."),
        "conflicts_title": _("Changes that need your choice"),
        "resolve": _("Choose version"),
        "server_version": _("On the server"),
        "tablet_version": _("On this tablet"),
        "keep_tablet": _("Keep this tablet's version"),
        "keep_server": _("Keep the server's version"),
        "conflict_help": _(
            "Someone else changed this while you were working. Choose which version to keep; nothing is lost until you choose."
        ),
        "discard": _("Discard this change"),
        "retry": _("Try again"),
        "deleted": _("Deleted"),
        "standard": _("Standard"),
        "readonly": _("This visit cannot be changed now. You can read it."),
        "finding_for": _("Team's finding for {code}"),
        "comment_for": _("Team comment for {code}"),
        **{f"value_{value}": label for value, label in rating_labels().items()},
        "kind_good_practice": _("Good practice"),
        "kind_improvement": _("Area for improvement"),
        "kind_recommendation": _("Recommendation"),
        "type_1": _("Type 1"),
        "type_2": _("Type 2"),
        "type_3": _("Type 3"),
        "stored_copy": _("Showing the copy stored on this tablet ({time})."),
        "version_of": _("version {n}"),
        "conflict_self": _("Changed by you elsewhere (another device or window)"),
        "conflict_help_self": _(
            "You changed this elsewhere (another device or window) while this tablet waited. "
            "Choose which version to keep; nothing is lost until you choose."
        ),
        "action": _("Action"),
        "outcome_verified": labels.verification_outcomes()["verified"],
        "outcome_not_verified": labels.verification_outcomes()["not_verified"],
        "verify_recorded": _("Recorded: {outcome}"),
        "verify_needs_comment": _("Say what the team found when an action is not verified."),
        "comment_from_team": _("Comment from the team"),
    }


@bp.get("/<int:visit_id>/mode")
@login_required
def mode(visit_id: int) -> Any:
    visit = load_or_404(Visit, visit_id, "visit.record")
    assessment = visit.assessment
    previous = previous_assessment(assessment)
    previous_report = None
    previous_content: dict[str, Any] | None = None
    if previous is not None:
        previous_report = db.session.scalar(
            sa.select(Report)
            .join(Visit, Visit.id == Report.visit_id)
            .where(
                Visit.assessment_id == previous.id,
                Report.state.in_([ReportState.shared_with_unit.value, ReportState.final.value]),
            )
        )
        if previous_report is not None:
            previous_content = reports.content_of(previous_report)
    offline = offline_bundle()
    config = {
        "visitId": visit.id,
        "packUrl": url_for("api.visit_pack_get", visit_id=visit.id),
        "apiBase": url_for("api.visits_list"),
        "swUrl": url_for("visits.service_worker"),
        "scope": url_for("core.home"),
        "pageUrl": url_for("visits.mode", visit_id=visit.id),
        "loginUrl": url_for("accounts.login", next=url_for("visits.mode", visit_id=visit.id)),
        # Stored when the visit is prepared, so the visit list and overview open offline too.
        "offlinePages": [
            url_for("visits.mode", visit_id=visit.id),
            url_for("visits.overview", visit_id=visit.id),
            url_for("visits.index"),
        ],
        "assets": offline["assets"],
        "assetsCache": offline["assetsCache"],
        "pagesCache": offline["pagesCache"],
        "user": {"id": current_user.id, "name": current_user.name},
        "lang": lang(),
    }
    response = Response(
        render_template(
            "visits/mode.html",
            visit=visit,
            unit=assessment.unit,
            assessment=assessment,
            previous_assessment=previous,
            previous_report=previous_report,
            previous_content=previous_content,
            writable=may_record_now(current_user, visit),
            visit_config=config,
            assessment_state_label=assessment_state_labels().get(
                assessment.state, assessment.state
            ),
            kind_label=unit_kind_labels().get(assessment.unit.kind, assessment.unit.kind),
            strings=js_strings(),
            held_config=held_config(visit.id),
            kinds_plural=labels.observation_kinds_plural(),
        )
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker() -> Any:
    """The app's service worker (scope: the whole app), with its cache version, asset list and
    offline page texts put in front of static/js/visits-sw.js."""
    bundle = json.dumps(offline_bundle(), ensure_ascii=False, sort_keys=True)
    source = f"self.KVIP_OFFLINE = {bundle};\n" + SW_SOURCE.read_text(encoding="utf-8")
    response = current_app.response_class(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = url_for("core.home")
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Any:
    body = {
        "name": _("KvIP peer-review visits"),
        "short_name": "KvIP",
        "start_url": url_for("visits.index"),
        "scope": url_for("visits.index"),
        "display": "standalone",
        "orientation": "any",
        "background_color": "#ffffff",
        "theme_color": "#083d6e",
        "lang": lang(),
        "icons": [
            {
                "src": url_for("static", filename="img/visits-icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "any",
            }
        ],
    }
    return current_app.response_class(
        json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json"
    )


# --- consolidation ----------------------------------------------------------------------------


@bp.get("/<int:visit_id>/consolidate")
@login_required
def consolidate(visit_id: int) -> Any:
    visit = load_or_404(Visit, visit_id, "visit.read")
    assessment = visit.assessment
    edition_id = assessment.cycle.edition_id
    domains = db.session.scalars(
        sa.select(Domain).where(Domain.edition_id == edition_id).order_by(Domain.position)
    ).all()
    standards = db.session.scalars(
        sa.select(Standard)
        .where(Standard.edition_id == edition_id)
        .order_by(Standard.position, Standard.id)
    ).all()
    ratings = {
        r.standard_id: r
        for r in db.session.scalars(sa.select(Rating).where(Rating.assessment_id == assessment.id))
    }
    findings = {
        f.standard_id: f
        for f in db.session.scalars(
            sa.select(Finding)
            .options(joinedload(Finding.updated_by))
            .where(Finding.visit_id == visit.id)
        )
    }
    events: dict[int, list[AuditEvent]] = defaultdict(list)
    if findings:
        for event in db.session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.entity == "finding",
                AuditEvent.entity_id.in_(sa.select(Finding.id).where(Finding.visit_id == visit.id)),
            )
            .order_by(AuditEvent.at, AuditEvent.id)
        ):
            events[event.entity_id or 0].append(event)
    by_domain: dict[int, list[Standard]] = defaultdict(list)
    for s in standards:
        by_domain[s.domain_id].append(s)
    only = request.args.get("show", "")
    rows = []
    counts = {"total": len(standards), "rated": 0, "disputed": 0}
    # Per domain: the standards still needing a decision (no team rating yet, or in conflict).
    to_decide: dict[int, int] = {}
    for d in domains:
        items = []
        to_decide[d.id] = 0
        for s in by_domain[d.id]:
            f = findings.get(s.id)
            rated = f is not None and f.value is not None
            disputed = f is not None and f.disputed
            counts["rated"] += int(rated)
            counts["disputed"] += int(disputed)
            to_decide[d.id] += int(not rated or disputed)
            recorders = sorted({e.user.name for e in events.get(f.id if f else -1, []) if e.user})
            if only == "open" and rated and not disputed:
                continue
            items.append(
                {
                    "standard": s,
                    "rating": ratings.get(s.id),
                    "finding": f,
                    "events": events.get(f.id, []) if f else [],
                    "recorders": recorders,
                }
            )
        rows.append((d, items))
    return render_template(
        "visits/consolidate.html",
        visit=visit,
        rows=rows,
        counts=counts,
        to_decide=to_decide,
        only=only,
        is_lead=can(current_user, "visit.lead", visit),
        writable=may_record_now(current_user, visit),
        problems=services.completion_problems(visit),
        report=report_of(visit),
    )


@bp.post("/<int:visit_id>/consolidate/<code>")
@login_required
def resolve(visit_id: int, code: str) -> Any:
    visit = load_or_404(Visit, visit_id, "visit.lead")
    form = ResolveFindingForm()
    saved = False
    try:
        sync.record_finding(
            current_user,
            visit,
            code,
            value=form.value.data or None,
            comment=form.comment.data or "",
            version=form.version.data,
            op_id=f"web-{uuid.uuid4().hex}",
        )
    except Conflict:
        flash(
            _("Standard %(code)s was changed in the meantime. Check the new version.", code=code),
            "error",
        )
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Team finding for %(code)s saved.", code=code), "success")
        saved = True
    show = form.show.data or ""
    # Back to the same place: the standard's row, or – when the list shows only what is open and
    # the row may be gone now – its domain (on a narrow screen the page opens that domain).
    anchor = f"#std-{quote(code)}"
    if saved and show == "open":
        domain_code = db.session.scalar(
            sa.select(Domain.code)
            .join(Standard, Standard.domain_id == Domain.id)
            .where(Standard.edition_id == visit.assessment.cycle.edition_id, Standard.code == code)
        )
        if domain_code is not None:
            anchor = f"#cd-{quote(domain_code)}"
    return redirect(url_for("visits.consolidate", visit_id=visit.id, show=show or None) + anchor)

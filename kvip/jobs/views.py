"""Export jobs of the signed-in user (start, progress, download) and the admin's failed jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kvip.core import jobs, mail
from kvip.core.downloads import content_disposition
from kvip.core.errors import ServiceError
from kvip.core.models import ExportJob, OutboxEmail
from kvip.core.permissions import require
from kvip.extensions import db
from kvip.jobs import exports
from kvip.jobs.forms import RetryMailForm

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _own_job(job_id: int) -> ExportJob:
    """The job if it is the user's and the original export's permission still holds; else 404
    (another person learns nothing, not even that the job exists)."""
    job = db.session.get(ExportJob, job_id)
    if job is None or not exports.may_use(current_user, job):
        abort(404)
    return job


def _status(job: ExportJob) -> dict[str, Any]:
    done = job.state == "done" and bool(job.file_path) and Path(job.file_path or "").exists()
    return {
        "id": job.id,
        "state": job.state,
        "progress": 100 if done else min(job.progress, 99),
        "download": url_for("jobs.download", job_id=job.id) if done else None,
        "error": _("The file could not be made.") if job.state == "failed" else None,
    }


@bp.post("/exports/<kind>")
@login_required
def start(kind: str) -> Any:
    """ "Prepare file": a job for the export with the arguments of the original download."""
    # A filter given more than once (several kinds of unit) stays a list.
    # The arguments are the original download's query string (the form's action); the body is
    # only the CSRF token, so nothing in it is read.
    values: dict[str, Any] = {k: v if len(v) > 1 else v[0] for k, v in request.args.lists() if v}
    try:
        job = exports.start(current_user, kind, values)
    except ServiceError as exc:
        flash(exc.message, "error")  # only the audit log's filters are checked here
        network_id = request.args.get("network_id", type=int)
        if network_id:
            return redirect(url_for("network.audit_log", network_id=network_id), 303)
        return redirect(url_for("accounts.audit_log"), 303)
    jobs.enqueue("run_export", job.id)
    return redirect(url_for("jobs.job", job_id=job.id), 303)


@bp.get("/<int:job_id>")
@login_required
def job(job_id: int) -> Any:
    job = _own_job(job_id)
    return render_template(
        "jobs/job.html", job=job, status=_status(job), title=exports.KINDS[job.kind].title
    )


@bp.get("/<int:job_id>/status")
@login_required
def status(job_id: int) -> Any:
    response = jsonify(_status(_own_job(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:job_id>/download")
@login_required
def download(job_id: int) -> Any:
    job = _own_job(job_id)
    if job.state != "done" or not job.file_path or not Path(job.file_path).exists():
        abort(404)
    response = send_file(job.file_path, mimetype=job.mimetype or "application/octet-stream")
    response.headers["Content-Disposition"] = content_disposition(job.file_name or "export")
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the admin's view of failed work ------------------------------------------------------------


@bp.get("/admin")
@login_required
def admin() -> Any:
    """Failed export jobs and e-mails, each with a button to try again."""
    require(current_user, "platform.admin")
    failed_jobs = db.session.scalars(
        sa.select(ExportJob)
        .where(ExportJob.state == "failed")
        .order_by(ExportJob.created_at.desc())
        .limit(200)
    ).all()
    failed_mail = db.session.scalars(
        sa.select(OutboxEmail)
        .where(OutboxEmail.status == "failed")
        .order_by(OutboxEmail.created_at.desc())
        .limit(200)
    ).all()
    waiting = db.session.scalar(
        sa.select(sa.func.count()).select_from(OutboxEmail).where(OutboxEmail.status == "queued")
    )
    return render_template(
        "jobs/admin.html",
        failed_jobs=failed_jobs,
        failed_mail=failed_mail,
        waiting=waiting,
        kinds=exports.KINDS,
    )


@bp.post("/admin/exports/<int:job_id>/retry")
@login_required
def retry_export(job_id: int) -> Any:
    require(current_user, "platform.admin")
    job = db.get_or_404(ExportJob, job_id)
    if job.state == "failed":
        job.state, job.progress, job.error, job.finished_at = "queued", 0, "", None
        db.session.commit()
        jobs.enqueue("run_export", job.id)
        flash(_("The job is queued again."), "success")
    return redirect(url_for("jobs.admin"), 303)


@bp.post("/admin/mail/<int:message_id>/retry")
@login_required
def retry_mail(message_id: int) -> Any:
    require(current_user, "platform.admin")
    message = db.get_or_404(OutboxEmail, message_id)
    if message.status == "failed":
        mail.retry_failed(message)
        flash(_("The e-mail is queued again."), "success")
    form = RetryMailForm()
    if form.validate() and form.next.data == "outbox":
        return redirect(url_for("actions.outbox"), 303)
    return redirect(url_for("jobs.admin"), 303)

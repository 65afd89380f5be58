"""Exports made by the job queue: which exports may become jobs, who may start and download
them, and how a job makes its file.

A job makes exactly the file of the original download: the worker calls the export's own view
function in a request built from the job's parameters, signed in as the job's owner, so the
same permission checks, filters and file name apply. Re-running a job (after a worker was
stopped in the middle) writes the file again from scratch: jobs are idempotent.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, current_app, g, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.http import parse_options_header

from kvip.accounts.models import User
from kvip.core.db import utcnow
from kvip.core.models import ExportJob
from kvip.core.permissions import require
from kvip.extensions import db
from kvip.network import audit_log
from kvip.network.models import Network
from kvip.visits.models import Visit
from kvip.visits.views import report_of


def _network(params: dict[str, Any]) -> Network:
    network = db.session.get(Network, int(params["network_id"]))
    if network is None:
        abort(404)
    return network


def _check_annual(user: User, params: dict[str, Any]) -> None:
    require(user, "benchmark.read", _network(params))


def _check_visit_report(user: User, params: dict[str, Any]) -> None:
    visit = db.session.get(Visit, int(params["visit_id"]))
    report = report_of(visit) if visit is not None else None
    if report is None:
        abort(404)
    require(user, "report.view", report)


def _check_network_audit(user: User, params: dict[str, Any]) -> None:
    audit_log.require_reader(user, _network(params))


def _check_platform_audit(user: User, params: dict[str, Any]) -> None:
    audit_log.require_reader(user, None)


def _check_benchmark_table(user: User, params: dict[str, Any]) -> None:
    require(user, "benchmark.network", _network(params))


@dataclass(frozen=True)
class ExportKind:
    endpoint: str  # the original export's view
    title: Any  # lazy text
    path_args: tuple[str, ...]  # ids in the URL
    check: Callable[[User, dict[str, Any]], None]  # the original export's permission
    # Query arguments of the original export that the job keeps (filters, cycle); "*" = all.
    query_args: tuple[str, ...] = ()


_AUDIT_FILTERS = ("*",)

KINDS: dict[str, ExportKind] = {
    "annual_report": ExportKind(
        "benchmarks.annual_report_pdf",
        _l("Annual report (PDF)"),
        ("network_id",),
        _check_annual,
        ("cycle",),
    ),
    "visit_report": ExportKind(
        "visits.report_pdf", _l("Visit report (PDF)"), ("visit_id",), _check_visit_report
    ),
    "network_audit": ExportKind(
        "network.audit_export",
        _l("Audit log"),
        ("network_id", "fmt"),
        _check_network_audit,
        _AUDIT_FILTERS,
    ),
    "platform_audit": ExportKind(
        "accounts.audit_export", _l("Audit log"), ("fmt",), _check_platform_audit, _AUDIT_FILTERS
    ),
    # A coordinator's benchmark table that is too large to make in a request (the heatmap of a
    # large network): offered as a job above kvip.benchmarks.exports.JOB_CELLS cells.
    "benchmark_table": ExportKind(
        "benchmarks.network_export",
        _l("Benchmark table"),
        ("network_id", "page", "table", "fmt"),
        _check_benchmark_table,
        ("cycle", "kind", "region", "series", "funnel_domain", "domain"),
    ),
}


def params_from(kind: ExportKind, values: dict[str, Any]) -> dict[str, Any]:
    """The job's parameters from the start request's arguments (unknown ones dropped)."""
    params: dict[str, Any] = {}
    for name in kind.path_args:
        value = str(values.get(name) or "")
        if not value:
            abort(404)
        if name.endswith("_id"):
            if not value.isdigit() or int(value) > 2**31 - 1:
                abort(404)
            params[name] = int(value)
        else:
            params[name] = value
    if "fmt" in params and params["fmt"] not in ("csv", "xlsx"):
        abort(404)
    query = {
        k: [str(item)[:200] for item in v[:50]] if isinstance(v, list) else str(v)[:200]
        for k, v in values.items()
        if k not in kind.path_args and k != "csrf_token"
        if "*" in kind.query_args or k in kind.query_args
    }
    if query:
        params["query"] = query
    return params


def may_use(user: User, job: ExportJob) -> bool:
    """Only the owner, and only while the original export's permission still holds."""
    if job.owner_id != user.id or job.kind not in KINDS:
        return False
    try:
        KINDS[job.kind].check(user, job.params)
    except Exception:  # PermissionDenied or a 404 of a deleted object
        return False
    return True


def export_dir(app: Flask) -> Path:
    path = Path(str(app.config["KVIP_EXPORT_DIR"]))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _set_progress(job_id: int, percent: int) -> None:
    """Written on its own connection, so the export's own reads are not disturbed."""
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(ExportJob)
            .where(ExportJob.id == job_id, ExportJob.progress < percent)
            .values(progress=percent)
        )
    delay = float(current_app.config.get("KVIP_JOBS_STEP_DELAY") or 0)
    if delay:
        time.sleep(delay)


def run(job_id: int) -> None:
    """Make the file of one job (the worker's task; inside an app context)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    job = db.session.get(ExportJob, job_id)
    if job is None or job.state in ("done", "failed") or job.kind not in KINDS:
        return
    kind = KINDS[job.kind]
    job.state, job.started_at, job.error = "running", utcnow(), ""
    job.attempts += 1
    db.session.commit()
    owner = db.session.get(User, job.owner_id)
    if owner is None or not owner.active:
        job.state, job.error, job.finished_at = "failed", "the owner's account is gone", utcnow()
        db.session.commit()
        return
    params = dict(job.params)
    query = params.pop("query", {})
    try:
        path, name, mimetype = _make_file(app, job_id, kind, owner, params, query)
    except Exception as exc:  # the job fails visibly; an admin can retry it
        db.session.rollback()
        current_app.logger.exception("Export job %s failed", job_id)
        job = db.session.get(ExportJob, job_id)
        if job is not None:
            job.state, job.error, job.finished_at = (
                "failed",
                f"{type(exc).__name__}: {exc}"[:500],
                utcnow(),
            )
            db.session.commit()
        return
    db.session.rollback()
    job = db.session.get(ExportJob, job_id)
    if job is None:  # deleted meanwhile
        path.unlink(missing_ok=True)
        return
    old = job.file_path
    job.file_path, job.file_name, job.mimetype = str(path), name, mimetype
    job.state, job.progress, job.finished_at = "done", 100, utcnow()
    db.session.commit()
    if old and old != str(path):
        Path(old).unlink(missing_ok=True)


def _make_file(
    app: Flask,
    job_id: int,
    kind: ExportKind,
    owner: User,
    params: dict[str, Any],
    query: dict[str, Any],
) -> tuple[Path, str, str]:
    """Call the original export's view as ``owner`` and write what it answers to a file."""
    base = str(app.config.get("KVIP_BASE_URL") or "http://localhost")
    with app.test_request_context(base_url=base, query_string=query):
        # The URL with the job's values, then the view as the original route would call it.
        url = url_for(kind.endpoint, **params)
    with app.test_request_context(url, base_url=base, query_string=query):
        g._login_user = owner  # current_user for the view; no session, no sign-in event
        g.kvip_job_progress = lambda percent: _set_progress(job_id, percent)
        _set_progress(job_id, 10)
        with force_locale(owner.locale or "nb"):
            view = app.view_functions[kind.endpoint]
            answer: Any = view(**params)
            response = app.make_response(answer)
        if response.status_code != 200:
            raise RuntimeError(f"the export answered {response.status_code}")
        _, options = parse_options_header(response.headers.get("Content-Disposition", ""))
        name = options.get("filename") or f"{kind.endpoint.split('.')[-1]}-{job_id}"
        mimetype = response.mimetype or "application/octet-stream"
        target = export_dir(app) / f"{job_id}-{secrets.token_hex(8)}{Path(name).suffix}"
        partial = target.with_suffix(target.suffix + ".part")
        chunks = 0
        try:
            with partial.open("wb") as out:
                for chunk in response.iter_encoded():
                    out.write(chunk)
                    chunks += 1
                    if chunks % 20 == 0:  # a streamed export: show it moving
                        _set_progress(job_id, min(95, 10 + chunks // 20))
        finally:
            response.close()
        os.replace(partial, target)
    return target, name, mimetype


def expire(app: Flask) -> int:
    """Delete finished jobs' files after KVIP_EXPORT_KEEP_HOURS, failed jobs after a week."""
    now = utcnow()
    keep = timedelta(hours=int(app.config.get("KVIP_EXPORT_KEEP_HOURS") or 24))
    old = db.session.scalars(
        sa.select(ExportJob).where(
            sa.or_(
                sa.and_(ExportJob.state == "done", ExportJob.finished_at < now - keep),
                sa.and_(
                    ExportJob.state == "failed", ExportJob.created_at < now - timedelta(days=7)
                ),
            )
        )
    ).all()
    for job in old:
        if job.file_path:
            Path(job.file_path).unlink(missing_ok=True)
        db.session.delete(job)
    db.session.commit()
    return len(old)


def start(user: User, kind_name: str, values: dict[str, Any]) -> ExportJob:
    """A new job for ``user`` (the original export's permission is checked first)."""
    kind = KINDS.get(kind_name)
    if kind is None:
        abort(404)
    params = params_from(kind, values)
    kind.check(user, params)
    if kind.query_args == _AUDIT_FILTERS:
        # Bad filters are refused now, with the audit page's message, not later in the job.
        audit_log.parse_filters(MultiDict(params.get("query", {})), params.get("network_id"))
    job = ExportJob(owner_id=user.id, kind=kind_name, params=params, state="queued", progress=0)
    db.session.add(job)
    db.session.commit()
    return job

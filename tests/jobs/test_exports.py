"""Export jobs: made by the queue (immediate mode here), polled, downloaded by the owner only."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from kvip.core.models import ExportJob
from kvip.extensions import db
from tests.factories import World


def _start(client: Any, url: str) -> ExportJob:
    response = client.post(url)
    assert response.status_code == 303, response.data[:300]
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    db.session.expire_all()
    job = db.session.get(ExportJob, job_id)
    assert job is not None
    return job


def test_annual_report_as_a_job(world: World, login_as: Any) -> None:
    coordinator = login_as("coordinator")
    job = _start(coordinator, f"/jobs/exports/annual_report?network_id={world.network.id}")
    assert job.state == "done", job.error
    assert job.owner_id == world.users["coordinator"].id
    status = coordinator.get(f"/jobs/{job.id}/status").get_json()
    assert status["state"] == "done" and status["progress"] == 100
    assert status["download"] == f"/jobs/{job.id}/download"
    page = coordinator.get(f"/jobs/{job.id}")
    assert page.status_code == 200 and b'id="job-progress"' in page.data
    pdf = coordinator.get(status["download"])
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "annual-report" in pdf.headers["Content-Disposition"]


def test_nobody_else_sees_the_job_or_its_file(world: World, login_as: Any) -> None:
    job = _start(
        login_as("coordinator"), f"/jobs/exports/annual_report?network_id={world.network.id}"
    )
    for role in ("admin", "lead", "member", "reviewer", "outsider"):
        client = login_as(role)
        for path in (f"/jobs/{job.id}", f"/jobs/{job.id}/status", f"/jobs/{job.id}/download"):
            assert client.get(path).status_code == 404, (role, path)


def test_the_owner_loses_the_file_with_the_permission(world: World, login_as: Any) -> None:
    """Download re-checks the original export's permission, not only ownership."""
    from kvip.accounts.models import NetworkRole

    coordinator = login_as("coordinator")
    job = _start(coordinator, f"/jobs/exports/annual_report?network_id={world.network.id}")
    db.session.execute(
        sa.delete(NetworkRole).where(NetworkRole.user_id == world.users["coordinator"].id)
    )
    db.session.commit()
    assert coordinator.get(f"/jobs/{job.id}/download").status_code == 404


def test_refused_start_makes_no_job(world: World, login_as: Any) -> None:
    response = login_as("reviewer").post(
        f"/jobs/exports/annual_report?network_id={world.network.id}"
    )
    assert response.status_code in (403, 404)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExportJob)) == 1  # world's


def test_audit_log_csv_job_matches_the_direct_download(world: World, login_as: Any) -> None:
    coordinator = login_as("coordinator")
    direct = coordinator.get(f"/networks/{world.network.id}/audit/export.csv?entity=unit")
    assert direct.status_code == 200
    job = _start(
        coordinator,
        f"/jobs/exports/network_audit?network_id={world.network.id}&fmt=csv&entity=unit",
    )
    assert job.state == "done", job.error
    assert job.params["query"] == {"entity": "unit"}
    made = coordinator.get(f"/jobs/{job.id}/download")
    assert made.status_code == 200 and made.mimetype == "text/csv"
    assert made.data == direct.data
    assert job.file_name and job.file_name.endswith(".csv")


def test_bad_audit_filters_are_refused_before_a_job(world: World, login_as: Any) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(ExportJob))
    response = login_as("coordinator").post(
        f"/jobs/exports/network_audit?network_id={world.network.id}&fmt=csv"
        "&from=2026-03-02&to=2026-03-01"
    )
    assert response.status_code == 303
    assert f"/networks/{world.network.id}/audit" in response.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExportJob)) == before


def test_failed_job_is_shown_to_admins_and_retried(app: Flask, world: World, login_as: Any) -> None:
    job = ExportJob(
        owner_id=world.users["coordinator"].id,
        kind="annual_report",
        params={"network_id": world.network.id},
        state="failed",
        error="RuntimeError: boom",
    )
    db.session.add(job)
    db.session.commit()
    admin = login_as("admin")
    page = admin.get("/jobs/admin")
    assert page.status_code == 200 and b"RuntimeError: boom" in page.data
    assert admin.post(f"/jobs/admin/exports/{job.id}/retry").status_code == 303
    db.session.expire_all()
    job = db.session.get(ExportJob, job.id)
    assert job is not None and job.state == "done" and job.file_path


def test_expired_files_are_deleted(app: Flask, world: World) -> None:
    from datetime import timedelta
    from pathlib import Path

    from kvip.core.db import utcnow
    from kvip.jobs import exports

    job = db.session.get(ExportJob, world.export_job_id)
    assert job is not None and job.file_path
    path = Path(job.file_path)
    job.finished_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert exports.expire(app) == 1
    assert not path.exists()
    assert db.session.get(ExportJob, world.export_job_id) is None


def test_visit_report_and_platform_audit_as_jobs(world: World, login_as: Any) -> None:
    reviewer = login_as("reviewer")
    job = _start(reviewer, f"/jobs/exports/visit_report?visit_id={world.visit.id}")
    assert job.state == "done", job.error
    pdf = reviewer.get(f"/jobs/{job.id}/download")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # The draft is not the unit's to read yet: no job for a unit member.
    refused = login_as("member").post(f"/jobs/exports/visit_report?visit_id={world.visit.id}")
    assert refused.status_code in (403, 404)
    admin = login_as("admin")
    job = _start(admin, "/jobs/exports/platform_audit?fmt=xlsx")
    assert job.state == "done", job.error
    xlsx = admin.get(f"/jobs/{job.id}/download")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    assert job.file_name and job.file_name.endswith(".xlsx")

"""A real worker process (``flask jobs worker``): stopped hard in the middle of an export job
and started again, it finishes the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from huey import SqliteHuey

from kvip.core.models import ExportJob
from kvip.extensions import db
from kvip.jobs import tasks
from tests.factories import World

ROOT = Path(__file__).resolve().parents[2]


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "kvip", "jobs", "worker", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: killed whole, nothing left behind
    )


def _wait_for(check: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    """Poll (bounded) until ``check()``; fail with the worker's log otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")


def _job(job_id: int) -> ExportJob:
    db.session.rollback()
    db.session.expire_all()
    job = db.session.get(ExportJob, job_id)
    assert job is not None
    db.session.rollback()  # no read transaction held while the worker writes
    return job


def test_a_job_interrupted_by_a_killed_worker_is_finished_after_restart(
    app: Flask, world: World, tmp_path: Path
) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    jobs_file = tmp_path / "jobs.sqlite3"
    exports = tmp_path / "exports"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KVIP_JOBS_URL": f"sqlite:///{jobs_file}",
        "KVIP_EXPORT_DIR": str(exports),
        "KVIP_SECRET_KEY": "test-secret-key",
        "KVIP_ENV": "development",
        "PYTHONPATH": str(ROOT),
    }
    job = ExportJob(
        owner_id=world.users["coordinator"].id,
        kind="annual_report",
        params={"network_id": world.network.id},
    )
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    # Enqueue as the web app would, into the worker's SQLite storage.
    queue = SqliteHuey("kvip", filename=str(jobs_file), utc=False)
    tasks.register(queue, app)["run_export"](job_id)
    assert queue.pending_count() == 1

    log = tmp_path / "worker.log"
    # First worker: slow steps, so it is surely in the middle of the job when it is killed.
    first = _worker({**env, "KVIP_JOBS_STEP_DELAY": "60"}, log)
    try:
        _wait_for(
            lambda: _job(job_id).state == "running" and _job(job_id).progress >= 10,
            90,
            "the first worker to start the job",
            log,
        )
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    stopped = _job(job_id)
    assert stopped.state == "running" and stopped.file_path is None
    # Huey had taken the export off the queue: only we know of it. (The worker's scheduler may
    # have queued a periodic task meanwhile: expire_exports runs at minute 17 of every hour, and
    # the busy first worker leaves it pending; CI met that at 01:17.)
    assert "run_export" not in [task.name for task in queue.pending()]

    second = _worker({**env, "KVIP_JOBS_STEP_DELAY": "0"}, log)
    try:
        _wait_for(lambda: _job(job_id).state in ("done", "failed"), 180, "the job to end", log)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(second.pid, signal.SIGKILL)
            second.wait(timeout=30)
    done = _job(job_id)
    assert done.state == "done", done.error
    assert done.attempts == 2 and done.progress == 100
    assert done.file_path and Path(done.file_path).read_bytes().startswith(b"%PDF")
    assert "requeued 1 interrupted exports" in log.read_text()
    # No half-written file is left behind by the killed attempt.
    assert [p.name for p in exports.iterdir()] == [Path(done.file_path).name]

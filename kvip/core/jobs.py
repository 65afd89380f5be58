"""The seam between request code and the job queue: ``kvip.jobs`` (the queue, above every
domain module) registers itself here, so core and domain code can hand work to it and report
progress without importing it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, g

EXTENSION = "kvip.jobs"


def queue_available() -> bool:
    """True when the app has a job queue (always, once kvip.jobs is initialised)."""
    return EXTENSION in current_app.extensions


def enqueue(task: str, *args: Any) -> bool:
    """Hand ``task`` (a name registered by kvip.jobs) to the queue; False without a queue."""
    queue = current_app.extensions.get(EXTENSION)
    if queue is None:
        return False
    queue.enqueue(task, *args)
    return True


def progress(percent: int) -> None:
    """Report how far the running export job is (0-100); does nothing outside a job."""
    report: Callable[[int], None] | None = g.get("kvip_job_progress")
    if report is not None:
        report(max(0, min(100, int(percent))))

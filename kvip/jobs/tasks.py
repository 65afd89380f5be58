"""The queue's tasks. Each runs inside an app context and is safe to run twice (a worker
stopped in the middle of a task runs it again after its restart: :func:`recover`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from huey import Huey, crontab

from kvip.actions import reminders
from kvip.core import jobs, mail
from kvip.core.models import ExportJob, OutboxEmail
from kvip.extensions import db
from kvip.jobs import exports, reminders_time


def register(huey: Huey, app: Flask) -> dict[str, Any]:
    """Define the tasks on ``huey`` for ``app``; returns them by name."""

    @huey.task(name="deliver_mail")
    def deliver_mail(message_id: int) -> None:
        """One try at an outbox message; the next try is scheduled with a longer delay."""
        with app.app_context():
            delay = mail.deliver_queued(message_id)
        if delay is not None:
            deliver_mail.schedule((message_id,), delay=delay)

    @huey.task(name="run_export")
    def run_export(job_id: int) -> None:
        """Make one export job's file."""
        with app.app_context():
            exports.run(job_id)

    hour, minute = reminders_time(app)

    @huey.periodic_task(crontab(hour=str(hour), minute=str(minute)), name="daily_reminders")
    def daily_reminders() -> None:
        """Everyone's reminders of the day (``flask reminders send`` does the same by hand)."""
        with app.app_context():
            result = reminders.send_reminders()
            app.logger.info("Daily reminders: %s", result)

    @huey.periodic_task(crontab(minute="17"), name="expire_exports")
    def expire_exports() -> None:
        """Delete export files past their keeping time."""
        with app.app_context():
            exports.expire(app)

    return {
        "deliver_mail": deliver_mail,
        "run_export": run_export,
        "daily_reminders": daily_reminders,
        "expire_exports": expire_exports,
    }


def recover(app: Flask) -> tuple[int, int]:
    """Before a worker starts: work that a stopped worker was in the middle of is queued again
    (huey had already taken it off the queue). Returns (export jobs, messages) requeued."""

    with app.app_context():
        running = list(
            db.session.scalars(sa.select(ExportJob.id).where(ExportJob.state == "running"))
        )
        sending = list(
            db.session.scalars(sa.select(OutboxEmail.id).where(OutboxEmail.status == "sending"))
        )
        if running:
            db.session.execute(
                sa.update(ExportJob).where(ExportJob.id.in_(running)).values(state="queued")
            )
        if sending:
            db.session.execute(
                sa.update(OutboxEmail).where(OutboxEmail.id.in_(sending)).values(status="queued")
            )
        db.session.commit()
        for job_id in running:
            jobs.enqueue("run_export", job_id)
        for message_id in sending:
            jobs.enqueue("deliver_mail", message_id)
    return len(running), len(sending)

"""``flask jobs worker``: the queue's consumer (mail, reminders, exports)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from kvip.core.jobs import EXTENSION
from kvip.jobs import reminders_time, tasks

jobs = AppGroup("jobs", help="The job queue: mail, daily reminders, exports.")


@jobs.command("worker")
@click.option("--workers", type=int, default=None, help="Worker threads (KVIP_JOBS_WORKERS).")
def worker(workers: int | None) -> None:
    """Run the queue's worker until stopped (Ctrl+C or SIGTERM finish the running tasks)."""

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    queue = app.extensions[EXTENSION]
    if queue.huey.immediate:
        raise click.ClickException("The queue is in immediate mode (testing): no worker needed.")
    jobs_again, mails_again = tasks.recover(app)
    hour, minute = reminders_time(app)
    click.echo(
        f"KvIP worker: storage {type(queue.huey.storage).__name__}, "
        f"{workers or app.config['KVIP_JOBS_WORKERS']} threads, daily reminders at "
        f"{hour:02d}:{minute:02d}; requeued {jobs_again} interrupted exports and "
        f"{mails_again} interrupted e-mails."
    )
    consumer = queue.huey.create_consumer(
        workers=workers or int(app.config["KVIP_JOBS_WORKERS"]),
        worker_type="thread",
        periodic=True,
        initial_delay=0.1,
        backoff=1.15,
        max_delay=2.0,
    )
    consumer.run()

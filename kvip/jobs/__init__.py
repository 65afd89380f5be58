"""The job queue (huey): mail delivery with retries, the daily reminders, and exports too slow
for a request. Above every domain module: it may use any of them.

Storage: SQLite at ``instance/jobs.sqlite3`` by default (``make run`` needs nothing more);
``KVIP_JOBS_URL=redis://…`` for Redis in production (``sqlite:///path`` for another file).
Tests run the queue in huey's immediate mode (tasks run at once, in memory).
The worker: ``flask jobs worker`` (kvip.jobs.cli). Every task runs inside an app context.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from kvip.core.jobs import EXTENSION
from kvip.jobs.views import bp

log = logging.getLogger(__name__)


def make_huey(app: Flask) -> Huey:
    """The huey instance of ``app``'s configuration."""
    url = str(app.config.get("KVIP_JOBS_URL") or "")
    immediate = bool(app.config.get("KVIP_JOBS_IMMEDIATE", app.config.get("TESTING")))
    # utc=False: the daily reminder time is the server's local time (TZ=Europe/Oslo).
    if immediate:
        return MemoryHuey("kvip", immediate=True, utc=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("kvip", url=url, utc=False)
    if url.startswith("sqlite:///"):
        filename = url[len("sqlite:///") :]
    else:
        filename = str(Path(app.instance_path) / "jobs.sqlite3")
    Path(filename).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("kvip", filename=filename, utc=False)


class Queue:
    """The app's queue: its huey instance and tasks (registered as ``app.extensions``)."""

    def __init__(self, app: Flask) -> None:
        from kvip.jobs import tasks  # cycle: tasks imports reminders_time from this package

        self.app = app
        self.huey = make_huey(app)
        self.tasks = tasks.register(self.huey, app)

    def enqueue(self, name: str, *args: Any) -> None:
        self.tasks[name](*args)

    def schedule(self, name: str, args: tuple[Any, ...], delay: float) -> None:
        self.tasks[name].schedule(args, delay=delay)


def reminders_time(app: Flask) -> tuple[int, int]:
    """``KVIP_REMINDERS_AT`` (HH:MM, server time; default 06:30) as hour and minute."""
    value = str(app.config.get("KVIP_REMINDERS_AT") or "06:30")
    try:
        hour, minute = (int(part) for part in value.split(":", 1))
    except ValueError as exc:
        raise RuntimeError(f"KVIP_REMINDERS_AT={value!r} is not HH:MM") from exc
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise RuntimeError(f"KVIP_REMINDERS_AT={value!r} is not HH:MM")
    return hour, minute


def init_app(app: Flask) -> None:
    """Create the queue of ``app`` and its pages."""
    app.extensions[EXTENSION] = Queue(app)
    app.register_blueprint(bp)


__all__ = ["Queue", "crontab", "init_app", "make_huey", "reminders_time"]

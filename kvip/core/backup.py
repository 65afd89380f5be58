"""Backups: SQLite online backup API; pg_dump / pg_restore for PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from kvip.extensions import db


class BackupError(Exception):
    """A backup or restore could not be made; the message says why."""


def _pg_args(url_text: str) -> tuple[list[str], dict[str, str]]:
    url = make_url(url_text)
    args = [
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
    ]
    env = {"PGPASSWORD": url.password} if url.password else {}
    return args + ["-d", url.database or ""], env


def backup(url_text: str, target: Path) -> Path:
    """Write a consistent copy of the database to ``target`` (while the app keeps running)."""
    url = make_url(url_text)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database or "")
        try:
            dest = sqlite3.connect(str(target))
            with dest:
                source.backup(dest)
            dest.close()
        finally:
            source.close()
        return target
    if url.get_backend_name() == "postgresql":
        if shutil.which("pg_dump") is None:
            raise BackupError("pg_dump is not installed")
        args, env = _pg_args(url_text)
        result = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "-f", str(target), *args],
            capture_output=True,
            text=True,
            env={**_base_env(), **env},
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(result.stderr.strip() or "pg_dump failed")
        return target
    raise BackupError(f"unsupported database: {url.get_backend_name()}")


def restore(url_text: str, source: Path) -> None:
    """Replace the database's content with the backup in ``source``."""
    if not source.exists():
        raise BackupError(f"no such file: {source}")
    url = make_url(url_text)
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        src = sqlite3.connect(str(source))
        try:
            dest = sqlite3.connect(url.database or "")
            with dest:
                src.backup(dest)
            dest.close()
        finally:
            src.close()
        return
    if url.get_backend_name() == "postgresql":
        args, env = _pg_args(url_text)
        result = subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                str(source),
            ],
            capture_output=True,
            text=True,
            env={**_base_env(), **env},
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(result.stderr.strip() or "pg_restore failed")
        return
    raise BackupError(f"unsupported database: {url.get_backend_name()}")


def _base_env() -> dict[str, str]:
    return dict(os.environ)

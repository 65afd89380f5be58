"""``flask --app kvip i18n …``: the one translation catalogue, and static assets."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from kvip.core import audit
from kvip.core.assets import precompress
from kvip.core.backup import BackupError, backup, restore
from kvip.core.i18n import compile_catalogues, untranslated
from kvip.extensions import db

i18n = AppGroup(
    "i18n", help="The translation catalogue (kvip/translations; see `make i18n-update`)."
)


@i18n.command("missing")
@click.option("--locale", default="nb", show_default=True)
def missing_cmd(locale: str) -> None:
    """List msgids the code uses that lack a (non-fuzzy) translation; exit 1 if any."""
    lacking = untranslated(locale)
    for msgid, where in sorted(lacking.items()):
        click.echo(f"{where}: {msgid!r}")
    click.echo(f"{len(lacking)} untranslated or fuzzy in {locale}.")
    if lacking:
        raise SystemExit(1)


@i18n.command("compile")
def compile_cmd() -> None:
    """Compile the catalogue (the same as `make i18n`)."""
    click.echo(f"Compiled {compile_catalogues()} catalogues.")


assets = AppGroup("assets", help="Static assets.")


@assets.command("compress")
def compress_cmd() -> None:
    """Write .gz and .br files beside the text assets, for nginx's gzip_static."""

    written = precompress(Path(current_app.static_folder or "static"))
    click.echo(f"Compressed {len(written)} files (.gz and .br) in {current_app.static_folder}.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_cmd(path: str) -> None:
    """Back up the database to PATH (SQLite online backup, or pg_dump custom format)."""

    try:
        written = backup(current_app.config["SQLALCHEMY_DATABASE_URI"], Path(path))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    # Recorded so the admin's home page can say when the last backup was made.

    audit.record(None, "platform", None, action="backup", note=str(written))
    db.session.commit()
    click.echo(f"Backup written to {written}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_cmd(path: str, yes: bool) -> None:
    """Restore the database from a backup made by `backup` (replaces all current data)."""

    if not yes:
        click.confirm("This replaces every row in the database. Continue?", abort=True)
    try:
        restore(current_app.config["SQLALCHEMY_DATABASE_URI"], Path(path))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Database restored.")

"""Command groups of ``flask --app kvip …``: users, demo, and each module's own."""

from __future__ import annotations

import importlib
import os

import click
from flask import Flask
from flask.cli import AppGroup

from kvip.config import MODULES
from kvip.core.cli import backup_cmd, restore_cmd
from kvip.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from kvip.jobs.cli import jobs

demo = AppGroup("demo", help="Demo and synthetic data.")


@demo.command("load")
def demo_load() -> None:
    """Load the demo network with its five demo logins (once; refused in production)."""

    if os.environ.get("KVIP_ENV") == "production":
        raise click.ClickException("Demo data is refused when KVIP_ENV=production.")
    ctx = load_demo()
    click.echo("Demo network loaded." if ctx else "Demo network already present; nothing changed.")
    click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
    for email, role in DEMO_LOGINS:
        click.echo(f"  {role:<14} {email}")


def register_cli(app: Flask) -> None:
    """Add every command group to the app."""

    app.cli.add_command(demo)

    app.cli.add_command(backup_cmd)
    app.cli.add_command(restore_cmd)

    app.cli.add_command(jobs)
    for name in MODULES:
        try:
            module = importlib.import_module(f"kvip.{name}.cli")
        except ModuleNotFoundError as exc:
            if exc.name != f"kvip.{name}.cli":
                raise
            continue
        for value in vars(module).values():
            if isinstance(value, click.Group) and value.name and not value.name.startswith("_"):
                if value.name == "demo":
                    for cmd in value.commands.values():
                        demo.add_command(cmd)
                else:
                    app.cli.add_command(value)

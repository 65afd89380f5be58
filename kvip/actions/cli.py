"""``flask --app kvip reminders …``: the daily reminder digest (run it from cron)."""

from __future__ import annotations

from datetime import date

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from kvip.accounts.models import User
from kvip.actions import reminders as service
from kvip.core import dates, mail
from kvip.core.urls import normalise_base_url
from kvip.extensions import db

reminders = AppGroup("reminders", help="Reminders of what is due soon or overdue.")


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use YYYY-MM-DD") from exc


@reminders.command("send")
@click.option("--date", "on", default=None, help="Pretend today is this date (YYYY-MM-DD).")
@click.option(
    "--base-url", default=None, help="Address of KvIP used in the links (default KVIP_BASE_URL)."
)
def send_cmd(on: str | None, base_url: str | None) -> None:
    """Send each user one digest of what is due within a week or overdue (once a day)."""

    if base_url:
        try:
            base_url = normalise_base_url(base_url)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--base-url") from exc
    # Links come from KVIP_BASE_URL (or --base-url), never from a request: none is needed.
    result = service.send_reminders(_parse_date(on), base_url=base_url)
    where = (
        "sent through SMTP"
        if mail.smtp_configured()
        else "held in the outbox (KVIP_SMTP_HOST is not set)"
    )
    click.echo(
        f"{result.users} users with something due; {result.queued} new digests {where}; "
        f"{result.sent} sent, {result.failed} failed, {result.skipped} already sent today."
    )
    if result.failed:
        raise SystemExit(1)


@reminders.command("list")
@click.argument("email")
@click.option("--date", "on", default=None, help="Pretend today is this date (YYYY-MM-DD).")
def list_cmd(email: str, on: str | None) -> None:
    """Print what is due for one user."""

    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user {email}.")
    today = _parse_date(on) or dates.today()
    with current_app.test_request_context("/"):
        items = service.due_items(user, today)
    if not items:
        click.echo("Nothing due.")
    for item in items:
        flag = "OVERDUE" if item.overdue(today) else "due"
        click.echo(f"{item.due.isoformat()} {flag:7} {item.kind:16} {item.title} {item.where}")

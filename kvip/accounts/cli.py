"""``flask --app kvip users …``"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from kvip.accounts import services
from kvip.core.errors import ServiceError

users = AppGroup("users", help="Users and API tokens.")


@users.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Make a platform administrator.")
@click.option("--locale", default="nb", type=click.Choice(["nb", "en"]))
def create(email: str, name: str, password: str, admin: bool, locale: str) -> None:
    """Create a user."""
    try:
        user = services.create_user(
            None, email=email, name=name, password=password, is_admin=admin, locale=locale
        )
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Created {user.email} (id {user.id})")


@users.command("create-token")
@click.argument("email")
@click.option("--name", default="cli", help="A name to recognise the token by.")
def create_token(email: str, name: str) -> None:
    """Create an API token for EMAIL; the token is printed as the last line."""
    user = services.user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with email {email}")
    _row, token = services.create_token(user, user, name)
    click.echo(f"Token for {user.email} (shown once):")
    click.echo(token)

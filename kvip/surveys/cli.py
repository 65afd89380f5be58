"""``flask --app kvip surveys …``: check and load the instrument files of an edition.

Both print every problem as ``file:line: message`` and exit with status 1 if there is any;
nothing is loaded then."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from kvip.surveys import instruments

surveys = AppGroup("surveys", help="Questionnaires and record audits: instruments.")


def _report(result: instruments.LoadResult) -> None:
    if result.problems:
        for problem in result.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(result.problems)} problem(s); nothing loaded.", err=True)
        raise SystemExit(1)


@surveys.command("check")
@click.argument("path", type=click.Path())
def check(path: str) -> None:
    """Check the instruments of PATH (an edition folder or its instruments folder)."""
    result = instruments.check_instruments(path)
    _report(result)
    click.echo(f"{instruments.instruments_folder(path)}: no problems.")


@surveys.command("load")
@click.argument("path", type=click.Path())
def load(path: str) -> None:
    """Check and load the instruments of PATH (an edition folder or its instruments folder;
    the edition must be loaded). All or nothing; an unchanged instrument is left as it is."""
    result = instruments.load_instruments(path)
    _report(result)
    for code, state in result.instruments:
        click.echo(f"{code}: {state}")

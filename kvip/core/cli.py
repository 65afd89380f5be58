"""``flask --app kvip i18n …``: translation catalogue helpers."""

from __future__ import annotations

import click
from flask.cli import AppGroup

i18n = AppGroup("i18n", help="Translation catalogues.")


def _po_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@i18n.command("missing")
@click.option("--module", default=None, help="Only this module.")
def missing_cmd(module: str | None) -> None:
    """Print msgids without an nb translation, as .po entries."""
    from kvip.core.i18n_tools import missing

    for name, entries in missing().items():
        if module and name != module:
            continue
        click.echo(f"# --- {name} ---")
        for msgid, where in sorted(entries.items()):
            click.echo(f'#: {where}\nmsgid "{_po_escape(msgid)}"\nmsgstr ""\n')


@i18n.command("compile")
def compile_cmd() -> None:
    """Compile every module's catalogue."""
    from kvip.core.i18n_tools import compile_all

    click.echo(f"Compiled {compile_all()} catalogues.")

"""``flask --app kvip standards …``: check and load edition folders, list and export editions.

``check`` and ``load`` print every problem as ``file:line: message`` (one per line) and exit
with status 1 if there is any; nothing is loaded then.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from kvip.core.errors import ServiceError
from kvip.standards import queries, services
from kvip.standards.duties import DUTY_CODES
from kvip.standards.loader import EDITION_FILE
from kvip.standards.mapping_file import MappingData
from kvip.standards.models import CHANGE_KINDS
from kvip.standards.spreadsheet import export_xlsx
from kvip.standards.validation import EditionData

standards = AppGroup("standards", help="Editions of the standards: check, load, list, export.")

LANG = click.option(
    "--lang",
    type=click.Choice(["en", "nb"]),
    default="en",
    show_default=True,
    help="Language of the messages.",
)


def _summary(data: EditionData) -> str:
    types = Counter(s.type for s in data.standards)
    return (
        f"{data.slug}: {len(data.standards)} standards in {len(data.domains)} domains "
        f"(type 1: {types[1]}, type 2: {types[2]}, type 3: {types[3]})"
    )


def _coverage_notes(data: EditionData) -> list[str]:
    served = {d for s in data.standards for d in s.duties}
    missing = [d for d in DUTY_CODES if d not in served]
    if missing:
        return [f"note: no standard serves duty {', '.join(missing)}"]
    return [f"all {len(DUTY_CODES)} duties of §6–§9 are served"]


def _check(path: str, *, for_load: bool = False) -> tuple[EditionData, list[MappingData]] | None:
    data, mappings, problems = services.check_edition_folder(path, for_load=for_load)
    for problem in problems:
        click.echo(str(problem))
    if problems or data is None:
        click.echo(f"{len(problems)} problem(s); nothing loaded.", err=True)
        return None
    return data, mappings


def _mapping_summary(mapping: MappingData) -> str:
    counts = Counter(e.change for e in mapping.entries)
    meaning = sum(1 for e in mapping.entries if e.meaning_changed)
    kinds = ", ".join(f"{kind} {counts[kind]}" for kind in CHANGE_KINDS if counts[kind])
    return f"mapping {mapping.from_slug} → {mapping.to_slug}: {kinds}; meaning changed {meaning}"


@standards.command("check")
@click.argument("path", type=click.Path(file_okay=False, path_type=str))
@LANG
def check(path: str, lang: str) -> None:
    """Check the edition folder PATH without loading it."""
    with force_locale(lang):
        checked = _check(path)
    if checked is None:
        raise SystemExit(1)
    data, mappings = checked
    click.echo(f"OK {_summary(data)}")
    for note in _coverage_notes(data):
        click.echo(note)
    for mapping in mappings:
        click.echo(f"OK {_mapping_summary(mapping)}")


@standards.command("load")
@click.argument("path", type=click.Path(file_okay=False, path_type=str))
@LANG
def load(path: str, lang: str) -> None:
    """Check and load the edition folder PATH (all or nothing; unchanged: nothing to do), then
    its mapping from an earlier edition (``mapping-from-<slug>.yaml``) when there is one."""
    with force_locale(lang):
        checked = _check(path, for_load=True)
        if checked is None:
            raise SystemExit(1)
        data, mappings = checked
        try:
            result = services.load_edition(None, data, source=str(path))
            mapped = [
                (mapping, services.load_mapping(None, result.edition, mapping))
                for mapping in mappings
            ]
        except ServiceError as exc:
            click.echo(f"{Path(path) / EDITION_FILE}:1: {exc.message}")
            raise SystemExit(1) from exc
    words = {
        "created": "loaded",
        "updated": f"updated (+{result.added} −{result.removed} ~{result.changed})",
        "unchanged": "unchanged; nothing to do",
    }
    click.echo(f"{words[result.status]}: {_summary(data)}")
    for mapping, status in mapped:
        click.echo(f"{status}: {_mapping_summary(mapping)}")


@standards.command("list")
def list_editions() -> None:
    """List the editions: slug, version, published, standards, cycles, status."""
    for row in queries.edition_rows():
        ed = row.edition
        status = ", ".join(
            s
            for s, on in (
                ("current", row.current),
                ("in use", row.in_use),
                ("draft", not ed.published),
            )
            if on
        )
        click.echo(
            f"{ed.slug}\t{ed.version}\t{ed.published or '-'}\t{row.standards}\t"
            f"{row.cycles}\t{status}"
        )


@standards.command("export")
@click.argument("slug")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export(slug: str, out: Path) -> None:
    """Write edition SLUG to the .xlsx file OUT (one sheet, a row per standard)."""

    edition = services.edition_by_slug(slug)
    if edition is None:
        raise click.ClickException(f"No edition {slug}")
    out.write_bytes(export_xlsx(edition))
    click.echo(f"Wrote {out}")

"""``flask demo generate`` (a synthetic network at any scale) and ``flask benchmarks refresh``."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from kvip.benchmarks.summaries import refresh_all
from kvip.benchmarks.synthetic import PASSWORD, generate

demo = AppGroup("demo", help="Demo and synthetic data.")
benchmarks = AppGroup("benchmarks", help="Benchmark summaries.")


@demo.command("generate")
@click.option("--units", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--cycles", default=3, show_default=True, type=click.IntRange(1, 50))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option(
    "--edition",
    "edition_slug",
    default=None,
    help="Use this loaded edition (slug) instead of a synthetic one.",
)
def generate_cmd(units: int, cycles: int, seed: int, edition_slug: str | None) -> None:
    """Generate a deterministic synthetic network: institutions, units, cycles, ratings,
    visits with findings, observations, reports and actions (bulk inserts)."""

    if os.environ.get("KVIP_ENV") == "production":
        raise click.ClickException("Synthetic data is refused when KVIP_ENV=production.")
    click.echo(f"Generating {units} units × {cycles} cycles (seed {seed}) …")
    try:
        result = generate(units, cycles, seed, edition_slug=edition_slug, echo=click.echo)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Network {result.slug} (id {result.network_id}):")
    for key, value in result.counts.items():
        click.echo(f"  {key:<14} {value:>10,}")
    click.echo(
        f"Statistics {result.seconds['analyze']:.1f} s, summaries {result.seconds['summaries']:.1f} s; "
        f"total {result.seconds['total']:.1f} s."
    )
    click.echo(
        f"Logins (password {PASSWORD}): coordinator@{result.slug}.kvip, lead0001@{result.slug}.kvip"
    )


@benchmarks.command("refresh")
@click.option("--network", "network_id", default=None, type=int, help="Only this network.")
def refresh_cmd(network_id: int | None) -> None:
    """Rebuild the benchmark summaries now (after data was changed outside the app)."""

    built = refresh_all(network_id)
    total = sum(built.values())
    click.echo(f"Rebuilt {len(built)} cycles in {total / 1000:.1f} s.")

"""A deterministic, realistic synthetic network for scale tests (``flask demo generate``).

Ratings come from a latent quality per unit × standard × cycle: a unit effect, a standard
effect (essential standards a little easier), a unit-specific year-on-year improvement and
noise; units rate themselves slightly higher than the review teams do. N/A is a fixed property
of a unit × standard. Everything is inserted in bulk (COPY on PostgreSQL, executemany of
tuples on SQLite), cycle by cycle, in one transaction per cycle.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import sqlalchemy as sa

from kvip.benchmarks import summaries
from kvip.benchmarks.synthetic import surveys
from kvip.benchmarks.synthetic.bulk import Inserter
from kvip.benchmarks.synthetic.content import PASSWORD
from kvip.benchmarks.synthetic.generator import Generator
from kvip.core import dates
from kvip.extensions import db

__all__ = ["PASSWORD", "Result", "generate"]


@dataclass
class Result:
    network_id: int
    slug: str
    units: int
    cycles: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def generate(
    units: int,
    cycles: int,
    seed: int,
    *,
    edition_slug: str | None = None,
    echo: Callable[[str], None] = print,
    today: date | None = None,
) -> Result:
    """Create the network ``synthetic-<seed>-<units>x<cycles>``; the same arguments give the
    same network (names, ratings, visits, observations) on any database."""

    if units < 1 or cycles < 1:
        raise ValueError("units and cycles must be at least 1")
    started = time.perf_counter()
    db.session.commit()
    gen = Generator(units, cycles, seed, today or dates.today())
    with db.engine.begin() as conn:
        gen.setup(Inserter(conn), edition_slug)
        survey_specs = surveys.instruments(Inserter(conn), gen.edition_id, gen.now)
    # Its own random stream: the ratings, visits and texts stay as they were without it.
    survey_rng = np.random.default_rng(seed + 15)
    survey_totals = {"responses": 0, "answers": 0}
    result = Result(gen.network_id, gen.slug, units, cycles)
    result.counts.update(units=units, institutions=len(gen.institutions), users=gen.n_users)
    result.seconds["setup"] = time.perf_counter() - started
    for c in range(cycles):
        t0 = time.perf_counter()
        with db.engine.begin() as conn:
            gen.cycle(Inserter(conn), c)
            year = gen.first_year + c
            assessment_ids = [
                int(a)
                for (a,) in conn.execute(
                    sa.text(
                        "SELECT a.id FROM assessments a JOIN cycles c ON c.id = a.cycle_id "
                        "WHERE c.network_id = :n AND c.year = :y ORDER BY a.id"
                    ),
                    {"n": gen.network_id, "y": year},
                )
            ]
            added = surveys.responses(
                Inserter(conn), survey_specs, assessment_ids, year, survey_rng, gen.slug
            )
            for key, n in added.items():
                survey_totals[key] += n
        year = gen.first_year + c
        result.seconds[f"cycle {year}"] = time.perf_counter() - t0
        echo(f"  cycle {year}: {time.perf_counter() - t0:.1f} s")
    result.counts.update(gen.totals)
    result.counts.update(survey_totals)
    t0 = time.perf_counter()
    # Fresh statistics after a bulk load, so the planner picks the indexes.
    with db.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    result.seconds["analyze"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    db.session.expire_all()
    built = summaries.refresh_all(gen.network_id)
    result.seconds["summaries"] = time.perf_counter() - t0
    result.counts["cycles"] = len(built)
    result.seconds["total"] = time.perf_counter() - started
    return result

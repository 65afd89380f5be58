"""Stand-in for the cycles demo (built in parallel): a previous cycle with submitted
self-assessments for every demo unit and a current one, put into ``ctx.extra``."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from kvip.accounts.models import User
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.demo import DemoContext
from kvip.extensions import db
from kvip.network.models import Institution, Network, Unit
from kvip.standards.models import Edition
from tests.factories import create_edition, standards_of

VALUES = ["met", "met", "met", "partly_met", "partly_met", "not_met", "not_applicable"]


def demo_context() -> DemoContext:
    """The DemoContext of a loaded demo network (as ``load_demo`` built it)."""
    import random

    network = db.session.scalar(sa.select(Network).where(Network.slug == "kvip-demo"))
    assert network is not None
    institutions = list(
        db.session.scalars(
            sa.select(Institution)
            .where(Institution.network_id == network.id)
            .order_by(Institution.id)
        )
    )
    units = list(
        db.session.scalars(sa.select(Unit).where(Unit.network_id == network.id).order_by(Unit.id))
    )
    users = {}
    for user in db.session.scalars(sa.select(User)):
        users[user.email.split("@")[0]] = user
    return DemoContext(network, institutions, units, users, random.Random(7), date.today())


def add_cycles(
    ctx: DemoContext, edition: Edition | None = None, *, domains: int = 2, per_domain: int = 4
) -> None:
    """Previous (closed) and current (open) cycles with ratings; sets ctx.extra."""
    edition = edition or create_edition(domains, per_domain)
    edition.frozen = True
    today = ctx.today
    previous = Cycle(
        network_id=ctx.network.id,
        edition_id=edition.id,
        year=today.year - 1,
        name=f"Syklus {today.year - 1}",
        state="closed",
        visit_window_start=date(today.year - 1, 9, 1),
        visit_window_end=date(today.year - 1, 11, 30),
    )
    current = Cycle(
        network_id=ctx.network.id,
        edition_id=edition.id,
        year=today.year,
        name=f"Syklus {today.year}",
        state="open",
        visit_window_start=today + timedelta(days=10),
        visit_window_end=today + timedelta(days=90),
    )
    db.session.add_all([previous, current])
    db.session.flush()
    stds = standards_of(edition)
    rng = ctx.rng
    for cycle in (previous, current):
        for unit in ctx.units:
            a = Assessment(cycle_id=cycle.id, unit_id=unit.id, state="submitted")
            db.session.add(a)
            db.session.flush()
            for s in stds:
                db.session.add(
                    Rating(
                        assessment_id=a.id,
                        standard_id=s.id,
                        value=rng.choice(VALUES),
                        comment="Vi har skriftlig rutine." if rng.random() < 0.4 else "",
                        evidence="Prosedyre i kvalitetssystemet" if rng.random() < 0.3 else "",
                    )
                )
    db.session.flush()
    ctx.extra["previous_cycle"] = previous
    ctx.extra["current_cycle"] = current

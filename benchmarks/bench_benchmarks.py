"""Benchmark pages at scale: generate a synthetic network, then time every benchmark page and
the API against the bare SQL aggregate over the same rows.

    .venv/bin/python benchmarks/bench_benchmarks.py --units 1000 --cycles 10
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kvip_bench .venv/bin/python \\
        benchmarks/bench_benchmarks.py --units 1000 --cycles 10 --only postgresql

For each database (SQLite in a temporary file, and PostgreSQL when DATABASE_URL is set) it
prints, per page: the server time of a request (median and p95 over --repeat requests, in
process, after a warm-up), the time of the bare SQL aggregate a hand-written report would run
over the same rows (no summary tables), their ratio, and the request's peak Python memory.
It also prints the generation time and the cold time (first request after a change, which
rebuilds the cycle's summaries). Use --reuse to keep a generated SQLite file between runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kvip import create_app  # noqa: E402
from kvip.extensions import db  # noqa: E402

COUNTED = """SELECT a.id, a.unit_id FROM assessments a WHERE a.cycle_id = :c AND (a.state = 'submitted'
  OR EXISTS (SELECT 1 FROM visits v WHERE v.assessment_id = a.id AND v.state = 'completed'))"""
PEER = """SELECT v.assessment_id, MAX(v.id) AS visit_id FROM visits v JOIN assessments a
  ON a.id = v.assessment_id WHERE a.cycle_id = :c AND v.state = 'completed' GROUP BY v.assessment_id"""
# The benchmark value of every counted unit × standard (DESIGN §5), straight from the raw rows.
BENCH_VALUES = f"""SELECT p.assessment_id, f.standard_id, f.value FROM findings f
  JOIN ({PEER}) p ON p.visit_id = f.visit_id
UNION ALL
SELECT r.assessment_id, r.standard_id, r.value FROM ratings r JOIN ({COUNTED}) c ON c.id = r.assessment_id
  WHERE NOT EXISTS (SELECT 1 FROM visits v WHERE v.assessment_id = r.assessment_id AND v.state = 'completed')"""

BARE = {
    # Per unit × domain × value: the domain scores of every unit (distribution, funnel, API).
    "unit_domain": f"""SELECT a.unit_id, s.domain_id, x.value, COUNT(*) FROM ({BENCH_VALUES}) x
        JOIN assessments a ON a.id = x.assessment_id JOIN standards s ON s.id = x.standard_id
        GROUP BY a.unit_id, s.domain_id, x.value""",
    # Per standard × value over the network (standards table, most often not met, differences).
    "standard": f"""SELECT x.standard_id, x.value, COUNT(*) FROM ({BENCH_VALUES}) x
        GROUP BY x.standard_id, x.value""",
    # Self × peer pairs per unit and per standard (agreement).
    "agreement": f"""SELECT p.assessment_id, f.standard_id, r.value, f.value, COUNT(*)
        FROM ({PEER}) p JOIN findings f ON f.visit_id = p.visit_id
        JOIN ratings r ON r.assessment_id = p.assessment_id AND r.standard_id = f.standard_id
        GROUP BY p.assessment_id, f.standard_id, r.value, f.value""",
    # One domain's cells (heatmap).
    "cells": f"""SELECT x.assessment_id, x.standard_id, x.value FROM ({BENCH_VALUES}) x
        JOIN standards s ON s.id = x.standard_id WHERE s.domain_id = :d""",
    # Every cycle × domain × value of the network (trends).
    "trend": """SELECT a.cycle_id, s.domain_id, r.value, COUNT(*) FROM ratings r
        JOIN assessments a ON a.id = r.assessment_id JOIN cycles cy ON cy.id = a.cycle_id
        JOIN standards s ON s.id = r.standard_id WHERE cy.network_id = :n AND a.state = 'submitted'
        GROUP BY a.cycle_id, s.domain_id, r.value""",
    # The good-practice search: how many match, and the first page.
    "library_count": """SELECT COUNT(*) FROM observations o JOIN visits v ON v.id = o.visit_id
        JOIN reports rp ON rp.visit_id = v.id JOIN assessments a ON a.id = v.assessment_id
        JOIN cycles cy ON cy.id = a.cycle_id WHERE o.kind = 'good_practice' AND rp.state = 'final'
        AND cy.network_id = :n AND lower(o.text) LIKE '%rutine%'""",
    "library": """SELECT o.id, o.text FROM observations o JOIN visits v ON v.id = o.visit_id
        JOIN reports rp ON rp.visit_id = v.id JOIN assessments a ON a.id = v.assessment_id
        JOIN cycles cy ON cy.id = a.cycle_id WHERE o.kind = 'good_practice' AND rp.state = 'final'
        AND cy.network_id = :n AND lower(o.text) LIKE '%rutine%' ORDER BY cy.year DESC, o.id LIMIT 25""",
}


def _timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(url: str, args: argparse.Namespace) -> None:
    from kvip.accounts.models import User
    from kvip.benchmarks import summaries
    from kvip.benchmarks.models import BenchmarkCycleState
    from kvip.benchmarks.synthetic import generate
    from kvip.cycles.models import Assessment, Cycle
    from kvip.network.models import Network
    from kvip.standards.models import Domain
    from kvip.visits.models import Visit

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    slug = f"synthetic-{args.seed}-{args.units}x{args.cycles}"
    dialect = sa.engine.make_url(url).get_backend_name()
    print(
        f"\n=== {dialect}: {args.units} units × {args.cycles} cycles (seed {args.seed}) ===",
        flush=True,
    )
    with app.app_context():
        db.create_all()
        network = db.session.scalar(sa.select(Network).where(Network.slug == slug))
        if network is None:
            t = time.perf_counter()
            result = generate(
                args.units, args.cycles, args.seed, echo=lambda m: print(m, flush=True)
            )
            total = time.perf_counter() - t
            print(
                f"generated in {total:.0f} s ({result.counts['ratings']:,} ratings, "
                f"{result.counts['findings']:,} findings, {result.counts['observations']:,} observations; "
                f"analyze {result.seconds['analyze']:.0f} s, summaries {result.seconds['summaries']:.0f} s)",
                flush=True,
            )
            network = db.session.scalar(sa.select(Network).where(Network.slug == slug))
        assert network is not None
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        cycle = db.session.scalar(
            sa.select(Cycle).where(Cycle.network_id == network.id).order_by(Cycle.year.desc())
        )
        assert cycle is not None
        summaries.ensure_fresh(
            list(db.session.scalars(sa.select(Cycle.id).where(Cycle.network_id == network.id)))
        )
        unit_id = db.session.scalar(
            sa.select(Assessment.unit_id)
            .join(Visit, Visit.assessment_id == Assessment.id)
            .where(Assessment.cycle_id == cycle.id, Visit.state == "completed")
            .order_by(Assessment.unit_id)
            .limit(1)
        )
        first_unit = db.session.scalar(
            sa.text("SELECT MIN(id) FROM units WHERE network_id = :n"), {"n": network.id}
        )
        lead = db.session.scalar(
            sa.select(User).where(
                User.email == f"lead{int(unit_id) - int(first_unit) + 1:04d}@{slug}.kvip"
            )
        )
        coordinator = db.session.scalar(
            sa.select(User).where(User.email == f"coordinator@{slug}.kvip")
        )
        domain_id = db.session.scalar(
            sa.select(Domain.id)
            .where(Domain.edition_id == cycle.edition_id)
            .order_by(Domain.position)
        )
        ids = {"lead": lead.get_id(), "coordinator": coordinator.get_id()}
        params = {"c": cycle.id, "n": network.id, "d": domain_id}
        nid = network.id
        cycle_id = cycle.id

    pages = [
        ("unit dashboard", "lead", f"/benchmarks/units/{unit_id}", ["unit_domain", "standard"]),
        ("network overview", "coordinator", f"/benchmarks/networks/{nid}", ["unit_domain"]),
        (
            "network standards",
            "coordinator",
            f"/benchmarks/networks/{nid}/standards",
            ["standard", "cells"],
        ),
        ("network trends", "coordinator", f"/benchmarks/networks/{nid}/trends", ["trend"]),
        (
            "network agreement",
            "coordinator",
            f"/benchmarks/networks/{nid}/agreement",
            ["agreement"],
        ),
        (
            "good-practice library",
            "lead",
            f"/benchmarks/networks/{nid}/good-practice?q=rutine",
            ["library_count", "library"],
        ),
        (
            "annual report (HTML)",
            "lead",
            f"/benchmarks/networks/{nid}/annual-report",
            ["unit_domain", "standard"],
        ),
        (
            "export units.xlsx",
            "coordinator",
            f"/benchmarks/networks/{nid}/export/overview/units.xlsx",
            ["unit_domain"],
        ),
        (
            "API benchmark (coordinator)",
            "coordinator",
            f"/api/v1/cycles/{cycle_id}/benchmark",
            ["unit_domain", "agreement"],
        ),
        (
            "API benchmark (member)",
            "lead",
            f"/api/v1/cycles/{cycle_id}/benchmark",
            ["unit_domain", "agreement"],
        ),
    ]
    clients = {}
    for role, user_id in ids.items():
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
        clients[role] = client
    header = f"{'page':<30} {'median':>8} {'p95':>8} {'bare SQL':>9} {'ratio':>6} {'peak MB':>8} {'KB':>7}"
    print(header)
    print("-" * len(header))
    with app.app_context():
        for name, role, path, bare in pages:
            client = clients[role]
            for _ in range(2):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
            times = _timed(lambda: client.get(path), args.repeat)  # noqa: B023
            sql_times = []
            for _ in range(max(3, args.repeat // 3)):
                t = time.perf_counter()
                for key in bare:
                    db.session.execute(sa.text(BARE[key]), params).all()
                sql_times.append(time.perf_counter() - t)
                db.session.rollback()
            tracemalloc.start()
            size = len(client.get(path).data)
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            median = statistics.median(times)
            bare_median = statistics.median(sql_times)
            print(
                f"{name:<30} {median * 1000:7.0f}ms {_p95(times) * 1000:7.0f}ms "
                f"{bare_median * 1000:8.0f}ms {median / bare_median:6.2f} {peak / 2**20:8.1f} {size / 1024:7.0f}",
                flush=True,
            )
        # Cold: the first read after a change rebuilds the cycle's summaries.
        db.session.execute(
            sa.update(BenchmarkCycleState)
            .where(BenchmarkCycleState.cycle_id == cycle_id)
            .values(version=BenchmarkCycleState.version + 1)
        )
        db.session.commit()
        t = time.perf_counter()
        assert clients["lead"].get(f"/benchmarks/units/{unit_id}").status_code == 200
        print(f"{'unit dashboard, cold (rebuild)':<30} {(time.perf_counter() - t) * 1000:7.0f}ms")
        t = time.perf_counter()
        pdf = clients["lead"].get(f"/benchmarks/networks/{nid}/annual-report.pdf")
        assert pdf.status_code == 200
        print(f"{'annual report (PDF)':<30} {(time.perf_counter() - t) * 1000:7.0f}ms")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {rss:.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--sqlite", default=None, help="SQLite file to use (default: a temporary one)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the SQLite file for the next run"
    )
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    args = parser.parse_args()
    if args.only != "postgresql":
        path = (
            Path(args.sqlite)
            if args.sqlite
            else Path(tempfile.gettempdir()) / f"kvip-bench-{args.units}x{args.cycles}.sqlite3"
        )
        if not args.reuse and path.exists():
            path.unlink()
        run(f"sqlite:///{path}", args)
        if not args.reuse:
            path.unlink(missing_ok=True)
    pg = os.environ.get("DATABASE_URL")
    if pg and args.only != "sqlite":
        if pg.startswith("postgresql://"):
            pg = "postgresql+psycopg://" + pg[len("postgresql://") :]
        run(pg, args)
    elif args.only == "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database to run the PostgreSQL benchmark.")


if __name__ == "__main__":
    main()

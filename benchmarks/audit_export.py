"""Speed and memory of the audit log page and its CSV/Excel exports.

    .venv/bin/python -m benchmarks.audit_export [--events 100000] [--runs 3]

Inserts ``--events`` audit events in one network (and as many again in another network, which
no filter may reach), then times the first page, a filtered page, and the CSV and .xlsx
exports of everything through the test client, reading each streamed body to the end. Peak
memory is Python's (tracemalloc) during the request: it stays flat as the events grow
because the exports read plain rows in batches. Uses DATABASE_URL if set, else a temporary
SQLite file.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import tracemalloc
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

ENTITIES = ["rating", "finding", "action", "visit", "assessment", "unit"]
ACTIONS = ["create", "update", "update", "update", "delete", "submit"]


def _build(db: Any, n_events: int, rng: random.Random) -> dict[str, Any]:
    from kvip.accounts.models import NetworkRole
    from kvip.core.models import AuditEvent
    from tests.factories import create_institution, create_network, create_unit, create_user

    networks = [create_network(name="Bench", slug="bench"), create_network(name="Other")]
    units = {
        n.id: [create_unit(create_institution(n), f"Enhet {i}") for i in range(20)]
        for n in networks
    }
    users = [create_user(name=f"Bruker Ø{i}") for i in range(50)]
    coordinator = create_user("coordinator@bench.test", "Koordinator")
    db.session.add(
        NetworkRole(user_id=coordinator.id, network_id=networks[0].id, role="coordinator")
    )
    db.session.commit()
    start = datetime(2025, 1, 1)
    for network in networks:
        batch: list[dict[str, Any]] = []
        for i in range(n_events):
            unit = rng.choice(units[network.id])
            batch.append(
                {
                    "at": start + timedelta(minutes=i * 5),
                    "user_id": rng.choice(users).id,
                    "network_id": network.id,
                    "unit_id": unit.id,
                    "entity": rng.choice(ENTITIES),
                    "entity_id": rng.randint(1, 50_000),
                    "action": rng.choice(ACTIONS),
                    "field": "value",
                    "old": "partly_met",
                    "new": "met",
                    "note": "Kommentar med æøå" if i % 7 == 0 else None,
                }
            )
            if len(batch) == 10_000:
                db.session.execute(sa.insert(AuditEvent), batch)
                batch = []
        if batch:
            db.session.execute(sa.insert(AuditEvent), batch)
        db.session.commit()
    return {"network": networks[0], "coordinator": coordinator, "unit": units[networks[0].id][0]}


def _get(client: Any, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    return size


def _timed(client: Any, path: str, runs: int) -> tuple[float, float, int]:
    """Median ms of ``runs`` requests (body read to the end), then one more request under
    tracemalloc for its peak MB (tracing slows Python down, so it is not timed)."""
    times = []
    size = 0
    for _ in range(runs):
        started = time.perf_counter()
        size = _get(client, path)
        times.append((time.perf_counter() - started) * 1000)
    tracemalloc.start()
    _get(client, path)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return statistics.median(times), peak, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from benchmarks.common import fresh_app
    from kvip.extensions import db
    from tests.conftest import login

    app = fresh_app()
    with app.app_context():
        started = time.perf_counter()
        built = _build(db, args.events, random.Random(2026))
        print(
            f"{db.engine.dialect.name}: {args.events:,} events in the network "
            f"(+{args.events:,} in another), inserted in {time.perf_counter() - started:.1f} s"
        )
        client = login(app.test_client(), built["coordinator"])
        nid, uid = built["network"].id, built["unit"].id
        pages = {
            "page 1, no filter": f"/networks/{nid}/audit",
            "page 1, filtered": f"/networks/{nid}/audit?who=ø1&entity=rating&unit={uid}"
            "&from=2025-03-01&to=2025-06-30",
            "CSV, everything": f"/networks/{nid}/audit/export.csv",
            "xlsx, everything": f"/networks/{nid}/audit/export.xlsx",
            "CSV, filtered": f"/networks/{nid}/audit/export.csv?entity=rating&unit={uid}",
        }
        print(f"{'request':<20} {'median ms':>10} {'peak MB':>8} {'body MB':>8}")
        for name, path in pages.items():
            median, peak, size = _timed(client, path, args.runs)
            print(f"{name:<20} {median:>10.0f} {peak:>8.1f} {size / 1e6:>8.1f}")
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main()

"""Saving a finding (DESIGN §10: p95 ≤ 30 ms server side with 50 concurrent clients, 0 errors).

    .venv/bin/python -m benchmarks.visit_findings [--clients 50] [--requests 20]

Builds a throw-away database (SQLite in a temp dir, or DATABASE_URL) with a 228-standard
edition and one visit whose team has ``--clients`` reviewers, then times
``PUT /api/v1/visits/<id>/findings/<code>`` through the WSGI app: first one client alone, then
all clients at once (each its own session, each its own standards so no 409s are expected).
Prints p50/p95/max in milliseconds and the error count.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="per client")
    args = parser.parse_args()

    from benchmarks.common import fresh_app
    from kvip.extensions import db

    app = fresh_app(testing=False)
    with app.app_context():
        from kvip.accounts.models import NetworkRole
        from kvip.visits.models import TeamMember
        from tests.factories import create_user, standards_of
        from tests.visits.tablet_world import build_tablet_world

        world = build_tablet_world()
        edition_id = world.visit.assessment.cycle.edition_id
        # Grow the edition to the real 228 standards.
        from kvip.standards.models import Domain, Edition, Standard

        edition = db.session.get(Edition, edition_id)
        assert edition is not None
        domain = db.session.scalars(sa_select(Domain, edition_id)).first()
        for n in range(len(world.codes), 228):
            db.session.add(
                Standard(
                    edition_id=edition_id,
                    domain_id=domain.id,
                    code=f"9.{n}",
                    type=2,
                    text_nb="Krav",
                    text_en="Standard",
                    position=100 + n,
                )
            )
        users = []
        for i in range(args.clients):
            user = create_user(f"bench{i}@example.test", f"Bench {i}")
            db.session.add(
                NetworkRole(user_id=user.id, network_id=world.unit.network_id, role="reviewer")
            )
            db.session.add(
                TeamMember(visit_id=world.visit.id, user_id=user.id, role="peer_reviewer")
            )
            users.append(user)
        db.session.commit()
        codes = [s.code for s in standards_of(edition)]
        visit_id = world.visit.id
        ids = [(u.id, u.get_id()) for u in users]

    def client_for(session_id: str) -> Any:
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = session_id
            sess["_fresh"] = True
        return client

    def run(
        slot: int, session_id: str, count: int, versions: dict[str, int]
    ) -> tuple[list[float], int]:
        client = client_for(session_id)
        times: list[float] = []
        errors = 0
        mine = codes[slot :: args.clients] or codes[:1]
        for i in range(count):
            code = mine[i % len(mine)]
            body = {
                "value": ("met", "partly_met", "not_met")[i % 3],
                "comment": f"benchmark {i}",
                "version": versions.get(code, 0),
                "op_id": uuid.uuid4().hex,
            }
            start = time.perf_counter()
            response = client.put(f"/api/v1/visits/{visit_id}/findings/{code}", json=body)
            times.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                errors += 1
            else:
                versions[code] = response.json["finding"]["version"]
        return times, errors

    versions: list[dict[str, int]] = [{} for _ in ids]
    alone, alone_errors = run(0, ids[0][1], args.requests * 5, versions[0])
    print(
        f"1 client, {len(alone)} saves: p50 {statistics.median(alone):.1f} ms, "
        f"p95 {_percentile(alone, 95):.1f} ms, errors {alone_errors}"
    )
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        futures = [
            pool.submit(run, slot, session_id, args.requests, versions[slot])
            for slot, (_uid, session_id) in enumerate(ids)
        ]
        results = [f.result() for f in futures]
    times = [t for r in results for t in r[0]]
    errors = sum(r[1] for r in results)
    print(
        f"{args.clients} concurrent clients, {len(times)} saves: p50 {statistics.median(times):.1f} ms, "
        f"p95 {_percentile(times, 95):.1f} ms, max {max(times):.1f} ms, errors {errors}"
    )


def sa_select(model: Any, edition_id: int) -> Any:
    import sqlalchemy as sa

    return sa.select(model).where(model.edition_id == edition_id).order_by(model.position)


if __name__ == "__main__":
    main()

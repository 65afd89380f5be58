"""Load test: gunicorn on PostgreSQL, concurrent clients saving ratings and findings and opening
dashboards; then checks that every acknowledged save is in the database (nothing lost).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/load.py

A fresh database ``kvip_load_<time>`` is created next to the one in DATABASE_URL (default: the
local server) and dropped afterwards. Prints throughput, p50/p95/p99 per request kind (client
side and the server's own ``Server-Timing``), errors and the nothing-lost check.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VALUES = ["met", "partly_met", "not_met", "not_applicable"]


THINK = [1.0]


def think(rng: random.Random) -> None:
    """A person pauses between saves (uniform 0.5–1.5 × the mean)."""
    if THINK[0] > 0:
        time.sleep(rng.uniform(0.5, 1.5) * THINK[0])


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    server: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    conflicts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    acked: dict[tuple[str, int, str], tuple[str, str]] = field(default_factory=dict)
    op_ids: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class Client:
    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float, float]:
        started = time.perf_counter()
        try:
            self.conn.request(
                method,
                path,
                body=json.dumps(body) if body is not None else None,
                headers=self.headers,
            )
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return 599, None, (time.perf_counter() - started) * 1000, float("nan")
        elapsed = (time.perf_counter() - started) * 1000
        timing = response.getheader("Server-Timing") or ""
        server = float(timing.split("dur=")[1]) if "dur=" in timing else float("nan")
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        return response.status, data, elapsed, server


def prepare(env: dict[str, str], members: int, reviewers: int) -> dict[str, Any]:
    """Fresh schema, standards, demo; then open work for the load users; returns tokens and ids."""
    for args in (["db", "upgrade"], ["standards", "load", "standards/kvip-2026"], ["demo", "load"]):
        subprocess.run(
            [str(BIN / "flask"), "--app", "kvip", *args],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import sqlalchemy as sa

    from kvip import create_app
    from kvip.accounts import services as accounts
    from kvip.accounts.models import Membership, NetworkRole
    from kvip.cycles.models import Assessment, Cycle
    from kvip.extensions import db
    from kvip.standards.models import Standard
    from kvip.visits.models import TeamMember, Visit

    app = create_app()
    with app.app_context():
        cycle = db.session.scalar(
            sa.select(Cycle).where(Cycle.state == "open").order_by(Cycle.year.desc())
        )
        assert cycle is not None, "the demo has no open cycle"
        assessments = list(
            db.session.scalars(
                sa.select(Assessment).where(Assessment.cycle_id == cycle.id).order_by(Assessment.id)
            )
        )
        codes = list(
            db.session.scalars(
                sa.select(Standard.code)
                .where(Standard.edition_id == cycle.edition_id)
                .order_by(Standard.id)
            )
        )
        half = len(assessments) // 2
        rating_targets, finding_targets = assessments[:half], assessments[half:]
        for a in rating_targets:
            a.state = "in_progress"
        visits = []
        for a in finding_targets:
            a.state = "submitted"
            visit = db.session.scalar(sa.select(Visit).where(Visit.assessment_id == a.id))
            if visit is None:
                visit = Visit(assessment_id=a.id, state="in_progress")
                db.session.add(visit)
                db.session.flush()
            visit.state = "in_progress"
            visits.append(visit)
        db.session.commit()
        plan: dict[str, Any] = {
            "cycle_id": cycle.id,
            "codes": codes,
            "members": [],
            "reviewers": [],
            "coordinator": None,
        }
        for i in range(members):
            a = rating_targets[i % len(rating_targets)]
            user = accounts.create_user(
                None,
                email=f"load-member{i}@load.test",
                name=f"Load member {i}",
                password="load-password-123",
                check_password=False,
            )
            db.session.add(Membership(user_id=user.id, unit_id=a.unit_id, role="unit_member"))
            db.session.commit()
            _row, token = accounts.create_token(user, user, "load")
            plan["members"].append(
                {
                    "token": token,
                    "assessment_id": a.id,
                    "slot": i // len(rating_targets),
                    "slots": -(-members // len(rating_targets)),
                }
            )
        for i in range(reviewers):
            v = visits[i % len(visits)]
            user = accounts.create_user(
                None,
                email=f"load-reviewer{i}@load.test",
                name=f"Load reviewer {i}",
                password="load-password-123",
                check_password=False,
            )
            db.session.add(
                NetworkRole(user_id=user.id, network_id=cycle.network_id, role="reviewer")
            )
            db.session.add(TeamMember(visit_id=v.id, user_id=user.id, role="peer_reviewer"))
            db.session.commit()
            _row, token = accounts.create_token(user, user, "load")
            plan["reviewers"].append(
                {
                    "token": token,
                    "visit_id": v.id,
                    "slot": i // len(visits),
                    "slots": -(-reviewers // len(visits)),
                }
            )
        coordinator = accounts.user_by_email("coordinator@demo.kvip")
        _row, plan["coordinator"] = accounts.create_token(coordinator, coordinator, "load")
        db.session.remove()
        db.engine.dispose()
    return plan


def member_loop(
    port: int,
    spec: dict[str, Any],
    codes: list[str],
    stats: Stats,
    deadline: float,
    rng: random.Random,
) -> None:
    client = Client(port, spec["token"])
    mine = [c for i, c in enumerate(codes) if i % spec["slots"] == spec["slot"]]
    versions: dict[str, int] = {}
    status, data, *_ = client.call("GET", f"/api/v1/assessments/{spec['assessment_id']}")
    if status == 200:
        for item in data.get("standards", data.get("ratings", [])):
            versions[item["code"]] = item.get("version") or 0
    while time.perf_counter() < deadline:
        code = rng.choice(mine)
        value, comment = rng.choice(VALUES), f"load {uuid.uuid4().hex[:8]}"
        body = {"value": value, "comment": comment, "version": versions.get(code, 0)}
        status, data, elapsed, server = client.call(
            "PUT", f"/api/v1/assessments/{spec['assessment_id']}/ratings/{code}", body
        )
        with stats.lock:
            stats.latencies["save rating"].append(elapsed)
            stats.server["save rating"].append(server)
            if status == 200:
                versions[code] = data["version"]
                stats.acked[("rating", spec["assessment_id"], code)] = (value, comment)
            elif status == 409:
                stats.conflicts["save rating"] += 1
                current = (data or {}).get("error", {}).get("current") or {}
                versions[code] = current.get("version", versions.get(code, 0))
            else:
                stats.errors[f"save rating {status}"] += 1
        think(rng)


def reviewer_loop(
    port: int,
    spec: dict[str, Any],
    codes: list[str],
    stats: Stats,
    deadline: float,
    rng: random.Random,
) -> None:
    client = Client(port, spec["token"])
    mine = [c for i, c in enumerate(codes) if i % spec["slots"] == spec["slot"]]
    versions: dict[str, int] = {}
    status, data, *_ = client.call("GET", f"/api/v1/visits/{spec['visit_id']}")
    if status == 200:
        for domain in data.get("domains", []):
            for item in domain.get("standards", []):
                finding = item.get("finding") or {}
                versions[item["code"]] = finding.get("version") or 0
    while time.perf_counter() < deadline:
        code = rng.choice(mine)
        value, comment, op_id = (
            rng.choice(VALUES),
            f"load {uuid.uuid4().hex[:8]}",
            str(uuid.uuid4()),
        )
        body = {
            "value": value,
            "comment": comment,
            "version": versions.get(code, 0),
            "op_id": op_id,
        }
        status, data, elapsed, server = client.call(
            "PUT", f"/api/v1/visits/{spec['visit_id']}/findings/{code}", body
        )
        with stats.lock:
            stats.latencies["save finding"].append(elapsed)
            stats.server["save finding"].append(server)
            if status == 200:
                versions[code] = (data.get("finding") or data).get("version", versions.get(code, 0))
                stats.acked[("finding", spec["visit_id"], code)] = (value, comment)
                stats.op_ids.append(op_id)
            elif status == 409:
                stats.conflicts["save finding"] += 1
                current = (data or {}).get("error", {}).get("current") or {}
                versions[code] = current.get("version", versions.get(code, 0))
            else:
                stats.errors[f"save finding {status}"] += 1
        think(rng)


def coordinator_loop(port: int, token: str, cycle_id: int, stats: Stats, deadline: float) -> None:
    client = Client(port, token)
    paths = [
        ("benchmark API", f"/api/v1/cycles/{cycle_id}/benchmark"),
        ("assessments API", "/api/v1/assessments"),
    ]
    i = 0
    while time.perf_counter() < deadline:
        kind, path = paths[i % len(paths)]
        i += 1
        status, _data, elapsed, server = client.call("GET", path)
        with stats.lock:
            stats.latencies[kind].append(elapsed)
            stats.server[kind].append(server)
            if status != 200:
                stats.errors[f"{kind} {status}"] += 1
        think(random.Random(i))


def verify(env: dict[str, str], stats: Stats) -> tuple[int, int, int]:
    """(checked, missing, duplicated op_ids): every acknowledged save must be the stored state."""
    import sqlalchemy as sa

    from kvip import create_app
    from kvip.cycles.models import Rating
    from kvip.extensions import db
    from kvip.standards.models import Standard
    from kvip.visits.models import AppliedOperation, Finding

    app = create_app()
    missing = 0
    with app.app_context():
        for (kind, owner, code), (value, comment) in stats.acked.items():
            model: Any = Rating if kind == "rating" else Finding
            owner_col = Rating.assessment_id if kind == "rating" else Finding.visit_id
            row = db.session.execute(
                sa.select(model.value, model.comment)
                .join(Standard, Standard.id == model.standard_id)
                .where(owner_col == owner, Standard.code == code)
            ).first()
            if row is None or (row.value, row.comment) != (value, comment):
                missing += 1
        dupes = 0
        if stats.op_ids:
            counts = db.session.execute(
                sa.select(AppliedOperation.op_id, sa.func.count())
                .where(AppliedOperation.op_id.in_(stats.op_ids[:30000]))
                .group_by(AppliedOperation.op_id)
            ).all()
            dupes = sum(1 for _op, n in counts if n > 1)
        db.engine.dispose()
    return len(stats.acked), missing, dupes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=5071)
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds a client waits between requests (0: as fast as possible)",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    args = parser.parse_args()
    THINK[0] = args.think
    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"kvip_load_{int(time.time())}"
    admin_url = base.rsplit("/", 1)[0] + "/postgres"
    url = base.rsplit("/", 1)[0] + "/" + name
    subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KVIP_SECRET_KEY": "load-test",
        "KVIP_LOGIN_LIMIT": "1000 per second",
    }
    server = None
    try:
        members = args.clients * 2 // 5
        reviewers = args.clients * 2 // 5
        coordinators = args.clients - members - reviewers
        print(
            f"preparing {name}: demo network, {members} members, {reviewers} reviewers, {coordinators} coordinators"
        )
        plan = prepare(env, members, reviewers)
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                str(args.workers),
                "-k",
                "gthread",
                "--threads",
                str(args.threads),
                "-b",
                f"127.0.0.1:{args.port}",
                "--log-level",
                "warning",
                "--access-logfile",
                "/dev/null",
                "kvip:create_app()",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        stats = Stats()
        deadline = time.perf_counter() + args.seconds
        threads = []
        for i, spec in enumerate(plan["members"]):
            threads.append(
                threading.Thread(
                    target=member_loop,
                    args=(args.port, spec, plan["codes"], stats, deadline, random.Random(i)),
                )
            )
        for i, spec in enumerate(plan["reviewers"]):
            threads.append(
                threading.Thread(
                    target=reviewer_loop,
                    args=(args.port, spec, plan["codes"], stats, deadline, random.Random(1000 + i)),
                )
            )
        for _ in range(coordinators):
            threads.append(
                threading.Thread(
                    target=coordinator_loop,
                    args=(args.port, plan["coordinator"], plan["cycle_id"], stats, deadline),
                )
            )
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        total = sum(len(v) for v in stats.latencies.values())
        print(
            f"\n{len(threads)} clients (think time {args.think} s), {elapsed:.1f} s, "
            f"{args.workers} gunicorn workers × {args.threads} threads, PostgreSQL"
        )
        print(f"throughput: {total / elapsed:.0f} requests/s ({total} requests)")
        print(
            f"{'kind':<18}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'srv p50':>9}{'srv p95':>9}{'409s':>6}"
        )
        for kind, values in sorted(stats.latencies.items()):
            srv = [v for v in stats.server[kind] if v == v]
            print(
                f"{kind:<18}{len(values):>7}{_pct(values, 50):>9.1f}{_pct(values, 95):>9.1f}{_pct(values, 99):>9.1f}"
                f"{_pct(srv, 50):>9.1f}{_pct(srv, 95):>9.1f}{stats.conflicts.get(kind, 0):>6}"
            )
        errors = sum(stats.errors.values())
        print(f"errors: {errors} {dict(stats.errors) if errors else ''}")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    checked, missing, dupes = verify(env, stats)
    print(
        f"nothing lost: {checked} acknowledged saves checked, {missing} missing or different, {dupes} op_ids applied twice"
    )
    subprocess.run(
        ["psql", admin_url, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False
    )
    sys.exit(1 if errors or missing or dupes else 0)


if __name__ == "__main__":
    main()

"""Server time of the 228-standard self-assessment page and of saving one rating.

    .venv/bin/python benchmarks/bench_self_assessment.py [--pages 40] [--saves 300] [--clients 50]

The concurrent save figure runs gunicorn (BENCH_WORKERS=4 worker processes) and 50 HTTP
clients at once; its server time comes from a timing header added around the app.

Runs on a fresh SQLite file and, when DATABASE_URL is set, on that PostgreSQL database too
(its tables are dropped and recreated: use a scratch database). It loads the real edition in
standards/kvip-2026 (228 standards), the demo network with both cycles, then times requests
through the WSGI app in-process (no network), which is the server's share of the time.
Targets (DESIGN §10): page ≤ 150 ms, save p95 ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kvip import create_app  # noqa: E402
from kvip.extensions import db  # noqa: E402


def load_edition(folder: Path = ROOT / "standards" / "kvip-2026") -> Any:
    """A minimal reader of an edition folder (the standards module has the real loader)."""
    from kvip.standards.models import Domain, Edition, Standard, StandardDimension, StandardDuty

    meta = yaml.safe_load((folder / "edition.yaml").read_text(encoding="utf-8"))
    edition = Edition(
        slug=meta["slug"],
        name_nb=meta["name"]["nb"],
        name_en=meta["name"]["en"],
        version=str(meta["version"]),
        published=meta.get("published"),
        total=meta["total"],
    )
    db.session.add(edition)
    db.session.flush()
    for position, d in enumerate(meta["domains"], start=1):
        domain = Domain(
            edition_id=edition.id,
            code=str(d["code"]),
            slug=d["slug"],
            title_nb=d["title"]["nb"],
            title_en=d["title"]["en"],
            position=position,
        )
        db.session.add(domain)
        db.session.flush()
        items = yaml.safe_load((folder / d["file"]).read_text(encoding="utf-8"))
        for index, s in enumerate(items, start=1):
            std = Standard(
                edition_id=edition.id,
                domain_id=domain.id,
                code=str(s["code"]),
                type=int(s["type"]),
                text_nb=s["text"]["nb"],
                text_en=s["text"]["en"],
                guidance_nb=(s.get("guidance") or {}).get("nb", ""),
                guidance_en=(s.get("guidance") or {}).get("en", ""),
                position=index,
            )
            db.session.add(std)
            db.session.flush()
            for duty in s.get("duties") or []:
                db.session.add(StandardDuty(standard_id=std.id, duty=str(duty)))
            for dim in s.get("dimensions") or []:
                db.session.add(StandardDimension(standard_id=std.id, dimension=str(dim)))
    db.session.commit()
    return edition


def build_demo(today: date | None = None) -> Any:
    """The demo network plus both cycles of the demo on the real edition."""
    from kvip.cycles import demo as cycles_demo
    from kvip.demo import load_demo

    edition = load_edition()
    ctx = load_demo(today=today)
    assert ctx is not None
    if "current_cycle" not in ctx.extra:  # the standards demo did not provide the edition
        ctx.extra["edition"] = edition
        cycles_demo.populate(ctx)
    return ctx


def _signed_in(app: Any, user: Any) -> Any:
    client = app.test_client()
    user_id = user if isinstance(user, str) else user.get_id()
    with client.session_transaction() as sess:
        sess["_user_id"] = user_id
        sess["_fresh"] = True
    return client


def _stats(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"median {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   (n={len(ms)})"


WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))


class ServerTimer:
    """WSGI middleware: the time the app spent on a request, in an ``X-Server-Time`` header
    (Flask builds the whole response before ``start_response``, so this is the server's share)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: Any, start_response: Any) -> Any:
        t0 = time.perf_counter()

        def timed(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append(("X-Server-Time", f"{(time.perf_counter() - t0) * 1000:.3f}"))
            return start_response(status, headers, exc_info)

        return self.app(environ, timed)


def timed_app() -> Any:
    """The gunicorn entry point of the concurrent benchmark."""
    return ServerTimer(create_app())


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def concurrent_saves(
    url: str, token: str, aid: int, codes: list[str], clients: int, per_client: int
) -> str:
    """Real HTTP against gunicorn (separate worker processes), ``clients`` threads at once,
    each saving its own standard with a bearer token; server time from the header."""
    import http.client
    import json
    import subprocess

    port = _free_port()
    env = {**os.environ, "KVIP_DATABASE_URL": url, "DATABASE_URL": url, "KVIP_ENV": "bench"}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "benchmarks.bench_self_assessment:timed_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.time() + 60
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.3)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        lock = threading.Lock()
        server_ms: list[float] = []
        errors: list[str] = []
        start = threading.Barrier(clients)

        def worker(k: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            code = codes[k % len(codes)]
            conn.request("GET", f"/api/v1/assessments/{aid}", headers=headers)
            document = json.loads(conn.getresponse().read())
            version = next(r["version"] for r in document["ratings"] if r["code"] == code)
            start.wait()
            for i in range(per_client):
                body = json.dumps(
                    {"value": ["met", "not_met"][i % 2], "comment": f"c{k}-{i}", "version": version}
                )
                conn.request(
                    "PUT", f"/api/v1/assessments/{aid}/ratings/{code}", body=body, headers=headers
                )
                response = conn.getresponse()
                data = response.read()
                with lock:
                    if response.status != 200:
                        errors.append(f"{response.status} {data[:100]!r}")
                        continue
                    server_ms.append(float(response.getheader("X-Server-Time", "0")) / 1000)
                version = json.loads(data)["version"]

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        first = f"; first: {errors[0]}" if errors else ""
        return f"{_stats(server_ms)}   errors {len(errors)}{first}   {len(server_ms) / wall:.0f} saves/s"
    finally:
        server.terminate()
        server.wait(timeout=30)


def run(url: str, pages: int, saves: int, clients: int) -> None:
    from benchmarks.common import fresh_app
    from kvip.cycles.models import Assessment, Rating
    from kvip.standards.models import Standard

    app = fresh_app(url, testing=False)
    with app.app_context():
        ctx = build_demo()
        assessment = db.session.scalar(
            db.select(Assessment).where(
                Assessment.unit_id == ctx.units[0].id,
                Assessment.cycle_id == ctx.extra["current_cycle"].id,
            )
        )
        n_std = db.session.scalar(
            db.select(db.func.count())
            .select_from(Standard)
            .where(Standard.edition_id == ctx.extra["current_cycle"].edition_id)
        )
        aid = assessment.id
        member = ctx.users["member"]
        client = _signed_in(app, member)
        page_url = f"/cycles/assessments/{aid}"
        for _ in range(3):  # warm up templates and caches
            assert client.get(page_url).status_code == 200
        samples = []
        size = 0
        for _ in range(pages):
            t0 = time.perf_counter()
            response = client.get(page_url)
            samples.append(time.perf_counter() - t0)
            assert response.status_code == 200
            size = len(response.data)
        print(f"  page ({n_std} standards, {size // 1024} KiB): {_stats(samples)}")
        # The slow tail above is Python's full garbage collection walking every object made at
        # start-up; gc.freeze() after start-up (e.g. in gunicorn's post_fork) removes it.
        gc.collect()
        gc.freeze()
        samples = []
        for _ in range(pages):
            t0 = time.perf_counter()
            client.get(page_url)
            samples.append(time.perf_counter() - t0)
        gc.unfreeze()
        print(f"  page after gc.freeze():          {_stats(samples)}")

        codes = [
            code
            for code, _v in db.session.execute(
                db.select(Standard.code, Rating.version)
                .join(Rating, Rating.standard_id == Standard.id)
                .where(Rating.assessment_id == aid)
                .order_by(Standard.id)
            )
        ]
        versions = dict(
            db.session.execute(
                db.select(Standard.code, Rating.version)
                .join(Rating, Rating.standard_id == Standard.id)
                .where(Rating.assessment_id == aid)
            ).all()
        )
        values = ["met", "partly_met", "not_met", "not_applicable"]
        samples = []
        for i in range(saves):
            code = codes[i % len(codes)]
            body = {"value": values[i % 4], "comment": f"bench {i}", "version": versions[code]}
            t0 = time.perf_counter()
            response = client.put(f"/api/v1/assessments/{aid}/ratings/{code}", json=body)
            samples.append(time.perf_counter() - t0)
            assert response.status_code == 200, response.get_data(as_text=True)
            versions[code] = response.get_json()["version"]
        print(f"  save, one client:               {_stats(samples)}")

        if clients > 1:
            from kvip.accounts.services import create_token

            with app.test_request_context():
                _row, token = create_token(member, member, "bench")
            print(f"  save, {clients} concurrent clients, {WORKERS} gunicorn workers: ", end="")
            print(concurrent_saves(url, token, aid, codes, clients, max(5, saves // clients)))
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite")
        run(f"sqlite:///{tmp}/bench.sqlite3", args.pages, args.saves, args.clients)
    url = os.environ.get("DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        print("PostgreSQL")
        run(url, args.pages, args.saves, args.clients)


if __name__ == "__main__":
    main()

"""Server time of the 228-standard self-assessment page and of saving one rating.

    .venv/bin/python benchmarks/bench_self_assessment.py [--pages 40] [--saves 300] [--clients 50]

Runs on a fresh SQLite file and, when DATABASE_URL is set, on that PostgreSQL database too
(its tables are dropped and recreated: use a scratch database). It loads the real edition in
standards/kvip-2026 (228 standards), the demo network with both cycles, then times requests
through the WSGI app in-process (no network), which is the server's share of the time.
Targets (DESIGN §10): page ≤ 150 ms, save p95 ≤ 30 ms.
"""

from __future__ import annotations

import argparse
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
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
    return client


def _stats(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"median {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   (n={len(ms)})"


def run(url: str, pages: int, saves: int, clients: int) -> None:
    from kvip.cycles.models import Assessment, Rating
    from kvip.standards.models import Standard

    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
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
            # Each client edits its own standard (as people do), all at once.
            lock = threading.Lock()
            results: list[float] = []
            errors: list[str] = []
            per_client = max(4, saves // clients)

            def worker(k: int) -> None:
                own = _signed_in(app, member)
                code = codes[k % len(codes)]
                with app.app_context():
                    version = own.get(f"/api/v1/assessments/{aid}").get_json()
                version = next(r["version"] for r in version["ratings"] if r["code"] == code)
                for i in range(per_client):
                    body = {
                        "value": values[(i + k) % 4],
                        "comment": f"c{k}-{i}",
                        "version": version,
                    }
                    t0 = time.perf_counter()
                    response = own.put(f"/api/v1/assessments/{aid}/ratings/{code}", json=body)
                    spent = time.perf_counter() - t0
                    with lock:
                        if response.status_code != 200:
                            errors.append(
                                f"{response.status_code} {response.get_data(as_text=True)[:120]}"
                            )
                        else:
                            results.append(spent)
                            version = response.get_json()["version"]

            threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
            print(
                f"  save, {clients} concurrent clients:  {_stats(results)}   "
                f"errors {len(errors)}   {len(results) / wall:.0f} saves/s"
            )
            if errors:
                print("   first error:", errors[0])
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

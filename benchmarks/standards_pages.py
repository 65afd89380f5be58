"""Server-side time of the standards library's pages with the real 228-standard edition.

    .venv/bin/python benchmarks/standards_pages.py [--repeat 30]

Loads ``standards/kvip-2026`` into a fresh SQLite database (or ``DATABASE_URL``), times the
check and the load, then requests each page as a signed-in unit member and reports the median
and 95th percentile in milliseconds and the size of the answer.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    from kvip import create_app
    from kvip.extensions import db

    tmp = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.drop_all()
        db.create_all()
        from kvip.standards.loader import parse_edition_dir
        from kvip.standards.services import load_edition_dir
        from tests.factories import create_user

        path = ROOT / "standards" / "kvip-2026"
        start = time.perf_counter()
        data, problems = parse_edition_dir(path)
        check_ms = (time.perf_counter() - start) * 1000
        assert data is not None and not problems
        start = time.perf_counter()
        load_edition_dir(path)
        load_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        load_edition_dir(path)
        reload_ms = (time.perf_counter() - start) * 1000
        user = create_user("bench@example.test")
        db.session.commit()
        print(
            f"check {check_ms:.0f} ms · load {load_ms:.0f} ms · unchanged re-load {reload_ms:.0f} ms"
        )

        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        pages = [
            "/standards",
            "/standards?q=pårørende",
            "/standards?q=%22fysisk+grensesetting%22&type=1",
            "/standards?duty=8&domain=7",
            "/standards/kvip-2026/domains/4",
            "/standards/kvip-2026/4.12",
            "/standards/kvip-2026/coverage",
            "/standards/editions/kvip-2026",
            "/api/v1/standards",
        ]
        print(f"{'page':<50} {'median':>8} {'p95':>8} {'bytes':>8}")
        for page in pages:
            client.get(page)  # warm the template cache
            times = []
            size = 0
            for _ in range(args.repeat):
                start = time.perf_counter()
                response = client.get(page)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, page
                size = len(response.data)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            print(f"{page:<50} {statistics.median(times):>6.1f}ms {p95:>6.1f}ms {size:>8}")
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main()

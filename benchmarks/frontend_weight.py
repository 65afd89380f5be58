"""Front-end weight: bytes transferred and time to the load event, per page, on a tablet.

    .venv/bin/python benchmarks/frontend_weight.py [--port 5099]

Starts gunicorn on 127.0.0.1 against a new SQLite database with the standards and the demo
loaded (as ``make run`` does) and the static files pre-compressed (``flask assets compress``,
as the README's deployment does), then drives Debian's Chromium (Playwright) on an iPad-sized
viewport. Per page and per network profile (Chrome DevTools throttling through CDP
``Network.emulateNetworkConditions``) it measures a cold load (HTTP cache cleared, service
workers blocked) and then a warm one (the same page again, cache kept):

* ``KB``: bytes on the wire for the page and everything it loads (CDP ``encodedDataLength``);
* ``load``: ``loadEventEnd`` of the navigation (deferred scripts, charts' JS included).

Targets (issue 17): cold ≤ 1,000 KB and ≤ 3 s at 1.6 Mbit/s · 150 ms; warm ≤ 1 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("KVIP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IPAD = {"width": 810, "height": 1080}  # iPad 10.2" portrait, as tests/browser
PASSWORD = "demo-password"


@dataclass(frozen=True)
class Profile:
    name: str
    mbit: float
    latency_ms: int

    def conditions(self) -> dict[str, Any]:
        per_second = self.mbit * 1_000_000 / 8
        return {
            "offline": False,
            "latency": self.latency_ms,
            "downloadThroughput": per_second,
            "uploadThroughput": per_second,
        }


PROFILES = (Profile("10 Mbit/s · 40 ms", 10, 40), Profile("1.6 Mbit/s · 150 ms", 1.6, 150))
SLOW = PROFILES[-1]


def prepare_server(port: int) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """A fresh SQLite database with the standards and the demo, served by gunicorn."""
    workdir = Path(tempfile.mkdtemp(prefix="kvip-frontend-"))
    env = {
        **os.environ,
        "FLASK_APP": "kvip",
        "DATABASE_URL": f"sqlite:///{workdir / 'kvip.sqlite3'}",
        "KVIP_SECRET_KEY": "frontend-weight",
        "KVIP_BASE_URL": f"http://127.0.0.1:{port}",
        "KVIP_BIND": f"127.0.0.1:{port}",
        "KVIP_WORKERS": "2",
    }
    flask = str(BIN / "flask")

    def run(*args: str) -> None:
        subprocess.run([flask, *args], env=env, cwd=ROOT, check=True, capture_output=True)

    print("Preparing a database with the demo …", file=sys.stderr)
    run("db", "upgrade")
    for edition in sorted(ROOT.glob("standards/*/edition.yaml")):
        run("standards", "load", str(edition.parent))
    run("demo", "load")
    run("assets", "compress")  # as the deployment steps in the README do
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
            "kvip:create_app()",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit("the server did not start") from None
            time.sleep(0.5)
    return server, env


def pages(env: dict[str, str]) -> list[tuple[str, str, str]]:
    """(label, role, path) for every page the issue names, found in the demo database."""
    os.environ["DATABASE_URL"] = env["DATABASE_URL"]
    os.environ["KVIP_SECRET_KEY"] = env["KVIP_SECRET_KEY"]
    import sqlalchemy as sa

    from kvip import create_app
    from kvip.accounts.models import User
    from kvip.cycles.models import Assessment, Cycle
    from kvip.demo import NETWORK_SLUG
    from kvip.extensions import db
    from kvip.network.models import Network
    from kvip.visits.models import TeamMember, Visit

    app = create_app()
    with app.app_context():
        network = db.session.scalar(sa.select(Network).where(Network.slug == NETWORK_SLUG))
        assert network is not None
        reviewer = db.session.scalar(sa.select(User).where(User.email == "reviewer@demo.kvip"))
        assert reviewer is not None
        visit_id = db.session.scalar(
            sa.select(Visit.id)
            .join(TeamMember, TeamMember.visit_id == Visit.id)
            .where(TeamMember.user_id == reviewer.id)
            .order_by(Visit.id.desc())
            .limit(1)
        )
        visit = db.session.get(Visit, visit_id)
        assessment = db.session.scalar(
            sa.select(Assessment)
            .join(Cycle, Cycle.id == Assessment.cycle_id)
            .where(Cycle.network_id == network.id)
            .order_by(Cycle.year.desc(), Assessment.unit_id)
            .limit(1)
        )
        assert visit is not None and assessment is not None
        unit_id = assessment.unit_id
        return [
            ("home, admin", "admin", "/"),
            ("home, coordinator", "coordinator", "/"),
            ("home, unit lead", "lead", "/"),
            ("home, unit member", "member", "/"),
            ("home, reviewer", "reviewer", "/"),
            ("self-assessment", "lead", f"/cycles/assessments/{assessment.id}"),
            ("self-assessment summary", "lead", f"/cycles/assessments/{assessment.id}/summary"),
            ("visit screen", "reviewer", f"/visits/{visit.id}/mode"),
            ("unit dashboard", "lead", f"/benchmarks/units/{unit_id}"),
            ("network overview", "coordinator", f"/benchmarks/networks/{network.id}"),
            ("annual report", "coordinator", f"/benchmarks/networks/{network.id}/annual-report"),
        ]


class Meter:
    """Counts the bytes of every response a page loads, through the CDP session."""

    def __init__(self, cdp: Any) -> None:
        self.cdp = cdp
        self.bytes = 0
        cdp.send("Network.enable")
        cdp.on("Network.loadingFinished", self._finished)

    def _finished(self, event: dict[str, Any]) -> None:
        self.bytes += int(event.get("encodedDataLength", 0))

    def load(self, page: Any, url: str, profile: Profile, *, cold: bool) -> tuple[float, float]:
        if cold:
            self.cdp.send("Network.clearBrowserCache")
        self.cdp.send("Network.emulateNetworkConditions", profile.conditions())
        self.bytes = 0
        page.goto(url, wait_until="load", timeout=180_000)
        page.wait_for_timeout(300)  # late loadingFinished events
        load_ms = page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd")
        return self.bytes / 1000, float(load_ms) / 1000


def measure(base_url: str, targets: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    rows: list[dict[str, Any]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        contexts: dict[str, tuple[Any, Any, Meter]] = {}
        for label, role, path in targets:
            if role not in contexts:
                context = browser.new_context(
                    viewport=IPAD, locale="nb-NO", has_touch=True, service_workers="block"
                )
                page = context.new_page()
                page.goto(f"{base_url}/login")
                page.fill("input[name=email]", f"{role}@demo.kvip")
                page.fill("input[name=password]", PASSWORD)
                page.click("main form button[type=submit]")
                page.wait_for_url(f"{base_url}/")
                contexts[role] = (context, page, Meter(context.new_cdp_session(page)))
            _context, page, meter = contexts[role]
            row: dict[str, Any] = {"page": label}
            for profile in PROFILES:
                kb, seconds = meter.load(page, base_url + path, profile, cold=True)
                row[profile.name] = (kb, seconds)
            row["warm"] = meter.load(page, base_url + path, SLOW, cold=False)
            rows.append(row)
            print(f"  measured {label}", file=sys.stderr)
        browser.close()
    return rows


def report(rows: list[dict[str, Any]]) -> bool:
    head = "| page | " + " | ".join(f"cold {p.name}" for p in PROFILES)
    print(head + f" | warm {SLOW.name} |")
    print("|---" * (len(PROFILES) + 2) + "|")
    ok = True
    for row in rows:
        cells = []
        for profile in PROFILES:
            kb, seconds = row[profile.name]
            cells.append(f"{kb:,.0f} KB · {seconds:.1f} s")
        warm_kb, warm_s = row["warm"]
        cells.append(f"{warm_kb:,.0f} KB · {warm_s:.2f} s")
        print(f"| {row['page']} | " + " | ".join(cells) + " |")
        slow_kb, slow_s = row[SLOW.name]
        ok = ok and slow_kb <= 1000 and slow_s <= 3 and warm_s <= 1
    print()
    print(
        "targets (cold ≤ 1,000 KB and ≤ 3 s at 1.6 Mbit/s · 150 ms, warm ≤ 1 s):",
        "met" if ok else "NOT met",
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5099)
    args = parser.parse_args()
    server, env = prepare_server(args.port)
    try:
        rows = measure(f"http://127.0.0.1:{args.port}", pages(env))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0 if report(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

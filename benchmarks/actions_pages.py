"""Speed of the action plan pages on a full 228-standard edition.

    .venv/bin/python -m benchmarks.actions_pages [--actions 60] [--other-units 300] [--runs 15]

Builds one unit with a completed visit (228 self ratings and team findings) and an action plan,
plus ``--other-units`` units with their own plans (to show that a page's cost does not grow with
the instance), then times each page through the test client and counts its SQL statements.
Uses DATABASE_URL if set, else a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parent.parent
VALUES = ["met"] * 6 + ["partly_met"] * 2 + ["not_met", "not_applicable"]


def _edition(db: Any) -> Any:
    """The kvip-2026 standards read straight from the YAML (codes, types, duties)."""
    from kvip.standards.models import Domain, Edition, Standard, StandardDuty

    folder = ROOT / "standards" / "kvip-2026"
    meta = yaml.safe_load((folder / "edition.yaml").read_text(encoding="utf-8"))
    edition = Edition(slug="bench", name_nb="Bench", name_en="Bench", version="1", total=228)
    db.session.add(edition)
    db.session.flush()
    position = 0
    for d in meta["domains"]:
        domain = Domain(
            edition_id=edition.id,
            code=str(d["code"]),
            slug=d["slug"],
            title_nb=d["title"]["nb"],
            title_en=d["title"]["en"],
            position=int(d["code"]),
        )
        db.session.add(domain)
        db.session.flush()
        for item in yaml.safe_load((folder / d["file"]).read_text(encoding="utf-8")):
            position += 1
            std = Standard(
                edition_id=edition.id,
                domain_id=domain.id,
                code=str(item["code"]),
                type=int(item["type"]),
                text_nb=item["text"]["nb"],
                text_en=item["text"]["en"],
                position=position,
            )
            db.session.add(std)
            db.session.flush()
            for duty in item.get("duties") or []:
                db.session.add(StandardDuty(standard_id=std.id, duty=str(duty)))
    db.session.commit()
    return edition


def _build(db: Any, n_actions: int, other_units: int, rng: random.Random) -> dict[str, Any]:
    from kvip.accounts.models import Membership
    from kvip.actions.models import Action, ActionDuty
    from kvip.actions.models import action_standards as action_standards_table
    from kvip.cycles.models import Assessment, Cycle, Rating
    from kvip.standards.models import Standard
    from kvip.visits.models import Finding, Report, Visit
    from tests.factories import create_institution, create_network, create_unit, create_user

    edition = _edition(db)
    stds = list(db.session.scalars(sa.select(Standard).where(Standard.edition_id == edition.id)))
    network = create_network()
    inst = create_institution(network)
    cycle = Cycle(
        network_id=network.id, edition_id=edition.id, year=2025, name="Syklus 2025", state="closed"
    )
    db.session.add(cycle)
    db.session.flush()
    units = [create_unit(inst, f"Enhet {i}") for i in range(other_units + 1)]
    lead = create_user("lead@bench.test")
    db.session.add(Membership(user_id=lead.id, unit_id=units[0].id, role="unit_lead"))
    duties = ["6a", "6d", "7b", "7c", "7e", "8a", "8e", "9b"]
    today = date.today()
    target = None
    for index, unit in enumerate(units):
        assessment = Assessment(cycle_id=cycle.id, unit_id=unit.id, state="submitted")
        db.session.add(assessment)
        db.session.flush()
        if index == 0:
            target = assessment
            db.session.execute(
                sa.insert(Rating),
                [
                    {
                        "assessment_id": assessment.id,
                        "standard_id": s.id,
                        "value": rng.choice(VALUES),
                    }
                    for s in stds
                ],
            )
            visit = Visit(assessment_id=assessment.id, state="completed")
            db.session.add(visit)
            db.session.flush()
            db.session.execute(
                sa.insert(Finding),
                [
                    {"visit_id": visit.id, "standard_id": s.id, "value": rng.choice(VALUES)}
                    for s in stds
                ],
            )
            db.session.add(Report(visit_id=visit.id, state="final"))
        count = n_actions if index == 0 else 20
        rows = [
            {
                "assessment_id": assessment.id,
                "title": f"Tiltak {i}",
                "status": rng.choice(["planned", "in_progress", "done", "verified", "dropped"]),
                "responsible": "Avdelingsleder",
                "deadline": today + timedelta(days=rng.randint(-30, 120)),
            }
            for i in range(count)
        ]
        db.session.execute(sa.insert(Action), rows)
        ids = db.session.scalars(
            sa.select(Action.id).where(Action.assessment_id == assessment.id)
        ).all()
        db.session.execute(
            sa.insert(ActionDuty),
            [{"action_id": i, "duty": d} for i in ids for d in rng.sample(duties, 2)],
        )
        db.session.execute(
            sa.insert(action_standards_table),
            [{"action_id": i, "standard_id": rng.choice(stds).id} for i in ids],
        )
    db.session.commit()
    assert target is not None
    return {"assessment": target.id, "lead": lead, "network": network.id}


def _timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm up (templates, caches)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actions", type=int, default=60)
    parser.add_argument("--other-units", type=int, default=300)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from benchmarks.common import fresh_app
    from kvip.extensions import db
    from tests.conftest import login

    app = fresh_app()
    with app.app_context():
        built = _build(db, args.actions, args.other_units, random.Random(2026))
        client = login(app.test_client(), built["lead"])
        aid = built["assessment"]
        statements = {"n": 0}

        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_a: Any) -> None:
            statements["n"] += 1

        pages = {
            "plan": f"/actions/assessments/{aid}",
            "plan by domain": f"/actions/assessments/{aid}?group=domain",
            "GAP page": f"/actions/assessments/{aid}/gap",
            "GAP API": f"/api/v1/assessments/{aid}/gap",
            "actions API": f"/api/v1/assessments/{aid}/actions",
            "Excel export": f"/actions/assessments/{aid}/plan.xlsx",
            "PDF export": f"/actions/assessments/{aid}/plan.pdf",
            "reminders": "/actions/reminders",
        }
        print(
            f"{db.engine.dialect.name}: 228 standards, {args.actions} actions on the unit, "
            f"{args.other_units} other units × 20 actions"
        )
        print(f"{'page':<16} {'median ms':>10} {'p95 ms':>8} {'SQL':>5}")
        for name, path in pages.items():
            runs = max(3, args.runs // 3) if "PDF" in name else args.runs

            def get(path: str = path) -> None:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)

            statements["n"] = 0
            get()
            n_sql = statements["n"]
            median, p95 = _timed(get, runs)
            print(f"{name:<16} {median:>10.1f} {p95:>8.1f} {n_sql:>5}")
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main()

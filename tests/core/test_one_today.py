"""One "today" for the whole app: the network's date (Oslo), from ``kvip.core.dates.today``.

A server keeps UTC. Between 23:00 and 24:00 UTC (22:00 in summer) it is already tomorrow in
Oslo; a module that asked the server's clock (``date.today()``) then disagreed with the ones
that ask ``dates.today()``: a visit could no longer be started "today" while its action plan
was not yet overdue. CI met exactly that at 23:02 UTC.
"""

from __future__ import annotations

import ast
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import Flask

from kvip.core import dates
from kvip.extensions import db
from tests.factories import World

ROOT = Path(__file__).resolve().parents[2] / "kvip"
# The two places that may read the clock: the network's date and the stored UTC moment.
CLOCK_OWNERS = {ROOT / "core" / "dates.py", ROOT / "core" / "db.py"}


def _clock_reads(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
        if name in {"date", "datetime"} and node.func.attr == "today":
            found.append((node.lineno, f"{name}.today()"))
        if name == "datetime" and node.func.attr in {"now", "utcnow"} and not node.args:
            found.append((node.lineno, f"datetime.{node.func.attr}() without a time zone"))
    return found


def test_no_module_reads_the_servers_local_date() -> None:
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        if path in CLOCK_OWNERS:
            continue
        for line, what in _clock_reads(ast.parse(path.read_text(), str(path))):
            offenders.append(f"{path.relative_to(ROOT.parent)}:{line}: {what}")
    assert offenders == [], "use kvip.core.dates.today() (or local_date):\n" + "\n".join(offenders)


def test_the_check_finds_a_servers_clock() -> None:
    source = "from datetime import date, datetime\na = date.today()\nb = datetime.now()\n"
    assert [line for line, _ in _clock_reads(ast.parse(source))] == [2, 3]


def test_every_module_follows_the_networks_date(app: Flask, world: World, set_today) -> None:
    """With the network's date fixed away from the server's, the deadlines, the days left and
    the action plan's "today" all follow it."""
    from kvip.actions import queries as action_queries
    from kvip.cycles import queries as cycle_queries
    from kvip.visits import reports

    fixed = date.today() + timedelta(days=400)
    set_today(fixed)
    assert dates.today() == fixed
    assert action_queries.today() == fixed
    cycle = world.assessment.cycle
    cycle.self_assessment_closes = fixed + timedelta(days=5)
    assert cycle_queries.days_left(cycle) == 5
    visit = world.visit
    visit.date = fixed - timedelta(days=29)  # the draft was due after 28 days
    due = reports.deadlines(visit, None)
    assert due and due[0].overdue


def test_a_report_shared_late_in_the_evening_counts_on_the_oslo_date(
    app: Flask, world: World
) -> None:
    """Shared at 23:30 UTC on 7 December is 8 December in Oslo: the plan is due six weeks from
    the Oslo date."""
    from kvip.actions import queries as action_queries

    report = world.report
    report.state = "final"
    report.finalised_at = datetime(2026, 12, 7, 23, 30)
    db.session.commit()
    assert dates.local_date(report.finalised_at) == date(2026, 12, 8)
    assert action_queries.plan_due(world.assessment.id) == date(2026, 12, 8) + timedelta(weeks=6)


def test_an_oslo_day_begins_at_its_utc_moment(app: Flask) -> None:
    assert dates.day_starts(date(2026, 12, 8)) == datetime(2026, 12, 7, 23, 0)  # winter, UTC+1
    assert dates.day_starts(date(2026, 6, 1)) == datetime(2026, 5, 31, 22, 0)  # summer, UTC+2


def test_reminders_count_a_late_evening_share_on_the_oslo_date(app: Flask, world: World) -> None:
    """Shared with the unit at 23:30 UTC on 7 December (8 December in Oslo): comments are due
    14 days after 8 December, and the reminder appears from the day it is due."""
    from kvip.actions import reminders

    report = world.report
    report.state = "shared_with_unit"
    report.shared_at = datetime(2026, 12, 7, 23, 30)
    db.session.commit()
    member = world.users["member"]

    def comments(on: date) -> list[date]:
        return [r.due for r in reminders.due_items(member, on) if r.kind == "report_comments"]

    assert comments(date(2026, 12, 22)) == [date(2026, 12, 22)]
    assert comments(date(2026, 12, 1)) == []

"""Speed of the questionnaire pages, the API, the network figures and submitting a questionnaire.

    .venv/bin/python -m benchmarks.surveys [--units 1000] [--cycles 10] [--runs 15] [--submits 200]

Generates the synthetic network (``flask demo generate``: 15 young people, 15 parents and 20
staff per unit and cycle; the questionnaire summaries are built at the end, as by ``flask
benchmarks refresh``), then, signed in as the lead of one unit in the current cycle, times
every questionnaire page and API answer server side (the test client, median and p95) and
counts SQL statements; times the benchmark figures per question for the whole network and the
annual report's questionnaire figures (from fresh summaries, and the first read after new
answers arrived); the network's and the unit's questionnaire benchmark pages when the app has
them; and stores ``--submits`` questionnaires through the service (p95). Targets: pages and
API ≤ 250 ms, a submission ≤ 50 ms p95. Uses DATABASE_URL if set, else a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from benchmarks.common import fresh_app


def _timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    times = []
    for _i in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--submits", type=int, default=200)
    args = parser.parse_args()

    app = fresh_app()
    from kvip.accounts.models import Membership, NetworkRole, User
    from kvip.benchmarks import survey_summaries
    from kvip.benchmarks.models import BenchmarkSurveyState
    from kvip.benchmarks.surveys import question_benchmarks, response_counts, widest_spread
    from kvip.benchmarks.synthetic import generate
    from kvip.cycles.models import Assessment, Cycle
    from kvip.extensions import db
    from kvip.surveys import services
    from kvip.surveys.models import Answer, Collection, Instrument

    with app.app_context():
        t0 = time.perf_counter()
        result = generate(args.units, args.cycles, 1, echo=print)
        print(f"generated {args.units} units × {args.cycles} cycles in "
              f"{time.perf_counter() - t0:.0f} s: {result.counts.get('responses', 0):,} "
              f"responses, {result.counts.get('answers', 0):,} answers")  # fmt: skip
        cycle_id = db.session.scalar(
            sa.select(Cycle.id)
            .where(Cycle.network_id == result.network_id)
            .order_by(Cycle.year.desc())
        )
        assessment = db.session.scalar(
            sa.select(Assessment).where(Assessment.cycle_id == cycle_id).order_by(Assessment.id)
        )
        lead_id = db.session.scalar(
            sa.select(Membership.user_id).where(
                Membership.unit_id == assessment.unit_id, Membership.role == "unit_lead"
            )
        )
        a = assessment.id
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = db.session.get(User, lead_id).get_id()
            sess["_fresh"] = True
        statements: list[int] = []

        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def count(*_args: Any) -> None:
            statements.append(1)

        print(f"\n{'page / call':58} {'median':>8} {'p95':>8} {'SQL':>5}")
        for label, url in (
            ("questionnaires page", f"/surveys/assessments/{a}"),
            ("record audit page (unit)", f"/surveys/assessments/{a}/records"),
            ("export CSV", f"/surveys/assessments/{a}/results.csv"),
            ("export Excel", f"/surveys/assessments/{a}/results.xlsx"),
            ("API questionnaires", f"/api/v1/assessments/{a}/questionnaires"),
            ("API record-audits", f"/api/v1/assessments/{a}/record-audits"),
            ("self-assessment (evidence beside standards)", f"/cycles/assessments/{a}"),
        ):
            status = client.get(url).status_code
            statements.clear()
            client.get(url)
            n_sql = len(statements)
            median, p95 = _timed(lambda url=url: client.get(url), args.runs)
            print(f"{label:58} {median:7.0f}ms {p95:7.0f}ms {n_sql:5d}  ({status})")

        def survey_figures() -> None:
            question_benchmarks(cycle_id, assessment.unit_id)
            response_counts(cycle_id)

        def annual_figures() -> None:
            response_counts(cycle_id)
            widest_spread(cycle_id, 10)

        for label, fn in (
            ("benchmarks: per question, whole network (own unit marked)", survey_figures),
            ("  of which question_benchmarks()", lambda: question_benchmarks(cycle_id)),
            ("annual report: response counts", lambda: response_counts(cycle_id)),
            ("annual report: widest spread (top 10)", lambda: widest_spread(cycle_id, 10)),
            ("annual report: both questionnaire tables", annual_figures),
        ):
            fn()  # summaries fresh
            median, p95 = _timed(fn, max(3, args.runs // 3))
            print(f"{label:58} {median:7.0f}ms {p95:7.0f}ms")

        # A new answer makes the cycle's summaries stale: the next read rebuilds the collections
        # that received answers (here: one, and 50 units' young people's collections).
        yp_collections = db.session.scalars(
            sa.select(Collection)
            .join(Instrument, Instrument.id == Collection.instrument_id)
            .join(Assessment, Assessment.id == Collection.assessment_id)
            .where(Assessment.cycle_id == cycle_id, Instrument.code == "young_person")
            .order_by(Collection.id)
            .limit(50)
        ).all()
        yp_answers = {
            q.code: "agree" for q in yp_collections[0].instrument.questions if q.scale == "agree4"
        }
        for many in (1, 50):
            stale = []
            for _i in range(3):
                for c in yp_collections[:many]:
                    sid = secrets.token_urlsafe(18)
                    services.submit_response(c, yp_answers, sid, grace_days=10_000)
                t0 = time.perf_counter()
                question_benchmarks(cycle_id)
                stale.append((time.perf_counter() - t0) * 1000)
            label = f"first read after answers in {many} collection{'s' if many > 1 else ''}"
            print(f"{label:58} {statistics.median(stale):7.0f}ms {max(stale):7.0f}ms (max)")
        state = db.session.get(BenchmarkSurveyState, cycle_id)
        t0 = time.perf_counter()
        survey_summaries.refresh_all([cycle_id])
        print(f"{'whole-cycle rebuild of the questionnaire summaries':58} "
              f"{(time.perf_counter() - t0) * 1000:7.0f}ms  (at generation: "
              f"{state.build_ms if state else '?'} ms)")  # fmt: skip

        # The questionnaire benchmark pages (issue 15 §5), when this app has them.
        network_id = result.network_id
        coordinator_id = db.session.scalar(
            sa.select(NetworkRole.user_id).where(
                NetworkRole.network_id == network_id,
                NetworkRole.role == "coordinator",
            )
        )
        for label, url, user_id in (
            ("unit's questionnaires vs the network",
             f"/benchmarks/units/{assessment.unit_id}/questionnaires", lead_id),
            ("network questionnaires page (coordinator)",
             f"/benchmarks/networks/{network_id}/questionnaires", coordinator_id),
            ("annual report page (coordinator)",
             f"/benchmarks/networks/{network_id}/annual-report", coordinator_id),
        ):  # fmt: skip
            if user_id is None:
                continue
            with client.session_transaction() as sess:
                sess["_user_id"] = db.session.get(User, user_id).get_id()
                sess["_fresh"] = True
            status = client.get(url).status_code
            if status == 404:
                print(f"{label:58} {'(not in this app)':>17}")
                continue
            statements.clear()
            client.get(url)
            n_sql = len(statements)
            median, p95 = _timed(lambda url=url: client.get(url), max(3, args.runs // 3))
            print(f"{label:58} {median:7.0f}ms {p95:7.0f}ms {n_sql:5d}  ({status})")

        collection = db.session.scalar(
            sa.select(Collection)
            .join(Instrument, Instrument.id == Collection.instrument_id)
            .where(Collection.assessment_id == a, Instrument.code == "young_person")
        )
        codes = [q.code for q in collection.instrument.questions if q.scale == "agree4"]
        answers = dict.fromkeys(codes, "agree")
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Answer))
        times = []
        for _i in range(args.submits):
            sid = secrets.token_urlsafe(18)
            t0 = time.perf_counter()
            services.submit_response(collection, answers, sid, grace_days=10_000)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) - before
        print(
            f"{'submit a questionnaire (service)':58} {statistics.median(times):7.1f}ms "
            f"{times[int(0.95 * len(times)) - 1]:7.1f}ms  ({stored} answers stored)"
        )


if __name__ == "__main__":
    main()

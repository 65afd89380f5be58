"""A coordinator's benchmark table above kvip.benchmarks.exports.JOB_CELLS cells is offered as a
job ("Prepare file") instead of a direct download; the job's file is the direct download's."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import sqlalchemy as sa

from kvip.benchmarks import exports
from kvip.core.models import ExportJob
from kvip.extensions import db
from tests.benchmarks.conftest import BenchWorld


def _job_actions(page: str) -> list[str]:
    return [
        html.unescape(a) for a in re.findall(r'action="(/jobs/exports/benchmark_table[^"]*)"', page)
    ]


def test_small_tables_download_at_once(bench: BenchWorld, client_as: Any) -> None:
    page = (
        client_as("coordinator")
        .get(f"/benchmarks/networks/{bench.network.id}")
        .get_data(as_text=True)
    )
    assert "/export/overview/units.csv" in page
    assert _job_actions(page) == []


def test_a_large_table_is_made_by_the_queue_and_equals_the_direct_download(
    bench: BenchWorld, client_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "JOB_CELLS", 1)  # every table counts as large
    coordinator = client_as("coordinator")
    page = coordinator.get(f"/benchmarks/networks/{bench.network.id}").get_data(as_text=True)
    actions = _job_actions(page)
    csv_action = next(a for a in actions if "table=units" in a and "fmt=csv" in a)
    assert "Lag fil (CSV)" in page  # the jobs catalogue's "Prepare file"
    response = coordinator.post(csv_action)
    assert response.status_code == 303, response.data[:300]
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    db.session.expire_all()
    job = db.session.get(ExportJob, job_id)
    assert job is not None and job.state == "done", job and job.error
    made = coordinator.get(f"/jobs/{job.id}/download")
    direct = coordinator.get(
        f"/benchmarks/networks/{bench.network.id}/export/overview/units.csv",
        query_string=job.params.get("query", {}),
    )
    assert made.status_code == direct.status_code == 200
    assert made.data == direct.data


def test_only_who_may_read_the_network_dashboards_starts_such_a_job(
    bench: BenchWorld, client_as: Any
) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(ExportJob))
    url = (
        f"/jobs/exports/benchmark_table?network_id={bench.network.id}"
        "&page=overview&table=units&fmt=csv"
    )
    for role in ("lead", "member", "reviewer", "outsider"):
        assert client_as(role).post(url).status_code in (403, 404), role
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExportJob)) == before

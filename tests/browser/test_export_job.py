"""A coordinator makes the annual report PDF as a job: a progress bar, then a download link
(tablet viewport, axe clean)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from kvip.core.jobs import EXTENSION
from kvip.core.models import ExportJob
from kvip.extensions import db
from kvip.jobs import exports
from tests.browser.conftest import IPAD, screenshot, serious_violations, sign_in
from tests.factories import PASSWORD, build_world


def test_annual_report_pdf_as_a_job_with_a_progress_bar(
    app: Flask,
    live_server: str,
    page,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_world()
    # The queue holds the job (as a worker not yet free would) until the test runs it.
    pending: list[tuple[str, tuple[Any, ...]]] = []
    queue = app.extensions[EXTENSION]
    monkeypatch.setattr(queue, "enqueue", lambda name, *args: pending.append((name, args)))
    monkeypatch.setitem(app.config, "KVIP_JOBS_STEP_DELAY", 0.6)  # steps slow enough to see

    page.set_viewport_size(IPAD)
    sign_in(page, live_server, "coord@example.test", PASSWORD)
    page.goto(f"{live_server}/benchmarks/networks/{world.network.id}/annual-report")
    page.get_by_role("button", name="Lag fil (PDF)").click()
    page.wait_for_url("**/jobs/*")
    assert len(pending) == 1 and pending[0][0] == "run_export"
    job_id = pending[0][1][0]

    expect(page.get_by_role("heading", level=1)).to_have_text("Årsrapport (PDF)")
    expect(page.get_by_role("status")).to_contain_text("Filen lages")
    bar = page.get_by_role("progressbar")
    expect(bar).to_have_attribute("value", "0")
    expect(page.get_by_role("link", name="Last ned filen")).to_be_hidden()
    assert serious_violations(page) == []
    screenshot(page, "export-job-waiting")

    def work() -> None:
        with app.app_context():
            exports.run(job_id)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    # The bar moves while the job runs (the page polls the status), then the link appears.
    expect(bar).not_to_have_attribute("value", "0", timeout=30_000)
    screenshot(page, "export-job-running")
    link = page.get_by_role("link", name="Last ned filen")
    expect(link).to_be_visible(timeout=60_000)
    worker.join(timeout=60)
    expect(bar).to_have_attribute("value", "100")
    expect(page.get_by_role("status")).to_have_text("Filen er klar.")
    assert serious_violations(page) == []
    screenshot(page, "export-job-done")

    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    db.session.expire_all()
    job = db.session.get(ExportJob, job_id)
    assert job is not None and job.state == "done" and job.owner_id == world.users["coordinator"].id

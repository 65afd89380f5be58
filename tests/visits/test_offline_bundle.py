"""What the service worker stores for offline use (issue 12 item 17): every asset the visit
screens use, under a cache name that changes with any of them, and an offline page in nb and en."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from flask import Flask

from kvip.config import ROOT
from kvip.visits import offline
from tests.conftest import login
from tests.factories import World

ASSET = re.compile(r'(?:href|src)="(/static/[^"?#]+)')


def _bundle(source: str) -> str:
    match = re.search(r'"assetsCache": "(kvip-assets-[0-9a-f]{16})"', source)
    assert match is not None, source[:300]
    return match.group(1)


def test_every_asset_of_the_visit_screens_is_stored_for_offline_use(
    app: Flask, world: World
) -> None:
    client = login(app.test_client(), world.users["reviewer"])
    worker = client.get("/visits/sw.js")
    assert worker.headers["Service-Worker-Allowed"] == "/"  # answers every app page
    source = worker.get_data(as_text=True)
    stored = set(re.findall(r'"(/static/[^"]+)"', source.split("\n", 1)[0]))
    for url in (
        f"/visits/{world.visit.id}/mode",
        f"/visits/{world.visit.id}",
        "/visits/",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        used = set(ASSET.findall(page.get_data(as_text=True)))
        assert "/static/css/kvip.css" in used
        assert used <= stored, f"{url} uses {sorted(used - stored)} not stored offline"
    mode = client.get(f"/visits/{world.visit.id}/mode").get_data(as_text=True)
    assert "/static/css/actions.css" in mode and "/static/css/actions.css" in stored
    # Scripts load modules the page does not name: they are stored too.
    for name in ("visits-store.js", "visits-held.js"):
        assert f"/static/js/{name}" in stored
    assert _bundle(source) in mode  # the page stores assets in the worker's cache


def test_the_cache_name_changes_with_any_asset_and_the_offline_page_speaks_both_languages(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "static"
    shutil.copytree(ROOT / "static", copy, ignore=shutil.ignore_patterns("vendor"))
    monkeypatch.setattr(offline, "ROOT", tmp_path)
    with app.test_request_context("/"):
        first = offline.offline_bundle()
        assert offline.offline_bundle()["version"] == first["version"]  # stable
        (copy / "css" / "actions.css").write_text("/* deployed */", encoding="utf-8")
        second = offline.offline_bundle()
    assert second["version"] != first["version"]
    assert second["assetsCache"] == f"kvip-assets-{second['version']}"
    assert first["pagesCache"] == second["pagesCache"]  # prepared pages survive a deploy
    assert first["strings"]["nb"]["title"] == "Ingen nettforbindelse"
    assert first["strings"]["en"]["title"] == "No network connection"
    assert set(first["strings"]["nb"]) == set(first["strings"]["en"])

"""Static assets: versioned URLs with immutable caching, compressed JS and CSS."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
from flask import Flask

from kvip.core.assets import IMMUTABLE, file_version
from tests.conftest import login
from tests.factories import World

ROOT = Path(__file__).resolve().parents[2]


def test_pages_link_static_files_with_their_content_version(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert any("css/kvip.css" in link for link in links)
    for link in links:
        path, _, query = link.partition("?")
        expected = file_version(ROOT / "static" / path.removeprefix("/static/"))
        assert query == f"v={expected}", link


def test_templates_use_the_versioned_helper_only() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if "url_for('static'" in path.read_text() or 'url_for("static"' in path.read_text()
    ]
    assert offenders == []


def test_a_versioned_url_is_cached_for_a_year_and_any_other_revalidated(client) -> None:  # type: ignore[no-untyped-def]
    version = file_version(ROOT / "static" / "js" / "nav.js")
    current = client.get(f"/static/js/nav.js?v={version}")
    assert current.status_code == 200
    assert current.headers["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    for url in ("/static/js/nav.js", "/static/js/nav.js?v=0123456789ab"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache", url


def test_the_version_follows_the_content(app: Flask, tmp_path: Path) -> None:
    asset = tmp_path / "a.js"
    asset.write_text("one")
    first = file_version(asset)
    asset.write_text("two, longer")
    assert file_version(asset) != first


def test_js_and_css_are_compressed_when_the_browser_accepts_it(client) -> None:  # type: ignore[no-untyped-def]
    bundle = ROOT / "static" / "vendor" / "plotly-cartesian.min.js"
    url = f"/static/vendor/plotly-cartesian.min.js?v={file_version(bundle)}"
    plain = bundle.read_bytes()

    gz = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert gz.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in gz.headers["Vary"]
    assert gz.headers["Cache-Control"] == IMMUTABLE
    assert int(gz.headers["Content-Length"]) == len(gz.data) < len(plain) // 2
    assert gzip.decompress(gz.data) == plain

    br = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.data) == plain

    css = client.get("/static/css/kvip.css", headers={"Accept-Encoding": "gzip"})
    assert css.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(css.data) == (ROOT / "static" / "css" / "kvip.css").read_bytes()

    identity = client.get(url)
    assert "Content-Encoding" not in identity.headers and identity.data == plain


def test_revalidating_a_compressed_asset_gives_304(client) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/static/css/kvip.css", headers={"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    again = client.get(
        "/static/css/kvip.css", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert again.status_code == 304


def test_pages_and_api_answers_are_compressed_when_the_browser_accepts_it(
    app: Flask, world: World
) -> None:
    client = login(app.test_client(), world.users["member"])
    plain = client.get("/")
    assert "Content-Encoding" not in plain.headers
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in page.headers["Vary"]
    assert gzip.decompress(page.data) == plain.data
    api = client.get(
        f"/api/v1/assessments/{world.assessment.id}", headers={"Accept-Encoding": "br"}
    )
    assert api.status_code == 200 and api.headers["Content-Encoding"] == "br"
    assert brotli.decompress(api.data).startswith(b"{")


def test_assets_compress_writes_gz_and_br_for_nginx(app: Flask, tmp_path: Path) -> None:
    from kvip.core.assets import precompress

    (tmp_path / "js").mkdir()
    script = tmp_path / "js" / "big.js"
    script.write_text("const x = 1;\n" * 500)
    (tmp_path / "tiny.css").write_text("a{}")
    (tmp_path / "img.png").write_bytes(b"\x89PNG" * 500)
    written = precompress(tmp_path)
    assert sorted(p.name for p in written) == ["big.js.br", "big.js.gz"]
    assert gzip.decompress((tmp_path / "js" / "big.js.gz").read_bytes()) == script.read_bytes()
    assert brotli.decompress((tmp_path / "js" / "big.js.br").read_bytes()) == script.read_bytes()
    assert precompress(tmp_path) == []  # up to date: nothing rewritten
    script.write_text("let y = 2;\n" * 600)
    folder = app.static_folder
    app.static_folder = str(tmp_path)
    try:
        result = app.test_cli_runner().invoke(args=["assets", "compress"])
    finally:
        app.static_folder = folder
    assert result.exit_code == 0 and "Compressed 2 files" in result.output
    assert gzip.decompress((tmp_path / "js" / "big.js.gz").read_bytes()) == script.read_bytes()

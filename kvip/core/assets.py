"""Static assets: versioned URLs with long-lived caching, and compressed text assets.

- ``static_url(filename)`` (a Jinja global) is ``/static/<filename>?v=<content hash>``. A
  request whose ``v`` is the file's current hash gets ``Cache-Control: public,
  max-age=31536000, immutable``: the browser never asks again, and a deploy that changes the
  file changes its URL. Any other static request (no ``v``, or the ``v`` of an older deploy)
  gets ``no-cache``: the browser revalidates (a cheap 304) and never runs stale code.
- Text assets (JS, CSS, SVG, JSON) are sent brotli- or gzip-compressed when the browser
  accepts it, compressed once per file version and kept in memory.
- Pages and API answers (HTML, JSON) are compressed per response at a fast level (the
  228-standard self-assessment page: 790 KB → about 50 KB). BREACH, which reads a secret out
  of compressed sizes, finds nothing to read here: the session cookie is never in a body and is
  ``SameSite=Lax`` (no cross-site requests with it but top-level navigations), and the CSRF
  token in a page is signed with a timestamp, so its signature changes every second.
  Streamed responses (exports) are left as they are.

Hashes are computed once per file and kept until the file's modification time or size
changes (so ``flask run --debug`` picks up edits without a restart). ``flask assets compress``
writes ``.gz``/``.br`` files beside the assets for nginx's ``gzip_static`` (see the README).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from pathlib import Path
from typing import Any

import brotli
from flask import Flask, Response, current_app, request, url_for

VERSION_ARG = "v"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = {
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "image/svg+xml",
    "text/plain",
}
# Below this size compression saves less than the header costs.
MIN_COMPRESS_BYTES = 1024
SUFFIXES = {"br": ".br", "gzip": ".gz"}

_lock = threading.Lock()
_hashes: dict[Path, tuple[int, int, str]] = {}
_compressed: dict[tuple[Path, str, str], bytes] = {}


def _static_file(filename: str) -> Path | None:
    folder = current_app.static_folder
    if not folder:
        return None
    root = Path(folder).resolve()
    path = (root / filename).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def file_version(path: Path) -> str:
    """The first 12 hex digits of the file's SHA-256, cached per (mtime, size)."""
    stat = path.stat()
    known = _hashes.get(path)
    if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
        return known[2]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    with _lock:
        _hashes[path] = (stat.st_mtime_ns, stat.st_size, digest)
    return digest


def static_url(filename: str, **values: Any) -> str:
    """The URL of a static file with its content version (``?v=…``)."""
    path = _static_file(filename)
    if path is not None:
        values[VERSION_ARG] = file_version(path)
    return url_for("static", filename=filename, **values)


def compress(data: bytes, encoding: str, *, best: bool = False) -> bytes:
    """Brotli or gzip. ``best`` (for files written once) takes brotli's slowest level; at
    request time level 9 keeps the first request for a 1.5 MB bundle well under a second."""
    if encoding == "br":
        return bytes(brotli.compress(data, quality=11 if best else 9))
    return gzip.compress(data, compresslevel=9, mtime=0)


def _chosen_encoding() -> str | None:
    accepted = request.accept_encodings
    for encoding in ("br", "gzip"):
        if accepted[encoding] > 0:
            return encoding
    return None


def _compressed_body(path: Path, version: str, encoding: str) -> bytes:
    key = (path, version, encoding)
    body = _compressed.get(key)
    if body is None:
        ready = path.with_name(path.name + SUFFIXES[encoding])
        if ready.is_file() and ready.stat().st_mtime_ns >= path.stat().st_mtime_ns:
            body = ready.read_bytes()  # written by `flask assets compress`
        else:
            body = compress(path.read_bytes(), encoding)
        with _lock:
            # One entry per file and encoding: an older version's bytes are dropped.
            for old in [k for k in _compressed if k[0] == path and k[2] == encoding]:
                del _compressed[old]
            _compressed[key] = body
    return body


def _static_response(response: Response) -> Response:
    filename = (request.view_args or {}).get("filename")
    path = _static_file(filename) if isinstance(filename, str) else None
    if path is None or response.status_code not in (200, 304):
        return response
    version = file_version(path)
    current = request.args.get(VERSION_ARG) == version
    response.headers["Cache-Control"] = IMMUTABLE if current else REVALIDATE
    if response.mimetype not in COMPRESSIBLE:
        return response
    response.vary.add("Accept-Encoding")
    encoding = _chosen_encoding()
    if response.status_code != 200 or encoding is None or "Range" in request.headers:
        return response
    if path.stat().st_size < MIN_COMPRESS_BYTES:
        return response
    body = _compressed_body(path, version, encoding)
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    etag, weak = response.get_etag()
    if etag and not weak:
        # Another representation of the same content: a weak validator, still matched by
        # If-None-Match (Werkzeug compares weakly there), so revalidation keeps giving 304.
        response.set_etag(etag, weak=True)
    return response


def precompress(static_folder: Path) -> list[Path]:
    """Write ``<file>.gz`` and ``<file>.br`` beside every compressible text asset (for nginx's
    ``gzip_static``/``brotli_static``); returns the files written. Unchanged ones are kept."""
    written = []
    for path in sorted(static_folder.rglob("*")):
        if not path.is_file() or path.suffix not in (".js", ".css", ".svg", ".json"):
            continue
        if path.stat().st_size < MIN_COMPRESS_BYTES:
            continue
        for encoding, suffix in SUFFIXES.items():
            target = path.with_name(path.name + suffix)
            if target.exists() and target.stat().st_mtime_ns >= path.stat().st_mtime_ns:
                continue
            target.write_bytes(compress(path.read_bytes(), encoding, best=True))
            written.append(target)
    return written


DYNAMIC = {"text/html", "application/json", "application/problem+json"}


def _dynamic_response(response: Response) -> Response:
    """Compress a page or an API answer when the browser accepts it."""
    if (
        response.mimetype not in DYNAMIC
        or response.status_code < 200
        or response.status_code in (204, 206, 304)
        or response.is_streamed
        or response.direct_passthrough
        or "Content-Encoding" in response.headers
    ):
        return response
    response.vary.add("Accept-Encoding")
    encoding = _chosen_encoding()
    if encoding is None or request.method == "HEAD":
        return response
    data = response.get_data()
    if len(data) < MIN_COMPRESS_BYTES:
        return response
    if encoding == "br":
        body = bytes(brotli.compress(data, quality=5))
    else:
        body = gzip.compress(data, compresslevel=6, mtime=0)
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)
    return response


def init_app(app: Flask) -> None:
    app.jinja_env.globals["static_url"] = static_url

    @app.after_request
    def _caching_and_compression(response: Response) -> Response:
        if request.endpoint == "static":
            return _static_response(response)
        return _dynamic_response(response)

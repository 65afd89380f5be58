"""Every PDF the app makes (visit report, action plan, GAP analysis, annual report) is rendered
here, by WeasyPrint, under two rules:

- WeasyPrint fetches nothing but our own static files. Its URL fetcher serves files below the
  app's static folder (for ``url_for('static', …)`` links, resolved against a base URL that
  exists nowhere), and the images made for this one PDF (its charts, handed to ``render_pdf``
  as bytes and named ``/_chart-images/<name>.png``), and refuses everything else — http(s), file:, data:, other hosts, paths
  that climb out of the folder — without touching the network. Whatever text ends up in a
  template, making the PDF can never become a request to a server of someone's choosing.
- Templates never put user text in CSS (no ``content: "{{ name }}"`` in ``@page`` boxes): a
  running element (``position: running(…)`` + ``content: element(…)``) carries it as HTML,
  escaped like all other text.

The text is set in DejaVu (Debian's ``fonts-dejavu-core``), which has every letter of
Norwegian and the Sámi languages (á č đ ŋ š ŧ ž); characters no font has (e.g. emoji without an
emoji font) are drawn as empty boxes, never an error. Control characters are taken out of the
HTML first (a soft line break becomes a line break).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app

from kvip.core.excel import clean_text

# Relative and root-relative links resolve against this; it is never contacted.
BASE_URL = "https://kvip-pdf.invalid/"
MAX_FILE_BYTES = 5 * 1024 * 1024
IMAGE_PREFIX = "_chart-images/"  # where a PDF's own generated images are served to it


def static_path(url: str, static_folder: str | Path, static_url_path: str) -> Path | None:
    """The file below ``static_folder`` that ``url`` names, or None when ``url`` is anything
    else (another scheme or host, a path outside the folder, a missing file)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    base = urlsplit(BASE_URL)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    prefix = static_url_path.rstrip("/") + "/"
    path = unquote(parts.path)
    if not path.startswith(prefix) or "\x00" in path:
        return None
    root = Path(static_folder).resolve()
    try:
        target = (root / path[len(prefix) :]).resolve()
    except (OSError, ValueError):
        return None
    if not target.is_relative_to(root) or not target.is_file():
        return None
    if target.stat().st_size > MAX_FILE_BYTES:
        return None
    return target


@lru_cache(maxsize=1)
def _fetcher_class() -> type:
    """Made on first use: WeasyPrint is imported only when a PDF is made."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # only when a PDF is made

    class StaticFilesOnly(URLFetcher):  # type: ignore[misc]
        """Serves the app's static files; refuses every other URL without fetching it."""

        def __init__(
            self,
            static_folder: str,
            static_url_path: str,
            images: Mapping[str, bytes] | None = None,
        ) -> None:
            super().__init__(allowed_protocols=(), allow_redirects=False)
            self.static_folder = static_folder
            self.static_url_path = static_url_path
            self.images = dict(images or {})
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            image = generated_image(url, self.images)
            if image is not None:
                return URLFetcherResponse(url, image, {"Content-Type": "image/png"})
            target = static_path(url, self.static_folder, self.static_url_path)
            if target is None:
                self.refused.append(url)
                current_app.logger.warning("PDF: refused to fetch %.200r", url)
                raise ValueError("only the application's static files are served to PDFs")
            mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": mime})

    return StaticFilesOnly


def generated_image(url: str, images: Mapping[str, bytes]) -> bytes | None:
    """The bytes of one of this PDF's own images (``/_chart-images/<name>``), or None."""
    if not images or not url.startswith(BASE_URL + IMAGE_PREFIX):
        return None
    name = url[len(BASE_URL + IMAGE_PREFIX) :]
    return images.get(name)


def url_fetcher(images: Mapping[str, bytes] | None = None) -> Any:
    """A fetcher for the current app's static folder (and this PDF's own ``images``)."""
    app = current_app
    return _fetcher_class()(app.static_folder or "", app.static_url_path or "/static", images)


def render_pdf(html: str, images: Mapping[str, bytes] | None = None) -> bytes:
    """The PDF of ``html`` (a rendered template); ``images`` are the generated pictures it
    shows (``chart_images.for_pdf``), served to it by name and to nothing else."""
    from weasyprint import HTML  # not a cycle: WeasyPrint (pango) loads only when a PDF is made

    document = HTML(string=clean_text(html), base_url=BASE_URL, url_fetcher=url_fetcher(images))
    return bytes(document.write_pdf())

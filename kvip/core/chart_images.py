"""The charts of a page as PNG images for its PDF: the same plotly figures the screen draws,
drawn on the server by kaleido (v1) in the system's Chromium.

- No download, no network: kaleido is given the browser's path (``KVIP_CHART_BROWSER``;
  by default the first of chromium / google-chrome found on PATH, or ``BROWSER_PATH``), our
  vendored ``plotly-cartesian.min.js`` (the very file the screen uses) and no MathJax (its
  default would be a CDN). kaleido's own ``get_chrome`` (a download) is never called.
- The same number format as the screen: ``layout.separators`` per language, as
  ``static/js/charts.js`` sets them (nb: decimal comma, no-break space between thousands).
- No browser, or a figure that fails to draw: that chart is None and the PDF says where the
  chart would be (the tables carry the same numbers); making the PDF never fails for it.
- Starting the browser takes ~2 s and a figure ~0.2–0.5 s, so each process keeps one browser
  open (in a thread of its own, with its own event loop) and draws every PDF's figures in it,
  one PDF at a time; it is closed after ``IDLE`` seconds without work, when the process ends,
  or when a drawing fails (the next PDF starts a fresh one). Each image is also kept in a
  small in-process cache keyed by the figure itself (never drawn twice while the process lives).

Production needs a Chromium (Debian/Ubuntu: ``apt-get install chromium``); set
``KVIP_CHART_BROWSER`` to its path if it is not on PATH, or to ``off`` for PDFs without charts.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import json
import os
import re
import shutil
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from kvip.core.pdf import IMAGE_PREFIX

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
OFF = ("off", "0", "false", "no", "none")
# layout.separators (decimal mark, thousands separator) per language, as static/js/charts.js.
SEPARATORS = {"nb": ",\u00a0", "en": ".,"}
WIDTH = 900  # CSS pixels: about the text width of an A4 page at the screen's font size
HEIGHT = 420  # when the figure sets none (charts.py's default)
SCALE = 2  # sharp when printed
TIMEOUT = 60.0  # seconds for one PDF's figures together
IDLE = 300.0  # seconds the browser stays open without work
CACHE_SIZE = 64

_cache: OrderedDict[str, bytes] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class ChartImage:
    """One chart of a PDF: ``src`` for the <img> (served only to that PDF), or None with
    ``missing`` saying why there is no picture."""

    name: str
    src: str | None
    width: int
    height: int
    missing: str = ""


def browser_path() -> str | None:
    """The Chromium that draws charts, or None when there is none (or it is switched off)."""
    configured = str(current_app.config.get("KVIP_CHART_BROWSER", "auto") or "").strip()
    if configured.lower() in OFF or configured == "":
        return None
    if configured.lower() != "auto":
        return configured if os.access(configured, os.X_OK) else None
    env = os.environ.get("BROWSER_PATH")
    if env:
        return env if os.access(env, os.X_OK) else None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _figure_dict(figure: str | Mapping[str, Any]) -> dict[str, Any]:
    data = json.loads(figure) if isinstance(figure, str) else dict(figure)
    return {"data": list(data.get("data") or []), "layout": dict(data.get("layout") or {})}


def prepare(figure: str | Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The figure as the screen would draw it (separators of ``lang``), sized for a page."""
    fig = _figure_dict(figure)
    layout = fig["layout"]
    layout.setdefault("separators", SEPARATORS.get(lang, SEPARATORS["nb"]))
    layout["width"] = int(layout.get("width") or WIDTH)
    layout["height"] = int(layout.get("height") or HEIGHT)
    layout.pop("autosize", None)
    return fig


def _key(fig: dict[str, Any]) -> str:
    raw = json.dumps(fig, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _plotly_js() -> Path:
    return Path(current_app.static_folder or "static") / "vendor" / "plotly-cartesian.min.js"


class _Browser:
    """One Chromium drawing figures (kaleido), kept open in a thread with its own event loop:
    a caller's event loop never meets it, and the ~2 s start is paid once, not once a PDF."""

    def __init__(self, path: str, plotly_js: Path) -> None:
        self.key = (path, str(plotly_js))
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="kvip-chart-browser", daemon=True
        )
        self.thread.start()
        self.kaleido: Any = None
        try:
            self._call(self._open(path, plotly_js), TIMEOUT)
        except BaseException:
            self.close()
            raise

    async def _open(self, path: str, plotly_js: Path) -> None:
        import kaleido  # here, not at the top: 0.2 s to import, needed only when a PDF is made

        k = kaleido.Kaleido(n=1, timeout=TIMEOUT, path=path, plotlyjs=plotly_js, mathjax=False)
        await k.open()
        self.kaleido = k

    def _call(self, coro: Any, timeout: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout=timeout)
        finally:
            future.cancel()

    async def _draw_all(self, figs: dict[str, dict[str, Any]]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for name, fig in figs.items():
            out[name] = await self.kaleido.calc_fig(fig, opts={"format": "png", "scale": SCALE})
        return out

    def draw(self, figs: dict[str, dict[str, Any]]) -> dict[str, bytes]:
        result: dict[str, bytes] = self._call(self._draw_all(figs), TIMEOUT + 30)
        return result

    def close(self) -> None:
        if self.pid != os.getpid():  # a forked child: the browser is its parent's
            return
        if self.kaleido is not None and self.thread.is_alive():
            # A browser that already died may fail to close: nothing left to do then.
            with contextlib.suppress(Exception):
                self._call(self.kaleido.close(), 30)
            self.kaleido = None
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()


_browser: _Browser | None = None
_browser_lock = threading.Lock()  # one PDF's figures at a time in the one browser
_idle_timer: threading.Timer | None = None


def _draw(figs: dict[str, dict[str, Any]], browser: str) -> dict[str, bytes]:
    """The figures drawn in this process's browser (started if needed, or if ``browser`` is
    another one); a failure closes it, so the next PDF starts afresh."""
    global _browser
    plotly_js = _plotly_js()
    with _browser_lock:
        _stop_idle_timer()
        if _browser is not None and (
            _browser.pid != os.getpid() or _browser.key != (browser, str(plotly_js))
        ):
            _browser.close()
            _browser = None
        if _browser is None:
            _browser = _Browser(browser, plotly_js)
        try:
            return _browser.draw(figs)
        except BaseException:
            _browser.close()
            _browser = None
            raise
        finally:
            _start_idle_timer()


def _stop_idle_timer() -> None:
    global _idle_timer
    if _idle_timer is not None:
        _idle_timer.cancel()
        _idle_timer = None


def _start_idle_timer() -> None:
    global _idle_timer
    if _browser is not None:
        _idle_timer = threading.Timer(IDLE, close_browser)
        _idle_timer.daemon = True
        _idle_timer.start()


def close_browser() -> None:
    """Close this process's drawing browser, if one is open (idle, at exit, tests)."""
    global _browser
    with _browser_lock:
        _stop_idle_timer()
        if _browser is not None:
            _browser.close()
            _browser = None


atexit.register(close_browser)


def missing_note() -> str:
    return _(
        "The chart could not be drawn for this PDF (no chart renderer on the server); "
        "the table shows the same numbers."
    )


def render(figures: Mapping[str, str | Mapping[str, Any] | None], lang: str) -> dict[str, bytes]:
    """PNG bytes per figure name for the figures that could be drawn (cached ones at once,
    the rest in one browser); the others are left out. Never raises for a chart."""
    prepared: dict[str, dict[str, Any]] = {}
    for name, figure in figures.items():
        if not figure:
            continue
        try:
            prepared[name] = prepare(figure, lang)
        except (ValueError, TypeError):
            current_app.logger.warning("chart image: figure %s is not valid JSON", name)
    images: dict[str, bytes] = {}
    todo: dict[str, dict[str, Any]] = {}
    with _lock:
        for name, fig in prepared.items():
            key = _key(fig)
            if key in _cache:
                _cache.move_to_end(key)
                images[name] = _cache[key]
            else:
                todo[name] = fig
    if not todo:
        return images
    browser = browser_path()
    if browser is None:
        return images
    try:
        drawn = _draw(todo, browser)
    except Exception:  # noqa: BLE001 - a chart never stops a PDF; the page says it is missing
        current_app.logger.warning("chart image: could not draw %s", sorted(todo), exc_info=True)
        return images
    with _lock:
        for name, png in drawn.items():
            images[name] = png
            _cache[_key(todo[name])] = png
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return images


def for_pdf(
    figures: Mapping[str, str | Mapping[str, Any] | None], lang: str
) -> tuple[dict[str, ChartImage], dict[str, bytes]]:
    """The charts of one PDF: what its template shows per figure name, and the image files to
    hand to ``render_pdf(html, images=…)``."""
    pngs = render(figures, lang)
    charts: dict[str, ChartImage] = {}
    files: dict[str, bytes] = {}
    note = missing_note()
    for name, figure in figures.items():
        if not figure:
            continue
        try:
            layout = prepare(figure, lang)["layout"]
            width, height = int(layout["width"]), int(layout["height"])
        except (ValueError, TypeError):
            width, height = WIDTH, HEIGHT
        png = pngs.get(name)
        if png is None:
            charts[name] = ChartImage(name, None, width, height, note)
            continue
        filename = re.sub(r"[^a-z0-9_-]", "-", name.lower()) + ".png"
        files[filename] = png
        charts[name] = ChartImage(name, f"/{IMAGE_PREFIX}{filename}", width, height)
    return charts, files


def clear_cache() -> None:
    """Forget every image (tests)."""
    with _lock:
        _cache.clear()

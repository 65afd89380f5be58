"""Time and memory of hostile uploads: a million-row self-assessment workbook, a zip bomb, and
the same against the standards import (issue 12, item 7).

    .venv/bin/python -m benchmarks.hostile_uploads [--rows 1000000] [--bomb-mb 1024]

Builds each file in memory (a few seconds), then posts it through the test client as a signed-in
unit member (self-assessment) or admin (standards import), and prints per case: the answer's
status, its size, the server time, Python's peak memory during the request (tracemalloc) and
the growth of the process's peak resident size. A fresh SQLite file; the world of the tests
(six standards). Refused uploads answer 422 with one message, quickly and in little memory.
"""

from __future__ import annotations

import argparse
import io
import re
import resource
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHEET = "xl/worksheets/sheet1.xml"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rewrite(
    template: bytes, sheet: Callable[[bytes, Any], None] | None, bomb_mb: int = 0
) -> bytes:
    """``template`` with sheet1 written by ``sheet(original_xml, writable)``, or with a member
    of ``bomb_mb`` MB of zeros (1 MB compressed per GB)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for info in source.infolist():
            content = source.read(info)
            if info.filename == SHEET and sheet is not None:
                with target.open(SHEET, "w", force_zip64=True) as fh:
                    sheet(content, fh)
            else:
                target.writestr(info.filename, content)
        if bomb_mb:
            chunk = bytes(1024 * 1024)
            with target.open("xl/media/image1.bin", "w", force_zip64=True) as fh:
                for _ in range(bomb_mb):
                    fh.write(chunk)
    return out.getvalue()


def million_rows(rows: int, *, dimension: bool) -> Callable[[bytes, Any], None]:
    """The sheet's own rows, then ``rows`` more, each with a number in the code column (what
    an attacker, or a runaway macro, produces); the declared size removed unless
    ``dimension``."""

    def write(original: bytes, fh: Any) -> None:
        text = original.decode("utf-8")
        head, tail = text.split("</sheetData>")
        declared = '<dimension ref="A1:I1048576"/>' if dimension else ""
        head = re.sub(r"<dimension [^>]*/>", declared, head)
        fh.write(head.encode("utf-8"))
        for n in range(100, 100 + rows):
            fh.write(f'<row r="{n}"><c r="H{n}"><v>{n}</v></c></row>'.encode())
        fh.write(("</sheetData>" + tail).encode("utf-8"))

    return write


def whitespace_bomb(megabytes: int) -> Callable[[bytes, Any], None]:
    """The sheet with ``megabytes`` MB of spaces between its rows (valid XML; deflates ~1000:1)."""

    def write(original: bytes, fh: Any) -> None:
        head, tail = original.split(b"</sheetData>")
        fh.write(head)
        chunk = b" " * (1024 * 1024)
        for _ in range(megabytes):
            fh.write(chunk)
        fh.write(b"</sheetData>" + tail)

    return write


def measure(label: str, post: Callable[[], Any]) -> None:
    rss_before = _rss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    response = post()
    body = response.get_data()
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"| {label} | {response.status_code} | {len(body) / 1024:,.0f} KB | {elapsed:,.2f} s "
        f"| {peak / 1024 / 1024:,.1f} MB | +{_rss_mb() - rss_before:,.0f} MB |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bomb-mb", type=int, default=1024)
    args = parser.parse_args()

    from benchmarks.common import fresh_app
    from kvip.extensions import db
    from tests.conftest import login
    from tests.factories import build_world
    from tests.standards.conftest import make_xlsx, sheet_row

    app = fresh_app()  # uploads up to KVIP_MAX_UPLOAD_BYTES (10 MB): every file here fits
    with app.app_context():
        world = build_world()
        member = login(app.test_client(), world.users["member"])
        admin = login(app.test_client(), world.users["admin"])
        url = f"/cycles/assessments/{world.assessment.id}/import"
        template = member.get(f"/cycles/assessments/{world.assessment.id}/export.xlsx").data
        standards = make_xlsx([sheet_row(code=f"1.{i}") for i in range(1, 4)])

        def upload(data: bytes) -> Callable[[], Any]:
            return lambda: member.post(
                url,
                data={"file": (io.BytesIO(data), "egenvurdering.xlsx")},
                content_type="multipart/form-data",
            )

        def import_standards(data: bytes) -> Callable[[], Any]:
            return lambda: admin.post(
                "/standards/editions/import",
                data={
                    "file": (io.BytesIO(data), "standarder.xlsx"),
                    "slug": "bench",
                    "name_nb": "Bench",
                    "name_en": "Bench",
                    "version": "1",
                },
            )

        print("building the files…", file=sys.stderr, flush=True)
        files = {
            "rows_no_dim": _rewrite(template, million_rows(args.rows, dimension=False)),
            "rows_dim": _rewrite(template, million_rows(args.rows, dimension=True)),
            "bomb": _rewrite(template, None, bomb_mb=args.bomb_mb),
            "ws_bomb": _rewrite(template, whitespace_bomb(args.bomb_mb)),
            "std_rows": _rewrite(standards, million_rows(args.rows, dimension=False)),
        }
        mb = {k: len(v) / 1024 / 1024 for k, v in files.items()}
        print("| upload | status | answer | time | Python peak | resident growth |")
        print("|---|---|---|---|---|---|")
        measure("honest self-assessment (the downloaded template)", upload(template))
        measure(
            f"self-assessment, {args.rows:,} rows, no declared size ({mb['rows_no_dim']:.1f} MB)",
            upload(files["rows_no_dim"]),
        )
        measure(
            f"self-assessment, {args.rows:,} rows, declared size ({mb['rows_dim']:.1f} MB)",
            upload(files["rows_dim"]),
        )
        measure(
            f"self-assessment, zip bomb: {args.bomb_mb:,} MB of zeros in a member "
            f"({mb['bomb']:.1f} MB)",
            upload(files["bomb"]),
        )
        measure(
            f"self-assessment, zip bomb: {args.bomb_mb:,} MB of spaces in the sheet "
            f"({mb['ws_bomb']:.1f} MB)",
            upload(files["ws_bomb"]),
        )
        measure(
            f"standards import, {args.rows:,} rows ({mb['std_rows']:.1f} MB)",
            import_standards(files["std_rows"]),
        )
        db.session.remove()


if __name__ == "__main__":
    main()

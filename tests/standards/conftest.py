"""Fixtures and writers for the standards tests: editions written as YAML or as sheets with
known places, so tests can check that each problem is reported exactly where it is."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from openpyxl import Workbook

from kvip.config import ROOT
from kvip.core.models import AuditEvent
from kvip.extensions import db
from kvip.standards.models import (
    Domain,
    Edition,
    EditionImport,
    Standard,
    StandardDimension,
    StandardDuty,
    StandardMapping,
)
from kvip.standards.services import load_edition_dir
from kvip.standards.spreadsheet import COLUMNS

KVIP_2026 = ROOT / "standards" / "kvip-2026"
TABLES = (
    Edition,
    Domain,
    Standard,
    StandardDuty,
    StandardDimension,
    StandardMapping,
    EditionImport,
    AuditEvent,
)


def db_state() -> dict[str, int]:
    """Row counts of every table the standards module writes (and the audit log)."""
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
        for model in TABLES
    }


@pytest.fixture
def kvip2026(app: Flask) -> Edition:
    """The real 228-standard edition, loaded with the loader."""
    return load_edition_dir(KVIP_2026)


# --- a YAML edition writer that remembers where it put things ---------------------------------


@dataclass
class StdSpec:
    code: str
    type: Any = 1
    nb: str | None = "Krav på norsk"
    en: str | None = "Standard in English"
    guidance: tuple[str, str] | None = ("Dokumentasjon", "Documentation")
    duties: list[str] = field(default_factory=lambda: ["6a", "7c"])
    dimensions: list[str] = field(default_factory=lambda: ["safe"])
    methods: list[str] | None = None  # None: no "methods" field
    extra: dict[str, str] = field(default_factory=dict)  # unknown fields


@dataclass
class DomainSpec:
    code: str
    standards: list[StdSpec]
    malformed: bool = False


@dataclass
class Written:
    """Where things landed: ``lines[(file, what)] = line``."""

    root: Path
    lines: dict[tuple[str, str], int] = field(default_factory=dict)

    def place(self, file: str, what: str) -> str:
        return f"{self.root}/{file}:{self.lines[(file, what)]}"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_edition(
    root: Path,
    domains: list[DomainSpec],
    *,
    slug: str = "prop-edition",
    total: int | None = None,
    methods_required: bool = False,
    published: str = "2026-01-15",
) -> Written:
    """Write ``edition.yaml`` and one file per domain; returns the line of every item."""
    root.mkdir(parents=True, exist_ok=True)
    out = Written(root)
    n = sum(len(d.standards) for d in domains)
    ed = [
        f"slug: {slug}",
        "name:",
        "  nb: Utgave for test",
        "  en: Test edition",
        'version: "1.0"',
        f"published: {published}",
        f"total: {n if total is None else total}",
    ]
    out.lines[("edition.yaml", "total")] = 7
    if methods_required:
        ed.append("methods_required: true")
    ed.append("domains:")
    for d in domains:
        out.lines[("edition.yaml", f"domain {d.code}")] = len(ed) + 1
        ed += [
            f'  - code: "{d.code}"',
            f"    slug: omrade-{d.code}",
            f"    file: {d.code}-omrade.yaml",
            f"    title: {{nb: Område {d.code}, en: Domain {d.code}}}",
        ]
    (root / "edition.yaml").write_text("\n".join(ed) + "\n", encoding="utf-8")
    for d in domains:
        name = f"{d.code}-omrade.yaml"
        lines: list[str] = []
        for i, s in enumerate(d.standards):
            key = f"{i}"
            out.lines[(name, f"{key}.start")] = len(lines) + 1
            lines.append(f"- code: {_q(s.code)}")
            out.lines[(name, f"{key}.code")] = len(lines)
            if s.type is not None:
                lines.append(f"  type: {s.type}")
                out.lines[(name, f"{key}.type")] = len(lines)
            lines.append("  text:")
            out.lines[(name, f"{key}.text")] = len(lines)
            if s.nb is not None:
                lines.append(f"    nb: {_q(s.nb)}")
                out.lines[(name, f"{key}.nb")] = len(lines)
            if s.en is not None:
                lines.append(f"    en: {_q(s.en)}")
                out.lines[(name, f"{key}.en")] = len(lines)
            if s.guidance:
                lines += [
                    "  guidance:",
                    f"    nb: {_q(s.guidance[0])}",
                    f"    en: {_q(s.guidance[1])}",
                ]
            lines.append(f"  duties: [{', '.join(s.duties)}]")
            out.lines[(name, f"{key}.duties")] = len(lines)
            lines.append(f"  dimensions: [{', '.join(s.dimensions)}]")
            out.lines[(name, f"{key}.dimensions")] = len(lines)
            if s.methods is not None:
                lines.append(f"  methods: [{', '.join(s.methods)}]")
                out.lines[(name, f"{key}.methods")] = len(lines)
            for k, v in s.extra.items():
                lines.append(f"  {k}: {_q(v)}")
                out.lines[(name, f"{key}.extra.{k}")] = len(lines)
        if d.malformed:
            lines.append('- code: "broken"')
            lines.append("  text: [unclosed, list")
            out.lines[(name, "malformed")] = len(lines)
        (root / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def simple_domains(per_domain: tuple[int, ...] = (2, 2)) -> list[DomainSpec]:
    duties = ["6a", "6b", "6c", "6d", "6e", "6f", "6g", "7a", "7b", "7c", "7d", "7e"]
    return [
        DomainSpec(
            str(d),
            [
                StdSpec(
                    f"{d}.{s}",
                    type=(s % 3) + 1,
                    nb=f"Krav {d}.{s} om pårørende",
                    en=f"Standard {d}.{s} about families",
                    duties=[duties[(d + s) % len(duties)]],
                )
                for s in range(1, count + 1)
            ],
        )
        for d, count in enumerate(per_domain, start=1)
    ]


# --- sheets -----------------------------------------------------------------------------------


def sheet_row(**over: Any) -> dict[str, Any]:
    row = {
        "domain": "1",
        "domain_slug": "omrade-1",
        "domain_title_nb": "Område 1",
        "domain_title_en": "Domain 1",
        "code": "1.1",
        "type": 1,
        "text_nb": "Krav på norsk",
        "text_en": "Standard in English",
        "guidance_nb": "",
        "guidance_en": "",
        "duties": "6a, 7c",
        "dimensions": "safe",
    }
    row.update(over)
    return row


def make_xlsx(rows: list[dict[str, Any]], columns: tuple[str, ...] = COLUMNS) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Standards"
    ws.append(list(columns))
    for row in rows:
        ws.append([row.get(c) for c in columns])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def make_csv(rows: list[dict[str, Any]], delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in COLUMNS])
    return buf.getvalue().encode(encoding)

"""Demo data: the KvIP 2026 edition of the standards, loaded with the real loader."""

from __future__ import annotations

from typing import Any

from kvip.config import ROOT
from kvip.standards.services import load_edition_dir

EDITION_DIR = ROOT / "standards" / "kvip-2026"


def populate(ctx: Any) -> None:
    """Load ``standards/kvip-2026`` and share it as ``ctx.extra["edition"]`` (``ctx`` is
    :class:`kvip.demo.DemoContext`; the demo package sits above the modules it calls)."""
    ctx.extra["edition"] = load_edition_dir(EDITION_DIR)

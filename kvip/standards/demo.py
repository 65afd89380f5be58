"""Demo data: the KvIP 2026 edition of the standards, loaded with the real loader."""

from __future__ import annotations

from kvip.config import ROOT
from kvip.demo import DemoContext
from kvip.standards.services import load_edition_dir

EDITION_DIR = ROOT / "standards" / "kvip-2026"


def populate(ctx: DemoContext) -> None:
    """Load ``standards/kvip-2026`` and share it as ``ctx.extra["edition"]``."""
    ctx.extra["edition"] = load_edition_dir(EDITION_DIR)

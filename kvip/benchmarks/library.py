"""The good-practice library: every good-practice observation of final reports in the network,
searchable by standard, domain and text, pseudonymised unless the viewer may see names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from kvip.benchmarks import queries, summaries
from kvip.benchmarks.context import Column, Pseudonyms, Table, add_labels, viewer_for
from kvip.benchmarks.frames import rows_of
from kvip.core.i18n import lang as current_lang
from kvip.cycles.models import Cycle
from kvip.extensions import db
from kvip.network.models import Network
from kvip.standards.models import Domain

PAGE_SIZE = 25
EXPORT_LIMIT = 10_000


@dataclass
class Search:
    text: str = ""
    domain: str = ""
    standard: str = ""
    cycle_id: int | None = None
    page: int = 1

    def args(self, **extra: Any) -> dict[str, Any]:
        values = {
            "q": self.text,
            "domain": self.domain,
            "standard": self.standard,
            "cycle": self.cycle_id,
            "page": self.page if self.page > 1 else None,
        }
        values.update(extra)
        return {k: v for k, v in values.items() if v not in (None, "")}


@dataclass
class Library:
    network: Network
    search: Search
    total: int
    table: Table
    cycles: list[tuple[int, str]] = field(default_factory=list)
    domains: list[tuple[str, str]] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def parse(args: Mapping[str, Any]) -> Search:
    def text(name: str, limit: int) -> str:
        return str(args.get(name) or "").strip()[:limit]

    try:
        cycle_id = int(args["cycle"]) if args.get("cycle") else None
    except (TypeError, ValueError):
        cycle_id = None
    try:
        page = max(1, int(args.get("page") or 1))
    except (TypeError, ValueError):
        page = 1
    return Search(text("q", 200), text("domain", 10), text("standard", 10), cycle_id, page)


def build(user: Any, network: Network, search: Search, *, export: bool = False) -> Library:
    """One page of matches (or every match, for an export)."""
    lang = current_lang()
    cycles = db.session.execute(
        sa.select(Cycle.id, Cycle.name)
        .where(Cycle.network_id == network.id)
        .order_by(Cycle.year.desc(), Cycle.id.desc())
    ).all()
    if search.cycle_id is not None and search.cycle_id not in {c for c, _ in cycles}:
        search.cycle_id = None
    # Labels need each cycle's pseudonyms: make sure they exist.
    summaries.ensure_fresh([search.cycle_id] if search.cycle_id else [c for c, _ in cycles])
    domain_rows = db.session.execute(
        sa.select(Domain.code, Domain.title_nb, Domain.title_en)
        .join(Cycle, Cycle.edition_id == Domain.edition_id)
        .where(Cycle.network_id == network.id)
        .distinct()
        .order_by(Domain.code)
    ).all()
    domains: dict[str, str] = {}
    for code, nb, en in domain_rows:
        domains.setdefault(code, f"{code} {en if lang == 'en' and en else nb}")
    viewer = viewer_for(user, network)
    limit = EXPORT_LIMIT if export else PAGE_SIZE
    offset = 0 if export else (search.page - 1) * PAGE_SIZE
    df, total = queries.observations(
        network.id,
        viewer,
        kind="good_practice",
        cycle_id=search.cycle_id,
        standard_code=search.standard or None,
        domain_code=search.domain or None,
        text=search.text,
        limit=limit,
        offset=offset,
    )
    df = add_labels(df, Pseudonyms(lang))  # unfiltered: each cycle's stable pseudonyms
    rows = []
    for r in rows_of(df) if not df.empty else []:
        title = r.domain_title_en if lang == "en" and r.domain_title_en else r.domain_title_nb
        rows.append(
            {
                "text": r.text,
                "standards": ", ".join(r.standard_codes),
                "domain": f"{r.domain_code} {title}" if r.domain_code else "–",
                "unit": r.label,
                "cycle": r.cycle_name,
                # For "ask to learn" (the page only; exports keep their columns).
                "observation_id": int(r.observation_id),
                "own": bool(r.own),
            }
        )
    table = Table(
        name="good_practice",
        title=_("Good practice"),
        columns=[
            Column("text", _("Good practice")),
            Column("standards", _("Standards")),
            Column("domain", _("Domain")),
            Column("unit", _("Unit")),
            Column("cycle", _("Cycle")),
        ],
        rows=rows,
    )
    return Library(
        network=network,
        search=search,
        total=total,
        table=table,
        cycles=[(int(c), str(n)) for c, n in cycles],
        domains=sorted(domains.items()),
    )

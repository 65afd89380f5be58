"""A report on an edition's content for its writers:
``python tools/edition_report.py standards/kvip-2027 [--top 25] [--group A=1,2 …]``.

Prints how duties, quality dimensions and methods are spread (overall and per group of
domains, with the bars of the kvip-2027 plan), the standards outside those bars, type-1
standards whose guidance cites no provision, and the most similar pairs of standards (those at
or above the near-duplicate threshold marked ``!!``). It reads the files only: no database.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from kvip.standards.loader import parse_edition_dir
from kvip.standards.quality import THRESHOLD, similar_pairs, spread

DEFAULT_GROUPS = {"A": ("1", "2"), "B": ("3", "4"), "C": ("5", "6", "7")}
# The kvip-2027 plan: most standards one duty may have within a group, and overall bars.
GROUP_DUTY_MAX = {"A": 11, "B": 14, "C": 15}
DUTY_RANGE = (5, 40)


def _groups(values: list[str]) -> dict[str, tuple[str, ...]]:
    if not values:
        return DEFAULT_GROUPS
    out = {}
    for value in values:
        name, _sep, domains = value.partition("=")
        out[name] = tuple(d.strip() for d in domains.split(",") if d.strip())
    return out


def _table(title: str, counts: dict[str, int], flag: object = None) -> None:
    print(f"\n{title}")
    width = max((len(k) for k in counts), default=4)
    for key, n in counts.items():
        mark = ""
        if callable(flag) and flag(key, n):
            mark = "  <-- outside the bar"
        print(f"  {key:<{width}}  {n:4d}  {'#' * min(n, 60)}{mark}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="an edition folder, e.g. standards/kvip-2027")
    parser.add_argument("--top", type=int, default=25, help="similar pairs to list (25)")
    parser.add_argument("--group", action="append", default=[], help="NAME=1,2 (repeatable)")
    args = parser.parse_args(argv)

    data, problems = parse_edition_dir(args.path)
    if data is None:
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problem(s): fix them first (flask --app kvip standards check)")
        return 1
    standards = data.standards
    groups = _groups(args.group)
    domain_of = {s.code: d.code for d in data.domains for s in d.standards}

    print(f"{data.slug}: {len(standards)} standards (declared {data.total})")
    print("  per domain: " + ", ".join(f"{d.code}: {len(d.standards)}" for d in data.domains))
    for name, domains in groups.items():
        n = sum(1 for s in standards if domain_of[s.code] in domains)
        print(f"  group {name} (domains {', '.join(domains)}): {n}")
    types = Counter(s.type for s in standards)
    print("  per type: " + ", ".join(f"type {t}: {types[t]}" for t in (1, 2, 3)))

    low, high = DUTY_RANGE
    _table(
        f"Duties (standards per duty; bar {low}–{high})",
        spread(standards, "duties"),
        lambda _k, n: not low <= n <= high,
    )
    for name, domains in groups.items():
        members = [s for s in standards if domain_of[s.code] in domains]
        counts = spread(members, "duties")
        limit = GROUP_DUTY_MAX.get(name)
        over = {k: n for k, n in counts.items() if limit is not None and n > limit}
        missing = [k for k, n in counts.items() if n == 0]
        print(
            f"  group {name}: most on one duty {max(counts.values(), default=0)}"
            + (f" (bar {limit})" if limit else "")
            + (f"; over the bar: {over}" if over else "")
            + (f"; duties not served: {', '.join(missing)}" if missing else "")
        )
    _table("Quality dimensions", spread(standards, "dimensions"))
    _table("Methods", spread(standards, "methods"))

    print("\nStandards outside the per-standard bars")
    checks = [
        ("1–3 duties", lambda s: not 1 <= len(s.duties) <= 3),
        ("1–2 dimensions", lambda s: not 1 <= len(s.dimensions) <= 2),
        ("methods", lambda s: not s.methods),
        ("guidance in nb and en", lambda s: not (s.guidance_nb and s.guidance_en)),
        (
            "type 1 citing a provision (§ / section)",
            lambda s: (
                s.type == 1
                and not ("§" in s.guidance_nb and re.search(r"\bsections?\b", s.guidance_en, re.I))
            ),
        ),
    ]
    for label, bad in checks:
        codes = [s.code for s in standards if bad(s)]
        print(f"  without {label}: {', '.join(codes) if codes else 'none'}")

    texts = {s.code: s.text_nb for s in standards}
    pairs = similar_pairs(texts)[: args.top]
    flagged = sum(1 for p in similar_pairs(texts, THRESHOLD))
    print(
        f"\nMost similar pairs (Norwegian texts; !! = at or above {THRESHOLD}, "
        f"{flagged} pair(s) in all)"
    )
    for p in pairs:
        mark = "!!" if p.score >= THRESHOLD else "  "
        print(f"{mark} {p.score:.2f}  {p.a:>5} «{texts[p.a]}»")
        print(f"{'':10}{p.b:>5} «{texts[p.b]}»")
    return 0


if __name__ == "__main__":
    sys.exit(main())

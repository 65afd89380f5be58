"""Bulk inserts (COPY on PostgreSQL, executemany on SQLite) and the edition to rate against."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from kvip.benchmarks.synthetic.content import DOMAINS, DUTIES, TOPICS


class Inserter:
    """Bulk inserts of tuples: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.raw: Any = connection.connection.driver_connection

    def _adapt(self, value: Any) -> Any:
        if self.postgres:
            return value
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, date):
            return value.isoformat()
        return value

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        cols = ", ".join(columns)
        n = 0
        if self.postgres:
            with self.raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            return n
        marks = ", ".join("?" for _ in columns)
        cur = self.raw.cursor()
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(tuple(self._adapt(v) for v in row))
            if len(batch) >= 50_000:
                cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", batch)
                n += len(batch)
                batch = []
        if batch:
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", batch)
            n += len(batch)
        return n

    def next_id(self, table: str) -> int:
        return int(
            self.connection.execute(
                sa.text(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
            ).scalar_one()
        )

    def fix_sequence(self, table: str) -> None:
        if self.postgres:
            self.connection.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            )


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _edition(
    ins: Inserter, slug: str | None, now: datetime
) -> tuple[int, list[tuple[int, str, int, str]]]:
    """The edition to use: an existing one by slug, or the synthetic 228-standard edition.
    Returns its id and (standard id, domain code, type, code) in order."""
    conn = ins.connection
    target = slug or "synthetic-228"
    edition_id = conn.execute(
        sa.text("SELECT id FROM editions WHERE slug = :s"), {"s": target}
    ).scalar()
    if edition_id is None:
        if slug:
            raise ValueError(f"no edition with slug {slug!r} (load it with flask standards load)")
        edition_id = ins.next_id("editions")
        ins.insert(
            "editions",
            [
                "id",
                "slug",
                "name_nb",
                "name_en",
                "version",
                "published",
                "total",
                "frozen",
                "content_hash",
                "loaded_at",
            ],
            [
                (
                    edition_id,
                    target,
                    "Syntetiske standarder",
                    "Synthetic standards",
                    "1.0",
                    now.date(),
                    228,
                    True,
                    "",
                    now,
                )
            ],
        )
        domain_id = ins.next_id("domains")
        std_id = ins.next_id("standards")
        rng = random.Random(228)
        domains, stds, duties, dims = [], [], [], []
        for position, (code, dslug, nb, en, size) in enumerate(DOMAINS, start=1):
            domains.append((domain_id, edition_id, code, dslug, nb, en, position))
            for i in range(1, size + 1):
                stype = _pick(rng, [("1", 0.3), ("2", 0.5), ("3", 0.2)])
                stds.append(
                    (
                        std_id,
                        edition_id,
                        domain_id,
                        f"{code}.{i}",
                        int(stype),
                        f"Syntetisk standard {code}.{i} om {TOPICS[code][i % 3]}.",
                        f"Synthetic standard {code}.{i}.",
                        "",
                        "",
                        i,
                    )
                )
                for duty in rng.sample(DUTIES, 2):
                    duties.append((std_id, duty))
                dims.append(
                    (
                        std_id,
                        rng.choice(
                            [
                                "effective",
                                "safe",
                                "user_involvement",
                                "coordinated",
                                "resources",
                                "accessible",
                            ]
                        ),
                    )
                )
                std_id += 1
            domain_id += 1
        ins.insert(
            "domains",
            ["id", "edition_id", "code", "slug", "title_nb", "title_en", "position"],
            domains,
        )
        ins.insert(
            "standards",
            [
                "id",
                "edition_id",
                "domain_id",
                "code",
                "type",
                "text_nb",
                "text_en",
                "guidance_nb",
                "guidance_en",
                "position",
            ],
            stds,
        )
        ins.insert("standard_duties", ["standard_id", "duty"], duties)
        ins.insert("standard_dimensions", ["standard_id", "dimension"], dims)
        for table in ("editions", "domains", "standards"):
            ins.fix_sequence(table)
    rows = conn.execute(
        sa.text(
            "SELECT s.id, d.code, s.type, s.code FROM standards s JOIN domains d ON d.id = s.domain_id "
            "WHERE s.edition_id = :e ORDER BY d.position, s.position, s.id"
        ),
        {"e": edition_id},
    ).all()
    conn.execute(
        sa.text("UPDATE editions SET frozen = :t WHERE id = :e"), {"t": True, "e": edition_id}
    )
    return int(edition_id), [(int(a), str(b), int(c), str(d)) for a, b, c, d in rows]

"""A deterministic, realistic synthetic network for scale tests (``flask demo generate``).

Ratings come from a latent quality per unit × standard × cycle: a unit effect, a standard
effect (essential standards a little easier), a unit-specific year-on-year improvement and
noise; units rate themselves slightly higher than the review teams do. N/A is a fixed property
of a unit × standard. Everything is inserted in bulk (COPY on PostgreSQL, executemany of
tuples on SQLite), cycle by cycle, in one transaction per cycle.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from kvip.extensions import db

DOMAINS = [
    ("1", "miljo-og-fasiliteter", "Miljø og fasiliteter", "Environment and facilities", 30),
    ("2", "bemanning-og-opplaering", "Bemanning og opplæring", "Staffing and training", 32),
    ("3", "innleggelse-og-utskriving", "Innleggelse og utskriving", "Admission and discharge", 34),
    ("4", "behandling-og-omsorg", "Behandling og omsorg", "Treatment and care", 48),
    (
        "5",
        "informasjon-samtykke-og-taushetsplikt",
        "Informasjon, samtykke og taushetsplikt",
        "Information, consent and confidentiality",
        28,
    ),
    ("6", "rettigheter-og-lovverket", "Rettigheter og lovverket", "Rights and legislation", 28),
    ("7", "klinisk-virksomhetsstyring", "Klinisk virksomhetsstyring", "Clinical governance", 28),
]
DUTIES = [f"6{c}" for c in "abcdefg"] + [f"7{c}" for c in "abcde"] + [f"8{c}" for c in "abcdef"]
DUTIES += [f"9{c}" for c in "abc"]
REGIONS = [("Sør-Øst", 0.45), ("Vest", 0.22), ("Midt-Norge", 0.15), ("Nord", 0.18)]
KINDS = [
    ("general", 0.45),
    ("acute", 0.25),
    ("specialised", 0.15),
    ("forensic", 0.07),
    ("outpatient", 0.08),
]
KIND_NAMES = {
    "general": "Døgnpost barn og unge",
    "acute": "Akuttpost ungdom",
    "specialised": "Regional spesialpost",
    "forensic": "Sikkerhetspost",
    "outpatient": "Dagenhet",
}
PLACES = [
    "Fjordvik",
    "Nordlia",
    "Sørstrand",
    "Innlandet",
    "Midtbyen",
    "Kystlandet",
    "Østmark",
    "Fjellheim",
    "Elvedal",
    "Solberg",
    "Havnevik",
    "Lyngmo",
    "Bjørkly",
    "Eikeland",
    "Furuset",
    "Granli",
    "Haugen",
    "Kleiva",
    "Lia",
    "Moen",
    "Nesset",
    "Oddevik",
    "Rustad",
    "Skogli",
    "Tveit",
    "Vik",
    "Åsen",
    "Øyane",
    "Breivik",
    "Dalen",
]
TOPICS = {
    "1": [
        "skjerming og fellesarealer",
        "vedlikehold av de fysiske omgivelsene",
        "tilgang til uteområder",
    ],
    "2": ["opplæring av nyansatte", "veiledning av personalet", "bemanning på kveld og natt"],
    "3": ["innkomstsamtalen", "utskrivingsplanlegging", "samarbeidet med kommunen ved utskriving"],
    "4": [
        "individuelle behandlingsplaner",
        "miljøterapeutisk arbeid",
        "oppfølging av somatisk helse",
    ],
    "5": ["informasjon til foreldre", "samtykke til behandling", "taushetsplikt overfor skolen"],
    "6": ["vedtak om tvang", "klageretten", "etterkontroll etter bruk av tvang"],
    "7": ["avvikshåndtering", "kvalitetsforbedringsarbeidet", "brukerundersøkelser"],
}
GOOD = [
    "Posten har en godt innarbeidet rutine for {t}, som alle ansatte vi snakket med kjente godt.",
    "Ungdommene beskrev {t} som trygt og forutsigbart.",
    "Tydelig skriftlig prosedyre for {t}, som evalueres jevnlig i personalmøtene.",
    "Brukerrådet har vært med på å utforme {t}, og det merkes i hverdagen.",
    "Faste refleksjonsmøter om {t} gir felles praksis på tvers av vaktlagene.",
]
IMPROVE = [
    "Rutinen for {t} er ikke kjent av alle ansatte.",
    "Dokumentasjonen av {t} var mangelfull i journalene teamet gikk gjennom.",
    "Foreldrene savnet informasjon om {t}.",
    "Det er ulik praksis for {t} mellom vaktlagene.",
]
RECOMMEND = [
    "Vurder en felles sjekkliste for {t}.",
    "Involver ungdomsrådet når rutinen for {t} revideres.",
    "Del erfaringene med {t} med de andre postene i nettverket.",
]
VALUES = np.array(["not_met", "partly_met", "met", "not_applicable"], dtype=object)
PASSWORD = "demo-password"


@dataclass
class Result:
    network_id: int
    slug: str
    units: int
    cycles: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


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


def generate(
    units: int,
    cycles: int,
    seed: int,
    *,
    edition_slug: str | None = None,
    echo: Callable[[str], None] = print,
    today: date | None = None,
) -> Result:
    """Create the network ``synthetic-<seed>-<units>x<cycles>``; the same arguments give the
    same network (names, ratings, visits, observations) on any database."""
    from kvip.benchmarks import summaries

    if units < 1 or cycles < 1:
        raise ValueError("units and cycles must be at least 1")
    started = time.perf_counter()
    db.session.commit()
    gen = _Generator(units, cycles, seed, today or date.today())
    with db.engine.begin() as conn:
        gen.setup(Inserter(conn), edition_slug)
    result = Result(gen.network_id, gen.slug, units, cycles)
    result.counts.update(units=units, institutions=len(gen.institutions), users=gen.n_users)
    result.seconds["setup"] = time.perf_counter() - started
    for c in range(cycles):
        t0 = time.perf_counter()
        with db.engine.begin() as conn:
            gen.cycle(Inserter(conn), c)
        year = gen.first_year + c
        result.seconds[f"cycle {year}"] = time.perf_counter() - t0
        echo(f"  cycle {year}: {time.perf_counter() - t0:.1f} s")
    result.counts.update(gen.totals)
    t0 = time.perf_counter()
    # Fresh statistics after a bulk load, so the planner picks the indexes.
    with db.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    result.seconds["analyze"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    db.session.expire_all()
    built = summaries.refresh_all(gen.network_id)
    result.seconds["summaries"] = time.perf_counter() - t0
    result.counts["cycles"] = len(built)
    result.seconds["total"] = time.perf_counter() - started
    return result


class _Generator:
    """The state of one generation: the network's people and the latent quality model."""

    def __init__(self, units: int, cycles: int, seed: int, today: date) -> None:
        self.units = units
        self.cycles = cycles
        self.seed = seed
        self.slug = f"synthetic-{seed}-{units}x{cycles}"
        self.rng = random.Random(seed)
        self.nrng = np.random.default_rng(seed)
        self.today = today
        self.now = datetime(today.year, today.month, today.day, 12, 0, 0)
        self.first_year = today.year - cycles + 1
        self.totals = {
            k: 0 for k in ("ratings", "findings", "visits", "observations", "actions", "reports")
        }
        self.institutions: list[tuple[int, int, str, str]] = []
        self.unit_inst: list[int] = []
        self.lead_of: dict[int, int] = {}
        self.reviewers: list[tuple[int, int]] = []
        self.n_users = 0

    # --- the network ------------------------------------------------------------------------

    def setup(self, ins: Inserter, edition_slug: str | None) -> None:
        from kvip.accounts.services import hash_password

        conn, rng, now, units = ins.connection, self.rng, self.now, self.units
        if conn.execute(
            sa.text("SELECT 1 FROM networks WHERE slug = :s"), {"s": self.slug}
        ).first():
            raise ValueError(f"the synthetic network {self.slug} already exists")
        self.edition_id, self.standards = _edition(ins, edition_slug, now)
        self.network_id = network_id = ins.next_id("networks")
        ins.insert(
            "networks",
            ["id", "name", "slug", "benchmark_visibility", "min_group_size", "created_at"],
            [
                (
                    network_id,
                    f"Syntetisk nettverk {units} enheter (seed {self.seed})",
                    self.slug,
                    "pseudonymised",
                    3,
                    now,
                )
            ],
        )
        ins.fix_sequence("networks")
        n_inst = max(2, units // 3)
        inst_id = ins.next_id("institutions")
        for i in range(n_inst):
            place = PLACES[i % len(PLACES)]
            suffix = f" {i // len(PLACES) + 1}" if i >= len(PLACES) else ""
            self.institutions.append(
                (inst_id + i, network_id, f"{place}{suffix} sykehus HF", _pick(rng, REGIONS))
            )
        ins.insert("institutions", ["id", "network_id", "name", "region"], self.institutions)
        ins.fix_sequence("institutions")
        self.unit_id0 = ins.next_id("units")
        unit_rows = []
        for i in range(units):
            inst = self.institutions[rng.randrange(n_inst) if i >= n_inst else i]
            kind = _pick(rng, KINDS)
            unit_rows.append(
                (
                    self.unit_id0 + i,
                    network_id,
                    inst[0],
                    f"{KIND_NAMES[kind]} {i + 1:04d}",
                    kind,
                    rng.randint(4, 12),
                    inst[3],
                    True,
                )
            )
            self.unit_inst.append(inst[0])
        ins.insert(
            "units",
            ["id", "network_id", "institution_id", "name", "kind", "beds", "region", "active"],
            unit_rows,
        )
        ins.fix_sequence("units")
        # Users: a coordinator, a lead per unit, a reviewer pool from every institution.
        pw = hash_password(PASSWORD)
        user_id = ins.next_id("users")
        users: list[tuple[Any, ...]] = [
            (
                user_id,
                f"coordinator@{self.slug}.kvip",
                "Koordinator (syntetisk)",
                pw,
                "nb",
                True,
                False,
                None,
                f"c{user_id}",
                now,
            )
        ]
        for i in range(units):
            uid = user_id + 1 + i
            self.lead_of[self.unit_id0 + i] = uid
            users.append(
                (
                    uid,
                    f"lead{i + 1:04d}@{self.slug}.kvip",
                    f"Leder {i + 1:04d}",
                    pw,
                    "nb",
                    True,
                    False,
                    self.unit_inst[i],
                    f"l{uid}",
                    now,
                )
            )
        for j in range(max(6, units // 4)):
            uid = user_id + 1 + units + j
            home = self.institutions[j % n_inst][0]
            self.reviewers.append((uid, home))
            users.append(
                (
                    uid,
                    f"reviewer{j + 1:04d}@{self.slug}.kvip",
                    f"Fagfelle {j + 1:04d}",
                    pw,
                    "nb",
                    True,
                    False,
                    home,
                    f"r{uid}",
                    now,
                )
            )
        ins.insert(
            "users",
            [
                "id",
                "email",
                "name",
                "password_hash",
                "locale",
                "active",
                "is_admin",
                "home_institution_id",
                "auth_nonce",
                "created_at",
            ],
            users,
        )
        ins.fix_sequence("users")
        self.n_users = len(users)
        ins.insert(
            "memberships",
            ["user_id", "unit_id", "role"],
            [(lead, u, "unit_lead") for u, lead in self.lead_of.items()],
        )
        ins.insert(
            "network_roles",
            ["user_id", "network_id", "role", "trained_lead"],
            [(user_id, network_id, "coordinator", False)]
            + [
                (uid, network_id, "reviewer", j % 3 == 0)
                for j, (uid, _) in enumerate(self.reviewers)
            ],
        )
        # The latent model, fixed across cycles.
        nrng = self.nrng
        n_std = len(self.standards)
        self.std_ids = np.array([s[0] for s in self.standards])
        std_type = np.array([s[2] for s in self.standards])
        self.unit_effect = nrng.normal(0.0, 0.55, units)
        self.unit_slope = nrng.normal(0.10, 0.06, units)
        self.std_effect = nrng.normal(0.0, 0.7, n_std) + np.where(
            std_type == 1, 0.35, np.where(std_type == 3, -0.3, 0.0)
        )
        self.na_mask = nrng.random((units, n_std)) < 0.04
        self.unit_ids = np.arange(self.unit_id0, self.unit_id0 + units)

    # --- one cycle --------------------------------------------------------------------------

    def _codes(self, latent: np.ndarray) -> np.ndarray:
        out = np.where(latent > 0.9, 2, np.where(latent > 0.0, 1, 0))
        return np.where(self.na_mask, 3, out)

    def cycle(self, ins: Inserter, c: int) -> None:
        nrng, units = self.nrng, self.units
        year = self.first_year + c
        current = c == self.cycles - 1
        cycle_id = ins.next_id("cycles")
        ins.insert(
            "cycles",
            [
                "id",
                "network_id",
                "edition_id",
                "year",
                "name",
                "state",
                "self_assessment_opens",
                "self_assessment_closes",
                "visit_window_start",
                "visit_window_end",
                "created_at",
            ],
            [
                (
                    cycle_id,
                    self.network_id,
                    self.edition_id,
                    year,
                    f"Syklus {year}",
                    "open" if current else "closed",
                    date(year, 1, 15),
                    date(year, 3, 15),
                    date(year, 4, 1),
                    date(year, 10, 31),
                    datetime(year, 1, 2, 9),
                )
            ],
        )
        ins.fix_sequence("cycles")
        n_std = len(self.standards)
        latent = (
            0.55
            + self.unit_effect[:, None]
            + self.std_effect[None, :]
            + self.unit_slope[:, None] * c
            + nrng.normal(0.0, 0.5, (units, n_std))
        )
        # Units rate themselves a little higher than the review teams do.
        self_codes = self._codes(latent + 0.25 + nrng.normal(0.0, 0.2, (units, n_std)))
        peer_codes = self._codes(latent + nrng.normal(0.0, 0.35, (units, n_std)))
        draw = nrng.random(units)
        if current:
            states = np.where(
                draw < 0.8, "submitted", np.where(draw < 0.95, "in_progress", "not_started")
            )
        else:
            states = np.full(units, "submitted", dtype=object)
        assessment0 = ins.next_id("assessments")
        submitted_at = datetime(year, 3, 10, 14)
        ins.insert(
            "assessments",
            ["id", "cycle_id", "unit_id", "state", "submitted_at", "submitted_by_id"],
            (
                (
                    assessment0 + i,
                    cycle_id,
                    int(self.unit_ids[i]),
                    str(states[i]),
                    submitted_at if states[i] == "submitted" else None,
                    self.lead_of[int(self.unit_ids[i])] if states[i] == "submitted" else None,
                )
                for i in range(units)
            ),
        )
        ins.fix_sequence("assessments")
        partial = nrng.random((units, n_std)) < 0.6
        self.totals["ratings"] += ins.insert(
            "ratings",
            [
                "assessment_id",
                "standard_id",
                "value",
                "comment",
                "evidence",
                "evidence_links",
                "evidence_kinds",
                "carried_over",
                "version",
                "updated_at",
                "updated_by_id",
            ],
            self._rating_rows(self_codes, states, partial, assessment0, datetime(year, 2, 20, 10)),
        )
        visits = self._visits(ins, states, assessment0, year, current)
        completed = [(vid, i) for vid, i, state in visits if state == "completed"]
        team_of = self._teams(ins, visits)
        self.totals["findings"] += ins.insert(
            "findings",
            [
                "visit_id",
                "standard_id",
                "value",
                "comment",
                "version",
                "updated_at",
                "updated_by_id",
            ],
            self._finding_rows(
                peer_codes, completed, team_of, self.now if current else datetime(year, 9, 1)
            ),
        )
        self.totals["visits"] += len(visits)
        self._observations(ins, completed, peer_codes, team_of, assessment0, year, current)

    def _rating_rows(
        self,
        codes: np.ndarray,
        states: np.ndarray,
        partial: np.ndarray,
        assessment0: int,
        at: datetime,
    ) -> Iterable[tuple[Any, ...]]:
        names = VALUES[codes]
        for i in range(self.units):
            if states[i] == "not_started":
                continue
            lead = self.lead_of[int(self.unit_ids[i])]
            keep = partial[i] if states[i] == "in_progress" else None
            row_names = names[i]
            for j in range(len(self.std_ids)):
                if keep is None or keep[j]:
                    yield (
                        assessment0 + i,
                        int(self.std_ids[j]),
                        row_names[j],
                        "",
                        "",
                        "",
                        "",
                        False,
                        1,
                        at,
                        lead,
                    )

    def _visits(
        self, ins: Inserter, states: np.ndarray, assessment0: int, year: int, current: bool
    ) -> list[tuple[int, int, str]]:
        """Visits: nearly every unit in closed cycles; about half done in the open one."""
        vdraw = self.nrng.random(self.units)
        visit0 = ins.next_id("visits")
        visits: list[tuple[int, int, str]] = []
        for i in range(self.units):
            if states[i] != "submitted":
                continue
            if not current:
                if vdraw[i] >= 0.95:
                    continue
                state = "completed"
            else:
                state = (
                    "completed"
                    if vdraw[i] < 0.5
                    else ("scheduled" if vdraw[i] < 0.75 else "planned")
                )
            visits.append((visit0 + len(visits), i, state))
        days = [
            date(year, 4, 1) + timedelta(days=int(d))
            for d in self.nrng.integers(0, 200, len(visits))
        ]
        ins.insert(
            "visits",
            ["id", "assessment_id", "date", "state", "completed_at", "created_at"],
            (
                (
                    vid,
                    assessment0 + i,
                    days[k],
                    state,
                    datetime.combine(days[k], datetime.min.time()) + timedelta(hours=16)
                    if state == "completed"
                    else None,
                    datetime(year, 3, 20, 9),
                )
                for k, (vid, i, state) in enumerate(visits)
            ),
        )
        ins.fix_sequence("visits")
        return visits

    def _teams(self, ins: Inserter, visits: list[tuple[int, int, str]]) -> dict[int, int]:
        """Three reviewers from other institutions per visit; returns visit → lead reviewer."""
        rows, lead = [], {}
        roles = ("lead_reviewer", "peer_reviewer", "expert_by_experience")
        for vid, i, _state in visits:
            pool = [
                r
                for r in self.rng.sample(self.reviewers, min(len(self.reviewers), 8))
                if r[1] != self.unit_inst[i]
            ]
            for role, (uid, _home) in zip(roles, pool[:3], strict=False):
                rows.append((vid, uid, role))
            if pool:
                lead[vid] = pool[0][0]
        ins.insert("team_members", ["visit_id", "user_id", "role"], rows)
        return lead

    def _finding_rows(
        self,
        codes: np.ndarray,
        completed: list[tuple[int, int]],
        team_of: dict[int, int],
        at: datetime,
    ) -> Iterable[tuple[Any, ...]]:
        names = VALUES[codes]
        for vid, i in completed:
            row_names = names[i]
            by = team_of.get(vid)
            for j in range(len(self.std_ids)):
                yield (vid, int(self.std_ids[j]), row_names[j], "", 1, at, by)

    def _observations(
        self,
        ins: Inserter,
        completed: list[tuple[int, int]],
        codes: np.ndarray,
        team_of: dict[int, int],
        assessment0: int,
        year: int,
        current: bool,
    ) -> None:
        """Good practice where the team found a standard met, improvement and recommendations
        where not; a final report per visit (most, in the open cycle); actions for half the
        areas for improvement."""
        rng, nrng = self.rng, self.nrng
        obs_id = ins.next_id("observations")
        action_id = ins.next_id("actions")
        obs_rows, obs_links, report_rows, action_rows, action_links = [], [], [], [], []
        created = self.now if current else datetime(year, 9, 1)
        for vid, i in completed:
            met = np.flatnonzero(codes[i] == 2)
            weak = np.flatnonzero((codes[i] == 0) | (codes[i] == 1))
            by = team_of.get(vid)
            for kind, source, count, templates in (
                ("good_practice", met, 3, GOOD),
                ("improvement", weak, 3, IMPROVE),
                ("recommendation", weak, 1, RECOMMEND),
            ):
                if len(source) == 0:
                    continue
                for j in nrng.choice(source, size=min(count, len(source)), replace=False):
                    std_id, dcode, _type, code = self.standards[int(j)]
                    text = rng.choice(templates).format(
                        t=rng.choice(TOPICS.get(dcode, ["rutinene"]))
                    )
                    obs_rows.append(
                        (obs_id, vid, kind, f"{text} ({code})", None, None, 1, created, by, created)
                    )
                    obs_links.append((obs_id, std_id))
                    if kind == "improvement" and rng.random() < 0.5:
                        statuses = (
                            ["planned", "in_progress"]
                            if current
                            else ["verified", "done", "in_progress", "dropped"]
                        )
                        action_rows.append(
                            (
                                action_id,
                                assessment0 + i,
                                f"Forbedre: {text[:80]}",
                                "",
                                "Enhetsleder",
                                date(year + 1, 3, 1),
                                rng.choice(statuses),
                                "",
                                rng.choice(["low", "medium", "high"]),
                                "plan",
                                "",
                                "observation",
                                obs_id,
                                "",
                                1,
                                created,
                                self.lead_of[int(self.unit_ids[i])],
                                created,
                            )
                        )
                        action_links.append((action_id, std_id))
                        action_id += 1
                    obs_id += 1
            final = not current or rng.random() < 0.6
            report_rows.append(
                (
                    vid,
                    "final" if final else "shared_with_unit",
                    "{}",
                    "",
                    created,
                    created if final else None,
                    by if final else None,
                )
            )
        ins.insert(
            "observations",
            [
                "id",
                "visit_id",
                "kind",
                "text",
                "domain_id",
                "client_id",
                "version",
                "created_at",
                "created_by_id",
                "updated_at",
            ],
            obs_rows,
        )
        ins.fix_sequence("observations")
        ins.insert("observation_standards", ["observation_id", "standard_id"], obs_links)
        ins.insert(
            "reports",
            [
                "visit_id",
                "state",
                "content",
                "unit_comments",
                "shared_at",
                "finalised_at",
                "finalised_by_id",
            ],
            report_rows,
        )
        ins.insert(
            "actions",
            [
                "id",
                "assessment_id",
                "title",
                "description",
                "responsible",
                "deadline",
                "status",
                "dropped_reason",
                "risk",
                "pdsa_stage",
                "success_measure",
                "source_kind",
                "source_id",
                "verification_comment",
                "version",
                "created_at",
                "created_by_id",
                "updated_at",
            ],
            action_rows,
        )
        ins.fix_sequence("actions")
        ins.insert("action_standards", ["action_id", "standard_id"], action_links)
        self.totals["observations"] += len(obs_rows)
        self.totals["actions"] += len(action_rows)
        self.totals["reports"] += len(report_rows)

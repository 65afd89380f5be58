"""The generator: a network's people and the latent quality model, cycle by cycle."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from kvip.accounts.services import hash_password
from kvip.benchmarks.synthetic.bulk import Inserter, _edition, _pick
from kvip.benchmarks.synthetic.content import (
    GOOD,
    IMPROVE,
    KIND_NAMES,
    KINDS,
    PASSWORD,
    PLACES,
    RECOMMEND,
    REGIONS,
    TOPICS,
    VALUES,
)


class Generator:
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

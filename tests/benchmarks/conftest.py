"""A small benchmark network with hand-written ratings: four units, two cycles, visits,
findings, observations and reports. Other units have distinctive ids (77xx, 88xx, 99xx) so a
leak of an id is easy to find in HTML, JSON and exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kvip.accounts.models import Membership, NetworkRole, User
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from kvip.network.models import Network, Unit
from kvip.standards.models import Edition, Standard
from kvip.visits.models import Finding, Observation, Report, TeamMember, Visit
from tests.conftest import login
from tests.factories import (
    create_edition,
    create_institution,
    create_network,
    create_unit,
    create_user,
    standards_of,
)

M, P, N, NA = "met", "partly_met", "not_met", "not_applicable"
CODES = ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3"]

# Cycle 2 (open, the default): self ratings and visit-team findings per unit, in CODES order.
SELF_2 = {
    "own": [M, P, N, N, M, NA],
    "beta": [M, M, M, P, M, M],
    "gamma": [P, M, N, M, None, M],
    "delta": [M, P, P, M, M, M],
}
PEER_2 = {
    "own": [M, N, N, P, M, NA],
    "beta": [M, M, P, P, M, M],
    "gamma": [P, M, N, M, M, NA],
}
# Cycle 1 (closed): everyone visited.
SELF_1 = {
    "own": [P, P, N, N, M, NA],
    "beta": [M, M, P, P, M, M],
    "gamma": [P, P, N, M, P, M],
    "delta": [M, N, P, M, M, P],
}
PEER_1 = {
    "own": [P, N, N, N, P, NA],
    "beta": [M, M, P, N, M, M],
    "gamma": [P, P, N, P, P, M],
    "delta": [M, N, N, M, P, P],
}
KINDS = {"own": "acute", "beta": "acute", "gamma": "general", "delta": "forensic"}
REGIONS = {"own": "Vest", "beta": "Vest", "gamma": "Nord", "delta": "Nord"}
NAMES = {"own": "Enhet Alfa", "beta": "Betaposten", "gamma": "Gammaposten", "delta": "Deltaposten"}
UNIT_IDS = {"beta": 7771, "gamma": 7772, "delta": 7773}
GOOD_BETA = "Faste morgenmøter med ungdommene om dagens plan."
GOOD_GAMMA = "Skriftlig rutine for skjerming som alle kjenner."
GOOD_GAMMA_UNMET = "Fin praksis på 1.3 som ikke er oppfylt."
GOOD_BETA_PARTLY = "God praksis på 2.1 (delvis oppfylt hos Beta)."
GOOD_DRAFT = "Utkast som ikke skal vises i biblioteket."
IMPROVE_OWN = "Bedre dokumentasjon av behandlingsplaner."


@dataclass
class BenchWorld:
    network: Network
    edition: Edition
    cycles: list[Cycle]
    units: dict[str, Unit]
    assessments: dict[tuple[int, str], Assessment]
    visits: dict[tuple[int, str], Visit]
    standards: list[Standard]
    users: dict[str, User] = field(default_factory=dict)

    @property
    def cycle(self) -> Cycle:
        return self.cycles[1]

    def other_ids(self) -> list[int]:
        """Ids of other units, their assessments and their visits."""
        ids = [u.id for key, u in self.units.items() if key != "own"]
        ids += [a.id for (c, key), a in self.assessments.items() if key != "own"]
        ids += [v.id for (c, key), v in self.visits.items() if key != "own"]
        return ids

    def bench_values(self, cycle_index: int) -> dict[str, list[str | None]]:
        """The benchmark series by DESIGN §5: peer values where the visit is completed."""
        self_values, peer_values = (SELF_1, PEER_1) if cycle_index == 0 else (SELF_2, PEER_2)
        return {k: peer_values.get(k, v) for k, v in self_values.items()}


def _rate(assessment: Assessment, stds: list[Standard], values: list[str | None]) -> None:
    for std, value in zip(stds, values, strict=True):
        if value is not None:
            db.session.add(Rating(assessment_id=assessment.id, standard_id=std.id, value=value))


def _find(visit: Visit, stds: list[Standard], values: list[str | None]) -> None:
    for std, value in zip(stds, values, strict=True):
        if value is not None:
            db.session.add(Finding(visit_id=visit.id, standard_id=std.id, value=value))


def _observe(visit: Visit, kind: str, text: str, std: Standard) -> None:
    obs = Observation(visit_id=visit.id, kind=kind, text=text)
    obs.standards = [std]
    db.session.add(obs)


def build_bench_world() -> BenchWorld:
    network = create_network(name="Benchmark-nettverket", min_group_size=3)
    inst = {
        "A": create_institution(network, "Institusjon Alfa", region="Vest"),
        "B": create_institution(network, "Institusjon Beta", region="Vest"),
        "C": create_institution(network, "Institusjon Gamma", region="Nord"),
    }
    home = {"own": "A", "beta": "B", "gamma": "C", "delta": "C"}
    units: dict[str, Unit] = {}
    for key in ("own", "beta", "gamma", "delta"):
        extra: dict[str, Any] = {"id": UNIT_IDS[key]} if key in UNIT_IDS else {}
        units[key] = create_unit(inst[home[key]], NAMES[key], kind=KINDS[key], beds=6, **extra)
        units[key].region = REGIONS[key]
    edition = create_edition(domains=2, per_domain=3)
    edition.frozen = True
    stds = standards_of(edition)
    assert [s.code for s in stds] == CODES
    users = {
        "admin": create_user("admin@bench.test", "Admin", is_admin=True),
        "coordinator": create_user("coord@bench.test", "Coordinator"),
        "lead": create_user("lead@bench.test", "Lead", home_institution_id=inst["A"].id),
        "member": create_user("member@bench.test", "Member", home_institution_id=inst["A"].id),
        "reviewer": create_user(
            "reviewer@bench.test", "Reviewer", home_institution_id=inst["C"].id
        ),
        "outsider": create_user(
            "outsider@bench.test", "Outsider", home_institution_id=inst["B"].id
        ),
    }
    db.session.add_all(
        [
            NetworkRole(user_id=users["coordinator"].id, network_id=network.id, role="coordinator"),
            NetworkRole(user_id=users["reviewer"].id, network_id=network.id, role="reviewer"),
            Membership(user_id=users["lead"].id, unit_id=units["own"].id, role="unit_lead"),
            Membership(user_id=users["member"].id, unit_id=units["own"].id, role="unit_member"),
            Membership(user_id=users["outsider"].id, unit_id=units["beta"].id, role="unit_lead"),
        ]
    )
    year = date.today().year
    cycles = [
        Cycle(
            network_id=network.id,
            edition_id=edition.id,
            year=year - 1,
            name=f"Syklus {year - 1}",
            state="closed",
        ),
        Cycle(
            network_id=network.id,
            edition_id=edition.id,
            year=year,
            name=f"Syklus {year}",
            state="open",
        ),
    ]
    db.session.add_all(cycles)
    db.session.flush()
    assessments: dict[tuple[int, str], Assessment] = {}
    visits: dict[tuple[int, str], Visit] = {}
    next_id = {"a": 8871, "v": 9971}
    for index, (self_values, peer_values) in enumerate(((SELF_1, PEER_1), (SELF_2, PEER_2))):
        for key, unit in units.items():
            # Explicit ids everywhere, so autoincrement never collides with the distinctive ones.
            extra = {"id": 101 + index} if key == "own" else {"id": next_id["a"]}
            if key != "own":
                next_id["a"] += 1
            a = Assessment(
                cycle_id=cycles[index].id,
                unit_id=unit.id,
                state="submitted",
                submitted_at=datetime(year - 1 + index, 3, 1),
                **extra,
            )
            db.session.add(a)
            db.session.flush()
            assessments[(index, key)] = a
            _rate(a, stds, self_values[key])
            if key in peer_values:
                vid = 201 + index if key == "own" else next_id["v"]
                if key != "own":
                    next_id["v"] += 1
                v = Visit(
                    id=vid, assessment_id=a.id, state="completed", date=date(year - 1 + index, 5, 1)
                )
                db.session.add(v)
                db.session.flush()
                visits[(index, key)] = v
                db.session.add(
                    TeamMember(visit_id=v.id, user_id=users["reviewer"].id, role="lead_reviewer")
                )
                _find(v, stds, peer_values[key])
    by_code = dict(zip(CODES, stds, strict=True))
    # Cycle 2: good practice where the standard is met (Beta and Gamma on 1.2), and where it is
    # not (must not be offered to learn from), an improvement for the own unit, a draft report.
    _observe(visits[(1, "beta")], "good_practice", GOOD_BETA, by_code["1.2"])
    _observe(visits[(1, "beta")], "good_practice", GOOD_BETA_PARTLY, by_code["2.1"])
    _observe(visits[(1, "gamma")], "good_practice", GOOD_GAMMA, by_code["1.2"])
    _observe(visits[(1, "gamma")], "good_practice", GOOD_GAMMA_UNMET, by_code["1.3"])
    _observe(visits[(1, "own")], "improvement", IMPROVE_OWN, by_code["2.1"])
    _observe(visits[(0, "gamma")], "good_practice", GOOD_DRAFT, by_code["1.1"])
    for (index, key), v in visits.items():
        draft = (index, key) == (0, "gamma")
        db.session.add(Report(visit_id=v.id, state="draft" if draft else "final"))
    db.session.commit()
    return BenchWorld(network, edition, cycles, units, assessments, visits, stds, users)


@pytest.fixture
def bench(app: Flask) -> BenchWorld:
    return build_bench_world()


@pytest.fixture
def client_as(app: Flask, bench: BenchWorld) -> Any:
    def make(role: str) -> FlaskClient:
        client = app.test_client()
        login(client, bench.users[role])
        return client

    return make

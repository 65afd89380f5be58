"""The demo network (DESIGN §8): one network, 8 institutions, 13 units, the five demo logins.

Each module adds its part in ``kvip/<module>/demo.py`` with ``populate(ctx)``, called in the
order of :data:`kvip.MODULES` after the base network exists.
"""

from __future__ import annotations

import functools
import importlib
import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from kvip.accounts import services as accounts
from kvip.accounts.models import Membership, NetworkRole, User
from kvip.config import MODULES
from kvip.core import dates
from kvip.extensions import db
from kvip.network.models import Institution, Network, Unit

DEMO_PASSWORD = "demo-password"
NETWORK_SLUG = "kvip-demo"

DEMO_LOGINS = [
    ("admin@demo.kvip", "Administrator"),
    ("coordinator@demo.kvip", "Coordinator"),
    ("lead@demo.kvip", "Unit lead"),
    ("member@demo.kvip", "Unit member"),
    ("reviewer@demo.kvip", "Peer reviewer"),
]

INSTITUTIONS = [
    ("Helse Fjordvik HF", "Vest"),
    ("Nordlia sykehus HF", "Nord"),
    ("Sørstrand universitetssykehus", "Sør-Øst"),
    ("Innlandet psykiatriske senter", "Sør-Øst"),
    ("Midtbyen sykehus HF", "Midt-Norge"),
    ("Kystlandet helseforetak", "Vest"),
    ("Østmark sykehus HF", "Sør-Øst"),
    ("Fjellheim sykehus", "Nord"),
]

# (institution index, unit name, kind, beds)
UNITS = [
    (0, "Ungdomsakutten", "acute", 8),
    (0, "Barnepsykiatrisk døgnpost", "general", 6),
    (1, "Akuttpost for ungdom", "acute", 7),
    (1, "Regional spiseforstyrrelsespost", "specialised", 5),
    (2, "Ungdomspsykiatrisk sengepost", "general", 10),
    (2, "Sikkerhetspost for ungdom", "forensic", 4),
    (3, "Døgnenhet barn og unge", "general", 8),
    (4, "Akutt ungdomsenhet", "acute", 9),
    (4, "Familieenheten", "specialised", 6),
    (5, "BUP døgn Kysten", "general", 7),
    (6, "Ungdomsklinikken døgn", "acute", 8),
    (6, "Barneenheten Østmark", "general", 6),
    (7, "BUP døgn Fjellheim", "general", 5),
]


@dataclass
class DemoContext:
    network: Network
    institutions: list[Institution]
    units: list[Unit]
    users: dict[str, User]
    rng: random.Random
    today: date
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def demo_unit(self) -> Unit:
        """The unit of lead@ and member@."""
        return self.units[0]

    @property
    def visited_unit(self) -> Unit:
        """The unit the demo reviewer visits this cycle (institution ≠ reviewer's home)."""
        return self.units[4]


def demo_exists() -> bool:
    return db.session.scalar(sa.select(Network).where(Network.slug == NETWORK_SLUG)) is not None


@functools.cache
def _demo_password_hash() -> str:
    """One argon2 hash of the shared demo password, made once per process: every demo login has
    the same password, and hashing it ~30 times made loading the demo take seconds per user."""
    return accounts.hash_password(DEMO_PASSWORD)


def _user(email: str, name: str, *, admin: bool = False, home: Institution | None = None) -> User:
    user = accounts.create_user(
        None,
        email=email,
        name=name,
        is_admin=admin,
        home_institution_id=home.id if home else None,
    )
    user.password_hash = _demo_password_hash()
    return user


def load_demo(today: date | None = None, seed: int = 2026) -> DemoContext | None:
    """Create the demo network once; returns None if it already exists (idempotent)."""
    if demo_exists():
        return None
    network = Network(name="KvIP – Kvalitet i institusjon (demo)", slug=NETWORK_SLUG)
    db.session.add(network)
    db.session.flush()
    institutions = [Institution(network_id=network.id, name=n, region=r) for n, r in INSTITUTIONS]
    db.session.add_all(institutions)
    db.session.flush()
    units = [
        Unit(
            network_id=network.id,
            institution_id=institutions[i].id,
            name=name,
            kind=kind,
            beds=beds,
            region=institutions[i].region,
        )
        for i, name, kind, beds in UNITS
    ]
    db.session.add_all(units)
    db.session.flush()

    users: dict[str, User] = {}
    users["admin"] = _user("admin@demo.kvip", "Ada Admin", admin=True)
    users["coordinator"] = _user("coordinator@demo.kvip", "Kari Koordinator")
    users["lead"] = _user("lead@demo.kvip", "Lars Leder", home=institutions[0])
    users["member"] = _user("member@demo.kvip", "Mona Medarbeider", home=institutions[0])
    users["reviewer"] = _user("reviewer@demo.kvip", "Rune Revisor", home=institutions[1])
    db.session.add(
        NetworkRole(user_id=users["coordinator"].id, network_id=network.id, role="coordinator")
    )
    db.session.add(
        NetworkRole(
            user_id=users["reviewer"].id, network_id=network.id, role="reviewer", trained_lead=True
        )
    )
    db.session.add(Membership(user_id=users["lead"].id, unit_id=units[0].id, role="unit_lead"))
    db.session.add(Membership(user_id=users["member"].id, unit_id=units[0].id, role="unit_member"))
    # A lead for every other unit, and a reviewer pool drawn from every institution.
    first_names = [
        "Ingrid",
        "Ola",
        "Sigrid",
        "Nils",
        "Astrid",
        "Per",
        "Hanne",
        "Erik",
        "Silje",
        "Jonas",
        "Tone",
        "Anders",
        "Marit",
        "Henrik",
        "Liv",
        "Bjørn",
    ]
    for index, unit in enumerate(units[1:], start=1):
        lead = _user(
            f"lead{index}@demo.kvip",
            f"{first_names[index % 16]} Leder {index}",
            home=unit.institution,
        )
        db.session.add(Membership(user_id=lead.id, unit_id=unit.id, role="unit_lead"))
        users[f"lead{index}"] = lead
    for index, inst in enumerate(institutions):
        rev = _user(
            f"reviewer{index + 1}@demo.kvip",
            f"{first_names[(index + 5) % 16]} Fagfelle {index + 1}",
            home=inst,
        )
        db.session.add(
            NetworkRole(
                user_id=rev.id, network_id=network.id, role="reviewer", trained_lead=index % 3 == 0
            )
        )
        users[f"reviewer{index + 1}"] = rev
    expert = _user("expert@demo.kvip", "Eli Erfaringskonsulent")
    db.session.add(NetworkRole(user_id=expert.id, network_id=network.id, role="reviewer"))
    users["expert"] = expert
    db.session.commit()

    ctx = DemoContext(
        network=network,
        institutions=institutions,
        units=units,
        users=users,
        rng=random.Random(seed),
        today=today or dates.today(),
    )

    for name in MODULES:
        try:
            module = importlib.import_module(f"kvip.{name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"kvip.{name}.demo":
                raise
            continue
        module.populate(ctx)
        db.session.commit()
    return ctx

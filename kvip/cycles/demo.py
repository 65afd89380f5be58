"""Demo data of the annual cycle: last year's finished cycle and this year's open one.

Expects ``ctx.extra["edition"]`` (set by the standards module's demo); without it nothing is
created. Sets ``ctx.extra["previous_cycle"]`` and ``ctx.extra["current_cycle"]``.
Deterministic through ``ctx.rng``; ratings are written with bulk inserts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from kvip.core.models import AuditEvent
from kvip.cycles import services
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.cycles.vocabulary import EVIDENCE_KINDS
from kvip.extensions import db
from kvip.standards.models import Domain, Standard

COMMENTS = {
    "met": [
        "Skriftlig rutine finnes og er kjent for personalet.",
        "Gjennomgått på personalmøte og dokumentert i kvalitetssystemet.",
        "Bekreftet ved journalgjennomgang av ti tilfeldige journaler.",
        "Fungerer godt; pasientene bekrefter dette i brukerundersøkelsen.",
        "",
        "",
    ],
    "partly_met": [
        "Rutinen finnes, men er ikke kjent for alle vikarer.",
        "Gjennomføres, men dokumenteres ikke systematisk.",
        "Fungerer på dagtid; kveld og helg er ikke dekket.",
        "Revisjon av rutinen er påbegynt og blir ferdig i høst.",
        "Varierer mellom primærkontaktene.",
    ],
    "not_met": [
        "Mangler skriftlig rutine.",
        "Ikke gjennomført siste år på grunn av bemanningssituasjonen.",
        "Tas inn i tiltaksplanen.",
        "Lokalene gjør dette vanskelig; meldt til ledelsen.",
    ],
    "not_applicable": [
        "Avdelingen har ikke eget skjermingsareal.",
        "Gjelder ikke for vår pasientgruppe.",
    ],
}
EVIDENCE = [
    "Rutine i kvalitetssystemet (EQS), sist revidert i år.",
    "Journalgjennomgang: 10 journaler fra siste kvartal.",
    "Avviksmeldinger siste 12 måneder gjennomgått.",
    "Brukerundersøkelsen høsten i fjor.",
    "Referat fra personalmøte.",
]
# Current cycle: (unit index, share of standards freshly rated, submitted?)
CURRENT_PLAN = {
    0: (0.5, False),  # the demo unit: about half done
    1: (0.8, False),
    2: (1.0, True),
    3: (0.3, False),
    4: (1.0, True),  # the visited unit: submitted so a visit can be scheduled
    5: (0.6, False),
    7: (1.0, True),
    9: (0.15, False),
}


@dataclass(frozen=True)
class _Std:
    id: int
    code: str
    type: int
    domain: str


def _draw(rng: random.Random, quality: float, difficulty: float, std: _Std) -> str:
    """A realistic rating: better units and easier standards are met more often."""
    na_chance = 0.08 if std.domain in ("1", "4") else 0.03
    if rng.random() < na_chance:
        return "not_applicable"
    type_effect = {1: 0.06, 2: 0.0, 3: -0.12}.get(std.type, 0.0)
    p = min(0.97, max(0.05, quality + difficulty + type_effect))
    r = rng.random()
    if r < p:
        return "met"
    if r < p + (1 - p) * 0.6:
        return "partly_met"
    return "not_met"


def _details(rng: random.Random, value: str) -> dict[str, Any]:
    comment = rng.choice(COMMENTS[value])
    kinds: list[str] = []
    evidence = ""
    if value in ("met", "partly_met") and rng.random() < 0.6:
        kinds = sorted(rng.sample(EVIDENCE_KINDS, rng.randint(1, 2)), key=EVIDENCE_KINDS.index)
        evidence = rng.choice(EVIDENCE) if rng.random() < 0.5 else ""
    return {"comment": comment, "evidence": evidence, "evidence_kinds": ",".join(kinds)}


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(8, 0)) + timedelta(minutes=rng.randint(0, 8 * 60))


def populate(ctx: Any) -> None:
    """Create the previous (closed, all submitted) and the current (open) cycle."""
    edition = ctx.extra.get("edition")
    if edition is None:
        return
    rng: random.Random = ctx.rng
    network = ctx.network
    coordinator = ctx.users["coordinator"]
    year = ctx.today.year
    standards = [
        _Std(s.id, s.code, s.type, code)
        for s, code in db.session.execute(
            sa.select(Standard, Domain.code)
            .join(Domain, Domain.id == Standard.domain_id)
            .where(Standard.edition_id == edition.id)
            .order_by(Domain.position, Standard.position)
        )
    ]
    leads = [ctx.users["lead"]] + [ctx.users[f"lead{i}"] for i in range(1, len(ctx.units))]

    previous = Cycle(
        network_id=network.id,
        edition_id=edition.id,
        year=year - 1,
        name=f"Syklus {year - 1}",
        state="closed",
        self_assessment_opens=date(year - 1, 2, 1),
        self_assessment_closes=date(year - 1, 3, 31),
        visit_window_start=date(year - 1, 4, 15),
        visit_window_end=date(year - 1, 11, 30),
    )
    current = Cycle(
        network_id=network.id,
        edition_id=edition.id,
        year=year,
        name=f"Syklus {year}",
        state="open",
        self_assessment_opens=ctx.today - timedelta(days=35),
        self_assessment_closes=ctx.today + timedelta(days=25),
        visit_window_start=ctx.today + timedelta(days=40),
        visit_window_end=ctx.today + timedelta(days=200),
    )
    db.session.add_all([previous, current])
    edition.frozen = True
    db.session.flush()

    # Last year: every unit rated every standard and submitted.
    quality = [rng.uniform(0.5, 0.88) for _ in ctx.units]
    difficulty = {s.id: rng.gauss(0.0, 0.12) for s in standards}
    rows: list[dict[str, Any]] = []
    for index, unit in enumerate(ctx.units):
        submitted = date(year - 1, 3, 10) + timedelta(days=rng.randint(0, 20))
        a = Assessment(
            cycle_id=previous.id,
            unit_id=unit.id,
            state="submitted",
            submitted_at=_at(submitted, rng),
            submitted_by_id=leads[index].id,
        )
        db.session.add(a)
        db.session.flush()
        for s in standards:
            value = _draw(rng, quality[index], difficulty[s.id], s)
            rows.append(
                {
                    "assessment_id": a.id,
                    "standard_id": s.id,
                    "value": value,
                    **_details(rng, value),
                    "evidence_links": "",
                    "carried_over": False,
                    "version": 1,
                    "updated_at": _at(submitted - timedelta(days=rng.randint(1, 30)), rng),
                    "updated_by_id": leads[index].id,
                }
            )
    db.session.execute(sa.insert(Rating), rows)
    db.session.commit()

    # This year: every unit enrolled, starting from last year's ratings (the real service).
    assessments = services.enrol_units(
        coordinator, current, [u.id for u in ctx.units], carry_over=True
    )
    by_unit = {a.unit_id: a for a in assessments}
    _work_on_current(ctx, rng, current, by_unit, standards, quality, difficulty, leads)
    ctx.extra["previous_cycle"] = previous
    ctx.extra["current_cycle"] = current


def _work_on_current(
    ctx: Any,
    rng: random.Random,
    cycle: Cycle,
    by_unit: dict[int, Assessment],
    standards: list[_Std],
    quality: list[float],
    difficulty: dict[int, float],
    leads: list[Any],
) -> None:
    """Confirm or change a share of each unit's carried-over ratings; some units submit."""
    ratings = sa.table(
        "ratings",
        sa.column("id"),
        sa.column("value"),
        sa.column("comment"),
        sa.column("evidence"),
        sa.column("evidence_kinds"),
        sa.column("carried_over"),
        sa.column("version"),
        sa.column("updated_at"),
        sa.column("updated_by_id"),
    )
    update = (
        sa.update(ratings)
        .where(ratings.c.id == sa.bindparam("rid"))
        .values(
            value=sa.bindparam("v"),
            comment=sa.bindparam("c"),
            evidence=sa.bindparam("e"),
            evidence_kinds=sa.bindparam("k"),
            carried_over=False,
            version=2,
            updated_at=sa.bindparam("at"),
            updated_by_id=sa.bindparam("by"),
        )
    )
    std_of = {s.id: s for s in standards}
    order = {s.id: i for i, s in enumerate(standards)}
    for index, (share, submit) in CURRENT_PLAN.items():
        if index >= len(ctx.units):
            continue
        unit = ctx.units[index]
        a = by_unit[unit.id]
        editors = [leads[index]] + ([ctx.users["member"]] if index == 0 else [])
        existing = list(
            db.session.execute(
                sa.select(
                    Rating.id,
                    Rating.standard_id,
                    Rating.value,
                    Rating.comment,
                    Rating.evidence,
                    Rating.evidence_kinds,
                ).where(Rating.assessment_id == a.id)
            )
        )
        existing.sort(key=lambda r: order[r.standard_id])
        count = round(len(existing) * share)
        params: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for rid, standard_id, old, old_comment, old_evidence, old_kinds in existing[:count]:
            by = rng.choice(editors)
            at = _at(ctx.today - timedelta(days=rng.randint(0, 30)), rng)
            value: str = old or "met"
            if rng.random() < 0.22:
                value = _draw(
                    rng, quality[index] + 0.06, difficulty[standard_id], std_of[standard_id]
                )
            details = (
                _details(rng, value)
                if value != old
                else {
                    "comment": old_comment,
                    "evidence": old_evidence,
                    "evidence_kinds": old_kinds,
                }
            )
            params.append(
                {
                    "rid": rid,
                    "v": value,
                    "c": details["comment"],
                    "e": details["evidence"],
                    "k": details["evidence_kinds"],
                    "at": at,
                    "by": by.id,
                }
            )
            base = {
                "at": at,
                "user_id": by.id,
                "network_id": cycle.network_id,
                "unit_id": unit.id,
                "entity": "rating",
                "entity_id": rid,
                "note": None,
            }
            if value != old:
                events.append(
                    {**base, "action": "update", "field": "value", "old": old, "new": value}
                )
            events.append(
                {
                    **base,
                    "action": "update" if value != old else "confirm",
                    "field": "carried_over",
                    "old": "True",
                    "new": "False",
                }
            )
        if params:
            db.session.execute(update, params)
            db.session.execute(sa.insert(AuditEvent), events)
            a.state = "in_progress"
        if submit and count == len(existing):
            a.state = "submitted"
            a.submitted_by_id = leads[index].id
            a.submitted_at = _at(ctx.today - timedelta(days=rng.randint(1, 5)), rng)
    db.session.commit()

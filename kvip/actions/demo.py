"""Demo data: last cycle's action plans in every state, a few GAP overrides, maturity ratings.

Expects from the visits module ``ctx.extra["previous_cycle"]`` (Cycle) and
``ctx.extra["previous_visits"]`` ({unit_id: Visit} with observations and final reports);
without them there is nothing to plan from and this module adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from kvip.accounts.models import Membership, User
from kvip.actions import queries
from kvip.actions.models import Action, ActionDuty, GapOverride, MaturityRating
from kvip.actions.services import _short_title
from kvip.core import audit
from kvip.cycles.models import Assessment, Cycle, CycleState
from kvip.extensions import db
from kvip.visits.models import Observation, TeamMember, TeamRole, Visit

RESPONSIBLE = [
    "Avdelingsleder",
    "Fagutviklingssykepleier",
    "Kvalitetsrådgiver",
    "Overlege",
    "Miljøterapeutisk leder",
    "Brukerrepresentant og avdelingsleder",
]
MANUAL = [
    (
        "Innføre fast ettersamtale etter tvangsepisoder",
        "Alle tvangsepisoder følges opp med en strukturert samtale med pasienten innen 24 timer.",
        "Andel tvangsepisoder med dokumentert ettersamtale, telt månedlig i journal.",
        ["7c", "8e"],
    ),
    (
        "Årlig gjennomgang av styringssystemet i ledermøtet",
        "Ledermøtet går gjennom avvik, klager, brukerundersøkelser og handlingsplanen én gang i året.",
        "Referat fra årlig gjennomgang foreligger med vedtatte tiltak.",
        ["8f", "8a"],
    ),
    (
        "Opplæringsplan for nyansatte i miljøterapi",
        "Kompetansekartlegging og introduksjonsprogram med sjekkliste for alle nyansatte.",
        "Andel nyansatte med fullført sjekkliste innen tre måneder.",
        ["6f", "7b"],
    ),
    (
        "Brukerråd deltar i planlegging av endringer",
        "Ungdommenes brukerråd får forslag til endringer til uttalelse før de besluttes.",
        "Antall saker lagt fram for brukerrådet per halvår.",
        ["7e", "8d"],
    ),
]
SUCCESS = [
    "Måles med stikkprøve av ti journaler hver måned.",
    "Følges opp i kvalitetsrådet hvert kvartal.",
    "Andel pasienter med mestringsplan, telt ved utskriving.",
    "",
]
STAGE_FOR = {
    "planned": "plan",
    "in_progress": "do",
    "done": "study",
    "verified": "act",
    "dropped": "plan",
}


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0))


def _current_assessment(unit_id: int, previous: Cycle) -> Assessment | None:
    return db.session.scalar(
        sa.select(Assessment)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .where(Assessment.unit_id == unit_id, Cycle.id != previous.id, Cycle.year >= previous.year)
        .order_by(Cycle.year.desc())
        .limit(1)
    )


def _verifier(current: Assessment | None) -> tuple[User | None, Visit | None]:
    """The lead reviewer of the unit's visit this cycle (the team that verifies)."""
    if current is None:
        return None, None
    row = db.session.execute(
        sa.select(TeamMember.user_id, Visit)
        .join(Visit, Visit.id == TeamMember.visit_id)
        .where(Visit.assessment_id == current.id)
        .order_by(TeamMember.role != TeamRole.lead_reviewer.value, TeamMember.id)
        .limit(1)
    ).first()
    if row is None:
        return None, None
    return db.session.get(User, row[0]), row[1]


def _lead(unit_id: int) -> User | None:
    return db.session.scalar(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit_id)
        .order_by(Membership.role.desc(), User.id)
        .limit(1)
    )


def _statuses(ctx: Any, index: int, n: int, visited: bool) -> list[str]:
    """A deterministic mix of states; the demo reviewer's unit keeps done actions to verify."""
    if visited:
        pattern = ["done", "in_progress", "done", "dropped", "verified", "planned", "done"]
    else:
        pattern = ["verified", "done", "in_progress", "in_progress", "planned", "dropped", "done"]
    shift = index % len(pattern)
    rotated = pattern[shift:] + pattern[:shift]
    return [rotated[i % len(rotated)] for i in range(n)]


def populate(ctx: Any) -> None:
    previous: Cycle | None = ctx.extra.get("previous_cycle")
    visits: dict[int, Visit] | None = ctx.extra.get("previous_visits")
    if previous is None or not visits:
        return
    rng = ctx.rng
    today: date = ctx.today
    for index, unit_id in enumerate(sorted(visits)):
        visit = visits[unit_id]
        assessment = visit.assessment
        report = queries.final_report(assessment.id)
        finalised = (
            report.finalised_at.date()
            if report is not None and report.finalised_at is not None
            else (visit.date or today - timedelta(days=200)) + timedelta(weeks=6)
        )
        current = _current_assessment(unit_id, previous)
        verifier, verifier_visit = _verifier(current)
        lead = _lead(unit_id)
        visited = unit_id == ctx.visited_unit.id
        observations = list(
            db.session.scalars(
                sa.select(Observation)
                .where(
                    Observation.visit_id == visit.id,
                    Observation.kind.in_(("improvement", "recommendation")),
                )
                .order_by(Observation.id)
            )
        )[:4]
        specs: list[dict[str, Any]] = []
        for obs in observations:
            standards = sorted(obs.standards, key=lambda s: s.position)
            specs.append(
                {
                    "title": _short_title(obs.text) or "Tiltak",
                    "description": obs.text,
                    "standards": standards,
                    "duties": sorted({d for s in standards for d in s.duties}),
                    "source": ("observation", obs.id),
                    "success": rng.choice(SUCCESS),
                }
            )
        for title, description, success, duties in rng.sample(MANUAL, 2):
            specs.append(
                {
                    "title": title,
                    "description": description,
                    "standards": [],
                    "duties": duties,
                    "source": ("manual", None),
                    "success": success,
                }
            )
        statuses = _statuses(ctx, index, len(specs), visited)
        for spec, status in zip(specs, statuses, strict=True):
            created = finalised + timedelta(days=rng.randint(3, 35))
            created = min(created, today)
            deadline = created + timedelta(days=rng.choice([45, 60, 90, 120, 180]))
            if status in ("planned", "in_progress") and rng.random() < 0.5:
                deadline = min(deadline, today - timedelta(days=rng.randint(5, 40)))  # overdue
            upcoming = verifier_visit is not None and (verifier_visit.date or today) > today
            if status == "verified" and (verifier is None or upcoming):
                status = "done"  # verified only by a team that has visited
            action = Action(
                assessment_id=assessment.id,
                title=spec["title"][:200],
                description=spec["description"],
                responsible=rng.choice(RESPONSIBLE),
                deadline=deadline,
                status=status,
                risk=rng.choice(["low", "medium", "medium", "high"]),
                pdsa_stage=STAGE_FOR[status],
                success_measure=spec["success"],
                source_kind=spec["source"][0],
                source_id=spec["source"][1],
                created_at=_at(created),
                updated_at=_at(min(created + timedelta(days=20), today)),
                created_by_id=lead.id if lead else None,
            )
            action.standards = spec["standards"]
            action._duty_rows = [ActionDuty(duty=d) for d in spec["duties"]]
            if status == "dropped":
                action.dropped_reason = "Erstattet av et bredere tiltak i foretakets kvalitetsplan."
            if status in ("done", "verified"):
                action.done_at = _at(min(created + timedelta(days=rng.randint(20, 120)), today))
            if status == "verified" and verifier is not None and action.done_at is not None:
                seen = min(verifier_visit.date or today, today) if verifier_visit else today
                action.verified_at = _at(max(seen, action.done_at.date()), 14)
                action.verified_by_id = verifier.id
                action.verification_outcome = "verified"
                action.verification_visit_id = verifier_visit.id if verifier_visit else None
                action.verification_comment = (
                    "Rutinen er i bruk; teamet så dokumentasjon i journal."
                )
            db.session.add(action)
            db.session.flush()
            audit.record(
                lead,
                "action",
                action.id,
                action="create",
                changes={"title": (None, action.title), "status": (None, "planned")},
                note="demo",
                network_id=ctx.network.id,
                unit_id=unit_id,
            )
            if status != "planned":
                audit.record(
                    lead,
                    "action",
                    action.id,
                    changes={"status": ("planned", status)},
                    note="demo",
                    network_id=ctx.network.id,
                    unit_id=unit_id,
                )
        _maturity(ctx, assessment, current, index)
        if index % 4 == 0:
            db.session.add(
                GapOverride(
                    assessment_id=(current or assessment).id,
                    duty="8f",
                    status="partly",
                    risk="medium",
                    reason="Ledelsens årlige gjennomgang er startet, men ikke fullført for alle områder.",
                    updated_by_id=lead.id if lead else None,
                )
            )
        if index % 5 == 1:
            db.session.add(
                GapOverride(
                    assessment_id=assessment.id,
                    duty="7e",
                    status=None,
                    risk="high",
                    reason="Brukerrådet har ikke møttes siste halvår.",
                    updated_by_id=lead.id if lead else None,
                )
            )
    db.session.flush()


def _maturity(ctx: Any, previous: Assessment, current: Assessment | None, index: int) -> None:
    rng = ctx.rng
    base = {
        "leadership": 2 + index % 3,
        "staff_involvement": 1 + (index + 1) % 3,
        "user_involvement": 1 + index % 2,
    }
    for aspect, level in base.items():
        db.session.add(MaturityRating(assessment_id=previous.id, aspect=aspect, level=level))
        if current is not None and current.cycle.state != CycleState.closed.value:
            step = rng.choice([0, 1, 1])
            db.session.add(
                MaturityRating(assessment_id=current.id, aspect=aspect, level=min(5, level + step))
            )

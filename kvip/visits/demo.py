"""Demo visits: last cycle's completed visits with final reports for every unit, and this
cycle's scheduled visit of the demo reviewer (lead reviewer) to ``ctx.visited_unit``.

Expects ``ctx.extra["previous_cycle"]`` and ``ctx.extra["current_cycle"]`` from the cycles
demo (skipped without them); sets ``ctx.extra["previous_visits"]`` ({unit_id: Visit}) and
``ctx.extra["current_visit"]``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from kvip.accounts.models import NetworkRole, User
from kvip.core.db import utcnow
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from kvip.network.models import RuleOverride
from kvip.standards.models import Standard
from kvip.visits import reports
from kvip.visits.models import (
    Finding,
    Observation,
    Report,
    ReportComment,
    ReportState,
    TeamMember,
    Visit,
    VisitState,
)

GOOD_PRACTICE = [
    "Godt etablerte miljøterapeutiske samtaler med faste kontaktpersoner.",
    "Ungdommene deltar aktivt i husmøter og blir hørt i utforming av postens regler.",
    "Systematisk bruk av kartlegging av selvmordsrisiko ved innleggelse.",
    "Foreldre får tilbud om samtaler og opplæring gjennom hele oppholdet.",
    "Tydelige rutiner for overlapping mellom vaktskift.",
]
IMPROVEMENT = [
    "Skriftlige rutiner for ettersamtale etter tvang er ikke kjent for alle ansatte.",
    "Informasjon om rettigheter gis muntlig, men er ikke tilpasset alder skriftlig.",
    "Opplæringsplanen for nyansatte mangler dokumentert gjennomføring.",
    "Samarbeid med skole ved utskriving er personavhengig.",
    "Bruk av skjerming dokumenteres ikke alltid med begrunnelse.",
]
RECOMMENDATION = [
    "Innfør fast sjekkliste for ettersamtale og følg opp bruken månedlig.",
    "Utarbeid aldersvennlig skriftlig informasjon om rettigheter.",
    "Lag en individuell opplæringsplan for hver nyansatt med signert gjennomføring.",
    "Avtal faste samarbeidsmøter med skole før utskriving.",
    "Gjennomgå skjermingsvedtak i fagmøte hver uke.",
]
SHIFT = {
    "met": ["partly_met"],
    "partly_met": ["met", "not_met"],
    "not_met": ["partly_met"],
}


def _assessment(cycle: Cycle, unit_id: int) -> Assessment | None:
    return db.session.scalar(
        sa.select(Assessment).where(Assessment.cycle_id == cycle.id, Assessment.unit_id == unit_id)
    )


def _visit_day(cycle: Cycle, index: int) -> date:
    start = cycle.visit_window_start or date(cycle.year, 10, 1)
    return start + timedelta(days=3 * index)


def _pick(
    candidates: list[User], load: dict[int, int], avoid: set[int | None], taken: set[int]
) -> User:
    eligible = [u for u in candidates if u.home_institution_id not in avoid and u.id not in taken]
    eligible.sort(key=lambda u: (load.get(u.id, 0), u.id))
    chosen = eligible[0]
    load[chosen.id] = load.get(chosen.id, 0) + 1
    return chosen


def _previous_visit(
    ctx: Any,
    cycle: Cycle,
    assessment: Assessment,
    index: int,
    team: list[tuple[User, str]],
    standards: list[Standard],
) -> Visit:
    rng = ctx.rng
    day = _visit_day(cycle, index)
    completed = datetime.combine(day, time(15, 30))
    visit = Visit(
        assessment_id=assessment.id,
        date=day,
        state=VisitState.completed.value,
        completed_at=completed,
        created_at=completed - timedelta(days=60),
    )
    db.session.add(visit)
    db.session.flush()
    for user, role in team:
        db.session.add(TeamMember(visit_id=visit.id, user_id=user.id, role=role))
    ratings = {
        r.standard_id: r.value
        for r in db.session.scalars(sa.select(Rating).where(Rating.assessment_id == assessment.id))
    }
    writers = [u for u, _role in team]
    for std in standards:
        self_value = ratings.get(std.id)
        if self_value is None:
            value = rng.choice(["met", "met", "partly_met", "not_met"])
        elif self_value in SHIFT and rng.random() < 0.18:
            value = rng.choice(SHIFT[self_value])
        else:
            value = self_value
        comment = ""
        if self_value and value != self_value:
            comment = "Teamet vurderte dokumentasjonen annerledes enn enheten."
        db.session.add(
            Finding(
                visit_id=visit.id,
                standard_id=std.id,
                value=value,
                comment=comment,
                version=1,
                updated_at=completed - timedelta(hours=rng.randint(1, 6)),
                updated_by_id=rng.choice(writers).id,
            )
        )
    for kind, texts in (
        ("good_practice", GOOD_PRACTICE),
        ("improvement", IMPROVEMENT),
        ("recommendation", RECOMMENDATION),
    ):
        for text in rng.sample(texts, 2):
            linked = rng.sample(standards, 2)
            obs = Observation(
                visit_id=visit.id,
                kind=kind,
                text=text,
                domain_id=linked[0].domain_id,
                client_id=f"demo-{visit.id}-{kind}-{rng.randrange(10**9)}",
                created_by_id=writers[0].id,
                created_at=completed,
                updated_at=completed,
            )
            obs.standards = linked
            db.session.add(obs)
    db.session.flush()
    report = Report(
        visit_id=visit.id,
        state=ReportState.final.value,
        shared_at=completed + timedelta(days=20),
        finalised_at=completed + timedelta(days=45),
        finalised_by_id=team[0][0].id,
    )
    db.session.add(report)
    db.session.flush()
    reports.regenerate(report)
    report.generated_at = completed + timedelta(days=45)
    return visit


def populate(ctx: Any) -> None:
    previous: Cycle | None = ctx.extra.get("previous_cycle")
    current: Cycle | None = ctx.extra.get("current_cycle")
    if previous is None or current is None:
        return
    trained = set(
        db.session.scalars(
            sa.select(NetworkRole.user_id).where(
                NetworkRole.network_id == ctx.network.id,
                NetworkRole.role == "reviewer",
                NetworkRole.trained_lead.is_(True),
            )
        )
    )
    pool = [ctx.users[f"reviewer{i}"] for i in range(1, 9)] + [ctx.users["reviewer"]]
    leads = [u for u in pool if u.id in trained]
    expert = ctx.users["expert"]
    load: dict[int, int] = {}
    standards = list(
        db.session.scalars(
            sa.select(Standard)
            .where(Standard.edition_id == previous.edition_id)
            .order_by(Standard.position, Standard.id)
        )
    )
    previous_visits: dict[int, Visit] = {}
    lead_by_unit: dict[int, User] = {}
    for index, unit in enumerate(ctx.units):
        assessment = _assessment(previous, unit.id)
        if assessment is None:
            continue
        lead = _pick(leads, load, {unit.institution_id}, set())
        peer = _pick(pool, load, {unit.institution_id, lead.home_institution_id}, {lead.id})
        team = [(lead, "lead_reviewer"), (peer, "peer_reviewer"), (expert, "expert_by_experience")]
        visit = _previous_visit(ctx, previous, assessment, index, team, standards)
        previous_visits[unit.id] = visit
        lead_by_unit[unit.id] = lead
    demo_visit = previous_visits.get(ctx.demo_unit.id)
    if demo_visit is not None:
        report = db.session.scalar(sa.select(Report).where(Report.visit_id == demo_visit.id))
        if report is not None:
            db.session.add(
                ReportComment(
                    report_id=report.id,
                    section="general",
                    text="Posten har 8 senger, ikke 6 som det sto i utkastet.",
                    author_id=ctx.users["lead"].id,
                    created_at=(report.shared_at or utcnow()) + timedelta(days=5),
                    response="Rettet i endelig rapport.",
                    responded_at=(report.shared_at or utcnow()) + timedelta(days=9),
                    responded_by_id=lead_by_unit[ctx.demo_unit.id].id,
                )
            )
    ctx.extra["previous_visits"] = previous_visits

    assessment = _assessment(current, ctx.visited_unit.id)
    if assessment is None:
        return
    day = current.visit_window_start or (ctx.today + timedelta(days=14))
    if day < ctx.today:
        day = ctx.today + timedelta(days=7)
    visit = Visit(assessment_id=assessment.id, date=day, state=VisitState.scheduled.value)
    db.session.add(visit)
    db.session.flush()
    visited_inst = ctx.visited_unit.institution_id
    lead = ctx.users["reviewer"]
    peer = next(
        u
        for u in pool
        if u.id != lead.id and u.home_institution_id not in (visited_inst, lead.home_institution_id)
    )
    for user, role in (
        (lead, "lead_reviewer"),
        (peer, "peer_reviewer"),
        (expert, "expert_by_experience"),
    ):
        db.session.add(TeamMember(visit_id=visit.id, user_id=user.id, role=role))
    # The visit lies weeks ahead, but the demo lets its team try visit mode now: the
    # coordinator's exception to the visit-day rule (issue 18), as a network would make it.
    db.session.add(
        RuleOverride(
            network_id=current.network_id,
            rule="visit_date",
            entity_id=visit.id,
            reason="Demo: teamet kan prøve besøksmodus før besøksdagen.",
            created_by_id=ctx.users["coordinator"].id,
        )
    )
    db.session.flush()
    ctx.extra["current_visit"] = visit

"""Test data of the actions module: the unit's previous cycle with a completed visit, findings,
observations and a final report (the world's current visit is then the "next visit")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kvip.actions.models import Action
from kvip.core.db import utcnow
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from kvip.visits.models import Finding, Observation, Report, TeamMember, Visit
from tests.factories import World, create_user, standards_of


@dataclass
class Previous:
    cycle: Cycle
    assessment: Assessment
    visit: Visit
    report: Report
    improvement: Observation
    recommendation: Observation
    good_practice: Observation
    reviewer_id: int


def build_previous(world: World, finalised_days_ago: int = 10) -> Previous:
    """Last year's cycle of ``world.unit``: self ratings, a completed visit whose team rated
    1.1 not met and 1.2 partly met, three observations and a final report."""
    today = date.today()
    cycle = Cycle(
        network_id=world.network.id,
        edition_id=world.edition.id,
        year=today.year - 1,
        name=f"Syklus {today.year - 1}",
        state="closed",
        self_assessment_opens=today - timedelta(days=400),
        self_assessment_closes=today - timedelta(days=340),
    )
    db.session.add(cycle)
    db.session.flush()
    assessment = Assessment(cycle_id=cycle.id, unit_id=world.unit.id, state="submitted")
    db.session.add(assessment)
    db.session.flush()
    stds = standards_of(world.edition)
    self_values = ["met", "met", "partly_met", "not_met", "met", "not_applicable"]
    for std, value in zip(stds, self_values, strict=True):
        db.session.add(Rating(assessment_id=assessment.id, standard_id=std.id, value=value))
    old_reviewer = create_user("old-reviewer@example.test", "Old Reviewer")
    visit = Visit(
        assessment_id=assessment.id,
        date=today - timedelta(days=80),
        state="completed",
        completed_at=utcnow() - timedelta(days=79),
    )
    db.session.add(visit)
    db.session.flush()
    db.session.add(TeamMember(visit_id=visit.id, user_id=old_reviewer.id, role="lead_reviewer"))
    db.session.add(Finding(visit_id=visit.id, standard_id=stds[0].id, value="not_met"))
    db.session.add(Finding(visit_id=visit.id, standard_id=stds[1].id, value="partly_met"))
    improvement = Observation(
        visit_id=visit.id,
        kind="improvement",
        text="Ettersamtale etter tvang dokumenteres ikke. Rutinen bør gjøres kjent.",
    )
    improvement.standards = [stds[0]]
    recommendation = Observation(
        visit_id=visit.id, kind="recommendation", text="Opprett et brukerråd for ungdommene"
    )
    good = Observation(visit_id=visit.id, kind="good_practice", text="God velkomstmappe")
    db.session.add_all([improvement, recommendation, good])
    report = Report(
        visit_id=visit.id,
        state="final",
        shared_at=utcnow() - timedelta(days=finalised_days_ago + 20),
        finalised_at=datetime.combine(
            today - timedelta(days=finalised_days_ago), datetime.min.time()
        )
        + timedelta(hours=9),
    )
    db.session.add(report)
    db.session.commit()
    return Previous(
        cycle, assessment, visit, report, improvement, recommendation, good, old_reviewer.id
    )


@dataclass
class ThreeCycles:
    """2025 (a done and an overdue action), 2026 (submitted, an empty plan), 2027 (a visit)."""

    old_done: Action
    old_overdue: Action
    old_planned: Action
    visit: Visit
    assessment: Assessment


def build_three_cycles(world: World) -> ThreeCycles:
    """Shift the world's cycle to be the middle one (submitted, no open actions) and add the
    cycle before it with open actions and the cycle after it with a visit by the reviewer."""
    today = date.today()
    middle = world.cycle
    middle.state = "closed"
    world.assessment.state = "submitted"
    world.assessment.submitted_at = utcnow()
    for action in db.session.scalars(
        db.select(Action).where(Action.assessment_id == world.assessment.id)
    ):
        db.session.delete(action)
    old_cycle = Cycle(
        network_id=world.network.id,
        edition_id=world.edition.id,
        year=middle.year - 1,
        name=f"Syklus {middle.year - 1}",
        state="closed",
    )
    new_cycle = Cycle(
        network_id=world.network.id,
        edition_id=world.edition.id,
        year=middle.year + 1,
        name=f"Syklus {middle.year + 1}",
        state="open",
    )
    db.session.add_all([old_cycle, new_cycle])
    db.session.flush()
    old = Assessment(cycle_id=old_cycle.id, unit_id=world.unit.id, state="submitted")
    new = Assessment(cycle_id=new_cycle.id, unit_id=world.unit.id, state="submitted")
    db.session.add_all([old, new])
    db.session.flush()
    lead = world.users["lead"].id
    done = Action(
        assessment_id=old.id,
        title="Gammelt tiltak som er utført",
        responsible="R",
        deadline=today - timedelta(days=200),
        status="done",
        created_by_id=lead,
    )
    overdue = Action(
        assessment_id=old.id,
        title="Gammelt tiltak på overtid",
        responsible="R",
        deadline=today - timedelta(days=30),
        status="in_progress",
        created_by_id=lead,
    )
    planned = Action(
        assessment_id=old.id,
        title="Gammelt tiltak uten frist",
        status="planned",
        created_by_id=lead,
    )
    visit = Visit(assessment_id=new.id, date=today + timedelta(days=5), state="scheduled")
    db.session.add_all([done, overdue, planned, visit])
    db.session.flush()
    db.session.add(
        TeamMember(visit_id=visit.id, user_id=world.users["reviewer"].id, role="lead_reviewer")
    )
    db.session.commit()
    return ThreeCycles(done, overdue, planned, visit, new)

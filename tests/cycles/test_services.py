"""The annual cycle's rules: state machines, carry-over, optimistic locking, submit/reopen."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from kvip.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from kvip.core.models import AuditEvent
from kvip.cycles import queries, services
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from tests.cycles.conftest import rate_all
from tests.factories import World, create_edition, create_institution, create_unit, standards_of


def _events(entity: str, entity_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.id)
        )
    )


def _plan(world: World, year: int | None = None) -> Cycle:
    edition = create_edition(2, 2)
    db.session.commit()
    today = date.today()
    return services.create_cycle(
        world.users["coordinator"],
        world.network.id,
        edition_id=edition.id,
        year=year or world.cycle.year + 1,
        name="Neste",
        self_assessment_opens=today,
        self_assessment_closes=today + timedelta(days=30),
        visit_window_start=today + timedelta(days=40),
        visit_window_end=today + timedelta(days=90),
    )


# --- cycles ---------------------------------------------------------------------------------


def test_creating_a_cycle_freezes_its_edition_and_is_audited(world: World) -> None:
    cycle = _plan(world)
    assert cycle.state == "planned"
    assert cycle.edition.frozen is True
    fields = {e.field for e in _events("cycle", cycle.id)}
    assert {"year", "name", "edition_id", "self_assessment_closes"} <= fields
    assert [e.action for e in _events("edition", cycle.edition_id)] == ["freeze"]


def test_cycle_validation_reports_every_field_and_creates_nothing(world: World) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Cycle))
    today = date.today()
    with pytest.raises(ServiceError) as err:
        services.create_cycle(
            world.users["coordinator"],
            world.network.id,
            edition_id=None,
            year=world.cycle.year,  # taken
            name=" ",
            self_assessment_opens=today,
            self_assessment_closes=today - timedelta(days=1),
            visit_window_start=today + timedelta(days=9),
            visit_window_end=today + timedelta(days=1),
        )
    assert set(err.value.fields) == {
        "year",
        "name",
        "self_assessment_closes",
        "visit_window_end",
        "edition_id",
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cycle)) == before


@pytest.mark.parametrize("role", ["lead", "member", "reviewer", "outsider"])
def test_only_coordinators_and_admins_manage_cycles(world: World, role: str) -> None:
    with pytest.raises(PermissionDenied):
        services.open_cycle(world.users[role], world.cycle)
    with pytest.raises(PermissionDenied):
        services.enrol_units(world.users[role], world.cycle, [world.unit.id], carry_over=False)


def test_cycle_state_machine_planned_open_closed(world: World) -> None:
    coordinator = world.users["coordinator"]
    cycle = _plan(world)
    with pytest.raises(ServiceError, match="Enrol at least one unit"):
        services.open_cycle(coordinator, cycle)
    with pytest.raises(ServiceError) as err:
        services.close_cycle(coordinator, cycle)  # planned → closed is not a transition
    assert err.value.status == 409
    services.enrol_units(coordinator, cycle, [world.unit.id], carry_over=False)
    services.open_cycle(coordinator, cycle)
    assert cycle.state == "open"
    with pytest.raises(ServiceError):
        services.open_cycle(coordinator, cycle)
    services.close_cycle(coordinator, cycle)
    assert cycle.state == "closed"
    with pytest.raises(ServiceError):
        services.enrol_units(coordinator, cycle, [world.other_unit.id], carry_over=False)
    with pytest.raises(ServiceError):
        services.update_cycle(
            coordinator,
            cycle,
            name="x",
            self_assessment_opens=cycle.self_assessment_opens,
            self_assessment_closes=cycle.self_assessment_closes,
            visit_window_start=None,
            visit_window_end=None,
        )
    states = [(e.old, e.new) for e in _events("cycle", cycle.id) if e.field == "state"]
    assert states == [("planned", "open"), ("open", "closed")]


def test_ratings_cannot_change_unless_the_cycle_is_open(world: World) -> None:
    world.cycle.state = "closed"
    db.session.commit()
    with pytest.raises(ServiceError) as err:
        services.save_rating(
            world.users["member"], world.assessment, "1.2", {"value": "met", "version": 0}
        )
    assert err.value.status == 409 and err.value.code == "locked"


def test_enrolment_is_idempotent_and_only_for_units_of_the_network(world: World) -> None:
    coordinator = world.users["coordinator"]
    cycle = _plan(world)
    first = services.enrol_units(coordinator, cycle, [world.unit.id], carry_over=False)
    again = services.enrol_units(
        coordinator, cycle, [world.unit.id, world.other_unit.id], carry_over=False
    )
    assert len(first) == 1 and [a.unit_id for a in again] == [world.other_unit.id]
    from tests.factories import create_network

    foreign = create_unit(create_institution(create_network()))
    db.session.commit()
    with pytest.raises(ServiceError):
        services.enrol_units(coordinator, cycle, [foreign.id], carry_over=False)


# --- carry-over -----------------------------------------------------------------------------


def test_carry_over_copies_last_cycles_ratings_marked_until_confirmed(
    world: World, previous: Assessment
) -> None:
    coordinator = world.users["coordinator"]
    # The source is the last *submitted* assessment (``previous``), not the world's current
    # one: its cycle is still open and its answers unconfirmed.
    rate_all(world.assessment, ["not_met"] * 6, comment="uferdig")
    cycle = services.create_cycle(
        coordinator,
        world.network.id,
        edition_id=world.edition.id,
        year=world.cycle.year + 1,
        name="Neste",
        self_assessment_opens=date.today(),
        self_assessment_closes=date.today() + timedelta(days=20),
    )
    (new,) = services.enrol_units(coordinator, cycle, [world.unit.id], carry_over=True)
    ratings = db.session.scalars(sa.select(Rating).where(Rating.assessment_id == new.id)).all()
    assert len(ratings) == 6 and all(r.carried_over for r in ratings)
    assert sorted(r.value for r in ratings) == sorted(
        ["met", "partly_met", "not_met", "not_applicable", "met", "met"]
    )
    assert all(r.comment == "før" for r in ratings)
    assert new.state == "not_started"
    # Carried over is not fresh: completeness 0 %, scores computed, count shown.
    data = queries.load_assessment(new)
    assert data.progress.completeness == 0.0
    assert data.carried_over == 6
    assert data.summary.counts.met == 3
    history = _events("rating", ratings[0].id)
    assert [e.action for e in history] == ["carry_over"]
    enrol = _events("assessment", new.id)
    assert any(e.field == "carried_over" and e.new == "6" for e in enrol)

    # Confirming one: no value change, no longer carried over, counts as fresh, audited.
    services.open_cycle(coordinator, cycle)
    code = standards_of(world.edition)[1].code
    state = services.save_rating(world.users["member"], new, code, {"version": 1, "confirm": True})
    assert state["carried_over"] is False and state["value"] == "partly_met"
    assert state["version"] == 2
    assert new.state == "in_progress"
    # Changing another one also confirms it.
    code2 = standards_of(world.edition)[2].code
    state2 = services.save_rating(world.users["member"], new, code2, {"value": "met", "version": 1})
    assert state2["carried_over"] is False
    # Confirm the rest of domain 1 in one go.
    n = services.confirm_domain(world.users["lead"], new, "1")
    assert n == 1
    data = queries.load_assessment(new)
    assert data.carried_over == 3
    assert data.progress.counts.rated == 3


def test_enrolment_without_carry_over_starts_empty(world: World, previous: Assessment) -> None:
    cycle = _plan(world)
    (new,) = services.enrol_units(
        world.users["coordinator"], cycle, [world.unit.id], carry_over=False
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Rating).where(Rating.assessment_id == new.id)
        )
        == 0
    )


# --- ratings: optimistic locking, validation -------------------------------------------------


def test_save_creates_then_updates_with_versions_and_history(world: World) -> None:
    member, lead = world.users["member"], world.users["lead"]
    code = standards_of(world.edition)[1].code
    first = services.save_rating(
        member,
        world.assessment,
        code,
        {
            "value": "partly_met",
            "comment": "Delvis",
            "evidence_links": ["https://kvalitet.example/rutine/12"],
            "evidence_kinds": ["interview", "procedure"],
            "version": 0,
        },
    )
    assert first["version"] == 1 and first["updated_by"] == "Member"
    assert first["evidence_kinds"] == ["procedure", "interview"]  # canonical order
    second = services.save_rating(lead, world.assessment, code, {"value": "met", "version": 1})
    assert second["version"] == 2 and second["comment"] == "Delvis"
    rating_id = db.session.scalar(
        sa.select(Rating.id)
        .where(Rating.assessment_id == world.assessment.id)
        .order_by(Rating.id.desc())
    )
    changes = [(e.action, e.field, e.old, e.new) for e in _events("rating", rating_id)]
    assert ("create", "value", None, "partly_met") in changes
    assert ("update", "value", "partly_met", "met") in changes


def test_stale_save_is_refused_with_the_current_state_and_changes_nothing(world: World) -> None:
    member, lead = world.users["member"], world.users["lead"]
    code = standards_of(world.edition)[0].code  # rated "met", version 1
    services.save_rating(lead, world.assessment, code, {"comment": "Leder", "version": 1})
    with pytest.raises(Conflict) as err:
        services.save_rating(member, world.assessment, code, {"value": "not_met", "version": 1})
    current = err.value.payload["current"]
    assert current["value"] == "met" and current["comment"] == "Leder"
    assert current["version"] == 2 and current["updated_by"] == "Lead"
    rating = db.session.scalar(sa.select(Rating).where(Rating.assessment_id == world.assessment.id))
    db.session.refresh(rating)
    assert rating.value == "met" and rating.version == 2
    # Keep mine: the same edit based on the current version goes through.
    kept = services.save_rating(member, world.assessment, code, {"value": "not_met", "version": 2})
    assert kept["value"] == "not_met" and kept["version"] == 3


def test_an_exact_repeat_of_a_lost_answer_is_accepted(world: World) -> None:
    code = standards_of(world.edition)[1].code
    body = {"value": "met", "comment": "x", "version": 0}
    first = services.save_rating(world.users["member"], world.assessment, code, body)
    again = services.save_rating(world.users["member"], world.assessment, code, body)
    assert again == first


def test_a_first_save_after_someone_else_rated_is_a_conflict(world: World) -> None:
    """Both started from "not rated" (version 0): the second one is refused with 409."""
    code = standards_of(world.edition)[1].code
    std = standards_of(world.edition)[1]
    services.save_rating(
        world.users["lead"], world.assessment, code, {"value": "met", "version": 0}
    )
    # Simulate the loser: it still believes the standard is unrated.
    data = services.parse_rating_input({"value": "not_met", "version": 0})
    with pytest.raises(Conflict):
        services.write_rating(world.users["member"], world.assessment, std, data)


def test_a_lost_update_race_is_caught_by_the_version_check(world: World) -> None:
    std = standards_of(world.edition)[0]
    rating = db.session.scalar(
        sa.select(Rating).where(
            Rating.standard_id == std.id, Rating.assessment_id == world.assessment.id
        )
    )
    assert rating.version == 1
    # Another worker saves between our read and our write (its own connection).
    with db.engine.begin() as other:
        other.execute(
            sa.update(Rating.__table__).where(Rating.__table__.c.id == rating.id).values(version=2)
        )
    with pytest.raises(Conflict) as err:
        services.save_rating(
            world.users["member"], world.assessment, std.code, {"value": "not_met", "version": 1}
        )
    assert err.value.payload["current"]["version"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": "excellent", "version": 0}, "value"),
        ({"value": "met"}, "version"),
        ({"value": "met", "version": "1"}, "version"),
        ({"value": "met", "version": True}, "version"),
        ({"comment": 12, "version": 0}, "comment"),
        ({"comment": "x" * 10_001, "version": 0}, "comment"),
        ({"evidence_links": ["javascript:alert(1)"], "version": 0}, "evidence_links"),
        ({"evidence_links": "ftp://x", "version": 0}, "evidence_links"),
        ({"evidence_kinds": ["gossip"], "version": 0}, "evidence_kinds"),
        ({"evidence_kinds": 3, "version": 0}, "evidence_kinds"),
        ({"confirm": "yes", "version": 0}, "confirm"),
    ],
)
def test_invalid_input_is_refused_per_field(world: World, body: dict, field: str) -> None:
    code = standards_of(world.edition)[1].code
    with pytest.raises(ServiceError) as err:
        services.save_rating(world.users["member"], world.assessment, code, body)
    assert err.value.status == 422 and field in err.value.fields
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Rating)
            .where(Rating.assessment_id == world.assessment.id)
        )
        == 1
    )


def test_unknown_standard_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        services.save_rating(
            world.users["member"], world.assessment, "9.99", {"value": "met", "version": 0}
        )


@pytest.mark.parametrize("role", ["coordinator", "admin", "reviewer", "outsider"])
def test_only_the_unit_rates_itself(world: World, role: str) -> None:
    with pytest.raises(PermissionDenied):
        services.save_rating(
            world.users[role], world.assessment, "1.2", {"value": "met", "version": 0}
        )


# --- submit and reopen ----------------------------------------------------------------------


def test_submit_needs_every_standard_rated_and_confirmed_then_locks(world: World) -> None:
    lead, member = world.users["lead"], world.users["member"]
    with pytest.raises(PermissionDenied):
        services.submit_assessment(member, world.assessment)
    with pytest.raises(ServiceError) as err:
        services.submit_assessment(lead, world.assessment)
    assert err.value.code == "incomplete" and "5 standards" in err.value.message
    rate_all(world.assessment, ["met", "not_applicable", "met", "met", "not_met", "not_applicable"])
    rating = db.session.scalar(sa.select(Rating).where(Rating.assessment_id == world.assessment.id))
    rating.carried_over = True
    db.session.commit()
    with pytest.raises(ServiceError) as err:
        services.submit_assessment(lead, world.assessment)
    assert err.value.code == "unconfirmed"
    rating.carried_over = False
    db.session.commit()
    services.submit_assessment(lead, world.assessment)
    assert world.assessment.state == "submitted" and world.assessment.submitted_by_id == lead.id
    with pytest.raises(ServiceError) as err:
        services.save_rating(member, world.assessment, "1.1", {"value": "not_met", "version": 2})
    assert err.value.code == "locked"
    with pytest.raises(ServiceError):
        services.submit_assessment(lead, world.assessment)


def test_reopen_by_coordinator_with_a_reason(world: World) -> None:
    rate_all(world.assessment, ["met"] * 6)
    services.submit_assessment(world.users["lead"], world.assessment)
    with pytest.raises(PermissionDenied):
        services.reopen_assessment(world.users["lead"], world.assessment, "nei")
    with pytest.raises(ServiceError) as err:
        services.reopen_assessment(world.users["coordinator"], world.assessment, "  ")
    assert "reason" in err.value.fields
    services.reopen_assessment(world.users["coordinator"], world.assessment, "Mangler kommentarer")
    assert world.assessment.state == "in_progress" and world.assessment.submitted_at is None
    event = _events("assessment", world.assessment.id)[-1]
    assert event.action == "reopen" and event.note == "Mangler kommentarer"
    services.save_rating(
        world.users["member"], world.assessment, "1.1", {"comment": "ok", "version": 1}
    )
    with pytest.raises(ServiceError):  # not submitted any more
        services.reopen_assessment(world.users["coordinator"], world.assessment, "igjen")


def test_reopen_is_refused_once_the_cycle_is_closed(world: World) -> None:
    rate_all(world.assessment, ["met"] * 6)
    services.submit_assessment(world.users["lead"], world.assessment)
    services.close_cycle(world.users["coordinator"], world.cycle)
    with pytest.raises(ServiceError):
        services.reopen_assessment(world.users["coordinator"], world.assessment, "for sent")


def test_progress_of_many_assessments_in_one_query(world: World, previous: Assessment) -> None:
    rate_all(world.assessment, ["met", "not_met", None, "not_applicable"])
    rows = {r.assessment.unit_id: r for r in queries.dashboard(world.cycle)}
    assert rows[world.unit.id].progress.completeness == pytest.approx(50.0)
    assert rows[world.other_unit.id].progress.completeness == pytest.approx(100 / 6)
    assert queries.days_left(world.cycle) == 50
    assert queries.current_assessment(world.unit.id).id == world.assessment.id
    assert isinstance(rows[world.unit.id].assessment, Assessment)


# --- the previous assessment: one meaning everywhere ----------------------------------------


def test_previous_assessment_is_the_last_submitted_one_of_the_same_network(
    world: World, previous: Assessment
) -> None:
    from kvip.actions import queries as action_queries
    from kvip.visits.views import mode as views_mode

    cycle = _plan(world, year=world.cycle.year + 1)
    (new,) = services.enrol_units(
        world.users["coordinator"], cycle, [world.unit.id], carry_over=False
    )
    # The world's cycle is still open (its assessment in progress): the source is the one
    # submitted before it.
    assert services.previous_assessment(new) is previous
    assert services.previous_assessments(world.network.id, cycle.year, [world.unit.id]) == {
        world.unit.id: previous.id
    }
    world.assessment.state = "submitted"
    db.session.commit()
    assert services.previous_assessment(new) is world.assessment
    assert services.previous_assessment(previous) is None
    # One function, used by the action plan's visit pack and the visit mode.
    assert action_queries.previous_assessment is services.previous_assessment
    assert views_mode.previous_assessment is services.previous_assessment

"""The action state machine, validation and audit of the action services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from kvip.accounts.models import User
from kvip.actions import services
from kvip.actions.models import Action
from kvip.core.errors import Conflict, PermissionDenied, ServiceError
from kvip.core.models import AuditEvent
from kvip.cycles.models import Rating
from kvip.extensions import db
from kvip.standards.models import Standard
from tests.actions.helpers import Previous
from tests.factories import World

TODAY = date.today()


def _ready(world: World, prev: Previous, **over: object) -> Action:
    data = {
        "title": "Rutine for ettersamtale",
        "responsible": "Avdelingsleder",
        "deadline": (TODAY + timedelta(days=30)).isoformat(),
        "standard_codes": "1.1",
        "duties": ["7c"],
    }
    data.update(over)
    return services.create_action(world.users["lead"], prev.assessment, data)


def _events(action: Action) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity == "action", AuditEvent.entity_id == action.id
            )
        )
    )


def test_create_validates_and_audits_every_field(world: World, prev: Previous) -> None:
    action = _ready(world, prev, risk="high", pdsa_stage="do", success_measure="Andel")
    assert action.status == "planned" and action.version == 1
    assert [s.code for s in action.standards] == ["1.1"] and action.duties == ["7c"]
    fields = {e.field for e in _events(action)}
    assert {"title", "responsible", "deadline", "risk", "standards", "duties", "status"} <= fields
    assert all(e.unit_id == world.unit.id for e in _events(action))


def test_create_reports_every_bad_field_and_changes_nothing(world: World, prev: Previous) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Action))
    with pytest.raises(ServiceError) as exc:
        services.create_action(
            world.users["member"],
            prev.assessment,
            {
                "title": " ",
                "deadline": (TODAY - timedelta(days=1)).isoformat(),
                "risk": "extreme",
                "pdsa_stage": "think",
                "standard_codes": "1.1, 9.99",
                "duties": ["6a", "10x"],
                "description": "x" * 5001,
            },
        )
    fields = exc.value.fields
    assert set(fields) == {
        "title",
        "deadline",
        "risk",
        "pdsa_stage",
        "standards",
        "duties",
        "description",
    }
    assert "9.99" in fields["standards"] and "10x" in fields["duties"]
    assert "past" in fields["deadline"]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == before


def test_bad_date_and_far_deadline(world: World, prev: Previous) -> None:
    for value, words in (
        ("31.12.2026", "YYYY-MM-DD"),
        ((TODAY + timedelta(days=2000)).isoformat(), "five years"),
    ):
        with pytest.raises(ServiceError) as exc:
            _ready(world, prev, deadline=value)
        assert words in exc.value.fields["deadline"]


def test_the_whole_path_to_verified(world: World, prev: Previous) -> None:
    action = _ready(world, prev)
    member, reviewer = world.users["member"], world.users["reviewer"]
    services.change_status(member, action, "in_progress")
    services.change_status(member, action, "done")
    assert action.done_at is not None
    services.verify_action(reviewer, action, "verified", "Sett i journal")
    assert action.status == "verified" and action.verified_by_id == reviewer.id
    assert action.verification_visit_id == world.visit.id
    statuses = [(e.old, e.new) for e in _events(action) if e.field == "status"]
    assert statuses == [
        (None, "planned"),
        ("planned", "in_progress"),
        ("in_progress", "done"),
        ("done", "verified"),
    ]
    # A verified action is locked for the unit.
    with pytest.raises(ServiceError):
        services.update_action(member, action, {"title": "Nytt"}, version=action.version)
    with pytest.raises(ServiceError):
        services.change_status(member, action, "in_progress")


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([], "done"),  # planned cannot jump to done
        ([], "verified"),  # the unit never verifies
        (["in_progress", "done"], "dropped"),  # done work is not dropped
        (["in_progress", "done"], "planned"),
    ],
)
def test_refused_moves(world: World, prev: Previous, path: list[str], target: str) -> None:
    action = _ready(world, prev)
    for step in path:
        services.change_status(world.users["lead"], action, step)
    before = action.status
    with pytest.raises(ServiceError):
        services.change_status(world.users["lead"], action, target)
    db.session.rollback()
    assert db.session.get(Action, action.id).status == before


def test_steps_back_and_repeated_taps(world: World, prev: Previous) -> None:
    action = _ready(world, prev)
    lead = world.users["lead"]
    services.change_status(lead, action, "in_progress")
    version = action.version
    services.change_status(lead, action, "in_progress")  # double tap: no change
    assert action.version == version
    services.change_status(lead, action, "done")
    services.change_status(lead, action, "in_progress")  # reopen
    assert action.done_at is None
    services.change_status(lead, action, "planned")
    assert action.status == "planned"


def test_drop_needs_a_reason_and_restore_clears_it(world: World, prev: Previous) -> None:
    action = _ready(world, prev)
    with pytest.raises(ServiceError) as exc:
        services.change_status(world.users["lead"], action, "dropped", reason="  ")
    assert "reason" in exc.value.fields
    services.change_status(world.users["lead"], action, "dropped", reason="Erstattet")
    assert action.dropped_reason == "Erstattet"
    with pytest.raises(ServiceError):
        services.update_action(world.users["lead"], action, {"title": "x"}, version=None)
    services.change_status(world.users["lead"], action, "planned")
    assert action.status == "planned" and action.dropped_reason == ""


def test_start_needs_responsible_and_deadline(world: World, prev: Previous) -> None:
    action = services.create_action(world.users["lead"], prev.assessment, {"title": "Uten frist"})
    with pytest.raises(ServiceError) as exc:
        services.change_status(world.users["lead"], action, "in_progress")
    assert set(exc.value.fields) == {"responsible", "deadline"}


def test_stale_version_is_a_conflict_and_changes_nothing(world: World, prev: Previous) -> None:
    action = _ready(world, prev)
    services.update_action(world.users["lead"], action, {"title": "Første"}, version=1)
    assert action.version == 2
    with pytest.raises(Conflict) as exc:
        services.update_action(world.users["member"], action, {"title": "Andre"}, version=1)
    assert exc.value.payload["current"]["version"] == 2
    db.session.rollback()
    assert db.session.get(Action, action.id).title == "Første"


def test_update_keeps_an_old_overdue_deadline(world: World, prev: Previous) -> None:
    action = _ready(world, prev)
    action.deadline = TODAY - timedelta(days=3)
    db.session.commit()
    data = {"title": "Ny tittel", "deadline": action.deadline.isoformat(), "responsible": "X"}
    services.update_action(world.users["lead"], action, data, version=action.version)
    assert action.title == "Ny tittel"


def test_not_verified_keeps_status_and_needs_a_comment(world: World, prev: Previous) -> None:
    action = _ready(world, prev)
    reviewer = world.users["reviewer"]
    with pytest.raises(ServiceError) as exc:
        services.verify_action(reviewer, action, "not_verified", "")
    assert "comment" in exc.value.fields
    with pytest.raises(Conflict):
        services.verify_action(reviewer, action, "verified")  # not done yet
    services.verify_action(reviewer, action, "not_verified", "Ikke startet")
    assert action.status == "planned" and action.verification_outcome == "not_verified"
    services.change_status(world.users["lead"], action, "in_progress")
    services.change_status(world.users["lead"], action, "done")
    services.verify_action(reviewer, action, "verified")
    services.verify_action(reviewer, action, "not_verified", "Feiltrykk")  # corrected
    assert action.status == "done"


def test_only_the_next_visits_team_verifies(world: World, prev: Previous) -> None:
    action = _ready(world, prev)
    services.change_status(world.users["lead"], action, "in_progress")
    services.change_status(world.users["lead"], action, "done")
    for role in ("lead", "member", "coordinator", "admin", "outsider"):
        with pytest.raises(PermissionDenied):
            services.verify_action(world.users[role], action, "verified")
    # The reviewer of the *current* visit cannot verify actions of the same cycle.
    current = services.create_action(world.users["lead"], world.assessment, {"title": "Nå"})
    with pytest.raises(PermissionDenied):
        services.verify_action(world.users["reviewer"], current, "verified")


def test_outsiders_and_reviewers_cannot_write(world: World, prev: Previous) -> None:
    for role in ("outsider", "reviewer", "coordinator", "admin"):
        with pytest.raises(PermissionDenied):
            services.create_action(world.users[role], prev.assessment, {"title": "x"})


def test_one_tap_from_an_observation_is_prefilled_and_idempotent(
    world: World, prev: Previous
) -> None:
    lead = world.users["lead"]
    action = services.create_from_observation(lead, prev.assessment, prev.improvement.id)
    assert action.title == "Ettersamtale etter tvang dokumenteres ikke"
    assert action.description == prev.improvement.text
    assert [s.code for s in action.standards] == ["1.1"] and action.duties == ["8a"]
    assert (action.source_kind, action.source_id) == ("observation", prev.improvement.id)
    again = services.create_from_observation(lead, prev.assessment, prev.improvement.id)
    assert again.id == action.id
    with pytest.raises(ServiceError):
        services.create_from_observation(lead, prev.assessment, prev.good_practice.id)
    with pytest.raises(ServiceError):  # another assessment's finding
        services.create_from_observation(lead, world.assessment, prev.improvement.id)


def _std(world: World, code: str) -> Standard:
    return next(s for d in world.edition.domains for s in d.standards if s.code == code)


def _count_actions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Action)) or 0


def test_one_tap_from_a_standard_sets_risk_by_type(world: World, prev: Previous) -> None:
    std = _std(world, "2.1")
    action, created = services.create_from_standard(world.users["member"], prev.assessment, std.id)
    assert created and action.title == "2.1: Standard 2.1 in English" and action.risk == "high"
    assert action.duties == ["9b"] and [s.code for s in action.standards] == ["2.1"]


def test_one_tap_from_a_standard_partly_met_by_the_visit_team(world: World, prev: Previous) -> None:
    """1.2: the unit said met, the completed visit's team said partly met — the team's rating
    counts (DESIGN §5), so the action aims at fully meeting it."""
    std = _std(world, "1.2")
    action, created = services.create_from_standard(world.users["lead"], prev.assessment, std.id)
    assert created
    assert action.title == "1.2: from partly to fully met – Standard 1.2 in English"
    assert action.description == "Standard 1.2 in English"
    assert action.risk == "low"  # type 2, partly met: one step below not met
    assert (action.source_kind, action.source_id) == ("standard", std.id)
    assert [s.code for s in action.standards] == ["1.2"] and action.duties == ["9b"]
    assert _events(action)[0].action == "create"


def test_one_tap_partly_met_in_the_self_assessment_and_risk_by_type(
    world: World, prev: Previous
) -> None:
    """1.3 has no finding, so the unit's own "partly met" counts; a type 1 standard partly met
    is medium risk (not met: high)."""
    action, created = services.create_from_standard(
        world.users["member"], prev.assessment, _std(world, "1.3").id
    )
    assert created and action.title.startswith("1.3: from partly to fully met – ")
    rating = db.session.scalar(
        sa.select(Rating).where(
            Rating.assessment_id == prev.assessment.id, Rating.standard_id == _std(world, "2.1").id
        )
    )
    assert rating is not None
    rating.value = "partly_met"
    db.session.commit()
    essential, _created = services.create_from_standard(
        world.users["member"], prev.assessment, _std(world, "2.1").id
    )
    assert essential.risk == "medium"


def test_one_tap_never_makes_a_second_action_for_a_standard(world: World, prev: Previous) -> None:
    lead = world.users["lead"]
    first, created = services.create_from_standard(lead, prev.assessment, _std(world, "1.2").id)
    assert created
    again, created = services.create_from_standard(
        world.users["member"], prev.assessment, _std(world, "1.2").id
    )
    assert again.id == first.id and not created
    # An action the unit wrote itself and linked to 1.3 is the action for 1.3.
    manual = services.create_action(
        lead, prev.assessment, {"title": "Egen plan for 1.3", "standard_codes": "1.3, 2.2"}
    )
    before = _count_actions()
    found, created = services.create_from_standard(lead, prev.assessment, _std(world, "1.3").id)
    assert found.id == manual.id and not created
    assert _count_actions() == before


def test_one_tap_refuses_a_standard_that_is_met(world: World, prev: Previous) -> None:
    before = _count_actions()
    for code in ("2.2", "2.3"):  # met, not applicable
        with pytest.raises(ServiceError) as exc:
            services.create_from_standard(
                world.users["lead"], prev.assessment, _std(world, code).id
            )
        assert code in exc.value.message and exc.value.status == 422
    assert _count_actions() == before
    with pytest.raises(PermissionDenied):
        services.create_from_standard(
            world.users["reviewer"], prev.assessment, _std(world, "1.2").id
        )
    with pytest.raises(PermissionDenied):
        services.create_from_standard(
            world.users["coordinator"], prev.assessment, _std(world, "1.2").id
        )
    assert _count_actions() == before


def test_a_team_of_an_earlier_visit_cannot_verify_later_actions(
    world: World, prev: Previous
) -> None:
    """The old visit's reviewer is on a visit of the same unit, but not a later one."""
    old_reviewer = db.session.get(User, prev.reviewer_id)
    action = _ready(world, prev)
    services.change_status(world.users["lead"], action, "in_progress")
    services.change_status(world.users["lead"], action, "done")
    current = services.create_action(
        world.users["lead"],
        world.assessment,
        {"title": "Nå", "responsible": "R", "deadline": (TODAY + timedelta(days=9)).isoformat()},
    )
    services.change_status(world.users["lead"], current, "in_progress")
    services.change_status(world.users["lead"], current, "done")
    with pytest.raises(ServiceError) as exc:
        services.verify_action(old_reviewer, current, "verified")
    assert exc.value.status == 403

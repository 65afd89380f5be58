"""Writes of the action plan: create, change, move through the states, verify.

Every function takes the acting user, checks the permission, validates every field (changing
nothing on any error), writes, audits each changed field and commits.

States: planned → in_progress → done → verified (by the next visit's team), or dropped with a
reason. The unit may step back (in progress → planned, done → in progress, dropped → planned);
only the next visit's team moves an action to or from ``verified``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, TypedDict

import sqlalchemy as sa
from flask_babel import gettext as _

from kvip.actions import duties_ref, gap, labels, queries
from kvip.actions.models import Action, ActionDuty, ActionStatus, PdsaStage, Risk
from kvip.core import audit, versioning
from kvip.core.db import utcnow
from kvip.core.errors import Conflict, NotFound, ServiceError
from kvip.core.i18n import localized
from kvip.core.permissions import require
from kvip.core.text import clean_text, single_line, strip_format_characters
from kvip.cycles.models import Assessment, Cycle
from kvip.extensions import db
from kvip.standards.models import Standard
from kvip.visits.models import Observation, ObservationKind, TeamMember, Visit

S = ActionStatus
FIELDS = (
    "title",
    "description",
    "responsible",
    "deadline",
    "risk",
    "pdsa_stage",
    "success_measure",
)
TITLE_MAX = 200
TEXT_MAX = 5000
RESPONSIBLE_MAX = 200
MAX_YEARS_AHEAD = 5

# The unit's own moves (permission ``actions.edit``).
UNIT_TRANSITIONS: dict[str, frozenset[str]] = {
    S.planned: frozenset({S.in_progress, S.dropped}),
    S.in_progress: frozenset({S.planned, S.done, S.dropped}),
    S.done: frozenset({S.in_progress}),
    S.dropped: frozenset({S.planned}),
    S.verified: frozenset(),
}
SOURCE_KINDS = ("manual", "observation", "standard", "duty")


class Scope(TypedDict):
    network_id: int
    unit_id: int


def _scope(action_or_assessment: Any) -> Scope:
    assessment = (
        action_or_assessment.assessment
        if isinstance(action_or_assessment, Action)
        else action_or_assessment
    )
    return {"network_id": assessment.cycle.network_id, "unit_id": assessment.unit_id}


def _clean_text(value: Any) -> str:
    return str(value or "").strip()


Errors = dict[str, str]


def _title(data: dict[str, Any], errors: Errors) -> str:
    """A single line (kvip.core.text), required, at most TITLE_MAX characters."""
    title = single_line(_clean_text(data.get("title")), "title", errors).strip()
    if not title:
        errors["title"] = _("Give the action a short title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Keep the title under %(n)d characters.", n=TITLE_MAX)
    return title


def _long_text(data: dict[str, Any], name: str, errors: Errors) -> str:
    """Free text that keeps line breaks and tabs only, at most TEXT_MAX characters."""
    text = clean_text(_clean_text(data.get(name)))
    if len(text) > TEXT_MAX:
        errors[name] = _("Keep this text under %(n)d characters.", n=TEXT_MAX)
    return text


def _responsible(data: dict[str, Any], errors: Errors) -> str:
    responsible = single_line(_clean_text(data.get("responsible")), "responsible", errors).strip()
    if len(responsible) > RESPONSIBLE_MAX:
        errors["responsible"] = _("Keep the name under %(n)d characters.", n=RESPONSIBLE_MAX)
    return responsible


def _parse_deadline(value: Any, errors: Errors) -> date | None:
    """A date, an ISO date string or nothing."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()) if value.strip() else None
        except ValueError:
            errors["deadline"] = _("Enter the deadline as a date (YYYY-MM-DD).")
            return None
    if value is not None and not isinstance(value, date):
        errors["deadline"] = _("Enter the deadline as a date (YYYY-MM-DD).")
        return None
    return value


def _deadline(
    data: dict[str, Any], current: Action | None, on: date, errors: Errors
) -> date | None:
    """Not in the past and within MAX_YEARS_AHEAD years, checked only when it changes (an old
    deadline that has passed does not block other edits)."""
    deadline = _parse_deadline(data.get("deadline"), errors)
    changed = current is None or deadline != current.deadline
    if deadline is not None and changed and "deadline" not in errors:
        if deadline < on:
            errors["deadline"] = _("The deadline cannot be in the past.")
        elif deadline > on + timedelta(days=365 * MAX_YEARS_AHEAD):
            errors["deadline"] = _("Choose a deadline within five years.")
    return deadline


def _risk(data: dict[str, Any], errors: Errors) -> str:
    risk = _clean_text(data.get("risk")) or Risk.medium.value
    if risk not in {r.value for r in Risk}:
        errors["risk"] = _("Choose low, medium or high risk.")
    return risk


def _pdsa_stage(data: dict[str, Any], errors: Errors) -> str:
    stage = _clean_text(data.get("pdsa_stage")) or PdsaStage.plan.value
    if stage not in {p.value for p in PdsaStage}:
        errors["pdsa_stage"] = _("Choose a stage of the improvement cycle: plan, do, study or act.")
    return stage


def _duties(data: dict[str, Any], errors: Errors) -> list[str]:
    """Codes of the regulation's duties (duties_ref), lower case, each once."""
    duties = sorted({str(d).strip().lower() for d in data.get("duties") or [] if str(d).strip()})
    unknown = [d for d in duties if d not in duties_ref.CODES]
    if unknown:
        errors["duties"] = _("Unknown duties: %(codes)s.", codes=", ".join(unknown))
    return duties


def _edition_standards(assessment: Assessment, where: Any) -> list[Standard]:
    return list(
        db.session.scalars(
            sa.select(Standard)
            .where(where, Standard.edition_id == assessment.cycle.edition_id)
            .order_by(Standard.position, Standard.id)
        )
    )


def _standards(assessment: Assessment, data: dict[str, Any], errors: Errors) -> list[Standard]:
    """The standards the action is about, of the cycle's edition: typed codes
    (``standard_codes``, a list or one string split at commas, semicolons and spaces) or,
    when no codes are given, ids (``standard_ids``)."""
    codes = data.get("standard_codes")
    if isinstance(codes, str):
        codes = [c for c in codes.replace(";", ",").replace(" ", ",").split(",")]
    if codes is not None:
        standards: list[Standard] = []
        wanted_codes = sorted({str(c).strip() for c in codes if str(c).strip()})
        if wanted_codes:
            standards = _edition_standards(assessment, Standard.code.in_(wanted_codes))
            unknown_codes = sorted(set(wanted_codes) - {s.code for s in standards})
            if unknown_codes:
                errors["standards"] = _(
                    "No standard with the code %(codes)s in this cycle's edition.",
                    codes=", ".join(unknown_codes),
                )
        return standards
    try:
        wanted = sorted({int(i) for i in data.get("standard_ids") or []})
    except (TypeError, ValueError):
        errors["standards"] = _("Choose standards from the list.")
        return []
    if not wanted:
        return []
    standards = _edition_standards(assessment, Standard.id.in_(wanted))
    if len(standards) != len(wanted):
        errors["standards"] = _("Choose standards of this cycle's edition.")
    return standards


def _validate(
    assessment: Assessment,
    data: dict[str, Any],
    *,
    current: Action | None,
    on: date,
) -> dict[str, Any]:
    """Check every field; returns cleaned values or raises one ServiceError with all field errors.

    Title and responsible are single lines: no control characters, no invisible formatting
    characters (kvip.core.text); the texts keep line breaks and tabs only."""
    errors: Errors = {}
    clean: dict[str, Any] = {
        "title": _title(data, errors),
        "description": _long_text(data, "description", errors),
        "success_measure": _long_text(data, "success_measure", errors),
        "responsible": _responsible(data, errors),
        "deadline": _deadline(data, current, on, errors),
        "risk": _risk(data, errors),
        "pdsa_stage": _pdsa_stage(data, errors),
        "duties": _duties(data, errors),
        "standards": _standards(assessment, data, errors),
    }
    if errors:
        raise ServiceError(
            _("The action was not saved. Please correct the marked fields."), fields=errors
        )
    return clean


def _set_duties(action: Action, duties: Iterable[str]) -> None:
    wanted = set(duties)
    for row in list(action._duty_rows):
        if row.duty not in wanted:
            action._duty_rows.remove(row)
    have = {row.duty for row in action._duty_rows}
    for code in sorted(wanted - have):
        action._duty_rows.append(ActionDuty(duty=code))


def _std_codes(standards: Iterable[Standard]) -> list[str]:
    return [s.code for s in standards]


def create_action(
    actor: Any,
    assessment: Assessment,
    data: dict[str, Any],
    *,
    source_kind: str = "manual",
    source_id: int | None = None,
    on: date | None = None,
) -> Action:
    """Add an action to the unit's plan of ``assessment`` (status planned)."""
    require(actor, "actions.edit", assessment)
    clean = _validate(assessment, data, current=None, on=on or queries.today())
    if source_kind not in SOURCE_KINDS:
        raise ServiceError(_("Unknown source of the action."), fields={"source": _("Unknown.")})
    now = utcnow()
    action = Action(
        assessment_id=assessment.id,
        status=S.planned.value,
        source_kind=source_kind,
        source_id=source_id,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
        updated_at=now,
        version=1,
        **{k: clean[k] for k in FIELDS},
    )
    action.standards = clean["standards"]
    db.session.add(action)
    _set_duties(action, clean["duties"])
    db.session.flush()
    changes: dict[str, tuple[Any, Any]] = {k: (None, clean[k]) for k in FIELDS if clean[k]}
    changes["status"] = (None, action.status)
    if clean["standards"]:
        changes["standards"] = (None, _std_codes(clean["standards"]))
    if clean["duties"]:
        changes["duties"] = (None, clean["duties"])
    note = f"{source_kind}:{source_id}" if source_id else None
    audit.record(
        actor,
        "action",
        action.id,
        action="create",
        changes=changes,
        note=note,
        **_scope(assessment),
    )
    db.session.commit()
    return action


def _stale_message() -> str:
    return _("Someone else changed this action in the meantime. Your changes were not saved.")


def update_action(
    actor: Any, action: Action, data: dict[str, Any], *, version: Any, on: date | None = None
) -> Action:
    """Change an action's fields (not its status). ``version`` is the one the person saw: a
    save based on an older one, or one that loses a race, raises ``EditConflict``."""
    require(actor, "actions.edit", action.assessment)
    versioning.check_version("action", action, version, message=_stale_message())
    if action.status == S.verified:
        raise ServiceError(_("A verified action can no longer be changed."), status=409)
    if action.status == S.dropped:
        raise ServiceError(_("Restore the dropped action before changing it."), status=409)
    clean = _validate(action.assessment, data, current=action, on=on or queries.today())
    scope = _scope(action)
    with versioning.guarded("action", action, message=_stale_message()):
        before = audit.snapshot(action, FIELDS)
        before_std = _std_codes(action.standards)
        before_duties = list(action.duties)
        for key in FIELDS:
            setattr(action, key, clean[key])
        action.standards = clean["standards"]
        _set_duties(action, clean["duties"])
        changes = {k: (v, getattr(action, k)) for k, v in before.items()}
        changes["standards"] = (before_std, _std_codes(clean["standards"]))
        changes["duties"] = (before_duties, clean["duties"])
        changed = {k: v for k, v in changes.items() if audit._text(v[0]) != audit._text(v[1])}
        if not changed:
            db.session.rollback()
            return action
        action.updated_at = utcnow()  # the flush checks and bumps the version (version_id_col)
        audit.record(actor, "action", action.id, changes=changed, **scope)
        db.session.commit()
    return action


def change_status(actor: Any, action: Action, to: str, *, reason: str = "") -> Action:
    """Move an action along the unit's part of the state machine (see module docstring)."""
    require(actor, "actions.edit", action.assessment)
    if to == action.status:
        return action  # a repeated tap: nothing to do
    if to not in UNIT_TRANSITIONS.get(action.status, frozenset()):
        if to == S.verified or action.status == S.verified:
            raise ServiceError(
                _("Only the team of the next visit can verify an action."), status=403
            )
        names = labels.status_labels()
        raise Conflict(
            _(
                "An action that is “%(status)s” cannot move to “%(target)s”.",
                status=names.get(action.status, action.status),
                target=names.get(to, to),
            ),
            payload={"current": {"version": action.version, "status": action.status}},
        )
    reason = reason.strip()
    if to == S.dropped and not reason:
        raise ServiceError(
            _("Say why the action is dropped."),
            fields={"reason": _("Give a reason for dropping the action.")},
        )
    if to == S.in_progress and action.status == S.planned:
        missing = {}
        if not action.responsible:
            missing["responsible"] = _("Name who is responsible before starting.")
        if action.deadline is None:
            missing["deadline"] = _("Set a deadline before starting.")
        if missing:
            raise ServiceError(
                _("An action needs a responsible person and a deadline before it starts."),
                fields=missing,
            )
    scope = _scope(action)
    with versioning.guarded("action", action, message=_stale_message()):
        before = audit.snapshot(action, ("status", "dropped_reason", "done_at"))
        action.status = to
        if to == S.dropped:
            action.dropped_reason = reason
        elif before["status"] == S.dropped:
            action.dropped_reason = ""
        if to == S.done:
            action.done_at = utcnow()
        elif before["status"] == S.done:
            action.done_at = None
        action.updated_at = utcnow()
        audit.record_diff(actor, "action", action, before, note=reason or None, **scope)
        db.session.commit()
    return action


def _verifier_visit(actor: Any, action: Action, visit: Visit | None) -> Visit | None:
    """The visit of a later cycle to the same unit on whose team the actor is."""
    cycle = action.assessment.cycle
    query = (
        sa.select(Visit)
        .join(TeamMember, TeamMember.visit_id == Visit.id)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .where(
            TeamMember.user_id == actor.id,
            Assessment.unit_id == action.assessment.unit_id,
            Visit.assessment_id != action.assessment_id,
            sa.or_(Cycle.year > cycle.year, sa.and_(Cycle.year == cycle.year, Cycle.id > cycle.id)),
        )
    )
    if visit is not None:
        query = query.where(Visit.id == visit.id)
    return db.session.scalar(query.order_by(Visit.id.desc()).limit(1))


def verify_action(
    actor: Any,
    action: Action,
    outcome: str,
    comment: str = "",
    *,
    visit: Visit | None = None,
    commit: bool = True,
) -> Action:
    """The next visit's team judges a finished action: ``verified`` (done → verified) or
    ``not_verified`` with a comment (status kept; a verified action returns to done).
    ``commit=False`` only flushes, so a caller can commit it with its own rows (an op_id)."""
    require(actor, "actions.verify", action.assessment)
    comment = comment.strip()
    if outcome not in ("verified", "not_verified"):
        raise ServiceError(_("Choose verified or not verified."), fields={"outcome": _("Choose.")})
    if outcome == "not_verified" and not comment:
        raise ServiceError(
            _("Say what the team found when an action is not verified."),
            fields={"comment": _("Write a short comment for the unit.")},
        )
    if len(comment) > TEXT_MAX:
        raise ServiceError(
            _("Keep this text under %(n)d characters.", n=TEXT_MAX),
            fields={"comment": _("Too long.")},
        )
    if outcome == "verified" and action.status not in (S.done, S.verified):
        raise Conflict(
            _("Only actions the unit has marked done can be verified."),
            payload={"current": {"version": action.version, "status": action.status}},
        )
    if action.status == S.dropped:
        raise Conflict(_("A dropped action is not verified."))
    team_visit = _verifier_visit(actor, action, visit)
    if team_visit is None:
        raise ServiceError(_("Only the team of the next visit can verify an action."), status=403)
    fields = (
        "status",
        "verification_outcome",
        "verification_comment",
        "verified_at",
        "verified_by_id",
        "verification_visit_id",
    )
    before = audit.snapshot(action, fields)
    now = utcnow()
    if outcome == "verified":
        action.status = S.verified.value
    elif action.status == S.verified:
        action.status = S.done.value
    action.verification_outcome = outcome
    action.verification_comment = comment
    action.verified_at = now
    action.verified_by_id = actor.id
    action.verification_visit_id = team_visit.id
    action.version += 1
    action.updated_at = now
    audit.record_diff(actor, "action", action, before, action="verify", **_scope(action))
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return action


# --- one tap from a finding or a standard ---------------------------------------------------


def _short_title(text: str) -> str:
    # A finding's text may quote right-to-left text; a title made from it must not carry it.
    text = strip_format_characters(text)
    first = text.strip().splitlines()[0] if text.strip() else ""
    for stop in (". ", "? ", "! "):
        if stop in first[:TITLE_MAX]:
            first = first.split(stop, 1)[0]
            break
    if len(first) > 120:
        first = first[:117].rsplit(" ", 1)[0] + "…"
    return first.rstrip(".")


def create_from_observation(actor: Any, assessment: Assessment, observation_id: int) -> Action:
    """One tap: an action prefilled from an area for improvement or a recommendation of one of
    the assessment's visits (a second tap returns the action already made from it)."""

    require(actor, "actions.edit", assessment)
    observation = db.session.get(Observation, observation_id)
    if observation is None or observation.visit.assessment_id != assessment.id:
        raise NotFound(_("This finding does not belong to the action plan."))
    if observation.kind not in (ObservationKind.improvement, ObservationKind.recommendation):
        raise ServiceError(_("Actions are made from areas for improvement and recommendations."))
    existing = queries.action_for_source(assessment.id, "observation", observation.id)
    if existing is not None:
        return existing
    standards = sorted(observation.standards, key=lambda s: (s.position, s.id))
    duties = sorted({d for s in standards for d in s.duties})
    data = {
        "title": _short_title(observation.text) or _("Action"),
        "description": observation.text,
        "standard_ids": [s.id for s in standards],
        "duties": duties,
        "risk": Risk.medium.value,
    }
    return create_action(
        actor, assessment, data, source_kind="observation", source_id=observation.id
    )


# One-tap risk by the standard's type (1 essential/legal, 2 expected, 3 desirable): one step
# lower for "partly met", as the GAP view rates a duty that is partly in place.
ONE_TAP_RISK = {
    "not_met": {1: Risk.high.value, 2: Risk.medium.value, 3: Risk.low.value},
    "partly_met": {1: Risk.medium.value, 2: Risk.low.value, 3: Risk.low.value},
}


def create_from_standard(
    actor: Any, assessment: Assessment, standard_id: int
) -> tuple[Action, bool]:
    """One tap: an action for a standard rated not met or partly met (by the visit team where
    the visit is completed, else by the unit; DESIGN §5), with title, standard, duties and a
    risk by type prefilled. Returns (action, created): when the plan already has an action
    made from or linked to the standard, that one is returned instead of a duplicate."""
    require(actor, "actions.edit", assessment)
    standard = db.session.get(Standard, standard_id)
    if standard is None or standard.edition_id != assessment.cycle.edition_id:
        raise NotFound(_("This standard is not in the cycle's edition."))
    existing = queries.action_for_standard(assessment.id, standard.id)
    if existing is not None:
        return existing, False
    value = gap.ratings_for(assessment)[0].get(standard.code)
    if value not in ONE_TAP_RISK:
        raise ServiceError(
            _(
                "Standard %(code)s is not rated “not met” or “partly met”, so it has no "
                "one-tap action. Use “New action” instead.",
                code=standard.code,
            )
        )
    text = localized(standard, "text")
    short = _short_title(text)
    if value == "partly_met":
        title = _("%(code)s: from partly to fully met – %(text)s", code=standard.code, text=short)
    else:
        title = f"{standard.code}: {short}"
    data = {
        "title": title,
        "description": text,
        "standard_ids": [standard.id],
        "duties": standard.duties,
        "risk": ONE_TAP_RISK[value].get(standard.type, Risk.low.value),
    }
    action = create_action(actor, assessment, data, source_kind="standard", source_id=standard.id)
    return action, True


def existing_for_duty(assessment: Assessment, duty: str) -> Action | None:
    """The action the GAP row of ``duty`` already has: one of this plan linked to the duty
    (a live one before a dropped one), else a still open one of an earlier cycle."""
    return gap.preferred_action(gap.linked_actions(assessment).get(duty, []), assessment.id)


def create_from_duty(actor: Any, assessment: Assessment, duty: str) -> tuple[Action, bool]:
    """One tap from a GAP row: an action for a regulation duty with the duty, its title and
    the standards behind its status (those rated not met or partly met by the §5 source rule;
    all that serve it when none is) and the row's risk prefilled. Returns (action, created):
    when the row already has an action (see :func:`existing_for_duty`), that one instead."""
    require(actor, "actions.edit", assessment)
    if duty not in duties_ref.CODES:
        raise NotFound(_("Unknown duty."))
    existing = existing_for_duty(assessment, duty)
    if existing is not None:
        return existing, False
    row = next(r for r in gap.gap_of(assessment).rows if r.duty.code == duty)
    ratings, _source = gap.ratings_for(assessment)
    behind = [code for code in row.derived.standards if ratings.get(code) in ONE_TAP_RISK]
    codes = behind or list(row.derived.standards)
    title = f"§ {duty}: {localized(row.duty, 'title')}"
    data = {
        "title": _short_title(title) if len(title) > TITLE_MAX else title,
        "description": localized(row.duty, "text"),
        "standard_codes": codes,
        "duties": [duty],
        "risk": row.risk or Risk.medium.value,
    }
    return create_action(actor, assessment, data, source_kind="duty"), True


def allowed_moves(action: Action) -> list[str]:
    """The unit's possible next states, in the order buttons are shown."""
    order = [S.in_progress, S.done, S.planned, S.dropped]
    return [s.value for s in order if s in UNIT_TRANSITIONS.get(action.status, frozenset())]

"""The team's findings and observations, written the way an offline tablet needs them:
optimistic locking by ``version`` (409 with the current state, nothing changed) and
idempotent replay by the client-made ``op_id`` (a repeated op is answered as the first time and
applied once, see :class:`~kvip.visits.models.AppliedOperation`). An op_id is bound to one
change: the same op_id with another body or target is refused (422, code ``op_id_reused``),
and a change recorded on a tablet by one person is never applied as another (``author_id``,
403 code ``wrong_author``)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from kvip.core import audit
from kvip.core.db import iso, utcnow
from kvip.core.errors import Conflict, NotFound, ServiceError
from kvip.core.permissions import require
from kvip.extensions import db
from kvip.scoring import VALUES
from kvip.standards.models import Domain, Standard
from kvip.visits.models import (
    AppliedOperation,
    Finding,
    Observation,
    ObservationKind,
    Report,
    ReportState,
    TeamRole,
    Visit,
    VisitState,
)
from kvip.visits.permissions import team_role
from kvip.visits.services import audit_scope, require_start_day

OP_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
OBSERVATION_KEY = re.compile(r"^(?:[A-Za-z0-9_.:-]{8,64}|id-\d{1,12})$")
MAX_COMMENT = 10_000
MAX_TEXT = 5_000


# --- JSON shapes (shared by the visit pack and the API answers) -------------------------------


def _user_ref(user: Any) -> dict[str, Any] | None:
    return {"id": user.id, "name": user.name} if user is not None else None


def finding_dict(finding: Finding | None, code: str) -> dict[str, Any]:
    """A finding as the API shows it; version 0 means "no finding yet"."""
    if finding is None:
        return {
            "code": code,
            "value": None,
            "comment": "",
            "version": 0,
            "disputed": False,
            "updated_at": None,
            "updated_by": None,
        }
    return {
        "code": code,
        "value": finding.value,
        "comment": finding.comment or "",
        "version": finding.version,
        "disputed": bool(finding.disputed),
        "updated_at": iso(finding.updated_at),
        "updated_by": _user_ref(finding.updated_by),
    }


def observation_key(observation: Observation) -> str:
    return observation.client_id or f"id-{observation.id}"


def observation_dict(observation: Observation) -> dict[str, Any]:
    return {
        "key": observation_key(observation),
        "kind": observation.kind,
        "text": observation.text,
        "domain": observation.domain.code if observation.domain else None,
        "standards": sorted(s.code for s in observation.standards),
        "version": observation.version,
        "created_by": _user_ref(observation.created_by),
        "updated_at": iso(observation.updated_at),
    }


# --- idempotency ------------------------------------------------------------------------------


def check_op_id(op_id: Any) -> str:
    """The client-made op_id, or a 422 naming the field."""
    if not isinstance(op_id, str) or not OP_ID.match(op_id):
        raise ServiceError(
            _("Each change needs an op_id of 8 to 64 letters, digits or -_.:"),
            fields={"op_id": _("Missing or malformed.")},
        )
    return op_id


def check_author(actor: Any, author_id: Any) -> None:
    """A tablet sends who made each change (optional ``author_id``): a change made by one
    person is never applied as another, whoever is signed in when it is sent (403)."""
    if author_id is None:
        return
    if isinstance(author_id, bool) or not isinstance(author_id, int):
        raise ServiceError(
            _("author_id must be the id of the person who made the change."),
            fields={"author_id": _("Invalid.")},
        )
    if author_id != getattr(actor, "id", None):
        raise ServiceError(
            _(
                "This change was made by someone else on this device; only they can send it. "
                "Nothing was saved."
            ),
            status=403,
            code="wrong_author",
            fields={"author_id": _("Not the signed-in person.")},
        )


def fingerprint(target: str, body: dict[str, Any]) -> str:
    """What an op changes, as a hash of its target and body (canonical JSON)."""
    text = json.dumps([target, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def replay(actor: Any, op_id: str, print_: str) -> dict[str, Any] | None:
    """The stored answer of an op already applied, or None. The same op_id with another change
    (``print_`` differs) or from another person is refused, and nothing is saved."""
    op = db.session.scalar(sa.select(AppliedOperation).where(AppliedOperation.op_id == op_id))
    if op is None:
        return None
    if op.user_id != getattr(actor, "id", None):
        raise ServiceError(
            _("This op_id was already used for another change."),
            fields={"op_id": _("Already used.")},
        )
    if op.fingerprint is not None and op.fingerprint != print_:
        raise ServiceError(
            _("This op_id was already used for a different change; nothing was saved."),
            code="op_id_reused",
            fields={"op_id": _("Already used for a different change.")},
        )
    body: dict[str, Any] = json.loads(op.response)
    return body


def commit_applied(
    actor: Any, op_id: str, print_: str, body: dict[str, Any], on_race: Any
) -> dict[str, Any]:
    """Store the op with its answer and commit everything together. If a concurrent request won
    (same op_id, or the same new row), answer like the winner: the replay, or ``on_race()``."""
    db.session.add(
        AppliedOperation(
            op_id=op_id,
            user_id=actor.id,
            status=200,
            response=json.dumps(body, default=str),
            fingerprint=print_,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        replayed = replay(actor, op_id, print_)
        if replayed is not None:
            return replayed
        on_race()
        raise
    return body


# --- who may write, when ----------------------------------------------------------------------


def _check_writable(actor: Any, visit: Visit) -> str | None:
    """Raise unless the visit takes records now (the caller checked "visit.record");
    returns the actor's team role."""
    role = team_role(actor, visit.id)
    if visit.state == VisitState.planned.value:
        raise ServiceError(
            _("The visit is not scheduled yet; nothing can be recorded."), code="visit_not_open"
        )
    if visit.state == VisitState.scheduled.value:
        # The first record starts the visit, so it obeys the start rule's first day; a record
        # arriving after the day is accepted (offline work from the visit day). A refusal is a
        # 409: the offline outbox keeps the records until the visit can start.
        require_start_day(visit, late_ok=True)
    if visit.state == VisitState.completed.value:
        report_state = db.session.scalar(sa.select(Report.state).where(Report.visit_id == visit.id))
        # After completion only the lead reviewer corrects facts, until the report is final.
        if role != TeamRole.lead_reviewer.value or report_state == ReportState.final.value:
            raise ServiceError(
                _("The visit is completed; its findings can no longer change."),
                code="visit_closed",
            )
    return role


def _autostart(actor: Any, visit: Visit) -> None:
    if visit.state == VisitState.scheduled.value:
        before = audit.snapshot(visit, ("state",))
        visit.state = VisitState.in_progress.value
        audit.record_diff(
            actor, "visit", visit, before, note="first finding recorded", **audit_scope(visit)
        )


def standard_ref(visit: Visit, code: str) -> Any:
    """(id, code) of a standard of the visit's edition, without loading its relations."""
    row = db.session.execute(
        sa.select(Standard.id, Standard.code).where(
            Standard.edition_id == visit.assessment.cycle.edition_id, Standard.code == code
        )
    ).first()
    if row is None:
        raise NotFound(_("No standard %(code)s in this visit's edition.", code=code))
    return row


def standard_of(visit: Visit, code: str) -> Standard:
    standard = db.session.scalar(
        sa.select(Standard).where(
            Standard.edition_id == visit.assessment.cycle.edition_id, Standard.code == code
        )
    )
    if standard is None:
        raise NotFound(_("No standard %(code)s in this visit's edition.", code=code))
    return standard


def _version(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ServiceError(
            _("version must be a whole number (0 for a new one)."),
            fields={"version": _("Invalid.")},
        )
    return value


# --- findings ---------------------------------------------------------------------------------


def _current_finding(visit_id: int, standard_id: int) -> Finding | None:
    return db.session.scalar(
        sa.select(Finding).where(Finding.visit_id == visit_id, Finding.standard_id == standard_id)
    )


def _finding_conflict(visit: Visit, standard: Standard) -> Conflict:
    db.session.rollback()
    current = _current_finding(visit.id, standard.id)
    return Conflict(
        _("Someone else changed this finding in the meantime."),
        payload={"current": finding_dict(current, standard.code)},
    )


def record_finding(
    actor: Any,
    visit: Visit,
    code: str,
    *,
    value: Any,
    comment: Any,
    version: Any,
    op_id: Any,
    author_id: Any = None,
) -> dict[str, Any]:
    """Set the team's rating and comment of one standard (create with version 0).

    Answers ``{"finding": …, "visit_state": …, "op_id": …}``. A stale ``version`` raises
    :class:`Conflict` carrying the current finding; a repeated ``op_id`` returns the first answer.
    A team member overwriting another member's different rating marks the finding *disputed*
    for the lead reviewer; the lead's own writes resolve it.
    """
    require(actor, "visit.record", visit)
    op_id = check_op_id(op_id)
    check_author(actor, author_id)
    print_ = fingerprint(
        f"finding:{visit.id}:{code}",
        {"value": value, "comment": comment, "version": version, "author_id": author_id},
    )
    replayed = replay(actor, op_id, print_)
    if replayed is not None:
        return replayed
    role = _check_writable(actor, visit)
    standard = standard_ref(visit, code)
    errors = {}
    if value is not None and value not in VALUES:
        errors["value"] = _("Choose met, partly met, not met or not applicable.")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        errors["comment"] = _("The comment must be text.")
    elif len(comment) > MAX_COMMENT:
        errors["comment"] = _("The comment is too long (at most %(n)s characters).", n=MAX_COMMENT)
    base = _version(version)
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors)
    comment = comment.strip()
    finding = _current_finding(visit.id, standard.id)
    is_lead = role == TeamRole.lead_reviewer.value
    now = utcnow()
    if finding is None:
        if base != 0:
            raise _finding_conflict(visit, standard)
        finding = Finding(
            visit_id=visit.id,
            standard_id=standard.id,
            value=value,
            comment=comment,
            version=1,
            updated_at=now,
            updated_by_id=actor.id,
            disputed=False,
        )
        db.session.add(finding)
        try:
            db.session.flush()
        except IntegrityError:
            raise _finding_conflict(visit, standard) from None
        set_committed_value(finding, "updated_by", actor)
        audit.record(
            actor,
            "finding",
            finding.id,
            action="create",
            changes={"value": (None, value), "comment": (None, comment or None)},
            note=f"{standard.code} · op {op_id}",
            **audit_scope(visit),
        )
    else:
        if finding.version != base:
            raise _finding_conflict(visit, standard)
        if is_lead:
            disputed = False
        elif (
            finding.value is not None
            and value != finding.value
            and finding.updated_by_id not in (None, actor.id)
        ):
            disputed = True
        else:
            disputed = bool(finding.disputed)
        before = audit.snapshot(finding, ("value", "comment", "disputed"))
        # Conditional on the version read: a concurrent writer makes this match no row.
        values = {
            "value": value,
            "comment": comment,
            "disputed": disputed,
            "version": base + 1,
            "updated_at": now,
            "updated_by_id": actor.id,
        }
        result = db.session.execute(
            sa.update(Finding)
            .where(Finding.id == finding.id, Finding.version == base)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _finding_conflict(visit, standard)
        for name, new in values.items():
            set_committed_value(finding, name, new)
        set_committed_value(finding, "updated_by", actor)
        audit.record_diff(
            actor,
            "finding",
            finding,
            before,
            note=f"{standard.code} · op {op_id}",
            **audit_scope(visit),
        )
    _autostart(actor, visit)
    body = {
        "finding": finding_dict(finding, standard.code),
        "visit_state": visit.state,
        "op_id": op_id,
    }

    def race() -> None:
        raise _finding_conflict(visit, standard)

    return commit_applied(actor, op_id, print_, body, race)


# --- observations -----------------------------------------------------------------------------


def _find_observation(visit: Visit, key: str) -> Observation | None:
    if key.startswith("id-") and key[3:].isdigit():
        return db.session.scalar(
            sa.select(Observation).where(
                Observation.id == int(key[3:]), Observation.visit_id == visit.id
            )
        )
    observation = db.session.scalar(sa.select(Observation).where(Observation.client_id == key))
    if observation is not None and observation.visit_id != visit.id:
        raise ServiceError(
            _("This observation key belongs to another visit."), fields={"key": _("Taken.")}
        )
    return observation


def _observation_conflict(visit: Visit, key: str) -> Conflict:
    db.session.rollback()
    current = _find_observation(visit, key)
    return Conflict(
        _("Someone else changed this observation in the meantime."),
        payload={"current": observation_dict(current) if current else {"key": key, "version": 0}},
    )


def _check_key(key: str) -> str:
    if not OBSERVATION_KEY.match(key or ""):
        raise ServiceError(
            _("An observation key is 8 to 64 letters, digits or -_.:"),
            fields={"key": _("Malformed.")},
        )
    return key


def save_observation(
    actor: Any,
    visit: Visit,
    key: str,
    *,
    kind: Any,
    text: Any,
    domain: Any,
    standards: Any,
    version: Any,
    op_id: Any,
    author_id: Any = None,
) -> dict[str, Any]:
    """Create (version 0) or change an observation identified by its client-made ``key``:
    good practice, area for improvement or recommendation, linked to a domain and/or standards."""
    require(actor, "visit.record", visit)
    op_id = check_op_id(op_id)
    check_author(actor, author_id)
    print_ = fingerprint(
        f"observation:{visit.id}:{key}",
        {
            "kind": kind,
            "text": text,
            "domain": domain,
            "standards": standards,
            "version": version,
            "author_id": author_id,
        },
    )
    replayed = replay(actor, op_id, print_)
    if replayed is not None:
        return replayed
    _check_writable(actor, visit)
    key = _check_key(key)
    base = _version(version)
    errors: dict[str, str] = {}
    if kind not in {k.value for k in ObservationKind}:
        errors["kind"] = _("Choose good practice, area for improvement or recommendation.")
    if not isinstance(text, str) or not text.strip():
        errors["text"] = _("Write the observation.")
    elif len(text) > MAX_TEXT:
        errors["text"] = _("The text is too long (at most %(n)s characters).", n=MAX_TEXT)
    edition_id = visit.assessment.cycle.edition_id
    domain_obj = None
    if domain not in (None, ""):
        if isinstance(domain, str):
            domain_obj = db.session.scalar(
                sa.select(Domain).where(Domain.edition_id == edition_id, Domain.code == domain)
            )
        if domain_obj is None:
            errors["domain"] = _("Unknown domain.")
    codes: list[str] = []
    if standards is not None:
        if not isinstance(standards, list) or not all(isinstance(c, str) for c in standards):
            errors["standards"] = _("standards must be a list of standard codes.")
        else:
            codes = sorted(set(standards))[:100]
    linked: list[Standard] = []
    if codes:
        linked = list(
            db.session.scalars(
                sa.select(Standard).where(
                    Standard.edition_id == edition_id, Standard.code.in_(codes)
                )
            )
        )
        unknown = sorted(set(codes) - {s.code for s in linked})
        if unknown:
            errors["standards"] = _("Unknown standards: %(codes)s", codes=", ".join(unknown))
    if errors:
        raise ServiceError(next(iter(errors.values())), fields=errors)
    if domain_obj is None and linked:
        domain_obj = linked[0].domain
    observation = _find_observation(visit, key)
    now = utcnow()
    if observation is None:
        if base != 0 or key.startswith("id-"):
            raise _observation_conflict(visit, key)
        observation = Observation(
            visit_id=visit.id,
            kind=kind,
            text=text.strip(),
            domain_id=domain_obj.id if domain_obj else None,
            client_id=key,
            version=1,
            created_by_id=actor.id,
            created_at=now,
            updated_at=now,
        )
        observation.standards = linked
        db.session.add(observation)
        try:
            db.session.flush()
        except IntegrityError:
            raise _observation_conflict(visit, key) from None
        audit.record(
            actor,
            "observation",
            observation.id,
            action="create",
            changes={
                "kind": (None, kind),
                "text": (None, observation.text),
                "domain": (None, domain_obj.code if domain_obj else None),
                "standards": (None, [s.code for s in linked] or None),
            },
            note=f"op {op_id}",
            **audit_scope(visit),
        )
    else:
        if observation.version != base:
            raise _observation_conflict(visit, key)
        before = {
            "kind": observation.kind,
            "text": observation.text,
            "domain": observation.domain.code if observation.domain else None,
            "standards": sorted(s.code for s in observation.standards),
        }
        observation.kind = kind
        observation.text = text.strip()
        observation.domain_id = domain_obj.id if domain_obj else None
        observation.standards = linked
        # Always an UPDATE (updated_at changes), so the version is always checked and bumped:
        # ``UPDATE … WHERE version = base`` (version_id_col); a concurrent writer makes it
        # match no row.
        observation.updated_at = now
        try:
            db.session.flush()
        except StaleDataError:
            raise _observation_conflict(visit, key) from None
        db.session.refresh(observation)
        after = {
            "kind": observation.kind,
            "text": observation.text,
            "domain": observation.domain.code if observation.domain else None,
            "standards": sorted(s.code for s in observation.standards),
        }
        audit.record(
            actor,
            "observation",
            observation.id,
            changes={k: (before[k], after[k]) for k in before},
            note=f"op {op_id}",
            **audit_scope(visit),
        )
    _autostart(actor, visit)
    db.session.flush()
    body = {"observation": observation_dict(observation), "op_id": op_id}

    def race() -> None:
        raise _observation_conflict(visit, key)

    return commit_applied(actor, op_id, print_, body, race)


def delete_observation(
    actor: Any, visit: Visit, key: str, *, version: Any, op_id: Any, author_id: Any = None
) -> dict[str, Any]:
    """Remove an observation (its ``version`` must be current); replays answer the same."""
    require(actor, "visit.record", visit)
    op_id = check_op_id(op_id)
    check_author(actor, author_id)
    print_ = fingerprint(
        f"observation-delete:{visit.id}:{key}", {"version": version, "author_id": author_id}
    )
    replayed = replay(actor, op_id, print_)
    if replayed is not None:
        return replayed
    _check_writable(actor, visit)
    key = _check_key(key)
    base = _version(version)
    observation = _find_observation(visit, key)
    if observation is None:
        raise NotFound(_("No such observation."))
    if observation.version != base:
        raise _observation_conflict(visit, key)
    audit.record(
        actor,
        "observation",
        observation.id,
        action="delete",
        changes={"kind": (observation.kind, None), "text": (observation.text, None)},
        note=f"op {op_id}",
        **audit_scope(visit),
    )
    db.session.delete(observation)
    try:
        db.session.flush()  # DELETE … WHERE version = base (version_id_col)
    except StaleDataError:
        raise _observation_conflict(visit, key) from None
    body = {"deleted": True, "key": key, "op_id": op_id}

    def race() -> None:
        raise NotFound(_("No such observation."))

    return commit_applied(actor, op_id, print_, body, race)

"""What is due soon or overdue for one user, in the app and as a daily e-mail digest.

Kinds of reminder:
- ``self_assessment``: the self-assessment window of the user's unit closes (not yet submitted);
- ``report_comments``: the draft report is shared with the unit; comments on facts are due
  ``REPORT_COMMENT_DAYS`` after sharing;
- ``plan_due``: the final report is out and the unit has no action yet; the plan is due six
  weeks after the final report;
- ``action_deadline``: an open action of the user's unit reaches its deadline;
- ``verify_actions``: a visit the user is on is coming, and the unit's previous actions wait
  for verification;
- ``plans_overdue`` (coordinators): action plans of the network past their due date with no action;
- ``actions_overdue`` (coordinators): open actions past their deadline, per network and cycle
  (the same count as the network action overview of that cycle).

Action deadlines come from :func:`queries.deadlines`, the query the overview counts with.

E-mail: ``send_reminders`` writes one digest per user and day to the outbox (``OutboxEmail``;
re-running the same day sends nothing twice) and, when ``KVIP_SMTP_HOST`` is set, sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from kvip.accounts.models import Membership, User
from kvip.accounts.permissions import coordinated_network_ids
from kvip.actions import queries, reminders_roles
from kvip.actions.models import Action, ActionStatus, OutboxEmail, SentReminder
from kvip.actions.reminder_items import Reminder
from kvip.actions.reminder_items import as_date as _as_date
from kvip.actions.reminder_items import first_url as _first_url
from kvip.actions.reminder_items import to as _to
from kvip.core import dates, mail
from kvip.core.formats import format_date
from kvip.core.urls import external_url
from kvip.cycles.models import Assessment, AssessmentState, Cycle, CycleState, Rating
from kvip.extensions import db
from kvip.network.models import Network, Unit
from kvip.standards.models import Standard
from kvip.visits.models import Report, ReportState, TeamMember, Visit, VisitState

HORIZON_DAYS = 14
# The e-mail looks this far ahead; each kind is told at its own thresholds within it
# (reminders_roles.THRESHOLDS: 14 and 3 days for a closing self-assessment, 7 for a visit …).
EMAIL_HORIZON_DAYS = 14
REPORT_COMMENT_DAYS = 14


def _self_assessments(user: User, until: date) -> list[Reminder]:
    rows = db.session.execute(
        sa.select(Assessment, Cycle.self_assessment_closes, Unit.name)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .join(Membership, Membership.unit_id == Assessment.unit_id)
        .where(
            Membership.user_id == user.id,
            Cycle.state == CycleState.open.value,
            Assessment.state != AssessmentState.submitted.value,
            Cycle.self_assessment_closes.is_not(None),
            Cycle.self_assessment_closes <= until,
        )
    )
    return [
        Reminder(
            "self_assessment",
            _("Self-assessment closes: %(n)d standards not rated", n=_unrated(assessment)),
            unit_name,
            _as_date(closes),
            _first_url(
                [
                    ("cycles.assessment", {"assessment_id": assessment.id}),
                    ("cycles.assessment_view", {"assessment_id": assessment.id}),
                ]
            ),
            item=f"self_assessment:{assessment.id}",
        )
        for assessment, closes, unit_name in rows
    ]


def _unrated(assessment: Assessment) -> int:
    """Standards of the assessment's edition without a rating (N/A counts as rated)."""
    total = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Standard)
        .where(Standard.edition_id == assessment.cycle.edition_id)
    )
    rated = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Rating)
        .where(Rating.assessment_id == assessment.id, Rating.value.is_not(None))
    )
    return max(0, int(total or 0) - int(rated or 0))


def _report_comments(user: User, until: date) -> list[Reminder]:
    # shared on or before the day whose comments fall due by ``until`` (Oslo days)
    cutoff = dates.day_starts(until - timedelta(days=REPORT_COMMENT_DAYS) + timedelta(days=1))
    rows = db.session.execute(
        sa.select(Report, Unit.name)
        .join(Visit, Visit.id == Report.visit_id)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .join(Membership, Membership.unit_id == Assessment.unit_id)
        .where(
            Membership.user_id == user.id,
            Report.state == ReportState.shared_with_unit.value,
            Report.shared_at.is_not(None),
            Report.shared_at < cutoff,
        )
    )
    return [
        Reminder(
            "report_comments",
            _("Comments on the draft report are due"),
            unit_name,
            _as_date(report.shared_at) + timedelta(days=REPORT_COMMENT_DAYS),
            _first_url(
                [
                    ("visits.report", {"visit_id": report.visit_id}),
                    ("visits.report", {"report_id": report.id}),
                ]
            ),
            item=f"report_comments:{report.id}",
        )
        for report, unit_name in rows
    ]


def _plans_due(user: User, on: date, until: date) -> list[Reminder]:
    """Final reports of the user's units whose plan has no action yet (for 8 weeks after due)."""
    earliest = dates.day_starts(on - queries.PLAN_DUE_AFTER - timedelta(weeks=8))
    after = dates.day_starts(until - queries.PLAN_DUE_AFTER + timedelta(days=1))
    rows = db.session.execute(
        sa.select(Assessment.id, Report.finalised_at, Unit.name)
        .join(Visit, Visit.assessment_id == Assessment.id)
        .join(Report, Report.visit_id == Visit.id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .join(Membership, Membership.unit_id == Assessment.unit_id)
        .where(
            Membership.user_id == user.id,
            Report.state == ReportState.final.value,
            Report.finalised_at >= earliest,
            Report.finalised_at < after,
            ~sa.exists().where(Action.assessment_id == Assessment.id),
        )
    )
    return [
        Reminder(
            "plan_due",
            _("The action plan is due"),
            unit_name,
            _as_date(finalised) + queries.PLAN_DUE_AFTER,
            _to("actions.plan", assessment_id=assessment_id),
            item=f"plan:{assessment_id}",
        )
        for assessment_id, finalised, unit_name in rows
    ]


def _action_deadlines(user: User, on: date, until: date) -> list[Reminder]:
    """Open actions of the user's units due by ``until`` or overdue (:func:`queries.deadlines`)."""
    mine = sa.select(Membership.unit_id).where(Membership.user_id == user.id)
    due = queries.deadlines(on, until=until).where(Assessment.unit_id.in_(mine)).subquery()
    rows = db.session.execute(
        sa.select(due.c.action_id, due.c.title, due.c.deadline, Unit.name)
        .join(Unit, Unit.id == due.c.unit_id)
        .order_by(due.c.deadline, due.c.action_id)
    )
    return [
        Reminder(
            "action_deadline",
            title,
            unit_name,
            _as_date(deadline),
            _to("actions.edit_action", action_id=action_id),
            item=f"action:{action_id}",
        )
        for action_id, title, deadline, unit_name in rows
    ]


def _verifications(user: User, on: date, until: date) -> list[Reminder]:
    """Coming visits of the user whose unit has finished actions from before waiting to be checked."""
    rows = db.session.execute(
        sa.select(Visit, Assessment, Unit.name)
        .join(TeamMember, TeamMember.visit_id == Visit.id)
        .join(Assessment, Assessment.id == Visit.assessment_id)
        .join(Unit, Unit.id == Assessment.unit_id)
        .where(
            TeamMember.user_id == user.id,
            Visit.state != VisitState.completed.value,
            Visit.date.is_not(None),
            Visit.date.between(on - timedelta(days=1), until),
        )
    )
    reminders = []
    for visit, assessment, unit_name in rows:
        previous = queries.previous_assessment(assessment)
        if previous is None:
            continue
        waiting = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Action)
            .where(Action.assessment_id == previous.id, Action.status == ActionStatus.done.value)
        )
        if waiting:
            reminders.append(
                Reminder(
                    "verify_actions",
                    _("Verify %(n)d finished actions at the visit", n=waiting),
                    unit_name,
                    _as_date(visit.date),
                    _to("actions.next_visit", visit_id=visit.id),
                    item=f"verify:{visit.id}",
                )
            )
    return reminders


def _coordinator(user: User, on: date) -> list[Reminder]:
    due_before = dates.day_starts(on - queries.PLAN_DUE_AFTER)
    rows = db.session.execute(
        sa.select(Cycle.network_id, sa.func.count(), sa.func.min(Report.finalised_at))
        .select_from(Assessment)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .join(Visit, Visit.assessment_id == Assessment.id)
        .join(Report, Report.visit_id == Visit.id)
        .where(
            Cycle.network_id.in_(coordinated_network_ids(user)),
            Report.state == ReportState.final.value,
            Report.finalised_at < due_before,
            ~sa.exists().where(Action.assessment_id == Assessment.id),
        )
        .group_by(Cycle.network_id)
    )
    return [
        Reminder(
            "plans_overdue",
            _("%(n)d action plans are past their due date without an action", n=n),
            "",
            _as_date(first) + queries.PLAN_DUE_AFTER,
            _to("actions.overview", network_id=network_id),
            item=f"plans_overdue:{network_id}:{n}",
        )
        for network_id, n, first in rows
    ]


def _overdue_actions(user: User, on: date) -> list[Reminder]:
    """Coordinators: open actions past their deadline in their networks, one reminder per
    network and cycle, counted by :func:`queries.deadlines` as the action overview counts."""
    overdue = (
        queries.deadlines(on).where(Cycle.network_id.in_(coordinated_network_ids(user))).subquery()
    )
    rows = db.session.execute(
        sa.select(
            overdue.c.network_id,
            overdue.c.cycle_id,
            Cycle.name,
            Network.name,
            sa.func.count(),
            sa.func.min(overdue.c.deadline),
        )
        .join(Cycle, Cycle.id == overdue.c.cycle_id)
        .join(Network, Network.id == overdue.c.network_id)
        .group_by(overdue.c.network_id, overdue.c.cycle_id, Cycle.name, Network.name)
        .order_by(Network.name, Cycle.name)
    )
    return [
        Reminder(
            "actions_overdue",
            ngettext(
                "%(num)d action is past its deadline (%(cycle)s)",
                "%(num)d actions are past their deadline (%(cycle)s)",
                int(n),
                cycle=cycle_name,
            ),
            network_name,
            _as_date(first),
            _to("actions.overview", network_id=network_id, cycle=cycle_id),
            item=f"actions_overdue:{network_id}:{cycle_id}",
            count=int(n),
        )
        for network_id, cycle_id, cycle_name, network_name, n, first in rows
    ]


def due_items(user: User, on: date | None = None, horizon: int = HORIZON_DAYS) -> list[Reminder]:
    """Everything due for ``user`` within ``horizon`` days or overdue, soonest first."""
    on = on or queries.today()
    until = on + timedelta(days=horizon)
    items = (
        _self_assessments(user, until)
        + _report_comments(user, until)
        + _plans_due(user, on, until)
        + _action_deadlines(user, on, until)
        + _verifications(user, on, until)
        + _coordinator(user, on)
        + _overdue_actions(user, on)
        + reminders_roles.visits_soon(user, on)
        + reminders_roles.coordinator_items(user, on, until)
    )
    return sorted(items, key=lambda r: (r.due, r.kind, r.where, r.title))


# --- e-mail ---------------------------------------------------------------------------------


def compose(
    user: User, items: list[Reminder], on: date, base_url: str | None = None
) -> tuple[str, str]:
    """Subject and plain-text body of one digest, in the user's language. Links are built
    under ``base_url`` (default: KVIP_BASE_URL), never from a request."""
    with force_locale(user.locale or "nb"):
        subject = _("KvIP: %(n)d things due soon or overdue", n=len(items))
        lines = [_("Hello %(name)s,", name=user.name), "", _("This is due soon in KvIP:"), ""]
        for item in items:
            state = (
                _("OVERDUE since %(date)s", date=format_date(item.due))
                if item.overdue(on)
                else _("due %(date)s", date=format_date(item.due))
            )
            where = f" ({item.where})" if item.where else ""
            lines.append(f"- {item.title}{where}: {state}")
            lines.append(f"  {item.link(base_url)}")
        lines += [
            "",
            _(
                "See everything that is due: %(url)s",
                url=external_url("actions.reminders", _base=base_url),
            ),
            "",
            _("You receive this because you have a role in KvIP."),
        ]
    return str(subject), "\n".join(str(line) for line in lines)


@dataclass
class SendResult:
    users: int = 0
    queued: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    in_app_only: int = 0  # people who chose reminders in KvIP only
    waiting: int = 0  # handed to the job queue's worker, not sent yet


def told_key(item: Reminder, on: date) -> str | None:
    """What is told once: the item at the threshold ``on`` falls in (None: not yet)."""
    tag = reminders_roles.threshold(item.kind, item.due, on)
    if tag is None:
        return None
    return f"{item.item or item.kind + ':' + item.title}:{tag}"[:120]


def send_reminders(
    on: date | None = None, *, base_url: str | None = None, horizon: int = EMAIL_HORIZON_DAYS
) -> SendResult:
    """One digest per active user with something newly due (the worker's daily task, or
    ``flask reminders send``): each item is told once per threshold (14 and 3 days before a
    self-assessment closes, when overdue, …), never twice; people who chose "in KvIP only"
    get no e-mail. Links go to ``base_url`` if given (the CLI's ``--base-url``), else
    KVIP_BASE_URL."""
    on = on or queries.today()
    result = SendResult()
    smtp = mail.smtp_configured()
    user_ids = list(db.session.scalars(sa.select(User.id).where(User.active.is_(True))))
    for user_id in user_ids:
        user = db.session.get(User, user_id)
        if user is None:
            continue
        with force_locale(user.locale or "nb"):  # titles in the recipient's language
            items = due_items(user, on, horizon)
        keyed = {k: i for i in items if (k := told_key(i, on)) is not None}
        if not keyed:
            continue
        result.users += 1
        if user.reminder_channel == "app":
            result.in_app_only += 1
            continue
        key = f"reminders:{user.id}:{on.isoformat()}"
        if db.session.scalar(sa.select(OutboxEmail.id).where(OutboxEmail.dedup_key == key)):
            result.skipped += 1
            continue
        told = set(
            db.session.scalars(
                sa.select(SentReminder.key).where(
                    SentReminder.user_id == user.id, SentReminder.key.in_(list(keyed))
                )
            )
        )
        new = {k: i for k, i in keyed.items() if k not in told}
        if not new:
            result.skipped += 1
            continue
        subject, body = compose(user, list(new.values()), on, base_url)
        message = OutboxEmail(
            user_id=user.id, to=user.email, subject=subject, body=body, dedup_key=key
        )
        db.session.add(message)
        db.session.add_all(SentReminder(user_id=user.id, key=k, sent_on=on) for k in new)
        try:
            db.session.commit()
        except IntegrityError:  # another run wrote it in the meantime
            db.session.rollback()
            result.skipped += 1
            continue
        result.queued += 1
        if smtp:
            if mail.try_deliver(message):
                result.sent += 1
            elif message.status == "failed":
                result.failed += 1
            else:
                result.waiting += 1
    return result

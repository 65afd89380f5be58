"""Hypothesis on every state-changing form route: hostile values never cause a server error, a
refused post changes nothing, and an accepted one stores sane values and shows them escaped.

Routes are discovered from ``app.url_map`` (every POST/PUT/PATCH/DELETE outside ``/api/``, which
``tests/api/test_fuzz_api.py`` covers with Schemathesis); a route without an entry in ``FORMS``
fails ``test_every_form_route_is_fuzzed``. Fields come from the route's WTForms class where it
has one (``kinds_of``), otherwise they are listed here from the view's ``request.form`` reads.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings

from kvip.accounts.forms import (
    ForgotPasswordForm,
    LocaleForm,
    LoginForm,
    PasswordForm,
    ReminderChannelForm,
    ResetPasswordForm,
    RoleForm,
    TokenForm,
    UserForm,
)
from kvip.accounts.models import Membership, NetworkRole
from kvip.actions.forms import ActionForm
from kvip.benchmarks.forms import (
    LearningAcceptForm,
    LearningDeclineForm,
    LearningForwardForm,
    LearningRefuseForm,
    LearningRequestForm,
)
from kvip.benchmarks.models import LEARNING_MESSAGE_MAX, LEARNING_NOTE_MAX
from kvip.cycles.forms import ConfirmCloseForm, CycleForm, EnrolForm, ReopenForm, StartForm
from kvip.extensions import db
from kvip.network.forms import InstitutionForm, NetworkForm, UnitForm
from kvip.standards.forms import ImportForm
from kvip.surveys.forms import (
    CodesForm,
    CollectionForm,
    KioskExitForm,
    KioskStartForm,
    SettingsForm,
)
from kvip.visits.models import ReportComment, TeamMember
from tests.authz.table import load_rules
from tests.conftest import login
from tests.factories import (
    PASSWORD,
    World,
    build_world,
    create_edition,
    create_institution,
    create_network,
    create_unit,
    create_user,
    standards_of,
)
from tests.fuzz.values import (
    MARKER,
    Kind,
    changed_tables,
    column_problems,
    form_data,
    kinds_of,
    snapshot,
)

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# A deeper local run: KVIP_FUZZ_EXAMPLES=200 pytest tests/fuzz
EXAMPLES = int(os.environ.get("KVIP_FUZZ_EXAMPLES", "8"))

T = Kind("text")
TEXT = Kind("text", limit=2000)
DATE = Kind("date")
BOOL = Kind("bool")
VERSION = Kind("version")


def choice(*values: str) -> Kind:
    return Kind("choice", choices=values)


def ids(*placeholders: str, multiple: bool = False) -> Kind:
    return Kind("id", choices=tuple("{" + p + "}" for p in placeholders), multiple=multiple)


# Ids of rows of this world and of a second, foreign network: a form must not reach across.
UNIT_IDS = ids("unit_id", "other_unit_id", "foreign_unit_id")
INSTITUTION_IDS = ids("institution_id", "foreign_institution_id")


@dataclass(frozen=True)
class Form:
    """How to fuzz one form route.

    ``form`` is its WTForms class (fields read from it); ``fields`` adds or overrides fields;
    ``paths``/``role`` default to the authorization table's POST rule and its first allowed
    role; ``prepare`` puts the world in a state where the form can do something and returns
    extra ``{placeholders}``; ``file`` attaches a valid upload so the other fields get through;
    ``show`` are pages that display what was saved (checked for escaping after each post);
    ``session`` puts ``{placeholder}`` values in the client's session before each post (a
    kiosk running on the tablet); ``json`` posts the fields as a JSON object, each value
    decoded as JSON where it parses (numbers, objects), for routes that read a JSON body;
    ``refusal_writes`` are tables a refused post may still write (a wrong password is an
    audit event: ``sign_in_failed``, see ``accounts.services.authenticate``).
    """

    form: type | None = None
    fields: dict[str, Kind] = field(default_factory=dict)
    paths: tuple[str, ...] = ()
    role: str | None = None
    prepare: Callable[[World], dict[str, Any]] | None = None
    file: Callable[[], tuple[io.BytesIO, str]] | None = None
    show: tuple[str, ...] = ()
    session: dict[str, str] = field(default_factory=dict)
    json: bool = False
    refusal_writes: tuple[str, ...] = ()

    def kinds(self) -> dict[str, Kind]:
        return {**(kinds_of(self.form) if self.form else {}), **self.fields}


# --- world states some forms need --------------------------------------------------------------


def _foreign(world: World) -> dict[str, Any]:
    """A second network with its own institution, unit and edition: ids no form may reach."""
    network = create_network()
    inst = create_institution(network, "Utenlands institusjon")
    unit = create_unit(inst, "Utenlands enhet")
    db.session.commit()
    return {
        "foreign_network_id": network.id,
        "foreign_institution_id": inst.id,
        "foreign_unit_id": unit.id,
    }


def _token(world: World) -> dict[str, Any]:
    from kvip.accounts.services import create_token

    row, _secret = create_token(world.users["member"], world.users["member"], "fuzz")
    return {"token_id": row.id}


def _membership(world: World) -> dict[str, Any]:
    row = db.session.scalar(
        db.select(Membership).where(Membership.user_id == world.users["member"].id)
    )
    assert row is not None
    return {"membership_id": row.id}


def _submitted(world: World) -> dict[str, Any]:
    world.assessment.state = "submitted"
    world.other_assessment.state = "submitted"
    db.session.commit()
    return {}


def _shared_report(world: World) -> dict[str, Any]:
    world.report.state = "shared_with_unit"
    comment = ReportComment(
        report_id=world.report.id,
        section="general",
        text="Antall senger er feil",
        author_id=world.users["lead"].id,
    )
    db.session.add(comment)
    db.session.commit()
    return {"comment_id": comment.id}


def _second_edition(world: World) -> dict[str, Any]:
    new = create_edition()
    db.session.commit()
    return {"new_slug": new.slug}


def _team_member(world: World) -> dict[str, Any]:
    extra = create_user("peer@example.test", "Peer")
    member = TeamMember(visit_id=world.visit.id, user_id=extra.id, role="peer_reviewer")
    db.session.add(member)
    db.session.commit()
    return {"member_id": member.id}


def _staged(world: World) -> dict[str, Any]:
    from kvip.standards.services import stage_import
    from kvip.standards.spreadsheet import EditionMeta, parse_table

    meta = EditionMeta(slug="fuzz-2027", name_nb="Fuzz", name_en="Fuzz", version="1")
    data, problems = parse_table(_edition_csv()[0].getvalue(), "fuzz.csv", meta)
    assert data is not None, problems
    return {"token": stage_import(world.users["coordinator"], data, "fuzz.csv")}


def _reset_link(world: World) -> dict[str, Any]:
    from flask import current_app

    from kvip.accounts.services import password_link

    with current_app.test_request_context():
        link = password_link(world.users["member"], "reset")
    return {"reset_token": link.rsplit("/", 1)[1]}


def _completed_visit(world: World) -> dict[str, Any]:
    world.visit.state = "completed"
    db.session.commit()
    return {}


def _edition_csv() -> tuple[io.BytesIO, str]:
    from kvip.standards.spreadsheet import COLUMNS

    row = {
        "domain": "1",
        "domain_slug": "miljo",
        "domain_title_nb": "Miljø",
        "domain_title_en": "Environment",
        "code": "1.1",
        "type": "1",
        "text_nb": "Krav",
        "text_en": "Standard",
        "guidance_nb": "",
        "guidance_en": "",
        "duties": "6a",
        "dimensions": "safe",
        "methods": "document",
    }
    lines = [",".join(COLUMNS), ",".join(row[c] for c in COLUMNS)]
    return io.BytesIO(("\n".join(lines) + "\n").encode()), "edition.csv"


def _planned_visit(world: World) -> dict[str, Any]:
    """world.visit planned without a date: the unit lead proposes dates for it."""
    world.visit.state, world.visit.date = "planned", None
    db.session.commit()
    return {}


def _open_proposal(world: World) -> dict[str, Any]:
    """An open proposal of the unit's three dates for world.visit (the coordinator picks)."""
    from datetime import timedelta

    from kvip.visits.models import VisitDateProposal

    start = world.cycle.visit_window_start
    assert start is not None
    proposal = VisitDateProposal(
        visit_id=world.visit.id,
        side="unit",
        date_1=start + timedelta(days=1),
        date_2=start + timedelta(days=2),
        state="open",
        proposed_by_id=world.users["lead"].id,
    )
    db.session.add(proposal)
    db.session.commit()
    return {
        "proposal_id": proposal.id,
        "proposed_1": proposal.date_1.isoformat(),
        "proposed_2": (start + timedelta(days=2)).isoformat(),
    }


def _decline_link(world: World) -> dict[str, Any]:
    from kvip.network.reviewer_pool import decline_token

    role = db.session.scalar(
        db.select(NetworkRole).where(NetworkRole.user_id == world.users["reviewer"].id)
    )
    assert role is not None
    return {"decline_token": decline_token(role)}


def _codes(world: World) -> dict[str, Any]:
    """Two unused slips of the world's open young people's collection (typed, or in the URL)."""
    from kvip.surveys.services import create_codes, pretty_code

    made = create_codes(world.users["lead"], world.assessment, "young_person", 2, "slip")
    return {"code": pretty_code(made[0]), "code_2": made[1], "code_2_lower": made[1].lower()}


def _kiosk(world: World) -> dict[str, Any]:
    """Kiosk mode running for the world's open collection, started by the unit lead."""
    from kvip.surveys.models import KioskSession
    from kvip.surveys.services import start_kiosk

    token = start_kiosk(world.users["lead"], world.assessment, ["young_person"])
    running = db.session.scalar(db.select(KioskSession).order_by(KioskSession.id.desc()))
    assert running is not None
    return {"kiosk_token": token, "kiosk_id": running.id}


# The tablet's PBKDF2 key of kiosk mode left offline (any 32 bytes: the server keeps its hash).
KIOSK_KEY = bytes(range(32)).hex()


def _kiosk_left_offline(world: World) -> dict[str, Any]:
    """Kiosk mode running, started with an offline check whose key is KIOSK_KEY."""
    import hashlib

    return _kiosk(world) | {"kiosk_check": hashlib.sha256(bytes.fromhex(KIOSK_KEY)).hexdigest()}


def _record_audit(world: World) -> dict[str, Any]:
    """A record-audit instrument in the world's edition (R1, R2), the visit under way."""
    from tests.surveys.record_world import add_record_audit

    add_record_audit(world.edition.id)
    world.visit.state = "in_progress"
    db.session.commit()
    return {}


def _good_practice(world: World) -> dict[str, Any]:
    """A good practice of other_unit in a final report: the world's lead may ask about it."""
    from kvip.visits.models import Observation, Report

    observation = Observation(
        visit_id=world.other_visit.id,
        kind="good_practice",
        text="Faste ettersamtaler",
        created_by_id=world.users["reviewer"].id,
    )
    db.session.add_all([observation, Report(visit_id=world.other_visit.id, state="final")])
    db.session.commit()
    return {"practice_id": observation.id}


def _sent_request(world: World) -> dict[str, Any]:
    """The world's learning request waiting for the coordinator (not yet passed on)."""
    from kvip.benchmarks.models import LearningRequest

    req = db.session.get(LearningRequest, world.learning_request_id)
    assert req is not None
    req.state, req.forwarded_by_id = "sent", None
    db.session.commit()
    return {}


RECORD_FIELDS = {
    f"r-{code}-{n}": choice("yes", "no", "not_applicable", "")
    for code in ("R1", "R2", "R9")
    for n in (1, 2, 11)
}
ANSWERS = {
    "q-Y1": choice("agree", "strongly_agree", "wont_say", "somewhat_agree", ""),
    "q-Y2": choice("strongly_disagree", "disagree", "dont_know"),
    "q-Y3": TEXT,
    "q-Z9": T,
    "submission_id": choice("fuzz-submission-0001", "x" * 24, "", "x" * 200),
}
LEARNING = "/benchmarks/requests/{learning_request_id}"
NOTE = Kind("text", limit=LEARNING_NOTE_MAX)
ASPECTS = ("leadership", "staff_involvement", "user_involvement")
A = "/actions/assessments/{assessment_id}"
ACTION_FIELDS = {
    "risk": choice("low", "medium", "high"),
    "pdsa_stage": choice("plan", "do", "study", "act"),
    "duties": Kind("choice", choices=("6a", "7c", "9c"), multiple=True),
    "deadline": DATE,
    "version": VERSION,
    "standard_codes": Kind("choice", choices=("1.1", "1.2, 2.3", "9.9", "1.1 1.1")),
    "next": T,
}

FORMS: dict[str, Form] = {
    # accounts
    "accounts.login": Form(LoginForm, role="anon"),
    "accounts.logout": Form(role="member"),
    "accounts.forgot_password": Form(ForgotPasswordForm, role="anon"),
    "accounts.reset_password": Form(
        ResetPasswordForm,
        paths=("/password/reset/{reset_token}",),
        role="anon",
        prepare=_reset_link,
    ),
    "accounts.send_password_link": Form(show=("/admin/users/{user_id}",)),
    "accounts.set_language": Form(LocaleForm, {"next": T}, role="member"),
    "accounts.change_password": Form(PasswordForm),
    "accounts.create_token": Form(TokenForm, show=("/profile",)),
    "accounts.set_reminder_channel": Form(ReminderChannelForm, show=("/profile",)),
    "accounts.revoke_token": Form(
        paths=("/profile/tokens/{token_id}/revoke",), role="member", prepare=_token
    ),
    "accounts.user_new": Form(UserForm, {"home_institution_id": INSTITUTION_IDS}),
    "accounts.user_edit": Form(
        UserForm,
        {"home_institution_id": INSTITUTION_IDS},
        show=("/admin/users",),
    ),
    "accounts.user_grant": Form(
        RoleForm,
        {
            "scope": choice(
                "unit:{unit_id}",
                "network:{network_id}",
                "unit:{foreign_unit_id}",
                "network:{foreign_network_id}",
            ),
            "role": choice("unit_member", "unit_lead", "coordinator", "reviewer"),
        },
        role="coordinator",
    ),
    "accounts.role_revoke": Form(
        paths=("/admin/roles/unit/{membership_id}/revoke",), role="admin", prepare=_membership
    ),
    # network
    "network.settings": Form(
        NetworkForm, {"benchmark_visibility": choice("pseudonymised", "named")}
    ),
    "network.institution_form": Form(
        InstitutionForm,
        paths=(
            "/networks/{network_id}/institutions/new",
            "/networks/{network_id}/institutions/{institution_id}",
        ),
        show=("/networks/{network_id}/institutions",),
    ),
    "network.unit_form": Form(
        UnitForm,
        {"institution_id": INSTITUTION_IDS, "kind": choice("acute", "general", "secure")},
        paths=("/networks/{network_id}/units/new", "/networks/{network_id}/units/{unit_id}"),
        show=("/networks/{network_id}/units",),
    ),
    "network.add_reviewer": Form(
        fields={
            "email": choice(
                "outsider@example.test", "reviewer@example.test", "new.person@example.test", "x@"
            ),
            "name": T,
            "trained_lead": BOOL,
        },
        show=("/visits/networks/{network_id}/reviewers",),
    ),
    "network.decline_reviewer": Form(
        paths=("/networks/reviewer-pool/decline/{decline_token}",),
        role="anon",
        prepare=_decline_link,
    ),
    # cycles
    "cycles.new": Form(CycleForm, {"edition_id": ids("edition_id", "foreign_unit_id")}),
    "cycles.edit": Form(CycleForm, show=("/cycles/{cycle_id}",)),
    "cycles.enrol": Form(
        EnrolForm,
        {"unit_ids": Kind("id", choices=("{other_unit_id}", "{foreign_unit_id}"), multiple=True)},
    ),
    "cycles.open_": Form(),
    "cycles.close": Form(ConfirmCloseForm),
    "cycles.submit": Form(paths=("/cycles/assessments/{assessment_id}/submit",), role="lead"),
    "cycles.choose_start": Form(
        StartForm, paths=("/cycles/assessments/{assessment_id}/start",), role="lead"
    ),
    "cycles.reopen": Form(ReopenForm, prepare=_submitted),
    "cycles.window_override": Form(
        fields={"reason": TEXT}, role="coordinator", show=("/cycles/assessments/{assessment_id}",)
    ),
    "cycles.confirm_rating": Form(fields={"version": VERSION}),
    "cycles.confirm_domain": Form(),
    "cycles.upload": Form(fields={"file": T}),  # the spreadsheet itself: tests/fuzz/test_imports
    "cycles.apply_import": Form(
        fields={"changes": Kind("json")}, show=("/cycles/assessments/{assessment_id}",)
    ),
    # standards
    "standards.publish": Form(),
    "standards.delete": Form(),
    "standards.import_edition": Form(ImportForm, file=_edition_csv),
    "standards.import_staged": Form(
        paths=("/standards/editions/import/{token}",), role="coordinator", prepare=_staged
    ),
    "standards.mapping": Form(
        fields={"from_{std_id}": choice("1.1", "2.3", "9.9", " 1.2 ")},
        paths=("/standards/editions/{new_slug}/mapping?from={edition_slug}",),
        role="coordinator",
        prepare=_second_edition,
    ),
    # visits
    "visits.plan": Form(
        fields={"assessment_id": ids("assessment_id", "other_assessment_id"), "date": DATE},
        prepare=_submitted,
    ),
    "visits.reopen": Form(fields={"reason": TEXT}, role="coordinator", prepare=_completed_visit),
    "visits.date_override": Form(
        fields={"reason": TEXT}, role="coordinator", show=("/visits/{visit_id}",)
    ),
    "visits.propose": Form(
        fields={"date_1": DATE, "date_2": DATE, "date_3": DATE, "note": TEXT},
        role="lead",
        prepare=_planned_visit,
        show=("/visits/{visit_id}/schedule",),
    ),
    "visits.pick": Form(
        fields={
            "proposal_id": ids("proposal_id", "visit_id"),
            "date": choice("{proposed_1}", "{proposed_2}", "2031-05-05", "x"),
        },
        role="coordinator",
        prepare=_open_proposal,
        show=("/visits/{visit_id}/schedule",),
    ),
    "visits.set_date": Form(fields={"date": DATE}, show=("/visits/{visit_id}",)),
    "visits.team_add": Form(
        fields={
            "user_id": ids("user_id", "reviewer_id", "outsider_id"),
            "role": choice("lead_reviewer", "peer_reviewer", "expert_by_experience"),
        }
    ),
    "visits.team_remove": Form(
        paths=("/visits/{visit_id}/team/{member_id}/remove",),
        role="coordinator",
        prepare=_team_member,
    ),
    "visits.transition": Form(
        fields={
            "action": choice("schedule", "start", "complete", "reopen", "plan"),
            "next": T,
        }
    ),
    "visits.resolve": Form(
        fields={
            "value": choice("met", "partly_met", "not_met", "not_applicable"),
            "comment": TEXT,
            "version": VERSION,
            "show": T,
        },
        show=("/visits/{visit_id}/consolidate",),
    ),
    "visits.report_action": Form(
        paths=(
            "/visits/{visit_id}/report/refresh",
            "/visits/{visit_id}/report/share",
            "/visits/{visit_id}/report/finalise",
            # the unit lead's "no comments" and the coordinator's exception (with a reason)
            "/visits/{visit_id}/report/no-comments",
            "/visits/{visit_id}/report/override",
        ),
        fields={"reason": TEXT},
        prepare=_shared_report,
    ),
    "visits.report_comment": Form(
        fields={
            "section": choice("general", "standard:1.1", "domain:1", "standard:9.9"),
            "standard": choice("1.1", "9.9"),
            "text": TEXT,
        },
        role="lead",
        prepare=_shared_report,
        show=("/visits/{visit_id}/report",),
    ),
    "visits.comment_respond": Form(
        fields={"response": TEXT},
        paths=("/visits/{visit_id}/report/comments/{comment_id}/respond",),
        role="reviewer",
        prepare=_shared_report,
        show=("/visits/{visit_id}/report",),
    ),
    # actions
    "actions.new_action": Form(ActionForm, ACTION_FIELDS, show=(A,)),
    "actions.edit_action": Form(ActionForm, ACTION_FIELDS, show=(A, "/actions/{action_id}")),
    "actions.from_observation": Form(),
    "actions.from_standard": Form(),
    "actions.from_duty": Form(),
    "actions.move": Form(
        fields={
            "to": choice("planned", "in_progress", "done", "verified", "dropped"),
            "reason": TEXT,
            "drop-reason": TEXT,
            "next": T,
        },
        show=(A,),
    ),
    "actions.verify": Form(
        fields={
            "outcome": choice("verified", "not_verified"),
            "comment": TEXT,
            "visit_id": ids("visit_id", "other_visit_id"),
            "next": T,
        },
        role="reviewer",
        paths=("/actions/{action_id}/verify",),
    ),
    "actions.gap_override": Form(
        fields={
            "status": choice("in_place", "partly", "gap", "no_data"),
            "risk": choice("low", "medium", "high"),
            "reason": TEXT,
            "clear": BOOL,
        },
        paths=(A + "/gap/6a", A + "/gap/9z"),
        show=(A + "/gap",),
    ),
    "actions.rate_maturity": Form(
        fields={
            **{f"level-{a}": Kind("int", lo=1, hi=5) for a in ASPECTS},
            **{f"comment-{a}": TEXT for a in ASPECTS},
        },
        show=("/actions/units/{unit_id}/maturity",),
    ),
    # jobs: the start route takes the original export's arguments from the query string; body
    # fields (fuzzed here) are ignored
    "jobs.start": Form(
        fields={"cycle": TEXT, "entity": TEXT, "from": DATE, "to": DATE, "fmt": TEXT},
        paths=(
            "/jobs/exports/annual_report?network_id={network_id}",
            "/jobs/exports/network_audit?network_id={network_id}&fmt=csv",
        ),
        role="coordinator",
    ),
    "jobs.retry_export": Form(role="admin"),
    "jobs.retry_mail": Form(fields={"next": TEXT}, role="admin"),
    # surveys
    "surveys.open_collection": Form(
        CollectionForm,
        {"instruments": Kind("choice", choices=("young_person", "staff"), multiple=True)},
        show=("/surveys/assessments/{assessment_id}",),
    ),
    "surveys.codes": Form(
        CodesForm,
        {"instrument": choice("young_person", "staff")},
        show=("/surveys/assessments/{assessment_id}",),
    ),
    "surveys.kiosk_start": Form(
        KioskStartForm,
        {
            "instruments": Kind("choice", choices=("young_person", "staff"), multiple=True),
            "password": choice(PASSWORD, PASSWORD + " ", ""),
            "exit_check": choice("a" * 64, "A" * 64, "x", ""),
        },
        role="lead",
        refusal_writes=("audit_events",),
    ),
    "surveys.settings": Form(SettingsForm, show=("/surveys/networks/{network_id}/settings",)),
    "surveys.unit_records": Form(
        fields=RECORD_FIELDS,
        role="lead",
        prepare=_record_audit,
        show=("/surveys/assessments/{assessment_id}/records",),
    ),
    "surveys.visit_records": Form(
        fields=RECORD_FIELDS,
        role="reviewer",
        prepare=_record_audit,
        show=("/surveys/visits/{visit_id}/records",),
    ),
    # the respondents' pages: no sign-in
    "surveys.enter_code": Form(
        fields={"code": choice("{code}", "{code_2}", "{code_2_lower}", "ABCD-EFGH")},
        role="anon",
        prepare=_codes,
    ),
    "surveys.respond": Form(
        fields=ANSWERS,
        paths=("/surveys/answer/{code}", "/surveys/answer/ABCD-EFGH"),
        role="anon",
        prepare=_codes,
        show=("/surveys/answer/thanks",),
    ),
    "surveys.kiosk_submit": Form(
        fields={
            "kiosk": ids("kiosk_id"),
            "instrument": choice("young_person", "staff"),
            "submission_id": choice("fuzz-kiosk-submission-01", "x" * 24, ""),
            "answers": Kind("json"),
        },
        role="anon",
        prepare=_kiosk,
        session={"kvip_kiosk": "{kiosk_token}"},
        json=True,
    ),
    "surveys.kiosk_close": Form(
        fields={"proof": choice(KIOSK_KEY, KIOSK_KEY.upper(), "00" * 32, "zz", "")},
        role="anon",
        prepare=_kiosk_left_offline,
        session={"kvip_kiosk": "{kiosk_token}", "kvip_kiosk_check": "{kiosk_check}"},
        json=True,
    ),
    "surveys.kiosk_exit": Form(
        KioskExitForm,
        {"password": choice(PASSWORD, PASSWORD + " ", "")},
        role="anon",
        prepare=_kiosk,
        session={"kvip_kiosk": "{kiosk_token}"},
        refusal_writes=("audit_events",),
    ),
    # benchmarks: ask to learn (the services check the text, the unit and the contact person)
    "benchmarks.learning_new": Form(
        LearningRequestForm,
        {
            "unit": UNIT_IDS,
            "observation": ids("practice_id", "observation_id"),
            "label": T,
            "message": Kind("text", limit=LEARNING_MESSAGE_MAX),
        },
        role="lead",
        prepare=_good_practice,
        show=("/benchmarks/requests",),
    ),
    "benchmarks.learning_forward": Form(
        LearningForwardForm, {"note": NOTE}, prepare=_sent_request, show=(LEARNING,)
    ),
    "benchmarks.learning_refuse": Form(
        LearningRefuseForm, {"reason": NOTE}, prepare=_sent_request, show=(LEARNING,)
    ),
    "benchmarks.learning_accept": Form(
        LearningAcceptForm,
        {"contact": ids("outsider_id", "user_id", "reviewer_id")},
        show=(LEARNING,),
    ),
    "benchmarks.learning_decline": Form(LearningDeclineForm, {"note": NOTE}, show=(LEARNING,)),
}


def _form_endpoints(app: Flask) -> set[str]:
    found = set()
    for rule in app.url_map.iter_rules():
        if (rule.methods or set()) & UNSAFE and not rule.rule.startswith("/api/"):
            found.add(rule.endpoint)
    return found


def test_every_form_route_is_fuzzed(app: Flask) -> None:
    missing = sorted(_form_endpoints(app) - set(FORMS))
    assert not missing, f"form routes without an entry in tests/fuzz/test_forms.py: {missing}"
    stale = sorted(set(FORMS) - _form_endpoints(app))
    assert not stale, f"entries for routes that no longer exist: {stale}"


def test_a_new_form_route_is_reported(app: Flask) -> None:
    """The check above bites: a POST route added to a fresh app is listed as not fuzzed."""
    from kvip import create_app

    fresh = create_app({**app.config, "TESTING": True})
    fresh.add_url_rule("/sneaky", "sneaky_form", lambda: "", methods=["POST"])
    assert sorted(_form_endpoints(fresh) - set(FORMS)) == ["sneaky_form"]


def _post_rule(endpoint: str) -> tuple[str, str]:
    """The authorization table's POST path of ``endpoint`` and a role it allows."""
    for rule in load_rules()[endpoint]:
        if rule.method in UNSAFE:
            return rule.path, next(iter(sorted(rule.allow)), "admin")
    raise AssertionError(f"{endpoint}: no POST rule in tests/authz")


def _decoded(value: Any) -> Any:
    """A posted value as a JSON client would send it: parsed where it is JSON, else text."""
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    try:
        return json.loads(value)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to decode: as text
        return value


def _flashes(client: FlaskClient) -> list[tuple[str, str]]:
    with client.session_transaction() as sess:
        return list(sess.pop("_flashes", []))


def _client(app: Flask, world: World, role: str) -> FlaskClient:
    client = app.test_client()
    if role != "anon":
        login(client, world.users[role])
    return client


def _cases() -> list[Any]:
    cases = []
    for endpoint, spec in sorted(FORMS.items()):
        paths = spec.paths or (None,)
        for index, path in enumerate(paths):
            cases.append(pytest.param(endpoint, path, id=f"{endpoint}[{index}]"))
    return cases


@pytest.mark.parametrize(("endpoint", "path"), _cases())
def test_form_survives_hostile_input(app: Flask, endpoint: str, path: str | None) -> None:
    spec = FORMS[endpoint]
    world = build_world()
    values = world.ids()
    values.update(_foreign(world))
    values["reviewer_id"] = world.users["reviewer"].id
    values["outsider_id"] = world.users["outsider"].id
    if spec.prepare is not None:
        values.update(spec.prepare(world))
    rule_path, rule_role = _post_rule(endpoint)
    url = (path or rule_path).format(**values)
    role = spec.role or rule_role
    kinds = spec.kinds()
    if "from_{std_id}" in kinds:  # one input per standard of the new edition
        kind = kinds.pop("from_{std_id}")
        edition = db.session.scalar(
            db.select(type(world.edition)).where(type(world.edition).slug == values["new_slug"])
        )
        for std in standards_of(edition)[:3]:
            kinds[f"from_{std.id}"] = kind
    show = [p.format(**values) for p in spec.show]
    outcomes: dict[str, int] = {"accepted": 0, "refused": 0}

    @given(data=form_data(kinds, values))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(data: dict[str, Any]) -> None:
        client = _client(app, world, role)
        if spec.session:
            with client.session_transaction() as sess:
                sess.update({k: v.format(**values) for k, v in spec.session.items()})
        before = snapshot()
        payload: dict[str, Any] = dict(data)
        if spec.file is not None:
            payload["file"] = spec.file()
        if spec.json:
            response = client.post(url, json={k: _decoded(v) for k, v in payload.items()})
        else:
            response = client.post(url, data=payload)
        db.session.rollback()
        where = f"POST {url} as {role} with {data!r}"
        assert response.status_code < 500, f"{where}: {response.status_code}"
        body = response.get_data(as_text=True)
        assert MARKER not in body, f"{where}: script text shown unescaped"
        errors = [m for c, m in _flashes(client) if c == "error"]
        after = snapshot()
        if response.status_code >= 400 or errors:
            outcomes["refused"] += 1
            changed = [t for t in changed_tables(before, after) if t not in spec.refusal_writes]
            assert not changed, f"{where}: refused ({response.status_code}) but changed {changed}"
            return
        outcomes["accepted"] += 1
        problems = column_problems()
        assert not problems, f"{where}: accepted and stored {problems}"
        pages = list(show)
        if response.status_code in (301, 302, 303) and role != "anon":
            pages.insert(0, response.headers["Location"])
        for page in pages:
            shown = client.get(page)
            db.session.rollback()
            assert shown.status_code < 500, f"{where}: then GET {page} -> {shown.status_code}"
            assert MARKER not in shown.get_data(as_text=True), (
                f"{where}: then GET {page} shows script text unescaped"
            )

    check()
    assert sum(outcomes.values()) > 0

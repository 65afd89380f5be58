"""Test data: factory functions and the shared ``World`` of every role (Indico-style pairs)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from kvip.accounts.models import Membership, NetworkRole, User
from kvip.accounts.services import hash_password
from kvip.actions.models import Action
from kvip.benchmarks.models import LearningRequest
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from kvip.network.models import Institution, Network, Unit
from kvip.standards.models import Domain, Edition, Standard, StandardDimension, StandardDuty
from kvip.surveys.models import Collection, Instrument, Question
from kvip.visits.models import Finding, Observation, Report, TeamMember, Visit

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)
# Hash once: argon2 is deliberately slow, and tests make many users.
_HASH: dict[str, str] = {}


def _password_hash() -> str:
    if "h" not in _HASH:
        _HASH["h"] = hash_password(PASSWORD)
    return _HASH["h"]


def create_user(email: str | None = None, name: str | None = None, **kw: Any) -> User:
    n = next(_seq)
    user = User(
        email=(email or f"user{n}@example.test").lower(),
        name=name or f"User {n}",
        password_hash=_password_hash(),
        **kw,
    )
    db.session.add(user)
    db.session.flush()
    return user


def create_network(**kw: Any) -> Network:
    n = next(_seq)
    network = Network(name=kw.pop("name", f"Network {n}"), slug=kw.pop("slug", f"net-{n}"), **kw)
    db.session.add(network)
    db.session.flush()
    return network


def create_institution(
    network: Network, name: str | None = None, region: str = "Vest"
) -> Institution:
    inst = Institution(
        network_id=network.id, name=name or f"Institution {next(_seq)}", region=region
    )
    db.session.add(inst)
    db.session.flush()
    return inst


def create_unit(institution: Institution, name: str | None = None, **kw: Any) -> Unit:
    unit = Unit(
        network_id=institution.network_id,
        institution_id=institution.id,
        name=name or f"Unit {next(_seq)}",
        region=institution.region,
        **kw,
    )
    db.session.add(unit)
    db.session.flush()
    return unit


def create_edition(domains: int = 2, per_domain: int = 3, slug: str | None = None) -> Edition:
    """A small edition: standard types cycle 1, 2, 3; duties 6a, 7c, 8a…; dimension ``safe``."""
    n = next(_seq)
    edition = Edition(
        slug=slug or f"ed-{n}",
        name_nb=f"Utgave {n}",
        name_en=f"Edition {n}",
        version="1",
        total=domains * per_domain,
    )
    db.session.add(edition)
    db.session.flush()
    duties = ["6a", "7c", "8a", "9b", "6d", "7e"]
    for d in range(1, domains + 1):
        domain = Domain(
            edition_id=edition.id,
            code=str(d),
            slug=f"d{d}",
            title_nb=f"Område {d}",
            title_en=f"Domain {d}",
            position=d,
        )
        db.session.add(domain)
        db.session.flush()
        for s in range(1, per_domain + 1):
            std = Standard(
                edition_id=edition.id,
                domain_id=domain.id,
                code=f"{d}.{s}",
                type=(s - 1) % 3 + 1,
                text_nb=f"Krav {d}.{s} på norsk",
                text_en=f"Standard {d}.{s} in English",
                guidance_nb="Veiledning",
                guidance_en="Guidance",
                position=s,
            )
            db.session.add(std)
            db.session.flush()
            db.session.add(StandardDuty(standard_id=std.id, duty=duties[(d + s) % len(duties)]))
            db.session.add(StandardDimension(standard_id=std.id, dimension="safe"))
    db.session.flush()
    return edition


def standards_of(edition: Edition) -> list[Standard]:
    return list(
        db.session.scalars(
            db.select(Standard).where(Standard.edition_id == edition.id).order_by(Standard.id)
        )
    )


def create_instruments(edition: Edition) -> dict[str, Instrument]:
    """Two small questionnaires: young people (Y1 agree, Y2 worded negatively, Y3 free text)
    and staff (S1), mapped to the small edition's standards 1.1, 1.2 and 2.1."""
    young = Instrument(
        edition_id=edition.id,
        code="young_person",
        kind="questionnaire",
        version="1",
        title_nb="Ungdom",
        title_en="Young people",
        audience_nb="Ungdom",
        audience_en="Young people",
        position=0,
    )
    young.questions = [
        Question(
            code="Y1",
            position=0,
            text_nb="Jeg føler meg trygg.",
            text_en="I feel safe.",
            scale="agree4",
            positive="agree",
            standards=["1.1"],
        ),
        Question(
            code="Y2",
            position=1,
            text_nb="Jeg blir plaget.",
            text_en="I am bullied.",
            scale="agree4",
            positive="disagree",
            standards=["1.2"],
        ),
        Question(
            code="Y3",
            position=2,
            text_nb="Noe mer?",
            text_en="Anything else?",
            scale="text",
            positive="agree",
            standards=[],
        ),
    ]
    staff = Instrument(
        edition_id=edition.id,
        code="staff",
        kind="questionnaire",
        version="1",
        title_nb="Ansatte",
        title_en="Staff",
        audience_nb="Ansatte",
        audience_en="Staff",
        position=2,
    )
    staff.questions = [
        Question(
            code="S1",
            position=0,
            text_nb="Jeg har veiledning.",
            text_en="I have supervision.",
            scale="agree4",
            positive="agree",
            standards=["2.1"],
        ),
    ]
    db.session.add_all([young, staff])
    db.session.flush()
    return {"young_person": young, "staff": staff}


@dataclass
class World:
    """One network with two units, every role, an open cycle, a visit, a report and an action."""

    network: Network
    inst_a: Institution
    inst_b: Institution
    inst_c: Institution
    unit: Unit
    other_unit: Unit
    edition: Edition
    cycle: Cycle
    assessment: Assessment
    other_assessment: Assessment
    visit: Visit
    other_visit: Visit
    report: Report
    action: Action
    observation: Observation
    users: dict[str, User] = field(default_factory=dict)
    # A finished export job of the coordinator (its file in a temporary folder).
    export_job_id: int = 0
    # An "ask to learn" request from unit to other_unit, passed on by the coordinator.
    learning_request_id: int = 0

    def ids(self) -> dict[str, Any]:
        """Values for the ``{name}`` placeholders of the authorization table."""
        std = standards_of(self.edition)[0]
        return {
            "network_id": self.network.id,
            "institution_id": self.inst_a.id,
            "unit_id": self.unit.id,
            "other_unit_id": self.other_unit.id,
            "edition_id": self.edition.id,
            "edition_slug": self.edition.slug,
            "standard_id": std.id,
            "standard_code": std.code,
            "domain_code": "1",
            "cycle_id": self.cycle.id,
            "assessment_id": self.assessment.id,
            "other_assessment_id": self.other_assessment.id,
            "visit_id": self.visit.id,
            "other_visit_id": self.other_visit.id,
            "report_id": self.report.id,
            "action_id": self.action.id,
            "observation_id": self.observation.id,
            "user_id": self.users["member"].id,
            "job_id": self.export_job_id,
            "instrument_code": "young_person",
            "learning_request_id": self.learning_request_id,
        }


ROLES = ("anon", "admin", "coordinator", "lead", "member", "reviewer", "outsider")


def build_world() -> World:
    network = create_network()
    inst_a = create_institution(network, "Institusjon A")
    inst_b = create_institution(network, "Institusjon B")
    inst_c = create_institution(network, "Institusjon C")
    unit = create_unit(inst_a, "Enhet Alfa", kind="acute", beds=8)
    other_unit = create_unit(inst_b, "Enhet Beta", kind="general", beds=6)
    users = {
        "admin": create_user("admin@example.test", "Admin", is_admin=True),
        "coordinator": create_user("coord@example.test", "Coordinator"),
        "lead": create_user("lead@example.test", "Lead", home_institution_id=inst_a.id),
        "member": create_user("member@example.test", "Member", home_institution_id=inst_a.id),
        "reviewer": create_user("reviewer@example.test", "Reviewer", home_institution_id=inst_c.id),
        "outsider": create_user("outsider@example.test", "Outsider", home_institution_id=inst_b.id),
    }
    db.session.add_all(
        [
            NetworkRole(user_id=users["coordinator"].id, network_id=network.id, role="coordinator"),
            NetworkRole(
                user_id=users["reviewer"].id,
                network_id=network.id,
                role="reviewer",
                trained_lead=True,
            ),
            Membership(user_id=users["lead"].id, unit_id=unit.id, role="unit_lead"),
            Membership(user_id=users["member"].id, unit_id=unit.id, role="unit_member"),
            Membership(user_id=users["outsider"].id, unit_id=other_unit.id, role="unit_lead"),
        ]
    )
    edition = create_edition()
    edition.frozen = True
    today = date.today()
    cycle = Cycle(
        network_id=network.id,
        edition_id=edition.id,
        year=today.year,
        name=f"Syklus {today.year}",
        state="open",
        self_assessment_opens=today - timedelta(days=10),
        self_assessment_closes=today + timedelta(days=50),
        visit_window_start=today + timedelta(days=60),
        visit_window_end=today + timedelta(days=120),
    )
    db.session.add(cycle)
    db.session.flush()
    assessment = Assessment(cycle_id=cycle.id, unit_id=unit.id, state="in_progress")
    other_assessment = Assessment(cycle_id=cycle.id, unit_id=other_unit.id, state="in_progress")
    db.session.add_all([assessment, other_assessment])
    db.session.flush()
    stds = standards_of(edition)
    db.session.add(Rating(assessment_id=assessment.id, standard_id=stds[0].id, value="met"))
    db.session.add(
        Rating(assessment_id=other_assessment.id, standard_id=stds[0].id, value="not_met")
    )
    # Visits take place today: a visit starts (and takes findings) only on its date (issue 18).
    visit = Visit(assessment_id=assessment.id, date=today, state="scheduled")
    other_visit = Visit(assessment_id=other_assessment.id, date=today, state="scheduled")
    db.session.add_all([visit, other_visit])
    db.session.flush()
    db.session.add(
        TeamMember(visit_id=visit.id, user_id=users["reviewer"].id, role="lead_reviewer")
    )
    db.session.add(Finding(visit_id=visit.id, standard_id=stds[0].id, value="met"))
    observation = Observation(
        visit_id=visit.id,
        kind="improvement",
        text="Bedre skriftlige rutiner",
        created_by_id=users["reviewer"].id,
    )
    db.session.add(observation)
    report = Report(visit_id=visit.id, state="draft")
    db.session.add(report)
    action = Action(
        assessment_id=assessment.id,
        title="Skriv rutine for ettersamtale",
        created_by_id=users["lead"].id,
    )
    db.session.add(action)
    # Questionnaires: the young people's collection of the assessment is open.
    instruments = create_instruments(edition)
    db.session.add(
        Collection(
            assessment_id=assessment.id,
            instrument_id=instruments["young_person"].id,
            opens=today - timedelta(days=1),
            closes=today + timedelta(days=30),
            created_by_id=users["lead"].id,
        )
    )
    db.session.commit()
    export_job_id = _finished_export_job(users["coordinator"], network)
    learning_request = LearningRequest(
        network_id=network.id,
        from_unit_id=unit.id,
        to_unit_id=other_unit.id,
        practice="Faste ettersamtaler etter tvang",
        to_label="Enhet B",
        message="Vi vil gjerne lære hvordan dere gjør ettersamtaler.",
        state="forwarded",
        requested_by_id=users["lead"].id,
        forwarded_by_id=users["coordinator"].id,
    )
    db.session.add(learning_request)
    db.session.commit()
    return World(
        network=network,
        inst_a=inst_a,
        inst_b=inst_b,
        inst_c=inst_c,
        unit=unit,
        other_unit=other_unit,
        edition=edition,
        cycle=cycle,
        assessment=assessment,
        other_assessment=other_assessment,
        visit=visit,
        other_visit=other_visit,
        report=report,
        action=action,
        observation=observation,
        users=users,
        export_job_id=export_job_id,
        learning_request_id=learning_request.id,
    )


def _finished_export_job(owner: User, network: Network) -> int:
    """A done annual-report job of ``owner`` with a small file to download."""
    import tempfile
    from pathlib import Path

    from kvip.core.models import ExportJob

    folder = Path(tempfile.mkdtemp(prefix="kvip-export-"))
    path = folder / "report.pdf"
    path.write_bytes(b"%PDF-1.4 test\n")
    job = ExportJob(
        owner_id=owner.id,
        kind="annual_report",
        params={"network_id": network.id},
        state="done",
        progress=100,
        file_path=str(path),
        file_name="annual-report.pdf",
        mimetype="application/pdf",
    )
    db.session.add(job)
    db.session.commit()
    return int(job.id)

"""``flask demo generate``: a deterministic synthetic network, inserted in bulk, whose
benchmark pages work."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.accounts.models import User
from kvip.benchmarks.models import domain_counts
from kvip.benchmarks.synthetic import generate
from kvip.extensions import db
from tests.conftest import _wipe, login

TODAY = date(2026, 6, 1)


def _fingerprint(network_id: int) -> str:
    rows = db.session.execute(
        sa.text(
            "SELECT u.name, c.year, s.code, r.value FROM ratings r "
            "JOIN assessments a ON a.id = r.assessment_id JOIN units u ON u.id = a.unit_id "
            "JOIN cycles c ON c.id = a.cycle_id JOIN standards s ON s.id = r.standard_id "
            "WHERE u.network_id = :n ORDER BY u.name, c.year, s.code"
        ),
        {"n": network_id},
    ).all()
    findings = db.session.execute(
        sa.text(
            "SELECT u.name, c.year, s.code, f.value FROM findings f JOIN visits v ON v.id = f.visit_id "
            "JOIN assessments a ON a.id = v.assessment_id JOIN units u ON u.id = a.unit_id "
            "JOIN cycles c ON c.id = a.cycle_id JOIN standards s ON s.id = f.standard_id "
            "WHERE u.network_id = :n ORDER BY u.name, c.year, s.code"
        ),
        {"n": network_id},
    ).all()
    texts = db.session.scalars(
        sa.text(
            "SELECT o.text FROM observations o JOIN visits v ON v.id = o.visit_id "
            "JOIN assessments a ON a.id = v.assessment_id JOIN units u ON u.id = a.unit_id "
            "WHERE u.network_id = :n ORDER BY o.text"
        ),
        {"n": network_id},
    ).all()
    return hashlib.sha256(repr((rows, findings, texts)).encode()).hexdigest()


def test_generate_is_deterministic_and_complete(app: Flask) -> None:
    messages: list[str] = []
    result = generate(8, 3, 42, echo=messages.append, today=TODAY)
    assert len(messages) == 3
    counts = result.counts
    assert counts["units"] == 8 and counts["cycles"] == 3
    assert counts["ratings"] > 8 * 228 * 2 and counts["findings"] > 8 * 228
    assert counts["observations"] > 0 and counts["actions"] > 0 and counts["reports"] > 0
    states = dict(
        db.session.execute(sa.text("SELECT state, COUNT(*) FROM cycles GROUP BY state")).all()
    )
    assert states == {"closed": 2, "open": 1}
    # Summaries were built; every standard of the synthetic edition has 7 domains.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(domain_counts)) > 0
    assert db.session.scalar(sa.text("SELECT COUNT(*) FROM standards")) == 228
    first = _fingerprint(result.network_id)
    with pytest.raises(ValueError, match="already exists"):
        generate(8, 3, 42, echo=messages.append, today=TODAY)
    _wipe()
    again = generate(8, 3, 42, echo=messages.append, today=TODAY)
    assert _fingerprint(again.network_id) == first
    _wipe()
    other = generate(8, 3, 43, echo=messages.append, today=TODAY)
    assert _fingerprint(other.network_id) != first


def test_synthetic_network_pages_render(app: Flask) -> None:
    result = generate(6, 2, 5, echo=lambda _m: None, today=TODAY)
    coordinator = db.session.scalar(
        sa.select(User).where(User.email == f"coordinator@{result.slug}.kvip")
    )
    lead = db.session.scalar(sa.select(User).where(User.email == f"lead0001@{result.slug}.kvip"))
    assert coordinator is not None and lead is not None
    c = login(app.test_client(), coordinator)
    pages = ("", "/standards", "/trends", "/agreement", "/questionnaires", "/good-practice")
    for page in (*pages, "/annual-report"):
        assert c.get(f"/benchmarks/networks/{result.network_id}{page}").status_code == 200
    unit_id = lead.memberships[0].unit_id
    for page in ("", "/questionnaires"):
        url = f"/benchmarks/units/{unit_id}{page}"
        assert login(app.test_client(), lead).get(url).status_code == 200


def test_cli_generate_and_refresh(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["demo", "generate", "--units", "4", "--cycles", "2", "--seed", "9"]
    )
    assert result.exit_code == 0, result.output
    assert "synthetic-9-4x2" in result.output and "ratings" in result.output
    again = runner.invoke(args=["demo", "generate", "--units", "4", "--cycles", "2", "--seed", "9"])
    assert again.exit_code != 0 and "already exists" in again.output
    refresh = runner.invoke(args=["benchmarks", "refresh"])
    assert refresh.exit_code == 0 and "Rebuilt 2 cycles" in refresh.output
    monkeypatch.setenv("KVIP_ENV", "production")
    refused = runner.invoke(args=["demo", "generate", "--units", "2", "--cycles", "1"])
    assert refused.exit_code != 0 and "refused" in refused.output


def test_generate_with_a_loaded_edition(app: Flask) -> None:
    from tests.factories import create_edition

    edition = create_edition(domains=2, per_domain=3, slug="ed-loaded")
    db.session.commit()
    result = generate(4, 1, 3, edition_slug="ed-loaded", echo=lambda _m: None, today=TODAY)
    codes = db.session.scalars(
        sa.text(
            "SELECT DISTINCT s.code FROM ratings r JOIN standards s ON s.id = r.standard_id "
            "WHERE s.edition_id = :e ORDER BY s.code"
        ),
        {"e": edition.id},
    ).all()
    assert codes == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3"] and result.counts["ratings"] > 0
    with pytest.raises(ValueError, match="no edition"):
        generate(4, 1, 4, edition_slug="missing", echo=lambda _m: None, today=TODAY)


def test_generate_adds_questionnaire_responses(app: Flask) -> None:
    """15 young people, 15 parents (a few collections below the threshold) and 20 staff per
    unit and cycle; the benchmarks count only the instruments at or above the threshold."""
    from kvip.benchmarks.surveys import question_benchmarks, response_counts
    from kvip.cycles.models import Cycle
    from kvip.surveys.models import Answer, Response

    result = generate(6, 2, 7, echo=lambda _m: None, today=TODAY)
    responses = db.session.scalar(sa.select(sa.func.count()).select_from(Response))
    assert result.counts["responses"] == responses
    assert result.counts["answers"] == db.session.scalar(
        sa.select(sa.func.count()).select_from(Answer)
    )
    cycle_id = db.session.scalar(
        sa.select(Cycle.id).where(Cycle.network_id == result.network_id).order_by(Cycle.year.desc())
    )
    counts = {c.instrument: c for c in response_counts(cycle_id)}
    assert counts["young_person"].respondents == 6 * 15 and counts["staff"].units == 6
    parent = counts["parent"]
    assert parent.units + parent.below_threshold == 6
    assert parent.respondents == 15 * parent.units  # collections below 5 never counted
    y1 = question_benchmarks(cycle_id)[0]
    assert y1.units == 6 and not y1.suppressed and len(y1.points) == 6

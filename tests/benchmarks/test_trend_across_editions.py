"""Trends across an edition boundary follow the standards through the mapping file: a unit
with a cycle on the older and one on the newer edition, whose codes differ through merges and
splits, has a continuous series; where a standard changed meaning the chart and tables say so.

The two editions (written as YAML with a mapping file, loaded with the real loader)::

    ed-old: 1.1 1.2 1.3 | 2.1 2.2          ed-new: 1.1 1.4 | 2.1 2.3 2.4
    1.1 → 1.1 reworded, meaning changed    1.2 dropped     1.3 merged into 2.1
    2.1 → 2.1 same                         2.2 split into 2.3 and 2.4      1.4 new
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from kvip.accounts.models import Membership
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from kvip.network.models import Unit
from kvip.standards.models import Edition, Standard
from kvip.standards.services import load_edition_dir
from tests.benchmarks.helpers import csv_rows, figures, num
from tests.conftest import login
from tests.factories import create_institution, create_network, create_unit, create_user
from tests.standards.conftest import DomainSpec, StdSpec, write_edition

M, P, N = "met", "partly_met", "not_met"

MAPPING = """from: ed-old
to: ed-new
standards:
  - {old: "1.1", new: "1.1", change: reworded, meaning_changed: true}
  - {old: "1.2", new: null, change: dropped, note: "Svakt type 3-krav"}
  - {old: "1.3", new: "2.1", change: merged}
  - {old: "2.1", new: "2.1", change: same}
  - {old: "2.2", new: ["2.3", "2.4"], change: split}
  - {old: null, new: "1.4", change: new}
"""

# The own unit's ratings (the other two units' ratings only make the network big enough).
OLD = {"1.1": M, "1.2": N, "1.3": N, "2.1": M, "2.2": P}
NEW = {"1.1": M, "1.4": M, "2.1": M, "2.3": M, "2.4": N}


def _editions(root: Path) -> tuple[Edition, Edition]:
    old = [
        DomainSpec("1", [StdSpec("1.1", nb="Gammel 1.1"), StdSpec("1.2"), StdSpec("1.3")]),
        DomainSpec("2", [StdSpec("2.1", nb="Samme 2.1"), StdSpec("2.2")]),
    ]
    new = [
        DomainSpec(
            "1",
            [
                StdSpec("1.1", nb="Ny 1.1", methods=["document"]),
                StdSpec("1.4", methods=["observation"]),
            ],
        ),
        DomainSpec(
            "2",
            [
                StdSpec("2.1", nb="Samme 2.1", methods=["record_audit"]),
                StdSpec("2.3", methods=["interview_staff"]),
                StdSpec("2.4", methods=["interview_young_person"]),
            ],
        ),
    ]
    write_edition(root / "ed-old", old, slug="ed-old", published="2026-01-15")
    write_edition(
        root / "ed-new", new, slug="ed-new", published="2027-01-15", methods_required=True
    )
    (root / "ed-new" / "mapping-from-ed-old.yaml").write_text(MAPPING, encoding="utf-8")
    return load_edition_dir(root / "ed-old"), load_edition_dir(root / "ed-new")


def _rate(assessment: Assessment, edition: Edition, values: dict[str, str]) -> None:
    ids = dict(
        db.session.execute(
            sa.select(Standard.code, Standard.id).where(Standard.edition_id == edition.id)
        ).all()
    )
    for code, value in values.items():
        db.session.add(Rating(assessment_id=assessment.id, standard_id=ids[code], value=value))


@pytest.fixture
def two_editions(app: Flask, tmp_path: Path) -> dict[str, Any]:
    ed_old, ed_new = _editions(tmp_path)
    network = create_network(name="Utgavenettverket", min_group_size=3)
    inst = create_institution(network, "Institusjon")
    units = {key: create_unit(inst, f"Enhet {key}", kind="acute", beds=6) for key in "abc"}
    member = create_user("member@editions.test", "Member", home_institution_id=inst.id)
    db.session.add(Membership(user_id=member.id, unit_id=units["a"].id, role="unit_member"))
    cycles = [
        Cycle(network_id=network.id, edition_id=ed.id, year=year, name=f"Syklus {year}", state=s)
        for ed, year, s in ((ed_old, 2026, "closed"), (ed_new, 2027, "open"))
    ]
    db.session.add_all(cycles)
    db.session.flush()
    for cycle, edition, own in ((cycles[0], ed_old, OLD), (cycles[1], ed_new, NEW)):
        for key, unit in units.items():
            a = Assessment(
                cycle_id=cycle.id,
                unit_id=unit.id,
                state="submitted",
                submitted_at=datetime(cycle.year, 3, 1),
            )
            db.session.add(a)
            db.session.flush()
            # Other units rate everything met, so the network line exists too.
            _rate(a, edition, own if key == "a" else dict.fromkeys(own, M))
    db.session.commit()
    return {"member": member, "unit": units["a"], "cycles": cycles, "network": network}


def _get(app: Flask, user: Any, url: str) -> Any:
    client = login(app.test_client(), user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response


def _trend_rows(app: Flask, world: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    unit: Unit = world["unit"]
    cycle = world["cycles"][1]
    data = _get(
        app, world["member"], f"/benchmarks/units/{unit.id}/export/trend.csv?cycle={cycle.id}"
    ).data
    return {(row[0], row[1]): row for row in csv_rows(data)}


def test_domain_trend_is_restated_through_the_mapping(
    app: Flask, two_editions: dict[str, Any]
) -> None:
    rows = _trend_rows(app, two_editions)
    # Old cycle on the new edition's standards: domain 1 is {1.1} (1.2 dropped, 1.4 new);
    # domain 2 is {2.1, 1.3 merged into it, 2.2 split into 2.3 and 2.4} = met, not, partly.
    assert num(rows[("Syklus 2026", "1 Område 1")][2]) == 100.0
    assert num(rows[("Syklus 2026", "2 Område 2")][2]) == 50.0
    assert num(rows[("Syklus 2026", "Alle standarder")][2]) == 62.5
    # The new cycle as rated: domain 2 is met, met, not met.
    assert num(rows[("Syklus 2027", "1 Område 1")][2]) == 100.0
    assert num(rows[("Syklus 2027", "2 Område 2")][2]) == pytest.approx(66.7)
    assert num(rows[("Syklus 2027", "Alle standarder")][2]) == 80.0
    # The boundary is noted where a standard changed meaning, and only there.
    assert "1.1" in rows[("Syklus 2027", "1 Område 1")][4]
    assert "1.1" in rows[("Syklus 2027", "Alle standarder")][4]
    assert "endret" not in rows[("Syklus 2027", "2 Område 2")][4]
    assert "ed-new" in rows[("Syklus 2026", "1 Område 1")][4]  # restated, and says so


def test_chart_marks_the_standard_that_changed_meaning(
    app: Flask, two_editions: dict[str, Any]
) -> None:
    unit: Unit = two_editions["unit"]
    html = _get(app, two_editions["member"], f"/benchmarks/units/{unit.id}").get_data(as_text=True)
    trend = figures(html)["trend"]
    lines = [t for t in trend["data"] if t.get("mode", "").startswith("lines+markers")]
    own = [t for t in lines if t["name"] == unit.name]
    # Every panel's own line is continuous: a value in both cycles.
    assert own and all(None not in t["y"] and len(t["y"]) == 2 for t in own)
    marks = [
        t for t in trend["data"] if t.get("mode") == "markers" and t.get("legendgroup") == "marks"
    ]
    # The all-standards panel and domain 1 carry a star at the new edition's first cycle.
    assert [(t["xaxis"], t["x"]) for t in marks] == [("x", ["2027"]), ("x2", ["2027"])]
    assert all("1.1" in text for t in marks for text in t["text"])


def test_standard_trend_follows_merges_and_splits(app: Flask, two_editions: dict[str, Any]) -> None:
    unit: Unit = two_editions["unit"]
    cycle = two_editions["cycles"][1]
    data = _get(
        app,
        two_editions["member"],
        f"/benchmarks/units/{unit.id}/export/standard_trend.csv?cycle={cycle.id}",
    ).data
    rows = {row[0]: row for row in csv_rows(data)}
    assert list(rows) == ["1.1", "1.4", "2.1", "2.3", "2.4"]
    # code, text, old cycle, new cycle, note
    assert [num(rows["2.1"][2]), num(rows["2.1"][3])] == [50.0, 100.0]  # 2.1 met + 1.3 not
    assert [num(rows["2.3"][2]), num(rows["2.3"][3])] == [50.0, 100.0]  # 2.2 partly met
    assert [num(rows["2.4"][2]), num(rows["2.4"][3])] == [50.0, 0.0]  # the other part
    assert [num(rows["1.4"][2]), num(rows["1.4"][3])] == [None, 100.0]  # new: no past
    assert "ed-old: 2.1, 1.3" in rows["2.1"][4]
    assert "ed-old: 2.2" in rows["2.3"][4]
    assert "ed-new" in rows["1.1"][4]  # meaning changed from ed-new
    assert "ed-new" not in rows["2.3"][4]


def test_network_trend_and_standard_changes_follow_the_mapping(
    app: Flask, two_editions: dict[str, Any]
) -> None:
    coordinator = create_user("coord@editions.test", "Coordinator", is_admin=True)
    db.session.commit()
    network = two_editions["network"]
    html = _get(app, coordinator, f"/benchmarks/networks/{network.id}/trends").get_data(
        as_text=True
    )
    trend = figures(html)["trends"]
    marks = [t for t in trend["data"] if t.get("legendgroup") == "marks"]
    assert len(marks) == 1 and marks[0]["x"] == ["2027"]
    data = _get(
        app, coordinator, f"/benchmarks/networks/{network.id}/export/trends/standard_changes.csv"
    ).data
    changes = {row[0]: row for row in csv_rows(data)}
    # Met % of 2.4 (split from 2.2): 2 of 3 units met 2.2 before, 2 of 3 meet 2.4 now.
    assert num(changes["2.4"][2]) == pytest.approx(66.7)
    assert num(changes["2.4"][3]) == pytest.approx(66.7)
    assert "1.4" not in changes  # new: nothing to compare with
    assert num(changes["2.1"][2]) == pytest.approx(83.3)  # 2.1 and the merged 1.3 pooled
    assert changes["2.1"][5] == "ed-old: 2.1, 1.3"
    assert "Syklus 2026" in changes["1.1"][5] and "2.1" not in changes["1.1"][5]

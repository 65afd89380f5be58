"""Pseudonyms that resist intersection (issue 16, item 7): a unit member who combines filtered
views cannot single out another unit, by its pseudonym or by anything else the views show.

The network is the demo's: 13 units, 4 acute, 5 in Sør-Øst and one acute unit in Sør-Øst."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from kvip.accounts.models import Membership, NetworkRole, User
from kvip.benchmarks import privacy
from kvip.benchmarks.models import BenchmarkCycleState
from kvip.cycles.models import Assessment, Cycle, Rating
from kvip.extensions import db
from kvip.network.models import Network, Unit
from tests.conftest import login
from tests.factories import (
    create_edition,
    create_institution,
    create_network,
    create_unit,
    create_user,
    standards_of,
)

K = 3
# (institution, region, unit name, kind) as in the demo network.
UNITS = [
    ("Helse Fjordvik HF", "Vest", "Ungdomsakutten", "acute"),
    ("Helse Fjordvik HF", "Vest", "Barnepsykiatrisk døgnpost", "general"),
    ("Nordlia sykehus HF", "Nord", "Akuttpost for ungdom", "acute"),
    ("Nordlia sykehus HF", "Nord", "Regional spiseforstyrrelsespost", "specialised"),
    ("Sørstrand universitetssykehus", "Sør-Øst", "Ungdomspsykiatrisk sengepost", "general"),
    ("Sørstrand universitetssykehus", "Sør-Øst", "Sikkerhetspost for ungdom", "forensic"),
    ("Innlandet psykiatriske senter", "Sør-Øst", "Døgnenhet barn og unge", "general"),
    ("Midtbyen sykehus HF", "Midt-Norge", "Akutt ungdomsenhet", "acute"),
    ("Midtbyen sykehus HF", "Midt-Norge", "Familieenheten", "specialised"),
    ("Kystlandet helseforetak", "Vest", "BUP døgn Kysten", "general"),
    ("Østmark sykehus HF", "Sør-Øst", "Ungdomsklinikken døgn", "acute"),
    ("Østmark sykehus HF", "Sør-Øst", "Barneenheten Østmark", "general"),
    ("Fjellheim sykehus", "Nord", "BUP døgn Fjellheim", "general"),
]
OWN = "Ungdomsakutten"
TARGET = "Ungdomsklinikken døgn"  # the only acute unit in Sør-Øst
# Three standards rated so that they score `level` half points out of 6 (0, 16.7 … 100).
LEVELS = [
    ["not_met", "not_met", "not_met"],
    ["partly_met", "not_met", "not_met"],
    ["met", "not_met", "not_met"],
    ["met", "partly_met", "not_met"],
    ["met", "met", "not_met"],
    ["met", "met", "partly_met"],
    ["met", "met", "met"],
]


@dataclass
class DemoLike:
    network: Network
    cycle: Cycle
    units: dict[str, Unit]
    assessments: dict[str, Assessment]
    member: User
    coordinator: User


def build_demo_like() -> DemoLike:
    network = create_network(name="Intersection network", min_group_size=K)
    institutions: dict[str, Any] = {}
    units: dict[str, Unit] = {}
    for inst, region, name, kind in UNITS:
        if inst not in institutions:
            institutions[inst] = create_institution(network, inst, region=region)
        units[name] = create_unit(institutions[inst], name, kind=kind, beds=6)
    edition = create_edition(domains=2, per_domain=3)
    edition.frozen = True
    stds = standards_of(edition)
    cycle = Cycle(
        network_id=network.id,
        edition_id=edition.id,
        year=date.today().year - 1,
        name="Syklus A",
        state="closed",
    )
    db.session.add(cycle)
    db.session.flush()
    # A known salt keeps the test deterministic (in production it is a secret random value).
    db.session.add(BenchmarkCycleState(cycle_id=cycle.id, salt="a fixed test salt"))
    assessments: dict[str, Assessment] = {}
    for i, name in enumerate(units):
        a = Assessment(
            cycle_id=cycle.id,
            unit_id=units[name].id,
            state="submitted",
            submitted_at=datetime(cycle.year, 3, 1),
        )
        db.session.add(a)
        db.session.flush()
        assessments[name] = a
        # Every unit has its own pair of domain scores: a fingerprint an attacker could match.
        values = LEVELS[i // 7] + LEVELS[i % 7]
        for std, value in zip(stds, values, strict=True):
            db.session.add(Rating(assessment_id=a.id, standard_id=std.id, value=value))
    member = create_user("member@intersection.test", "Member")
    coordinator = create_user("coordinator@intersection.test", "Coordinator")
    db.session.add(Membership(user_id=member.id, unit_id=units[OWN].id, role="unit_member"))
    db.session.add(NetworkRole(user_id=coordinator.id, network_id=network.id, role="coordinator"))
    db.session.commit()
    return DemoLike(network, cycle, units, assessments, member, coordinator)


@pytest.fixture
def demo(app: Flask) -> DemoLike:
    return build_demo_like()


def _client(app: Flask, user: User) -> FlaskClient:
    return login(app.test_client(), user)


def _view(client: FlaskClient, demo: DemoLike, **filters: str) -> Any:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return client.get(f"/api/v1/cycles/{demo.cycle.id}/benchmark?{query}")


def _others(answer: Any) -> dict[str, tuple[Any, ...]]:
    """Label → fingerprint (the overall and per-domain scores) of the other units in a view."""
    data = answer.get_json()
    return {
        u["label"]: (
            u["overall"]["score"],
            *(u["domains"][code]["score"] for code in sorted(u["domains"])),
        )
        for u in data["units"]
        if not u["own"]
    }


def test_the_intersection_attack_no_longer_singles_out_a_unit(app: Flask, demo: DemoLike) -> None:
    member = _client(app, demo.member)
    acute, south_east = _view(member, demo, kind="acute"), _view(member, demo, region="Sør-Øst")
    answered = [
        _others(r) for r in (acute, south_east) if r.status_code == 200 and r.get_json()["units"]
    ]
    # The attack: pseudonyms seen in both views. Today's main answered both views with stable
    # pseudonyms, and their intersection was exactly one label: the acute unit in Sør-Øst.
    if len(answered) == 2:
        shared = set(answered[0]) & set(answered[1])
        assert not 0 < len(shared) < K, f"the intersection singles out {shared}"
    # Now the two views cannot both be had: one of them is refused outright…
    refused = [r for r in (acute, south_east) if r.status_code == 422]
    assert len(refused) == 1
    assert refused[0].get_json()["error"]["code"] == "filter_not_offered"
    # …and is not offered on the member's page either.
    page = member.get(f"/benchmarks/units/{demo.units[OWN].id}").get_data(as_text=True)
    offered = {
        ("kind", "acute"): 'name="kind" value="acute"' in page,
        ("region", "Sør-Øst"): 'name="region" value="Sør-Øst"' in page,
    }
    assert sum(offered.values()) == 1
    # The coordinator (names) is not affected: every filter, the combined one suppressed.
    coordinator = _client(app, demo.coordinator)
    both = _view(coordinator, demo, kind="acute", region="Sør-Øst").get_json()
    assert both["suppressed"] is True and both["units_compared"] == 1
    assert _view(coordinator, demo, region="Sør-Øst").get_json()["units_compared"] == 5


def _offered_views(page: str) -> list[dict[str, str]]:
    views: list[dict[str, str]] = [{}]
    for name in ("kind", "region"):
        for value in sorted(set(_values(page, name))):
            views.append({name: value})
    return views


def _values(page: str, name: str) -> list[str]:
    marker = f'name="{name}" value="'
    return [chunk.split('"', 1)[0] for chunk in page.split(marker)[1:]]


def test_no_two_offered_views_narrow_below_k_even_by_their_scores(
    app: Flask, demo: DemoLike
) -> None:
    """Matching units across views by their scores (stronger than by pseudonym) still leaves
    at least k units in every overlap and every difference."""
    member = _client(app, demo.member)
    page = member.get(f"/benchmarks/units/{demo.units[OWN].id}").get_data(as_text=True)
    views = _offered_views(page)
    assert len(views) >= 3  # some filters are offered: the rule is not "no filters at all"
    seen = {}
    for view in views:
        answer = _view(member, demo, **view)
        assert answer.status_code == 200, view
        data = answer.get_json()
        # The own unit counts as one of the k: the viewer sees the others in the group.
        fingerprints = set(_others(answer).values())
        if not data["suppressed"]:
            seen[tuple(view.items())] = fingerprints | {"own"} if _own_in(data) else fingerprints
    for (a, fa), (b, fb) in itertools.combinations(seen.items(), 2):
        for part in (fa & fb, fa - fb, fb - fa):
            assert not 0 < len(part) < K, (a, b, part)


def _own_in(data: dict[str, Any]) -> bool:
    return any(u["own"] for u in data["units"])


def test_pseudonyms_are_redrawn_per_filter_view(app: Flask, demo: DemoLike) -> None:
    member = _client(app, demo.member)
    page = member.get(f"/benchmarks/units/{demo.units[OWN].id}").get_data(as_text=True)
    kinds = _values(page, "kind")
    assert kinds
    everyone = _others(_view(member, demo))
    label_of = {fingerprint: label for label, fingerprint in everyone.items()}
    for kind in kinds:
        filtered = _others(_view(member, demo, kind=kind))
        kept = [label for label, fp in filtered.items() if label_of[fp] == label]
        # A letter in the filtered view says nothing about the unit's letter unfiltered.
        assert len(kept) < len(filtered), (kind, kept)
    # Within one view the letters are stable (reload gives the same answer).
    assert _others(_view(member, demo, kind=kinds[0])) == _others(
        _view(member, demo, kind=kinds[0])
    )


def test_a_filter_whose_complement_is_below_k_is_refused(app: Flask, demo: DemoLike) -> None:
    """Four acute units and one other counted: 'acute' minus 'everyone' would be that one."""
    for name, a in demo.assessments.items():
        if name not in ("BUP døgn Kysten",) and demo.units[name].kind != "acute":
            a.state = "in_progress"
    db.session.commit()
    member = _client(app, demo.member)
    everyone = _view(member, demo).get_json()
    assert everyone["units_compared"] == 5 and everyone["suppressed"] is False
    refused = _view(member, demo, kind="acute")
    assert refused.status_code == 422
    assert "acute" in refused.get_json()["error"]["message"]
    page = member.get(f"/benchmarks/units/{demo.units[OWN].id}?kind=acute").get_data(as_text=True)
    assert 'name="kind" value="acute"' not in page
    assert "Tilbys ikke, fordi det sammen med andre visninger kan peke ut en enhet" in page
    # The coordinator still filters freely.
    coordinator = _client(app, demo.coordinator)
    assert _view(coordinator, demo, kind="acute").get_json()["units_compared"] == 4


# --- the rule itself -----------------------------------------------------------------------------


def test_offered_filters_on_the_demo_network() -> None:
    cells: dict[tuple[str, str], int] = {}
    for _inst, region, _name, kind in UNITS:
        cells[(kind, region)] = cells.get((kind, region), 0) + 1
    kinds, regions = privacy.offered_filters(cells, K)
    assert not ("acute" in kinds and "Sør-Øst" in regions)
    assert privacy.is_safe(cells, kinds, regions, K)
    assert kinds == {"acute", "general"} and regions == set()
    # A cell of at least k whose complement is smaller than k is not offered.
    assert privacy.offered_filters({("acute", "Vest"): 4, ("general", "Vest"): 2}, K)[0] == set()
    assert privacy.offered_filters({("acute", "Vest"): 4, ("general", "Vest"): 3}, K)[0] == {
        "acute",
        "general",
    }


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from("abcd"), st.sampled_from(["", "r1", "r2", "r3"])),
        st.integers(min_value=0, max_value=7),
        max_size=16,
    ),
    st.integers(min_value=3, max_value=5),
)
def test_offered_filters_never_leave_an_atom_below_k(
    cells: dict[tuple[str, str], int], k: int
) -> None:
    kinds, regions = privacy.offered_filters(cells, k)
    total = sum(cells.values())
    if total < k:  # the whole group is suppressed: nothing to filter
        assert not kinds and not regions
        return
    atoms = privacy.atoms(cells, kinds, regions)
    assert all(n >= k for n in atoms.values())
    for value, question in [*((v, 0) for v in kinds), *((v, 1) for v in regions)]:
        cell = sum(n for key, n in cells.items() if key[question] == value)
        assert cell >= k and (total - cell == 0 or total - cell >= k)


def test_view_letters_are_a_keyed_permutation() -> None:
    positions = range(13)
    assert privacy.view_letters("salt", 7, "", positions) == {p: p for p in positions}
    acute = privacy.view_letters("salt", 7, privacy.view_key(["acute"], []), positions)
    region = privacy.view_letters("salt", 7, privacy.view_key([], ["Vest"]), positions)
    other_salt = privacy.view_letters("pepper", 7, privacy.view_key(["acute"], []), positions)
    for letters in (acute, region, other_salt):
        assert sorted(letters) == sorted(letters.values()) == list(positions)
    assert acute != region and acute != other_salt
    assert privacy.view_key(["b", "a"], ["x"]) == privacy.view_key(["a", "b"], ["x", "x"])


# Three acute units and one other: a cycle where the filter "acute" is not offered (complement < k).
NEXT_CYCLE_UNITS = (
    "Ungdomsakutten",
    "Akuttpost for ungdom",
    "Akutt ungdomsenhet",
    "BUP døgn Kysten",
)


def _next_cycle(demo: DemoLike, state: str, *, rated: bool = False) -> Cycle:
    """The year after the demo's cycle with NEXT_CYCLE_UNITS submitted (all "met" if ``rated``)."""
    cycle = Cycle(
        network_id=demo.network.id,
        edition_id=demo.cycle.edition_id,
        year=demo.cycle.year + 1,
        name="Syklus B",
        state=state,
    )
    db.session.add(cycle)
    db.session.flush()
    stds = db.session.scalars(
        sa.select(Rating.standard_id).where(Rating.assessment_id == demo.assessments[OWN].id)
    ).all()
    for name in NEXT_CYCLE_UNITS:
        a = Assessment(
            cycle_id=cycle.id,
            unit_id=demo.units[name].id,
            state="submitted",
            submitted_at=datetime(cycle.year, 3, 1) if rated else None,
        )
        db.session.add(a)
        db.session.flush()
        for std_id in stds if rated else []:
            db.session.add(Rating(assessment_id=a.id, standard_id=std_id, value="met"))
    db.session.commit()
    return cycle


def test_a_filter_is_checked_again_for_every_other_cycle_a_trend_shows(
    app: Flask, demo: DemoLike
) -> None:
    """Offered filters are chosen per cycle: 'acute' in last year's 13 units says nothing of
    this year's open cycle, where three acute units and one other have submitted."""
    from flask_login import login_user

    from kvip.benchmarks.context import build_context, filters_offered_in

    this_year = _next_cycle(demo, "open")
    with app.test_request_context():
        login_user(demo.member)
        ctx = build_context(demo.member, demo.network, {"cycle": demo.cycle.id, "kind": "acute"})
        assert ctx.filters.kinds == ("acute",)
        assert filters_offered_in(ctx, demo.cycle.id)
        assert not filters_offered_in(ctx, this_year.id)
        unfiltered = build_context(demo.member, demo.network, {"cycle": demo.cycle.id})
        assert filters_offered_in(unfiltered, this_year.id)
    # Two more general units submit: now acute (3) and the rest (3) are both groups of k.
    for name in ("Barnepsykiatrisk døgnpost", "Ungdomspsykiatrisk sengepost"):
        db.session.add(
            Assessment(cycle_id=this_year.id, unit_id=demo.units[name].id, state="submitted")
        )
    db.session.commit()
    with app.test_request_context():
        login_user(demo.member)
        ctx = build_context(demo.member, demo.network, {"cycle": demo.cycle.id, "kind": "acute"})
        assert filters_offered_in(ctx, this_year.id)


def test_the_trend_shows_no_filtered_network_line_where_the_filter_is_not_offered(
    app: Flask, demo: DemoLike
) -> None:
    """The unit page's trend applies the view's filter to every cycle. In a cycle where that
    filter is not offered (here: 3 acute units and 1 other, so the complement is under k), the
    filtered network line would let a member subtract it from the unfiltered one: it is left out."""
    from flask_login import login_user

    from kvip.benchmarks import unit_page
    from kvip.benchmarks.context import build_context

    _next_cycle(demo, "closed", rated=True)
    with app.test_request_context():
        login_user(demo.member)
        ctx = build_context(demo.member, demo.network, {"cycle": demo.cycle.id, "kind": "acute"})
        dash = unit_page.build(ctx, demo.units[OWN], figures=False)
        rows = dash.tables["trend"].rows
        later = [r for r in rows if r["cycle"] == "Syklus B"]
        earlier = [r for r in rows if r["cycle"] == demo.cycle.name]
        assert later and all(r["network"] is None for r in later)
        assert earlier and any(r["network"] is not None for r in earlier)

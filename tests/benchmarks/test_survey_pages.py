"""The questionnaire pages of the benchmarks: the network's page (coordinator), the unit's page
(its members) and the annual report's tables. A unit below the respondent threshold never
enters a network figure, a question of fewer than k units shows the count only, and a member
of one unit sees no other unit's name anywhere."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from kvip.cycles.models import Assessment
from kvip.extensions import db
from tests.benchmarks.helpers import figures
from tests.benchmarks.test_surveys_benchmarks import _collect, _units
from tests.factories import World


@pytest.fixture
def network(world: World) -> list[Assessment]:
    """The world's unit (6 answers: 5 agree), "Bench 0" (5 strongly agree), "Bench 1" (1 of 5
    positive) and "Bench 2" with only 4 answers (below the threshold of 5)."""
    b, c, d = _units(world, 3)
    _collect(world, world.assessment, ["agree"] * 5 + ["disagree"])
    _collect(world, b, ["strongly_agree"] * 5)
    _collect(world, c, ["strongly_disagree"] * 4 + ["agree"])
    _collect(world, d, ["strongly_disagree"] * 4)
    return [b, c, d]


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def _no_other_names(text: str, world: World) -> None:
    for name in ("Bench 0", "Bench 1", "Bench 2", world.other_unit.name):
        assert name not in text


def test_network_page_shows_distribution_and_funnel_without_the_small_unit(
    world: World, network: list[Assessment], login_as: Any
) -> None:
    client: FlaskClient = login_as("coordinator")
    url = f"/benchmarks/networks/{world.network.id}/questionnaires?cycle={world.cycle.id}"
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    figs = figures(html)
    assert "shares-young_person" in figs and "funnel" in figs
    # the distribution: 16 answers of the three counted units (the 4th unit's 4 are out)
    shares = figs["shares-young_person"]["data"]
    y1 = {t["name"]: t["customdata"][0] for t in shares}
    assert y1 == {"Helt enig": 5, "Litt enig": 6, "Litt uenig": 1, "Helt uenig": 4}
    # the funnel: one point per counted unit, pseudonymised (no one is "own" to a coordinator)
    points = [
        (label, n)
        for t in figs["funnel"]["data"]
        if t.get("mode") == "markers"
        for label, n in zip(t["text"], t["x"], strict=True)
    ]
    assert sorted(n for _label, n in points) == [5, 5, 6]
    assert all(re.fullmatch(r"Enhet [A-Z]+", label) for label, _n in points)
    _no_other_names(_main(html), world)
    export = f"/benchmarks/networks/{world.network.id}/export/questionnaires/funnel.csv"
    funnel_csv = client.get(f"{export}?cycle={world.cycle.id}").get_data(as_text=True)
    assert len(re.findall(r"^Enhet [A-Z]+;", funnel_csv, re.M)) == 3
    _no_other_names(funnel_csv, world)
    # an unknown question falls back to the first; an unknown cycle is a clear 404
    assert client.get(url + "&question=X.%3Cb%3E").status_code == 200
    assert client.get(url.replace(f"cycle={world.cycle.id}", "cycle=x")).status_code == 404
    # the navigation of the network pages links the page
    overview = client.get(f"/benchmarks/networks/{world.network.id}").get_data(as_text=True)
    assert f"/benchmarks/networks/{world.network.id}/questionnaires" in overview


def test_network_page_suppresses_questions_of_fewer_than_k_units(
    world: World, login_as: Any
) -> None:
    (b,) = _units(world, 1)
    _collect(world, world.assessment, ["agree"] * 5)
    _collect(world, b, ["disagree"] * 5)
    html = (
        login_as("coordinator")
        .get(f"/benchmarks/networks/{world.network.id}/questionnaires?cycle={world.cycle.id}")
        .get_data(as_text=True)
    )
    assert figures(html) == {}  # no chart at all
    assert "For få enheter" in html
    row = re.search(r"<th scope=\"row\">Y1 [^<]*</th>(.*?)</tr>", html, re.S)
    assert row is not None
    assert ">2</td>" in row.group(1)  # the count of units only, with why
    assert "ingen nettverkstall" in row.group(1)
    csv = (
        login_as("coordinator")
        .get(
            f"/benchmarks/networks/{world.network.id}/export/questionnaires/questions.csv"
            f"?cycle={world.cycle.id}"
        )
        .get_data(as_text=True)
    )
    y1 = next(line for line in csv.splitlines() if ";Y1;" in line).split(";")
    assert y1[3] == "2" and y1[4:10] == [""] * 6 and "nettverkstall" in y1[10]


def test_the_page_is_for_coordinators_only(world: World, login_as: Any) -> None:
    url = f"/benchmarks/networks/{world.network.id}/questionnaires"
    assert login_as("member").get(url).status_code == 403
    assert login_as("lead").get(url).status_code == 403


def test_unit_page_shows_own_results_against_the_network(
    world: World, network: list[Assessment], login_as: Any
) -> None:
    client = login_as("member")
    url = f"/benchmarks/units/{world.unit.id}/questionnaires?cycle={world.cycle.id}"
    html = client.get(url).get_data(as_text=True)
    figs = figures(html)
    own, net = figs["own-young_person"]["data"]
    assert own["x"][0] == 83.3 and net["x"][0] == 68.8
    row = re.search(r"<th scope=\"row\">Y1 [^<]*</th>(.*?)</tr>", html, re.S)
    assert row is not None and "83,3" in row.group(1) and "68,8" in row.group(1)
    assert "14,5" in row.group(1)  # the difference in points
    main = _main(html)
    _no_other_names(main, world)
    # the unit's page names no other unit, not even by pseudonym
    assert "Enhet " not in main.replace(world.unit.name, "")
    # the unit dashboard links the page
    dashboard = client.get(f"/benchmarks/units/{world.unit.id}").get_data(as_text=True)
    assert f"/benchmarks/units/{world.unit.id}/questionnaires" in dashboard


def test_unit_below_the_threshold_sees_its_count_only(
    world: World, network: list[Assessment], login_as: Any
) -> None:
    small = network[2]
    from kvip.accounts.models import Membership

    db.session.add(
        Membership(user_id=world.users["member"].id, unit_id=small.unit_id, role="unit_member")
    )
    db.session.commit()
    html = (
        login_as("member")
        .get(f"/benchmarks/units/{small.unit_id}/questionnaires?cycle={world.cycle.id}")
        .get_data(as_text=True)
    )
    assert "For få svar ennå" in html
    assert "4 svar så langt" in html
    assert figures(html) == {}
    assert '<th scope="row">Y1</th>' not in html


def test_unit_page_permissions(world: World, network: list[Assessment], login_as: Any) -> None:
    url = f"/benchmarks/units/{world.other_unit.id}/questionnaires"
    assert login_as("member").get(url).status_code == 403
    assert login_as("coordinator").get(url).status_code == 200


def test_annual_tables_directly(world: World, network: list[Assessment], app: Any) -> None:
    """The annual tables whatever the report's own suppression (the world has few units)."""
    from kvip.benchmarks import survey_pages
    from kvip.benchmarks.context import build_context

    with app.test_request_context("/"):
        ctx = build_context(world.users["coordinator"], world.network, {"cycle": world.cycle.id})
        tables = survey_pages.annual_tables(ctx)
    (counts,) = tables["survey_counts"].rows
    assert (counts["units"], counts["respondents"], counts["below"]) == (3, 16, 1)
    (spread,) = tables["survey_spread"].rows
    assert spread["question"].startswith("Y1") and spread["spread"] == 80.0
    assert json.dumps(tables, default=str).count("Bench") == 0


def test_the_new_charts_are_valid_plotly() -> None:
    from kvip.benchmarks import charts

    charts.validate(
        charts.stacked_shares(
            [charts.Shares("Y1", "Y1 text", (1, 2, 3, 4)), charts.Shares("Y2", "", (0, 0, 0, 0))],
            title="t",
            names=["a", "b", "c", "d"],
        )
    )
    charts.validate(
        charts.paired_bars(["Y1", "Y2"], [50.0, None], [60.0, 70.0], title="t", names=("o", "n"),
                           x_title="%")
    )  # fmt: skip

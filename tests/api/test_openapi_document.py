"""The served /api/v1/openapi.json is a valid OpenAPI 3.0 document that describes exactly the
API's routes, and the answers of the writes that fuzzing rarely gets right (a current version,
a fresh op_id) match it too."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis.core.errors import InvalidSchema

from kvip.core.setup import MAX_ID
from kvip.standards.queries import standards_of
from tests.api.conformance import CONFORMANCE, bearer
from tests.conftest import login
from tests.factories import World

METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
def document(app: Flask, world: World) -> dict[str, Any]:
    response = login(app.test_client(), world.users["member"]).get("/api/v1/openapi.json")
    assert response.status_code == 200
    return dict(response.get_json())


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = doc["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_the_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.0.")
    schemathesis.openapi.from_dict(document).validate()
    # The validator is not a formality: a response without its description is refused.
    broken = copy.deepcopy(document)
    del broken["paths"]["/me"]["get"]["responses"]["200"]["description"]
    with pytest.raises((InvalidSchema, ValueError)):
        schemathesis.openapi.from_dict(broken).validate()
    schemas = document["components"]["schemas"]
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }


def test_the_document_describes_exactly_the_api_routes(
    app: Flask, document: dict[str, Any]
) -> None:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<[^>]+>", "{}", rule.rule[len("/api/v1") :])
        routes |= {(path, m.lower()) for m in rule.methods or () if m.lower() in METHODS}
    documented = {
        (re.sub(r"{\w+}", "{}", p), m)
        for p, ops in document["paths"].items()
        for m in ops
        if m in METHODS
    }
    assert documented == routes


def test_every_operation_documents_its_refusals_and_parameters(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            assert op["security"] == [{"bearer": []}, {"cookie": []}], where
            responses = op["responses"]
            assert {"400", "401"} <= set(responses), where
            if "requestBody" in op:
                assert "413" in responses, where
            for status, response in responses.items():
                if int(status) >= 400:
                    body = _resolve(document, response["content"]["application/json"]["schema"])
                    assert body["required"] == ["error"], (where, status)
                    assert {"code", "message", "fields"} <= set(
                        body["properties"]["error"]["required"]
                    ), (where, status)
            declared = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "path"}
            assert set(declared) == set(re.findall(r"{(\w+)}", path)), where
            for param in op.get("parameters", []):
                schema = param["schema"]
                if schema.get("type") == "integer":
                    assert schema.get("maximum", 0) <= MAX_ID and "minimum" in schema, (
                        where,
                        param,
                    )


def _case(schema: Any, path: str, method: str, ids: dict[str, Any], body: Any = None) -> Any:
    operation = schema[path][method.upper()]
    kwargs: dict[str, Any] = {"path_parameters": ids}
    if body is not None:
        kwargs["body"] = body
        kwargs["media_type"] = "application/json"
    return operation.Case(**kwargs)


def _send(case: Any, headers: dict[str, str], status: int) -> Any:
    response = case.call(headers=headers)
    assert response.status_code == status, response.text[:300]
    case.validate_response(response, checks=CONFORMANCE, headers=headers)
    return response.json()


def test_the_answers_of_successful_and_stale_writes_match_the_document(
    app: Flask, world: World
) -> None:
    member, reviewer = bearer(world.users["member"]), bearer(world.users["reviewer"])
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=member)
    ids = world.ids()
    fresh = standards_of(world.edition)[1].code  # [0] is rated in the world, this one not
    rating = {"assessment_id": ids["assessment_id"], "code": fresh}
    path = "/assessments/{assessment_id}/ratings/{code}"
    body = {"value": "met", "comment": "Rutine finnes", "evidence_links": ["https://x.no/a"]}
    saved = _send(_case(schema, path, "put", rating, {**body, "version": 0}), member, 200)
    assert saved["version"] == 1 and saved["updated_at"].endswith("Z")
    stale = _send(
        _case(schema, path, "put", rating, {"value": "not_met", "version": 0}), member, 409
    )
    assert stale["error"]["current"]["version"] == 1

    visit = {"visit_id": ids["visit_id"], "code": fresh}
    path = "/visits/{visit_id}/findings/{code}"
    first = {"value": "partly_met", "version": 0, "op_id": "op-finding-1"}
    recorded = _send(_case(schema, path, "put", visit, first), reviewer, 200)
    assert _send(_case(schema, path, "put", visit, first), reviewer, 200) == recorded  # replay
    again = {**first, "op_id": "op-finding-2"}
    assert _send(_case(schema, path, "put", visit, again), reviewer, 409)["error"]["current"]

    key = {"visit_id": ids["visit_id"], "key": "obs-key-0001"}
    path = "/visits/{visit_id}/observations/{key}"
    observation = {"kind": "good_practice", "text": "God overlevering", "standards": [fresh]}
    created = _send(
        _case(schema, path, "put", key, {**observation, "version": 0, "op_id": "op-obs-1"}),
        reviewer,
        200,
    )
    assert created["observation"]["domain"] is not None
    gone = {"version": 1, "op_id": "op-obs-2"}
    assert _send(_case(schema, path, "delete", key, gone), reviewer, 200)["deleted"] is True

    path = "/assessments/{assessment_id}/actions"
    action = {"title": "Ny rutine", "risk": "high", "duties": ["6D"], "standards": [fresh]}
    made = _send(
        _case(schema, path, "post", {"assessment_id": ids["assessment_id"]}, action), member, 201
    )
    assert made["duties"] == ["6d"] and made["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=", "limit"),
        ("limit=501", "limit"),
        ("offset=-1", "offset"),
        ("cycle_id=%C2%B2", "cycle_id"),  # "²" passes str.isdigit() but not int()
        (f"cycle_id={MAX_ID + 1}", "cycle_id"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/assessments", "/api/v1/visits"])
def test_list_parameters_out_of_range_are_refused_with_400(
    app: Flask, world: World, path: str, query: str, field: str
) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"].keys() == {field}


def test_an_unknown_visit_state_is_refused_not_ignored(app: Flask, world: World) -> None:
    client = login(app.test_client(), world.users["coordinator"])
    assert client.get("/api/v1/visits?state=scheduled").get_json()["visits"]
    for state in ("done", ""):
        response = client.get(f"/api/v1/visits?state={state}")
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "bad_parameter"


def test_the_answers_of_the_workflow_writes_match_the_document(app: Flask, world: World) -> None:
    coordinator, member = bearer(world.users["coordinator"]), bearer(world.users["member"])
    reviewer = bearer(world.users["reviewer"])
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=coordinator)
    body = {
        "network_id": world.network.id,
        "edition": world.edition.slug,
        "year": 2042,
        "name": "Syklus 2042",
        "self_assessment_opens": "2042-01-10",
        "self_assessment_closes": "2042-03-01",
        "visit_window_start": None,
    }
    cycle = _send(_case(schema, "/cycles", "post", {}, body), coordinator, 201)
    ids = {"cycle_id": cycle["id"]}
    enrol = {"unit_ids": [world.unit.id], "carry_over": True}
    _send(_case(schema, "/cycles/{cycle_id}/enrolments", "post", ids, enrol), coordinator, 200)
    assert _send(_case(schema, "/cycles/{cycle_id}/open", "post", ids), coordinator, 200)
    _send(_case(schema, "/cycles/{cycle_id}/open", "post", ids), coordinator, 409)
    assert _send(_case(schema, "/units", "get", {}), member, 200)["units"]

    visit = {"visit_id": world.visit.id}
    moved = {"state": "in_progress"}
    _send(_case(schema, "/visits/{visit_id}/state", "post", visit, moved), reviewer, 200)
    report = {"state": "final"}
    _send(_case(schema, "/visits/{visit_id}/report/state", "post", visit, report), reviewer, 422)

    action = {"action_id": world.action.id}
    change = {"title": "Ny tittel", "version": world.action.version}
    saved = _send(_case(schema, "/actions/{action_id}", "put", action, change), member, 200)
    stale = _send(_case(schema, "/actions/{action_id}", "put", action, change), member, 409)
    assert stale["error"]["current"]["version"] == saved["version"]

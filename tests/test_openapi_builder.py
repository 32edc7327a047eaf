"""The OpenAPI 3.1 document built from the schema files and the endpoints declared on the views."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Blueprint, Flask
from openapi_spec_validator import validate

from hub import schemas
from hub.endpoints import (
    ADMIN,
    AUTOMATION,
    Endpoint,
    declaration,
    declared_operations,
    endpoint_per,
    is_api_rule,
    openapi_path,
)
from hub.openapi import build_openapi, component_name, referenced_schema_paths
from triggers import TRIGGERS

DOC = build_openapi("https://hub.example-foods.eu")
TRIGGER_NAMES = [spec.name for spec in TRIGGERS]
METHODS = ("get", "post", "put", "delete", "patch")

# Every public endpoint of DESIGN.md sections 4 to 6.
DESIGN_ENDPOINTS = {
    ("get", "/v1/me"),
    ("get", "/healthz"),
    ("get", "/v1/contracts"),
    ("get", "/openapi.json"),
    ("get", "/schemas/{path}"),
    *(("get", f"/v1/triggers/{name}") for name in ("new_purchase", "low_stock", "pos_offline", "pos_online")),
    ("post", "/v1/hooks"),
    ("get", "/v1/hooks"),
    ("delete", "/v1/hooks/{id}"),
    ("get", "/v1/hooks/{id}/deliveries"),
    ("post", "/v1/hooks/{id}/deliveries/{delivery_id}/replay"),
    ("post", "/v1/actions/update_menu"),
    ("post", "/v1/actions/publish_coupon"),
    ("get", "/v1/actions/{id}"),
    ("post", "/v1/actions/{id}/retry"),
    ("get", "/v1/locations"),
    ("get", "/v1/connections"),
    ("get", "/v1/menu-items"),
    ("get", "/v1/coupons"),
    ("post", "/v1/pos/purchases"),
    ("put", "/v1/pos/inventory"),
    ("post", "/v1/pos/heartbeat"),
    ("get", "/v1/pos/menu"),
    ("get", "/v1/pos/coupons"),
    ("post", "/v1/webhooks/{connection_id}"),
}
# Beyond the design's list: reading one hook subscription, and the support staff's admin API.
EXTRA_ENDPOINTS = {
    ("get", "/"),  # what this is and where to start (hub/api/home.py)
    ("get", "/readyz"),  # readiness for load balancers (hub/api/health.py)
    ("get", "/metrics"),  # Prometheus, off unless HUB_METRICS=1 (hub/api/health.py)
    ("get", "/v1/hooks/{id}"),
    ("get", "/v1/admin/connector-types"),
    ("get", "/v1/admin/connections"),
    ("post", "/v1/admin/connections"),
    ("get", "/v1/admin/connections/{connection_id}"),
    ("patch", "/v1/admin/connections/{connection_id}"),
    ("post", "/v1/admin/connections/{connection_id}/test"),
    ("post", "/v1/admin/connections/{connection_id}/poll"),
    ("post", "/v1/admin/connections/{connection_id}/simulate"),
    ("post", "/v1/admin/connections/{connection_id}/import-menu"),
    ("get", "/v1/admin/keys"),
    ("post", "/v1/admin/keys"),
    ("delete", "/v1/admin/keys/{key_id}"),
    ("patch", "/v1/admin/keys/{key_id}"),
    ("post", "/v1/admin/keys/{key_id}/rotate"),
    ("get", "/v1/admin/hub"),
    ("patch", "/v1/admin/hub"),
    ("get", "/v1/admin/quarantine"),
    ("get", "/v1/admin/quarantine/{record_id}"),
    ("post", "/v1/admin/quarantine/{record_id}/replay"),
    ("post", "/v1/admin/quarantine/{record_id}/dismiss"),
    # The polling failure policy's triggers (issue 11), beyond the design's four.
    ("get", "/v1/triggers/connection_failing"),
    ("get", "/v1/triggers/connection_recovered"),
    # Orders to the POS (DESIGN §6a, issue 14).
    ("post", "/v1/actions/create_order"),
    ("post", "/v1/actions/update_order"),
    ("post", "/v1/actions/cancel_order"),
    ("post", "/v1/actions/adjust_stock"),
    ("get", "/v1/orders"),
    ("get", "/v1/orders/{id}"),
    ("post", "/v1/orders/{id}/retry"),
    ("get", "/v1/triggers/order_status_changed"),
    ("get", "/v1/pos/orders"),
    ("post", "/v1/pos/orders/{order_id}/status"),
}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, item[method])
        for path, item in DOC["paths"].items()
        for method in METHODS
        if method in item
    ]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for key, value in node.items() if key != "examples" for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def _resolve(pointer: str) -> Any:
    node: Any = DOC
    for part in pointer.removeprefix("#/").split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _parameter_names(operation: dict[str, Any]) -> set[str]:
    names = set()
    for param in operation.get("parameters", []):
        names.add(_resolve(param["$ref"])["name"] if "$ref" in param else param["name"])
    return names


def test_document_is_valid_openapi_3_1() -> None:
    assert DOC["openapi"] == "3.1.0"
    validate(DOC)


def test_base_url_becomes_the_server() -> None:
    assert DOC["servers"] == [{"url": "https://hub.example-foods.eu"}]
    assert build_openapi()["servers"] == [{"url": "/"}]


def test_every_schema_file_is_a_component() -> None:
    components = DOC["components"]["schemas"]
    for path in schemas.all_schema_paths():
        assert component_name(path) in components
    assert "triggers.new_purchase.output" in components


def test_component_names_use_only_allowed_characters() -> None:
    for name in DOC["components"]["schemas"]:
        assert re.fullmatch(r"[a-zA-Z0-9._-]+", name)


def test_components_carry_no_id_or_schema_keyword() -> None:
    for component in DOC["components"]["schemas"].values():
        assert "$id" not in component and "$schema" not in component


def test_every_ref_resolves_inside_the_document() -> None:
    refs = set(_refs(DOC))
    assert refs
    for ref in refs:
        assert ref.startswith("#/"), ref
        assert isinstance(_resolve(ref), dict), ref


def test_refs_inside_a_file_point_into_its_component() -> None:
    line_ref = DOC["components"]["schemas"]["pos.purchase.input"]["properties"]["lines"]["items"]["$ref"]
    assert line_ref == "#/components/schemas/pos.purchase.input/$defs/line"


def test_every_design_endpoint_is_documented() -> None:
    assert {(method, path) for method, path, _ in _operations()} == DESIGN_ENDPOINTS | EXTRA_ENDPOINTS


# ---------- one declaration per route: the document and the scope checks come from it ----------


def test_every_flask_route_has_exactly_one_declaration(app) -> None:
    rules = [rule for rule in app.url_map.iter_rules() if is_api_rule(rule.rule)]
    assert rules
    for rule in rules:
        declared = declaration(app.view_functions[rule.endpoint])
        assert declared is not None, rule.rule
        assert len(rule.methods - {"HEAD", "OPTIONS"}) == 1, rule.rule
        # Path variables are the documented parameters (a per-trigger or per-action route fills in one).
        for endpoint in declared.endpoints.values():
            assert {name for name, _ in endpoint.path_params} | {declared.param} - {None} == rule.arguments


def test_a_view_cannot_be_declared_twice() -> None:
    endpoint = Endpoint(operation_id="x", summary="X", description="X.", tag="X", scopes=ADMIN)
    with pytest.raises(ValueError, match="declared twice"):
        endpoint(endpoint(lambda: None))


def test_operations_of_one_view_must_share_their_scopes() -> None:
    def make(scopes: tuple[str, ...]) -> Endpoint:
        return Endpoint(operation_id="x", summary="X", description="X.", tag="X", scopes=scopes)

    with pytest.raises(ValueError, match="one set of known scopes"):
        endpoint_per("name", {"a": make(ADMIN), "b": make(AUTOMATION)})(lambda name: None)
    with pytest.raises(ValueError, match="one set of known scopes"):
        make(("root",))(lambda: None)


def test_an_undeclared_route_stops_the_document() -> None:
    loose = Blueprint("loose", __name__)
    loose.add_url_rule("/v1/undeclared", view_func=lambda: "", methods=["GET"])
    app = Flask(__name__, static_folder=None)
    app.register_blueprint(loose)
    with pytest.raises(ValueError, match="/v1/undeclared"):
        build_openapi(app=app)


def test_a_path_parameter_the_route_does_not_have_stops_the_document() -> None:
    wrong = Blueprint("wrong", __name__)
    declared = Endpoint(operation_id="x", summary="X", description="X.", tag="X", scopes=(),
                        path_params=(("id", "An id."),))
    wrong.add_url_rule("/v1/things/<thing_id>", view_func=declared(lambda thing_id: ""), methods=["GET"])
    app = Flask(__name__, static_folder=None)
    app.register_blueprint(wrong)
    with pytest.raises(ValueError, match="thing_id"):
        build_openapi(app=app)


def test_flask_variables_become_openapi_parameters() -> None:
    assert openapi_path("/schemas/<path:path>") == "/schemas/{path}"
    assert openapi_path("/v1/actions/<run_id:id>/x/<int(min=1):n>") == "/v1/actions/{id}/x/{n}"


def test_the_document_has_exactly_the_declared_operations(app) -> None:
    declared = {(op.method.lower(), op.path, op.endpoint.operation_id) for op in declared_operations(app)}
    documented = {(method, path, operation["operationId"]) for method, path, operation in _operations()}
    assert documented == declared
    assert len({operation_id for _, _, operation_id in declared}) == len(declared)


def test_each_documented_operation_routes_to_its_declaring_view(app) -> None:
    adapter = app.url_map.bind("hub.example-foods.eu")
    for op in declared_operations(app):
        concrete = re.sub(r"\{[^}]+\}", "abc", op.path)
        endpoint, _ = adapter.match(concrete, method=op.method)
        assert endpoint == op.rule.endpoint, f"{op.method} {op.path}"


def test_the_console_pages_are_not_in_the_document(app) -> None:
    assert any(rule.rule.startswith("/console") for rule in app.url_map.iter_rules())
    assert not [path for path in build_openapi(app=app)["paths"] if path.startswith("/console")]


def test_the_served_document_is_the_built_one(client) -> None:
    assert client.get("/openapi.json").json == build_openapi("http://localhost")


def test_every_schema_file_is_used_by_some_route() -> None:
    assert referenced_schema_paths() == set(schemas.all_schema_paths())


@pytest.mark.parametrize("name", TRIGGER_NAMES)
def test_each_trigger_lists_its_own_items(name: str) -> None:
    success = DOC["paths"][f"/v1/triggers/{name}"]["get"]["responses"]["200"]
    body = success["content"]["application/json"]["schema"]
    assert body == {"type": "array", "items": {"$ref": f"#/components/schemas/triggers.{name}.output"}}


@pytest.mark.parametrize("name", TRIGGER_NAMES)
def test_each_trigger_takes_paging_and_its_own_filters(name: str) -> None:
    operation = DOC["paths"][f"/v1/triggers/{name}"]["get"]
    filters = set(schemas.schema(f"triggers/{name}.filters.json")["properties"])
    assert _parameter_names(operation) == {"limit", "since_id", "before_id"} | filters


def test_trigger_limit_parameter_is_bounded_by_the_paging_schema() -> None:
    params = DOC["paths"]["/v1/triggers/low_stock"]["get"]["parameters"]
    limit = next(p for p in params if p.get("name") == "limit")
    assert (
        _resolve(limit["schema"]["$ref"])
        == schemas.schema("common/trigger_paging.json")["properties"]["limit"]
    )


def test_lookups_take_the_q_search_parameter() -> None:
    for path in ("/v1/locations", "/v1/connections", "/v1/menu-items", "/v1/coupons"):
        assert "q" in _parameter_names(DOC["paths"][path]["get"])


def test_requests_with_side_effects_accept_an_idempotency_key() -> None:
    for path in ("/v1/hooks", "/v1/actions/update_menu", "/v1/actions/publish_coupon", "/v1/pos/purchases"):
        operation = DOC["paths"][path]["post"]
        assert "Idempotency-Key" in _parameter_names(operation)
        assert "409" in operation["responses"]


def test_actions_answer_202_with_the_action_run() -> None:
    for name in ("update_menu", "publish_coupon"):
        operation = DOC["paths"][f"/v1/actions/{name}"]["post"]
        assert operation["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/actions.{name}.input"
        }
        assert operation["responses"]["202"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/actions.{name}.output"
        }


def test_contract_violations_are_documented_as_problem_json() -> None:
    operation = DOC["paths"]["/v1/actions/update_menu"]["post"]
    for status in ("400", "401", "403", "409", "413", "422", "429"):
        response = _resolve(operation["responses"][status]["$ref"])
        assert response["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/common.problem"
        }


def test_every_error_response_is_problem_json() -> None:
    for _, _, operation in _operations():
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert "application/problem+json" in _resolve(response["$ref"])["content"]


def test_rate_limited_response_carries_retry_after() -> None:
    assert "Retry-After" in DOC["components"]["responses"]["Problem429"]["headers"]


def test_authenticated_routes_accept_bearer_or_x_api_key() -> None:
    schemes = DOC["components"]["securitySchemes"]
    assert schemes["BearerAuth"] == {**schemes["BearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["ApiKeyHeader"] == {
        **schemes["ApiKeyHeader"],
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    assert DOC["paths"]["/v1/me"]["get"]["security"] == [{"BearerAuth": []}, {"ApiKeyHeader": []}]


def test_vendor_callbacks_and_health_need_no_api_key() -> None:
    assert DOC["paths"]["/v1/webhooks/{connection_id}"]["post"]["security"] == []
    assert DOC["paths"]["/healthz"]["get"]["security"] == []
    assert DOC["paths"]["/readyz"]["get"]["security"] == []
    assert DOC["paths"]["/metrics"]["get"]["security"] == []


def test_a_vendor_callback_answer_says_whether_the_event_was_a_duplicate() -> None:
    answer = DOC["paths"]["/v1/webhooks/{connection_id}"]["post"]["responses"]["200"]
    assert "duplicate" in answer["content"]["application/json"]["schema"]["required"]


def test_the_hook_subscription_limit_is_documented_as_a_409() -> None:
    response = _resolve(DOC["paths"]["/v1/hooks"]["post"]["responses"]["409"]["$ref"])
    assert "limit of hook subscriptions" in response["description"]


def test_pos_endpoints_are_for_pos_keys_only() -> None:
    for _, path, operation in _operations():
        if path.startswith("/v1/pos/"):
            assert operation["x-scopes"] == ["pos"]


@pytest.mark.parametrize("path", ["/v1/pos/menu", "/v1/pos/coupons"])
def test_pos_menu_and_coupons_answer_304_to_a_current_etag(path: str) -> None:
    operation = DOC["paths"][path]["get"]
    assert "If-None-Match" in _parameter_names(operation)
    assert "304" in operation["responses"]
    assert "ETag" in operation["responses"]["200"]["headers"]


def test_hook_subscription_answers_201_and_delete_answers_204() -> None:
    assert "201" in DOC["paths"]["/v1/hooks"]["post"]["responses"]
    assert "204" in DOC["paths"]["/v1/hooks/{id}"]["delete"]["responses"]

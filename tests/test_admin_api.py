"""The admin API for support staff answers in the shapes of schemas/admin/, and every route is documented."""

from __future__ import annotations

import re
from typing import Any

import pytest

import hub.connectors
from actions import ACTIONS
from hub.admin import add_connection
from hub.connectors.base import Capability, Connector, ConnectorError, ErrorKind, MenuItemData
from hub.endpoints import is_api_rule
from hub.openapi import build_openapi
from hub.runtime import get_runtime
from hub.schemas import validate
from tests.conftest import build_tenant
from triggers import TRIGGERS

FLEET = {"locations": [{"external_id": "fridge-1", "name": "Lobby fridge"},
                       {"external_id": "fridge-2", "name": "Gym fridge"}]}


class RefusingMasterPOS(Connector):
    """A POS that owns the menu but refuses the connection test (its key was revoked at the vendor)."""

    type = "refusing_master_pos"
    title = "Refusing master test POS"
    capabilities = frozenset({Capability.IMPORT_MENU, Capability.TEST})

    def test_connection(self) -> None:
        raise ConnectorError(ErrorKind.PERMANENT, "the POS refused the API key (401)", status=401)

    def import_menu(self) -> list[MenuItemData]:
        return [MenuItemData(sku="SAL-CAESAR", name="Caesar salad", price="6.50", currency="EUR")]


@pytest.fixture
def sandbox(app):
    """A hub whose connection is a simulated fleet."""
    return build_tenant(get_runtime(), connection_type="sandbox", config=FLEET)


@pytest.fixture
def refusing(monkeypatch, app):
    """A hub whose connection is a POS that exports its menu but fails its connection test."""
    monkeypatch.setattr(hub.connectors, "CONNECTORS", [*hub.connectors.CONNECTORS, RefusingMasterPOS])
    return build_tenant(get_runtime(), connection_type="refusing_master_pos", locations=())


def assert_valid(schema_path: str, instance: Any) -> None:
    assert validate(schema_path, instance) == []


def error_paths(response) -> list[str]:
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    return [error["path"] for error in response.json["errors"]]


def simulate(client, tenant, **body):
    return client.post(f"/v1/admin/connections/{tenant.connection_id}/simulate", json=body,
                       headers=tenant.auth("admin"))


# ---------- connector types and connections ----------


def test_every_connector_type_matches_the_connector_type_schema(client, tenant):
    response = client.get("/v1/admin/connector-types", headers=tenant.auth("admin"))
    assert response.status_code == 200
    assert {item["type"] for item in response.json} >= {"sandbox", "push", "square"}
    for item in response.json:
        assert_valid("admin/connector_type.json", item)


def test_created_connection_matches_the_connection_schema(client, tenant):
    body = {"type": "sandbox", "name": "Demo fridges", "config": FLEET}
    response = client.post("/v1/admin/connections", json=body, headers=tenant.auth("admin"))
    assert response.status_code == 201
    assert_valid("admin/connection.json", response.json)
    assert response.json["has_credentials"] is False


def test_shown_and_listed_connections_match_the_connection_schema(client, sandbox):
    shown = client.get(f"/v1/admin/connections/{sandbox.connection_id}", headers=sandbox.auth("admin"))
    listed = client.get("/v1/admin/connections", headers=sandbox.auth("admin"))
    assert_valid("admin/connection.json", shown.json)
    assert [c["id"] for c in listed.json] == [sandbox.connection_id]
    for item in listed.json:
        assert_valid("admin/connection.json", item)


def test_a_polled_connection_with_contact_still_matches_the_connection_schema(client, sandbox):
    client.post(f"/v1/admin/connections/{sandbox.connection_id}/poll", headers=sandbox.auth("admin"))
    get_runtime().queue.drain()
    shown = client.get(f"/v1/admin/connections/{sandbox.connection_id}", headers=sandbox.auth("admin")).json
    assert shown["last_contact_at"] is not None
    assert_valid("admin/connection.json", shown)


def test_a_bad_new_connection_lists_every_bad_field(client, tenant):
    body = {"type": 5, "config": ["base_url"], "credentials": "secret", "colour": "green"}
    response = client.post("/v1/admin/connections", json=body, headers=tenant.auth("admin"))
    assert error_paths(response) == ["/colour", "/config", "/credentials", "/name", "/type"]


def test_an_empty_connection_name_is_refused(client, tenant):
    response = client.post("/v1/admin/connections", json={"type": "push", "name": ""},
                           headers=tenant.auth("admin"))
    assert error_paths(response) == ["/name"]


# ---------- test, poll, simulate, import ----------


def test_a_connection_that_answers_matches_the_test_result_schema(client, sandbox):
    response = client.post(f"/v1/admin/connections/{sandbox.connection_id}/test",
                           headers=sandbox.auth("admin"))
    assert response.status_code == 200
    assert response.json["ok"] is True
    assert_valid("admin/connection_test.output.json", response.json)


def test_a_connection_that_refuses_matches_the_test_result_schema(client, refusing):
    response = client.post(f"/v1/admin/connections/{refusing.connection_id}/test",
                           headers=refusing.auth("admin"))
    assert response.status_code == 200
    assert response.json["ok"] is False
    assert response.json["error_kind"] == "permanent"
    assert_valid("admin/connection_test.output.json", response.json)


def test_poll_now_matches_the_poll_schema(client, sandbox):
    response = client.post(f"/v1/admin/connections/{sandbox.connection_id}/poll",
                           headers=sandbox.auth("admin"))
    assert response.status_code == 202
    assert response.json["poll_started"] is True
    assert_valid("admin/poll.output.json", response.json)


@pytest.mark.parametrize(
    "body",
    [
        {"action": "sell", "sku": "SAL-CAESAR", "quantity": 2},
        {"action": "restock", "sku": "SAL-CAESAR", "quantity": 0, "location_external_id": "fridge-2"},
        {"action": "location_offline", "location_external_id": "fridge-2"},
        {"action": "location_online", "location_external_id": "fridge-1"},
        {"action": "outage"},
        {"action": "recover"},
    ],
    ids=lambda body: body["action"],
)
def test_every_simulated_action_matches_the_simulation_schema(client, sandbox, body):
    response = simulate(client, sandbox, **body)
    assert response.status_code == 200
    assert response.json["action"] == body["action"]
    assert_valid("admin/simulate.output.json", response.json)


def test_simulate_lists_every_bad_field(client, sandbox):
    response = simulate(client, sandbox, action="dance", quantity="2", shelf=3)
    assert error_paths(response) == ["/action", "/quantity", "/shelf"]


def test_selling_without_a_sku_is_refused_at_the_sku(client, sandbox):
    assert error_paths(simulate(client, sandbox, action="sell")) == ["/sku"]


def test_selling_nothing_is_refused_at_the_quantity(client, sandbox):
    response = simulate(client, sandbox, action="sell", sku="SAL-CAESAR", quantity=0)
    assert error_paths(response) == ["/quantity"]


def test_restocking_to_zero_is_allowed(client, sandbox):
    response = simulate(client, sandbox, action="restock", sku="SAL-CAESAR", quantity=0)
    assert response.status_code == 200
    assert response.json["quantity"] == 0


def test_import_menu_without_a_body_matches_the_import_schema(client, refusing):
    response = client.post(f"/v1/admin/connections/{refusing.connection_id}/import-menu",
                           headers=refusing.auth("admin"))
    assert response.status_code == 200
    assert response.json["skus"] == ["SAL-CAESAR"]
    assert_valid("admin/import_menu.output.json", response.json)


def test_import_menu_with_a_push_matches_the_import_schema(client, refusing):
    rt = get_runtime()
    with rt.db.session() as s:
        add_connection(s, rt.vault, refusing.hub_id, "push", "Kiosks")
    response = client.post(f"/v1/admin/connections/{refusing.connection_id}/import-menu",
                           json={"push_to_other_connections": True}, headers=refusing.auth("admin"))
    assert response.status_code == 200
    assert response.json["action_run_id"]
    assert_valid("admin/import_menu.output.json", response.json)


def test_import_menu_refuses_a_non_boolean_push_and_unknown_fields(client, refusing):
    response = client.post(f"/v1/admin/connections/{refusing.connection_id}/import-menu",
                           json={"push_to_other_connections": "yes", "dry_run": True},
                           headers=refusing.auth("admin"))
    assert error_paths(response) == ["/dry_run", "/push_to_other_connections"]


# ---------- keys ----------


def test_listed_keys_match_the_key_schema(client, tenant):
    response = client.get("/v1/admin/keys", headers=tenant.auth("admin"))
    assert response.status_code == 200
    assert {k["scope"] for k in response.json} == {"automation", "admin", "pos"}
    for item in response.json:
        assert_valid("admin/key.json", item)


def test_a_revoked_key_still_matches_the_key_schema(client, tenant):
    created = client.post("/v1/admin/keys", json={"scope": "automation"}, headers=tenant.auth("admin")).json
    assert client.delete(f"/v1/admin/keys/{created['id']}", headers=tenant.auth("admin")).status_code == 204
    listed = client.get("/v1/admin/keys", headers=tenant.auth("admin")).json
    revoked = next(k for k in listed if k["id"] == created["id"])
    assert revoked["revoked_at"] is not None
    assert_valid("admin/key.json", revoked)


@pytest.mark.parametrize("scope", ["automation", "admin", "pos"])
def test_an_issued_key_matches_the_key_created_schema(client, tenant, scope):
    body = {"scope": scope, "name": "Zapier"}
    if scope == "pos":
        body["connection_id"] = tenant.connection_id
    response = client.post("/v1/admin/keys", json=body, headers=tenant.auth("admin"))
    assert response.status_code == 201
    assert_valid("admin/key_created.json", response.json)


def test_an_unknown_scope_is_refused_at_the_scope(client, tenant):
    response = client.post("/v1/admin/keys", json={"scope": "root"}, headers=tenant.auth("admin"))
    assert error_paths(response) == ["/scope"]


def test_a_pos_key_without_a_connection_is_refused_at_the_connection_id(client, tenant):
    response = client.post("/v1/admin/keys", json={"scope": "pos"}, headers=tenant.auth("admin"))
    assert error_paths(response) == ["/connection_id"]


def test_a_pos_key_for_another_hubs_connection_is_refused_at_the_connection_id(client, tenant, other_tenant):
    body = {"scope": "pos", "connection_id": other_tenant.connection_id}
    response = client.post("/v1/admin/keys", json=body, headers=tenant.auth("admin"))
    assert error_paths(response) == ["/connection_id"]


# ---------- the OpenAPI document covers every route ----------


def _template(rule: str) -> str:
    """A path with its parameters unnamed: Flask's /v1/hooks/<hook_id> and OpenAPI's /v1/hooks/{id} agree."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", rule)


def test_every_flask_route_is_in_the_openapi_document(app):
    doc = build_openapi()
    documented = {(method, _template(path)) for path, item in doc["paths"].items() for method in item}
    per_name = {
        "/v1/triggers/<name>": [f"/v1/triggers/{spec.name}" for spec in TRIGGERS],
        "/v1/actions/<action_name:name>": [f"/v1/actions/{spec.name}" for spec in ACTIONS],
    }
    missing = []
    for rule in app.url_map.iter_rules():
        if not is_api_rule(rule.rule):  # the support console's pages are no part of the API
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for path in per_name.get(rule.rule, [rule.rule]):
                if (method.lower(), _template(path)) not in documented:
                    missing.append(f"{method} {path}")
    assert missing == []


def _query_parameters(operation: dict[str, Any]) -> set[str]:
    return {param["name"] for param in operation.get("parameters", []) if param.get("in") == "query"}


def test_hook_deliveries_document_their_status_and_limit_parameters():
    operation = build_openapi()["paths"]["/v1/hooks/{id}/deliveries"]["get"]
    assert _query_parameters(operation) == {"status", "limit"}


def test_locations_document_their_connection_filter_and_limit():
    operation = build_openapi()["paths"]["/v1/locations"]["get"]
    assert _query_parameters(operation) == {"connection_id", "limit"}


def test_admin_routes_are_for_admin_keys_under_their_own_tag():
    doc = build_openapi()
    admin = [item[method] for path, item in doc["paths"].items() if path.startswith("/v1/admin/")
             for method in item]
    assert len(admin) == 20
    for operation in admin:
        assert operation["x-scopes"] == ["admin"]
        assert operation["tags"] == ["Admin (support staff)"]
        assert operation["security"] == [{"BearerAuth": []}, {"ApiKeyHeader": []}]


def test_import_menu_documents_its_body_as_optional():
    operation = build_openapi()["paths"]["/v1/admin/connections/{connection_id}/import-menu"]["post"]
    assert operation["requestBody"]["required"] is False

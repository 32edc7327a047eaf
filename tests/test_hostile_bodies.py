"""Hostile JSON bodies get 4xx problem JSON naming the bad field, never a 500 (issue 9, section 2).

Most of these only broke on PostgreSQL (NUL in text, integers past a column's range), so every
test runs on each backend.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.test_errors import assert_problem

INT_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1


def _purchase() -> dict[str, Any]:
    return {"external_id": "TX-1", "location_external_id": "fridge-1", "occurred_at": "2025-03-14T12:31:07Z",
            "lines": [{"sku": "SAL-CAESAR", "name": "Caesar salad", "quantity": 2, "unit_price": "8.90"}],
            "currency": "EUR", "coupon_codes": ["LUNCH10"], "customer_key": "loyalty-1"}


# (scope, method, path, a body valid for the test tenant); "{con}" is the tenant's connection id.
ENDPOINTS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "purchases": ("pos", "POST", "/v1/pos/purchases", _purchase()),
    "inventory": ("pos", "PUT", "/v1/pos/inventory", {"counts": [
        {"location_external_id": "fridge-1", "sku": "SAL-CAESAR", "quantity": 4, "low_stock_threshold": 2}]}),
    "heartbeat": ("pos", "POST", "/v1/pos/heartbeat", {"locations": [
        {"external_id": "fridge-9", "name": "New fridge", "status": "online"}]}),
    "hooks": ("automation", "POST", "/v1/hooks", {"trigger": "new_purchase",
                                                  "target_url": "http://127.0.0.1:9/hook"}),
    "update_menu": ("automation", "POST", "/v1/actions/update_menu", {"items": [
        {"sku": "SAL-CAESAR", "name": "Caesar salad", "price": {"amount": "9.20", "currency": "EUR"}}]}),
    "publish_coupon": ("automation", "POST", "/v1/actions/publish_coupon", {
        "code": "LUNCH10", "name": "Lunch", "discount_type": "percent", "percent_off": "10"}),
    "connections": ("admin", "POST", "/v1/admin/connections", {
        "type": "sandbox", "name": "Sandbox fleet",
        "config": {"locations": [{"external_id": "fridge-a", "name": "Fridge A"}]}}),
    "keys": ("admin", "POST", "/v1/admin/keys", {"scope": "automation", "name": "Zapier"}),
}

# Every string field that reaches a text or JSON column, by endpoint and JSON pointer.
STRING_FIELDS = [
    ("purchases", "/external_id"),
    ("purchases", "/lines/0/sku"),
    ("purchases", "/lines/0/name"),
    ("purchases", "/coupon_codes/0"),
    ("purchases", "/customer_key"),
    ("inventory", "/counts/0/sku"),
    ("heartbeat", "/locations/0/external_id"),
    ("heartbeat", "/locations/0/name"),
    ("hooks", "/target_url"),
    ("update_menu", "/items/0/sku"),
    ("update_menu", "/items/0/name"),
    ("publish_coupon", "/code"),
    ("publish_coupon", "/name"),
    ("connections", "/name"),
    ("connections", "/config/locations/0/name"),
    ("keys", "/name"),
]


def _set(body: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    """A copy of body with the member at a JSON pointer replaced."""
    body = copy.deepcopy(body)
    *parents, last = [int(p) if p.isdigit() else p for p in pointer.strip("/").split("/")]
    node: Any = body
    for part in parents:
        node = node[part]
    node[last] = value
    return body


def send(client, tenant, endpoint: str, raw: str | bytes):
    """Send a raw JSON text to an endpoint with a key of its scope."""
    scope, method, path, _ = ENDPOINTS[endpoint]
    return client.open(path.format(con=tenant.connection_id), method=method, data=raw,
                       headers=tenant.auth(scope), content_type="application/json")


def send_with(client, tenant, endpoint: str, pointer: str, value: Any):
    """Send the endpoint's valid body with one member replaced (json.dumps escapes NUL and surrogates)."""
    return send(client, tenant, endpoint, json.dumps(_set(ENDPOINTS[endpoint][3], pointer, value)))


def error_paths(response) -> list[str]:
    return [error["path"] for error in response.json["errors"]]


def assert_refused(response, pointer: str, saying: str = "") -> None:
    """A 422 problem naming exactly this field, its message saying why."""
    assert_problem(response, 422)
    assert error_paths(response) == [pointer]
    assert saying in response.json["errors"][0]["message"]


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_the_untouched_bodies_are_accepted(backend_client, backend_tenant, endpoint):
    # The baseline for every case below: only the injected value makes a request fail.
    response = send(backend_client, backend_tenant, endpoint, json.dumps(ENDPOINTS[endpoint][3]))
    assert response.status_code in (200, 201, 202), response.get_data(as_text=True)


@pytest.mark.parametrize(("endpoint", "pointer"), STRING_FIELDS)
def test_nul_character_in_a_string_is_422_naming_the_field(backend_client, backend_tenant, endpoint, pointer):
    response = send_with(backend_client, backend_tenant, endpoint, pointer, "SAL\x00CAESAR")
    assert_refused(response, pointer, "NUL")


@pytest.mark.parametrize("surrogate", ["\ud800", "a\udfffb"])
@pytest.mark.parametrize(("endpoint", "pointer"), STRING_FIELDS)
def test_lone_surrogate_in_a_string_is_422_naming_the_field(backend_client, backend_tenant, endpoint, pointer,
                                                             surrogate):
    response = send_with(backend_client, backend_tenant, endpoint, pointer, surrogate)
    assert_refused(response, pointer, "surrogate")


def test_nul_character_in_an_object_key_is_422_naming_the_member(backend_client, backend_tenant):
    body = {"type": "sandbox", "name": "Fleet", "config": {"locations": [{"external_id": "a", "name": "A"}],
                                                           "x\x00": True}}
    response = send(backend_client, backend_tenant, "connections", json.dumps(body))
    assert_refused(response, "/config/x\x00")


def test_every_bad_string_is_listed_at_once(backend_client, backend_tenant):
    body = _set(_set(ENDPOINTS["purchases"][3], "/external_id", "\x00"), "/lines/0/sku", "\ud800")
    response = send(backend_client, backend_tenant, "purchases", json.dumps(body))
    assert_problem(response, 422)
    assert error_paths(response) == ["/external_id", "/lines/0/sku"]


# (endpoint, pointer, value): integers one past what the database column holds.
OUT_OF_RANGE = [
    ("purchases", "/lines/0/quantity", INT_MAX + 1),
    ("purchases", "/lines/0/quantity", 10**23),
    ("inventory", "/counts/0/quantity", INT_MAX + 1),
    ("inventory", "/counts/0/low_stock_threshold", INT_MAX + 1),
    ("inventory", "/counts/0/low_stock_threshold", 2**63),
]


@pytest.mark.parametrize(("endpoint", "pointer", "value"), OUT_OF_RANGE)
def test_integer_past_its_column_is_422_naming_the_field(backend_client, backend_tenant, endpoint, pointer,
                                                         value):
    response = send_with(backend_client, backend_tenant, endpoint, pointer, value)
    assert_refused(response, pointer, "at most")


@pytest.mark.parametrize(("endpoint", "pointer"), [
    ("inventory", "/counts/0/quantity"), ("inventory", "/counts/0/low_stock_threshold")])
def test_the_largest_count_a_column_holds_is_accepted(backend_client, backend_tenant, endpoint, pointer):
    response = send_with(backend_client, backend_tenant, endpoint, pointer, INT_MAX)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_quantity_written_as_a_float_is_recorded_as_a_whole_number(backend_client, backend_tenant):
    # A POS whose JSON encoder writes every number as a float (1.0) must be able to report a sale.
    body = _set(_set(ENDPOINTS["purchases"][3], "/lines/0/quantity", 2.0), "/lines/0/unit_price", "8.90")
    response = send(backend_client, backend_tenant, "purchases", json.dumps(body))
    assert response.status_code == 200, response.get_data(as_text=True)
    [event] = backend_client.get("/v1/triggers/new_purchase", headers=backend_tenant.auth()).json
    assert event["lines"][0]["quantity"] == 2 and isinstance(event["lines"][0]["quantity"], int)
    assert event["lines"][0]["line_total"] == "17.80"


@pytest.mark.parametrize(("endpoint", "pointer"), [
    ("purchases", "/lines/0/quantity"), ("inventory", "/counts/0/quantity")])
def test_fractional_quantity_is_422(backend_client, backend_tenant, endpoint, pointer):
    assert_refused(send_with(backend_client, backend_tenant, endpoint, pointer, 1.5), pointer)


def test_purchase_whose_line_total_overflows_the_amount_format_is_422(backend_client, backend_tenant):
    # Amounts have at most 12 integer digits everywhere (the trigger's output contract too).
    body = _set(_set(ENDPOINTS["purchases"][3], "/lines/0/quantity", INT_MAX), "/lines/0/unit_price",
                "999999999999.99")
    response = send(backend_client, backend_tenant, "purchases", json.dumps(body))
    assert_refused(response, "/lines/0/quantity")


def test_purchase_whose_lines_add_up_past_the_amount_format_is_422_without_a_total(backend_client,
                                                                                   backend_tenant):
    body = ENDPOINTS["purchases"][3]
    line = {"sku": "SAL-CAESAR", "quantity": 1, "unit_price": "999999999999.99"}
    body = {**body, "lines": [line, line]}
    response = send(backend_client, backend_tenant, "purchases", json.dumps(body))
    assert_refused(response, "/lines", "send the total")
    response = send(backend_client, backend_tenant, "purchases", json.dumps({**body, "total": "1.00"}))
    assert response.status_code == 200


def test_repeated_large_sales_never_push_stock_past_its_column(backend_client, backend_tenant):
    auth = backend_tenant.auth("pos")
    send_with(backend_client, backend_tenant, "inventory", "/counts/0/quantity", 0)
    for number in range(3):
        body = _set(_set(ENDPOINTS["purchases"][3], "/lines/0/quantity", INT_MAX), "/lines/0/unit_price", "0")
        body["external_id"] = f"TX-big-{number}"
        response = backend_client.post("/v1/pos/purchases", json=body, headers=auth)
        assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("raw", [
    '{"counts": [{"location_external_id": "fridge-1", "sku": "S", "quantity": ' + "9" * 4301 + "}]}",
    '{"counts": [{"location_external_id": "fridge-1", "sku": "S", "quantity": -' + "9" * 5000 + "}]}",
])
def test_integer_literal_too_long_to_read_is_400(backend_client, backend_tenant, raw):
    response = send(backend_client, backend_tenant, "inventory", raw)
    assert_problem(response, 400)
    assert "digits" in response.json["detail"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_json_number_literals_are_400(backend_client, backend_tenant, literal):
    raw = ('{"type": "sandbox", "name": "Fleet", "config": {"locations": [], "journal": [{"x": '
           + literal + "}]}}")
    response = send(backend_client, backend_tenant, "connections", raw)
    assert_problem(response, 400)


def test_number_too_large_for_a_float_is_422_naming_the_field(backend_client, backend_tenant):
    raw = '{"type": "sandbox", "name": "Fleet", "config": {"locations": [], "journal": [{"x": 1e400}]}}'
    response = send(backend_client, backend_tenant, "connections", raw)
    assert_refused(response, "/config/journal/0/x")


@pytest.mark.parametrize(("pointer", "value"), [
    ("/currency", "EUR\n"),  # Python's "$" also matches before a final newline; JSON Schema's does not
    ("/lines/0/unit_price", "8.90\n"),
    ("/lines/0/unit_price", "\u0668.\u0669\u0660"),  # Arabic-Indic digits: "\d" means 0-9 in JSON Schema
    ("/occurred_at", "2025-03-14T12:31:07Z\n"),
])
def test_patterns_match_as_json_schema_defines_them(backend_client, backend_tenant, pointer, value):
    assert_refused(send_with(backend_client, backend_tenant, "purchases", pointer, value), pointer)


@pytest.mark.parametrize("url", ["http://[", "http://[::1/x", "https://[fe80::1%zz]/"])
def test_unparseable_target_url_is_422(backend_client, backend_tenant, url):
    response = send_with(backend_client, backend_tenant, "hooks", "/target_url", url)
    assert_refused(response, "/target_url")

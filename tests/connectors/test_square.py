"""Specification of the Square connector, against Square's REST API mocked with `responses`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest
import requests
from responses import matchers

from hub import schemas
from hub.connectors.base import Capability, ConnectorError, CouponData, ErrorKind, MenuItemData
from hub.connectors.square import SquareConnector
from hub.connectors.square.client import SQUARE_VERSION
from hub.work.failures import Fault
from tests.connectors.square_contract import SquareMock
from tests.connectors.square_double import upsert_callback
from tests.connectors.square_support import API, FIXTURES, SIG_KEY, TOKEN, connector, fixture, sent_json

HOOK_URL = "https://hub.example.com/v1/webhooks/c1"


@pytest.fixture(autouse=True)
def rsps():
    """Square's API, mocked; every request any test here sends is held to Square's contract."""
    with SquareMock() as mock:
        yield mock


# ---- description ---------------------------------------------------------------------------------

def test_schemas_are_valid_json_schema_with_titles_for_every_field():
    for schema in (SquareConnector.settings_schema, SquareConnector.credentials_schema):
        jsonschema.Draft202012Validator.check_schema(schema)
        assert all("title" in p and "description" in p for p in schema["properties"].values())


def test_describe_lists_every_capability():
    assert set(SquareConnector.describe()["capabilities"]) == {c.value for c in Capability}


def test_settings_schema_accepts_a_sandbox_connection_and_rejects_unknown_environments():
    validator = jsonschema.Draft202012Validator(SquareConnector.settings_schema)
    assert validator.is_valid({"environment": "sandbox", "location_ids": ["L1GRANTPARK"]})
    assert not validator.is_valid({"environment": "staging"})


# ---- connection and status -----------------------------------------------------------------------

def test_sandbox_connections_call_the_sandbox_host_with_bearer_token_and_square_version(rsps):
    rsps.get("https://connect.squareupsandbox.com/v2/locations", json=fixture("locations.json"))
    connector(environment="sandbox").test_connection()
    headers = rsps.calls[0].request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Square-Version"] == SQUARE_VERSION


def test_base_url_override_wins_over_the_environment(rsps):
    rsps.get("http://127.0.0.1:9999/v2/locations", json=fixture("locations.json"))
    connector(environment="production", base_url="http://127.0.0.1:9999/").test_connection()
    assert len(rsps.calls) == 1


def test_connection_test_fails_permanently_for_an_unknown_configured_location(rsps):
    rsps.get(f"{API}/v2/locations", json=fixture("locations.json"))
    with pytest.raises(ConnectorError) as err:
        connector(location_ids=["L1GRANTPARK", "LNOPE"]).test_connection()
    assert err.value.kind is ErrorKind.PERMANENT
    assert "LNOPE" in err.value.message


def test_location_is_online_when_active_with_a_device_not_offline(rsps):
    rsps.get(f"{API}/v2/locations", json=fixture("locations.json"))
    rsps.get(f"{API}/v2/devices", json=fixture("devices.json"))
    status = {s.external_id: s for s in connector().fetch_status()}
    assert status["L1GRANTPARK"].online is True
    assert status["L1GRANTPARK"].name == "Grant Park kiosk"
    assert status["L2MIDTOWN"].online is False  # its only terminal is OFFLINE
    assert status["L3CLOSED"].online is False  # INACTIVE location


def test_status_falls_back_to_location_state_when_the_token_cannot_read_devices(rsps):
    rsps.get(f"{API}/v2/locations", json=fixture("locations.json"))
    rsps.get(f"{API}/v2/devices", json=fixture("error_insufficient_scopes.json"), status=403)
    status = {s.external_id: s.online for s in connector().fetch_status()}
    assert status == {"L1GRANTPARK": True, "L2MIDTOWN": True, "L3CLOSED": False}


def test_status_reports_only_the_configured_locations(rsps):
    rsps.get(f"{API}/v2/locations", json=fixture("locations.json"))
    rsps.get(f"{API}/v2/devices", json=fixture("devices.json"))
    assert [s.external_id for s in connector(location_ids=["L2MIDTOWN"]).fetch_status()] == ["L2MIDTOWN"]


# ---- inventory -----------------------------------------------------------------------------------

def test_inventory_follows_the_cursor_and_maps_variations_to_skus(rsps):
    url = f"{API}/v2/inventory/counts/batch-retrieve"
    rsps.post(url, json=fixture("inventory_counts_page1.json"),
              match=[matchers.json_params_matcher({"states": ["IN_STOCK"], "limit": 1000,
                                                   "location_ids": ["L1GRANTPARK", "L2MIDTOWN"]})])
    rsps.post(url, json=fixture("inventory_counts_page2.json"),
              match=[matchers.json_params_matcher({"cursor": "INV-PAGE-2"}, strict_match=False)])
    rsps.post(f"{API}/v2/catalog/batch-retrieve", json=fixture("catalog_batch_retrieve.json"))
    counts = connector(location_ids=["L1GRANTPARK", "L2MIDTOWN"]).fetch_inventory()
    assert [(c.location_external_id, c.sku, c.quantity) for c in counts] == [
        ("L1GRANTPARK", "SALAD-CAESAR", 12),
        ("L1GRANTPARK", "VAR_SOUP", 3),  # no sku in Square: the variation id; 3.5 rounds down
        ("L2MIDTOWN", "SALAD-CAESAR", 0),
    ]
    assert sent_json(rsps.calls[2])["object_ids"] == ["VAR_SALAD", "VAR_SOUP"]


# ---- purchases -----------------------------------------------------------------------------------

def test_first_purchase_page_maps_orders_and_asks_for_more(rsps):
    rsps.post(f"{API}/v2/orders/search", json=fixture("orders_search_page1.json"))
    rsps.post(f"{API}/v2/catalog/batch-retrieve", json=fixture("catalog_batch_retrieve.json"))
    page = connector(location_ids=["L1GRANTPARK", "L2MIDTOWN"]).fetch_purchases(None)

    assert page.has_more is True
    assert json.loads(page.next_cursor) == {"since": None, "newest": "2025-05-01T10:07:00.000Z",
                                            "page": "ORDERS-PAGE-2"}
    pos, online = page.purchases
    assert pos.external_id == "ORD_POS_1"
    assert pos.location_external_id == "L1GRANTPARK"
    assert pos.occurred_at == datetime(2025, 5, 1, 10, 4, 30, tzinfo=UTC)
    assert (pos.total, pos.currency) == ("17.11", "USD")
    assert pos.payment_state == "paid_at_pos"
    assert pos.coupon_codes == ["SUMMER10"]  # the ad-hoc "Staff goodwill" discount has no code
    assert pos.customer_key == "CUST_LOYAL_7"
    salad, custom = pos.lines
    assert (salad.sku, salad.quantity, salad.unit_price, salad.line_total, salad.name) == (
        "SALAD-CAESAR", 2, "8.95", "16.11", "Caesar salad Regular")
    assert (custom.sku, custom.unit_price) == ("", "1.00")
    assert online.payment_state == "prepaid"  # paid through Square Online
    assert online.lines[0].sku == "VAR_SOUP"


def test_purchase_search_asks_for_completed_orders_oldest_update_first(rsps):
    rsps.post(f"{API}/v2/orders/search", json=fixture("orders_search_empty.json"))
    connector(location_ids=["L1GRANTPARK"]).fetch_purchases('{"since": "2025-05-01T10:00:00.000Z"}')
    body = sent_json(rsps.calls[0])
    assert body["location_ids"] == ["L1GRANTPARK"]
    assert body["query"] == {
        "filter": {"state_filter": {"states": ["COMPLETED"]},
                   "date_time_filter": {"updated_at": {"start_at": "2025-05-01T10:00:00.000Z"}}},
        "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"},
    }
    assert "cursor" not in body


def test_second_purchase_page_sends_squares_cursor_and_ends_the_poll_with_an_overlapping_cursor(rsps):
    rsps.post(f"{API}/v2/orders/search", json=fixture("orders_search_page2.json"))
    rsps.post(f"{API}/v2/catalog/batch-retrieve", json=fixture("catalog_batch_retrieve.json"))
    cursor = json.dumps({"since": "2025-05-01T09:00:00.000Z", "newest": "2025-05-01T10:07:00.000Z",
                         "page": "ORDERS-PAGE-2"})
    page = connector(location_ids=["L1GRANTPARK"]).fetch_purchases(cursor)

    body = sent_json(rsps.calls[0])
    assert body["cursor"] == "ORDERS-PAGE-2"
    assert body["query"]["filter"]["date_time_filter"]["updated_at"]["start_at"] == "2025-05-01T09:00:00.000Z"
    assert page.has_more is False
    assert page.purchases == []  # the OPEN tab is recorded when it completes
    # newest update 10:09, minus the two-minute overlap for late-indexed orders
    assert json.loads(page.next_cursor) == {"since": "2025-05-01T10:07:00.000Z"}


def test_a_poll_without_orders_keeps_its_cursor(rsps):
    rsps.post(f"{API}/v2/orders/search", json=fixture("orders_search_empty.json"))
    page = connector(location_ids=["L1GRANTPARK"]).fetch_purchases('{"since": "2025-05-01T10:07:00.000Z"}')
    assert page.purchases == []
    assert json.loads(page.next_cursor) == {"since": "2025-05-01T10:07:00.000Z"}


def test_yen_orders_keep_whole_yen(rsps):
    rsps.post(f"{API}/v2/orders/search", json=fixture("orders_search_jpy.json"))
    rsps.post(f"{API}/v2/catalog/batch-retrieve", json=fixture("catalog_batch_retrieve_empty.json"))
    (order,) = connector(location_ids=["L1GRANTPARK"]).fetch_purchases(None).purchases
    assert (order.total, order.currency) == ("540", "JPY")
    line = order.lines[0]
    assert (line.sku, line.quantity, line.unit_price, line.line_total) == ("VAR_ONIGIRI", 3, "180", "540")


def test_purchases_from_all_locations_list_them_first(rsps):
    rsps.get(f"{API}/v2/locations", json=fixture("locations.json"))
    rsps.post(f"{API}/v2/orders/search", json=fixture("orders_search_empty.json"))
    connector().fetch_purchases(None)
    assert sent_json(rsps.calls[1])["location_ids"] == ["L1GRANTPARK", "L2MIDTOWN", "L3CLOSED"]


# ---- menu push -----------------------------------------------------------------------------------

def wrap(**overrides) -> MenuItemData:
    fields = {"sku": "WRAP-FALAFEL", "name": "Falafel wrap", "price": "7.50", "currency": "USD",
              "description": "Hummus, pickles", "category": "Wraps"}
    return MenuItemData(**{**fields, **overrides})


def test_new_menu_item_is_created_as_item_with_one_priced_variation(rsps):
    rsps.get(f"{API}/v2/catalog/list", json=fixture("catalog_list.json"),
             match=[matchers.query_param_matcher({"types": "ITEM,CATEGORY,MODIFIER_LIST"})])
    rsps.add_callback("POST", f"{API}/v2/catalog/batch-upsert", callback=upsert_callback)
    connector().push_menu([wrap()], "delivery-42")

    body = sent_json(rsps.calls[1])
    objects = body["batches"][0]["objects"]
    category = next(o for o in objects if o["type"] == "CATEGORY")
    item = next(o for o in objects if o["type"] == "ITEM")
    assert category["id"].startswith("#") and category["category_data"] == {"name": "Wraps"}
    assert item["id"].startswith("#")
    assert item["present_at_all_locations"] is True
    assert item["item_data"]["name"] == "Falafel wrap"
    assert item["item_data"]["categories"] == [{"id": category["id"]}]
    (variation,) = item["item_data"]["variations"]
    assert variation["item_variation_data"]["sku"] == "WRAP-FALAFEL"
    assert variation["item_variation_data"]["item_id"] == item["id"]
    assert variation["item_variation_data"]["price_money"] == {"amount": 750, "currency": "USD"}


def test_menu_push_idempotency_key_is_derived_stably_from_the_hubs_key(rsps):
    for _ in range(2):
        rsps.get(f"{API}/v2/catalog/list", json=fixture("catalog_list.json"))
        rsps.add_callback("POST", f"{API}/v2/catalog/batch-upsert", callback=upsert_callback)
    connector().push_menu([wrap()], "delivery-42")
    connector().push_menu([wrap()], "delivery-42")
    first, second = (sent_json(rsps.calls[i])["idempotency_key"] for i in (1, 3))
    assert first == second
    assert first != "delivery-42" and len(first) <= 128


def test_existing_item_is_updated_in_place_and_taken_off_the_tills_where_unavailable(rsps):
    rsps.get(f"{API}/v2/catalog/list", json=fixture("catalog_list.json"))
    rsps.add_callback("POST", f"{API}/v2/catalog/batch-upsert", callback=upsert_callback)
    item = wrap(sku="SALAD-CAESAR", name="Caesar salad", price="9.25", category="Mains", available=False,
                modifiers=[{"name": "Dressing", "required": True, "max_selections": 1,
                            "options": [{"name": "Ranch", "price": {"amount": "0.75", "currency": "USD"}}]}])
    connector(location_ids=["L1GRANTPARK", "L2MIDTOWN"]).push_menu([item], "delivery-43")

    objects = sent_json(rsps.calls[1])["batches"][0]["objects"]
    assert not any(o["type"] == "CATEGORY" for o in objects)  # "Mains" already exists
    modifier_list = next(o for o in objects if o["type"] == "MODIFIER_LIST")
    assert modifier_list["id"] == "ML_DRESSING"
    assert modifier_list["modifier_list_data"]["modifiers"][0]["id"] == "MOD_RANCH"
    assert modifier_list["modifier_list_data"]["modifiers"][0]["modifier_data"]["price_money"] == {
        "amount": 75, "currency": "USD"}
    square_item = next(o for o in objects if o["type"] == "ITEM")
    assert square_item["id"] == "ITEM_SALAD" and "version" not in square_item
    assert square_item["present_at_location_ids"] == ["L1GRANTPARK", "L2MIDTOWN"]
    assert square_item["item_data"]["categories"] == [{"id": "CAT_MAINS"}]
    assert square_item["item_data"]["modifier_list_info"] == [
        {"modifier_list_id": "ML_DRESSING", "enabled": True, "min_selected_modifiers": 1,
         "max_selected_modifiers": 1}]
    (variation,) = square_item["item_data"]["variations"]
    assert variation["id"] == "VAR_SALAD"
    data = variation["item_variation_data"]
    assert data["price_money"] == {"amount": 925, "currency": "USD"}
    assert (variation["present_at_all_locations"], variation["present_at_location_ids"]) == (False, [])


def test_removed_items_are_deleted_and_only_their_variation_when_the_item_has_others(rsps):
    rsps.get(f"{API}/v2/catalog/list", json=fixture("catalog_list.json"))
    rsps.post(f"{API}/v2/catalog/batch-delete", json=fixture("batch_delete.json"))
    connector().push_menu([wrap(sku="SALAD-CAESAR", removed=True), wrap(sku="SOUP-CUP", removed=True),
                           wrap(sku="NEVER-EXISTED", removed=True)], "delivery-44")
    assert sent_json(rsps.calls[1]) == {"object_ids": ["ITEM_SALAD", "VAR_SOUP_CUP"]}


def test_a_price_with_too_many_decimals_fails_before_anything_is_sent(rsps):
    rsps.get(f"{API}/v2/catalog/list", json=fixture("catalog_list.json"))
    with pytest.raises(ConnectorError) as err:
        connector().push_menu([wrap(price="7.505")], "delivery-45")
    assert err.value.kind is ErrorKind.PERMANENT
    assert len(rsps.calls) == 1


# ---- coupons -------------------------------------------------------------------------------------

def test_coupons_become_discounts_named_by_code(rsps):
    rsps.get(f"{API}/v2/catalog/list", json=fixture("catalog_list.json"),
             match=[matchers.query_param_matcher({"types": "ITEM,DISCOUNT,PRODUCT_SET,PRICING_RULE"})])
    rsps.add_callback("POST", f"{API}/v2/catalog/batch-upsert", callback=upsert_callback)
    now = datetime.now(UTC)
    connector().push_coupons([
        CouponData(code="SUMMER10", name="Summer", discount_type="percent", percent_off="15"),
        CouponData(code="FIVEOFF", name="Five off", discount_type="fixed", amount_off="5.00", currency="USD",
                   location_external_ids=["L1GRANTPARK"]),
        CouponData(code="OLD", name="Expired", discount_type="percent", percent_off="5",
                   valid_until=now - timedelta(days=1)),
    ], "coupon-run-1")

    body = sent_json(rsps.calls[1])
    assert body["idempotency_key"] != "coupon-run-1"
    summer, five, old = body["batches"][0]["objects"]
    assert summer["id"] == "DISC_SUMMER"
    assert summer["discount_data"]["discount_type"] == "FIXED_PERCENTAGE"
    assert summer["discount_data"]["percentage"] == "15"
    assert five["id"].startswith("#")
    assert five["discount_data"]["amount_money"] == {"amount": 500, "currency": "USD"}
    assert five["present_at_location_ids"] == ["L1GRANTPARK"]
    assert old["present_at_all_locations"] is False and old["present_at_location_ids"] == []


# ---- import --------------------------------------------------------------------------------------

def test_import_turns_each_fixed_price_variation_into_a_menu_item(rsps):
    rsps.get(f"{API}/v2/catalog/list", json=fixture("catalog_list.json"))
    menu = {m.sku: m for m in connector().import_menu()}
    assert set(menu) == {"SALAD-CAESAR", "VAR_SOUP", "SOUP-CUP"}  # the variable-priced special is skipped
    salad = menu["SALAD-CAESAR"]
    assert (salad.name, salad.price, salad.currency, salad.category) == (
        "Caesar salad", "8.95", "USD", "Mains")
    assert salad.description == "Romaine, parmesan, croutons"
    assert salad.modifiers == [{"name": "Dressing", "required": False, "max_selections": None, "options": [
        {"name": "Ranch", "price": {"amount": "0.50", "currency": "USD"}},
        {"name": "No dressing", "price": {"amount": "0.00", "currency": "USD"}}]}]
    assert salad.available is True and salad.location_external_ids is None
    assert schemas.validate("common/modifier.json", salad.modifiers[0]) == []
    bowl = menu["VAR_SOUP"]
    assert bowl.name == "Tomato soup (Bowl)"
    assert bowl.available is False  # sold out at Midtown
    assert bowl.location_external_ids == ["L2MIDTOWN"]


# ---- errors --------------------------------------------------------------------------------------

def test_service_unavailable_is_transient(rsps):
    rsps.get(f"{API}/v2/locations", json=fixture("error_service_unavailable.json"), status=503)
    with pytest.raises(ConnectorError) as err:
        connector().test_connection()
    assert err.value.kind is ErrorKind.TRANSIENT
    assert err.value.vendor_code == "SERVICE_UNAVAILABLE"


def test_a_bare_gateway_error_without_square_body_is_transient(rsps):
    rsps.get(f"{API}/v2/locations", body="<html>Bad gateway</html>", status=502)
    with pytest.raises(ConnectorError) as err:
        connector().test_connection()
    assert err.value.kind is ErrorKind.TRANSIENT


def test_a_timeout_is_transient(rsps):
    rsps.get(f"{API}/v2/locations", body=requests.Timeout("read timed out"))
    with pytest.raises(ConnectorError) as err:
        connector().test_connection()
    assert err.value.kind is ErrorKind.TRANSIENT


def test_rate_limited_response_is_retried_after_its_delay(rsps):
    rsps.get(f"{API}/v2/locations", json=fixture("error_rate_limited.json"), status=429,
             headers={"Retry-After": "7"})
    with pytest.raises(ConnectorError) as err:
        connector().test_connection()
    assert err.value.kind is ErrorKind.RATE_LIMITED
    assert err.value.retry_after == 7.0
    assert err.value.vendor_code == "RATE_LIMITED"


@pytest.mark.parametrize("name", ["error_unauthorized.json", "error_access_token_expired.json"])
def test_bad_or_expired_tokens_are_permanent_and_the_configurations_fault(rsps, name):
    rsps.get(f"{API}/v2/locations", json=fixture(name), status=401)
    with pytest.raises(ConnectorError) as err:
        connector().test_connection()
    assert (err.value.kind, err.value.fault) == (ErrorKind.PERMANENT, Fault.CONFIGURATION)
    assert err.value.status == 401


def test_validation_error_is_permanent_and_keeps_squares_detail(rsps):
    rsps.get(f"{API}/v2/catalog/list", json=fixture("catalog_list.json"))
    rsps.post(f"{API}/v2/catalog/batch-upsert", json=fixture("error_invalid_value.json"), status=400)
    with pytest.raises(ConnectorError) as err:
        connector().push_menu([wrap()], "delivery-46")
    assert err.value.kind is ErrorKind.PERMANENT
    assert err.value.vendor_code == "INVALID_VALUE"
    assert "price_money.amount must be non-negative" in err.value.message
    assert "batches[0].objects[1]" in err.value.message


# ---- webhooks ------------------------------------------------------------------------------------

BODY = (FIXTURES / "webhook_order_updated.json").read_bytes()


def square_signature(key: str, url: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), url.encode() + body, hashlib.sha256).digest()).decode()


def test_signature_matches_a_known_vector():
    body = b'{"event_id":"e1","type":"order.updated"}'
    headers = {"x-square-hmacsha256-signature": "UEKLS2K+GLTYKe1BXVLgrJLTSVImfOvTSS6UPqB01j4="}
    assert connector().verify_callback(headers, body, HOOK_URL) is True


def test_valid_signature_over_url_and_body_is_accepted():
    headers = {"X-Square-HmacSha256-Signature": square_signature(SIG_KEY, HOOK_URL, BODY)}
    assert connector().verify_callback(headers, BODY, HOOK_URL) is True


def test_tampered_body_is_refused():
    headers = {"x-square-hmacsha256-signature": square_signature(SIG_KEY, HOOK_URL, BODY)}
    assert connector().verify_callback(headers, BODY.replace(b"COMPLETED", b"CANCELED"), HOOK_URL) is False


def test_signature_made_with_another_key_is_refused():
    headers = {"x-square-hmacsha256-signature": square_signature("another-key", HOOK_URL, BODY)}
    assert connector().verify_callback(headers, BODY, HOOK_URL) is False


def test_missing_signature_header_is_refused():
    assert connector().verify_callback({"Content-Type": "application/json"}, BODY, HOOK_URL) is False


def test_without_a_signature_key_every_callback_is_refused():
    bare = SquareConnector({}, {"access_token": TOKEN})
    headers = {"x-square-hmacsha256-signature": square_signature("", HOOK_URL, BODY)}
    assert bare.verify_callback(headers, BODY, HOOK_URL) is False


def test_configured_notification_url_is_what_gets_signed():
    public = "https://pos-hub.example.com/v1/webhooks/c1"
    headers = {"x-square-hmacsha256-signature": square_signature(SIG_KEY, public, BODY)}
    behind_proxy = "http://10.0.0.5:8000/v1/webhooks/c1"
    assert connector(notification_url=public).verify_callback(headers, BODY, behind_proxy) is True
    assert connector().verify_callback(headers, BODY, behind_proxy) is False


def test_callback_carries_event_id_and_type_and_asks_for_a_poll():
    hint = connector().parse_callback({}, BODY)
    assert hint.event_id == "8f1a5c4e-0d3b-3b7e-9c44-1c2d3e4f5a6b"
    assert hint.event_type == "order.updated"
    assert hint.poll_now is True


def test_unreadable_callback_body_still_asks_for_a_poll():
    hint = connector().parse_callback({}, b"not json")
    assert hint.event_id is None and hint.poll_now is True

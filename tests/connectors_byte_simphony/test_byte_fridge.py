"""The Byte Technology fridge connector against mocked REST replies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import responses
from responses import matchers

from hub.connectors.base import (
    ConnectorError,
    CouponData,
    ErrorKind,
    Fault,
    InventoryCount,
    LocationStatus,
    MenuItemData,
    PurchaseLineRecord,
    Unsupported,
)
from hub.connectors.byte_fridge import ByteFridgeConnector

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "byte_fridge"
BASE = "https://api.byte.test/v1"
SETTINGS: dict[str, Any] = {"base_url": BASE}
CREDENTIALS = {"api_key": "byte-key-123"}

CUSTOM_FIELDS = {
    "fridges_list": "data.devices",
    "fridge_id": "device.serial",
    "fridge_name": "label",
    "fridge_status": "online",
    "transactions_list": "data.sales",
    "next_cursor": "paging.cursor",
    "transaction_id": "saleId",
    "transaction_fridge_id": "device.serial",
    "transaction_time": "createdAt",
    "transaction_items": "lines",
    "transaction_total": "amount.total",
    "transaction_currency": "amount.currency",
    "transaction_payment": "paymentMethod",
    "transaction_customer": "member.id",
    "transaction_coupons": "promo",
    "item_sku": "product.code",
    "item_name": "product.title",
    "item_quantity": "qty",
    "item_unit_price": "price.amount",
}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def connector(**overrides: Any) -> ByteFridgeConnector:
    return ByteFridgeConnector({**SETTINGS, **overrides}, CREDENTIALS)


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as rsps:
        yield rsps


def sent_json(call: Any) -> Any:
    return json.loads(call.request.body)


def menu_item(**overrides: Any) -> MenuItemData:
    values: dict[str, Any] = {"sku": "SALAD-CAESAR", "name": "Chicken Caesar Salad", "price": "8.90",
                              "currency": "EUR"}
    return MenuItemData(**{**values, **overrides})


# -- description -----------------------------------------------------------------------------


def test_describe_gives_valid_schemas_explaining_every_setting() -> None:
    described = ByteFridgeConnector.describe()
    jsonschema.Draft202012Validator.check_schema(described["settings_schema"])
    jsonschema.Draft202012Validator.check_schema(described["credentials_schema"])
    settings = described["settings_schema"]["properties"]
    nested = {**settings["paths"]["properties"], **settings["fields"]["properties"]}
    for name, prop in {**settings, **nested}.items():
        assert prop.get("title") and prop.get("description"), name


def test_settings_schema_accepts_a_nested_field_mapping() -> None:
    jsonschema.validate({"base_url": BASE, "fields": CUSTOM_FIELDS, "paths": {"coupons": "/promos"}},
                        ByteFridgeConnector.settings_schema)


# -- authentication and status --------------------------------------------------------------------


def test_connection_test_sends_the_key_as_a_bearer_token(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/fridges", json=fixture("fridges.json"),
            match=[matchers.header_matcher({"Authorization": "Bearer byte-key-123"})])

    connector().test_connection()


def test_key_goes_in_the_configured_header_without_a_scheme(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/fridges", json=fixture("fridges.json"),
            match=[matchers.header_matcher({"X-Api-Key": "byte-key-123"})])

    connector(auth_header="X-Api-Key", auth_scheme="").test_connection()


def test_status_reports_each_fridge_online_or_offline(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/fridges", json=fixture("fridges.json"))

    assert connector().fetch_status() == [
        LocationStatus("FR-0001", "Lobby fridge, Main St 12", True),
        LocationStatus("FR-0002", "Gym fridge, Harbour Rd 3", False),
    ]


def test_fridge_list_is_followed_through_its_next_cursor(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/fridges", json=fixture("fridges_page1.json"),
            match=[matchers.query_param_matcher({})])
    api.get(f"{BASE}/fridges", json=fixture("fridges_page2.json"),
            match=[matchers.query_param_matcher({"cursor": "p2"})])

    statuses = connector(fields={"fridges_list": "fridges"}).fetch_status()

    assert [s.external_id for s in statuses] == ["FR-0001", "FR-0002"]


def test_status_reads_configured_nested_fields(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/devices", json=fixture("fridges_custom.json"))

    statuses = connector(paths={"fridges": "/devices"}, fields=CUSTOM_FIELDS).fetch_status()

    assert statuses == [LocationStatus("BYTE-A17", "Office kitchen", True)]


def test_custom_online_values_decide_the_status(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/fridges", json=[{"id": "FR-1", "name": "A", "status": "ACTIVE"},
                                     {"id": "FR-2", "name": "B", "status": "online"}])

    statuses = connector(online_values=["active"]).fetch_status()

    assert [s.online for s in statuses] == [True, False]


# -- inventory ---------------------------------------------------------------------------------------


def test_inventory_is_read_in_one_call_by_default(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/inventory", json=fixture("inventory.json"))

    assert connector().fetch_inventory() == [
        InventoryCount("FR-0001", "SALAD-CAESAR", 7),
        InventoryCount("FR-0001", "BOWL-VEGAN", 0),
        InventoryCount("FR-0002", "SALAD-CAESAR", 3),
    ]


def test_inventory_path_with_fridge_id_is_asked_fridge_by_fridge(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/fridges", json=fixture("fridges.json"))
    api.get(f"{BASE}/fridges/FR-0001/inventory", json=fixture("inventory_fr0001.json"))
    api.get(f"{BASE}/fridges/FR-0002/inventory", json=fixture("inventory_fr0002.json"))

    counts = connector(paths={"inventory": "/fridges/{fridge_id}/inventory"}).fetch_inventory()

    assert counts == [
        InventoryCount("FR-0001", "SALAD-CAESAR", 7),
        InventoryCount("FR-0001", "BOWL-VEGAN", 0),
        InventoryCount("FR-0002", "SALAD-CAESAR", 3),
    ]


# -- purchases --------------------------------------------------------------------------------------


def test_transaction_becomes_a_purchase(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/transactions", json=fixture("transactions_page1.json"))

    purchase = connector().fetch_purchases(None).purchases[0]

    assert purchase.external_id == "TX-9001"
    assert purchase.location_external_id == "FR-0001"
    assert purchase.occurred_at == datetime(2025, 5, 1, 10, 15, tzinfo=UTC)
    assert purchase.lines == [
        PurchaseLineRecord("SALAD-CAESAR", 2, "8.50", "17.00", "Chicken Caesar Salad"),
        PurchaseLineRecord("WATER-500", 1, "1.50", "1.50", "Still Water 500ml"),
    ]
    assert (purchase.total, purchase.currency) == ("16.65", "EUR")
    assert purchase.payment_state == "paid_at_pos"
    assert purchase.customer_key == "LOYALTY-4471"
    assert purchase.coupon_codes == ["SPRING10"]


def test_transactions_page_through_the_vendors_next_cursor(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/transactions", json=fixture("transactions_page1.json"),
            match=[matchers.query_param_matcher({})])
    api.get(f"{BASE}/transactions", json=fixture("transactions_page2.json"),
            match=[matchers.query_param_matcher({"since": "c_9001"})])

    first = connector().fetch_purchases(None)
    second = connector().fetch_purchases(first.next_cursor)

    assert (first.next_cursor, first.has_more) == ("c_9001", True)
    assert (second.next_cursor, second.has_more) == ("c_9002", False)
    assert [p.external_id for p in second.purchases] == ["TX-9002"]


def test_a_cursor_the_vendor_repeats_ends_paging_even_when_it_says_more_follow(
    api: responses.RequestsMock,
) -> None:
    api.get(f"{BASE}/transactions", json=fixture("transactions_repeated_cursor.json"),
            match=[matchers.query_param_matcher({"since": "c_9001"})])

    page = connector().fetch_purchases("c_9001")

    assert (page.next_cursor, page.has_more) == ("c_9001", False)


def test_a_transaction_the_hub_cannot_read_is_set_aside_and_the_poll_moves_on(
    api: responses.RequestsMock,
) -> None:
    api.get(f"{BASE}/transactions", json=fixture("transactions_missing_fields.json"))

    page = connector().fetch_purchases("2025-05-01T10:00:00+00:00")

    assert [p.external_id for p in page.purchases] == ["TX-9001", "TX-9003"]
    (unreadable,) = page.unreadable
    assert (unreadable.kind, unreadable.external_id, unreadable.raw["fridge_id"]) == ("purchase", "TX-9000",
                                                                                     "FR-0001")
    assert "'timestamp'" in unreadable.reason
    assert page.next_cursor == "2025-05-01T10:20:00+00:00"


def test_a_set_aside_transaction_is_read_again_from_its_raw_record() -> None:
    row = fixture("transactions_page1.json")["transactions"][0]
    assert connector().read_purchase(row).external_id == "TX-9001"


def test_a_set_aside_transaction_still_unreadable_says_why() -> None:
    row = fixture("transactions_missing_fields.json")["transactions"][0]
    with pytest.raises(ValueError, match="timestamp"):
        connector().read_purchase(row)


def test_prepaid_transaction_without_total_sums_its_lines(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/transactions", json=fixture("transactions_page2.json"))

    purchase = connector().fetch_purchases("c_9001").purchases[0]

    assert purchase.payment_state == "prepaid"
    assert purchase.total == "9.25"
    assert purchase.occurred_at == datetime.fromtimestamp(1746094500, UTC)


def test_more_pages_are_assumed_while_the_cursor_moves_and_the_reply_has_no_has_more(
    api: responses.RequestsMock,
) -> None:
    body = fixture("transactions_page1.json")
    del body["has_more"]
    api.get(f"{BASE}/transactions", json=body)

    page = connector().fetch_purchases("c_9000")

    assert page.has_more is True


def test_reply_without_cursor_continues_after_the_newest_transaction(api: responses.RequestsMock) -> None:
    body = fixture("transactions_page1.json")
    del body["next_cursor"], body["has_more"]
    api.get(f"{BASE}/transactions", json=body)

    page = connector().fetch_purchases(None)

    assert (page.next_cursor, page.has_more) == ("2025-05-01T10:15:00+00:00", False)


def test_transactions_read_configured_nested_fields(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/sales", json=fixture("transactions_custom.json"))

    page = connector(paths={"transactions": "/sales"}, fields=CUSTOM_FIELDS).fetch_purchases(None)

    purchase = page.purchases[0]
    assert page.next_cursor == "eyJpZCI6NzcxMjB9"
    assert (purchase.external_id, purchase.location_external_id) == ("77120", "BYTE-A17")
    assert purchase.occurred_at == datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
    assert purchase.occurred_at.utcoffset() == timedelta(hours=2)
    assert purchase.lines == [PurchaseLineRecord("SALAD-CAESAR", 1, "8.50", "8.50", "Chicken Caesar Salad")]
    assert (purchase.total, purchase.currency, purchase.payment_state) == ("8.50", "EUR", "prepaid")
    assert (purchase.customer_key, purchase.coupon_codes) == ("M-12", ["WELCOME5"])


def test_cursor_goes_in_the_configured_query_parameter(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/transactions", json={"transactions": [], "next_cursor": "c_1"},
            match=[matchers.query_param_matcher({"after": "c_0"})])

    page = connector(cursor_param="after").fetch_purchases("c_0")

    assert page.purchases == []


def test_record_missing_a_mapped_field_is_set_aside_naming_the_setting_to_fix(
    api: responses.RequestsMock,
) -> None:
    api.get(f"{BASE}/transactions", json=fixture("transactions_custom.json"))

    page = connector(fields={"transactions_list": "data.sales"}).fetch_purchases(None)

    assert page.purchases == []
    assert all("fields.transaction_id" in u.reason for u in page.unreadable) and page.unreadable


def test_transaction_without_currency_uses_the_default_currency(api: responses.RequestsMock) -> None:
    body = fixture("transactions_page2.json")
    del body["transactions"][0]["currency"]
    api.get(f"{BASE}/transactions", json=body)

    page = connector(default_currency="CHF").fetch_purchases(None)

    assert page.purchases[0].currency == "CHF"


def test_non_utc_offsets_are_kept(api: responses.RequestsMock) -> None:
    body = fixture("transactions_page2.json")
    body["transactions"][0]["timestamp"] = "2025-05-01T12:00:00-05:00"
    api.get(f"{BASE}/transactions", json=body)

    purchase = connector().fetch_purchases(None).purchases[0]

    assert purchase.occurred_at.tzinfo == timezone(timedelta(hours=-5))


# -- pushes ------------------------------------------------------------------------------------------


def test_menu_push_puts_the_items_with_the_idempotency_key(api: responses.RequestsMock) -> None:
    api.put(f"{BASE}/menu", json={"ok": True},
            match=[matchers.header_matcher({"Idempotency-Key": "run-7-conn-3"})])

    connector().push_menu([menu_item(description="Romaine, parmesan", location_external_ids=["FR-0001"]),
                           menu_item(sku="BOWL-VEGAN", name="Vegan Buddha Bowl", removed=True)],
                          "run-7-conn-3")

    assert sent_json(api.calls[0]) == {"items": [
        {"sku": "SALAD-CAESAR", "name": "Chicken Caesar Salad", "description": "Romaine, parmesan",
         "price": "8.90", "currency": "EUR", "available": True, "fridge_ids": ["FR-0001"]},
        {"sku": "BOWL-VEGAN", "name": "Vegan Buddha Bowl", "price": "8.90", "currency": "EUR",
         "available": True, "removed": True},
    ]}


def test_a_menu_push_the_vendor_applied_only_in_part_is_not_reported_as_done(
    api: responses.RequestsMock,
) -> None:
    api.put(f"{BASE}/menu", json=fixture("menu_push_partial.json"))

    with pytest.raises(ConnectorError) as caught:
        connector().push_menu([menu_item(), menu_item(sku="BOWL-VEGAN", name="Vegan Buddha Bowl")], "run-8")

    assert caught.value.kind is ErrorKind.PERMANENT
    assert "unknown sku BOWL-VEGAN" in caught.value.message


def test_a_multi_status_answer_to_a_push_is_not_reported_as_done(api: responses.RequestsMock) -> None:
    api.put(f"{BASE}/menu", json={"results": [{"sku": "SALAD-CAESAR", "status": 200}]}, status=207)

    with pytest.raises(ConnectorError) as caught:
        connector().push_menu([menu_item()], "run-9")

    assert caught.value.kind is ErrorKind.PERMANENT
    assert "207" in caught.value.message


def test_a_list_without_the_configured_field_is_the_configurations_fault(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/fridges", json={"devices": []})

    with pytest.raises(ConnectorError) as caught:
        connector().fetch_status()

    assert (caught.value.kind, caught.value.fault) == (ErrorKind.PERMANENT, Fault.CONFIGURATION)


def test_menu_push_writes_configured_field_names_and_method(api: responses.RequestsMock) -> None:
    api.post(f"{BASE}/catalog/products", status=204)

    connector(
        menu_method="POST",
        paths={"menu": "/catalog/products"},
        fields={"menu_items": "", "menu_sku": "code", "menu_price": "price.amount",
                "menu_currency": "price.currency", "menu_available": "in_stock"},
    ).push_menu([menu_item()], "key-1")

    assert sent_json(api.calls[0]) == [
        {"code": "SALAD-CAESAR", "name": "Chicken Caesar Salad",
         "price": {"amount": "8.90", "currency": "EUR"}, "in_stock": True},
    ]


def test_coupon_push_is_unsupported_without_a_coupons_path() -> None:
    with pytest.raises(Unsupported) as caught:
        connector().push_coupons([CouponData("SPRING10", "Spring", "percent", percent_off="10")], "key-1")

    assert "paths.coupons" in caught.value.message


def test_coupon_push_posts_to_the_configured_path_with_the_idempotency_key(
    api: responses.RequestsMock,
) -> None:
    api.post(f"{BASE}/promotions", json={"ok": True},
             match=[matchers.header_matcher({"Idempotency-Key": "run-8"})])
    coupon = CouponData("SPRING10", "Spring", "percent", percent_off="10",
                        valid_until=datetime(2025, 6, 1, tzinfo=UTC), skus=["SALAD-CAESAR"])

    connector(paths={"coupons": "/promotions"}).push_coupons([coupon], "run-8")

    assert sent_json(api.calls[0]) == {"coupons": [
        {"code": "SPRING10", "name": "Spring", "discount_type": "percent", "percent_off": "10",
         "valid_until": "2025-06-01T00:00:00+00:00", "skus": ["SALAD-CAESAR"], "active": True},
    ]}


# -- errors ------------------------------------------------------------------------------------------


def test_rejected_key_is_permanent_with_the_vendors_message(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/fridges", status=401, json=fixture("error_unauthorized.json"))

    with pytest.raises(ConnectorError) as caught:
        connector().fetch_status()

    assert (caught.value.kind, caught.value.status) == (ErrorKind.PERMANENT, 401)
    assert "API key revoked for account 311" in caught.value.message


def test_rejected_push_is_permanent_with_the_nested_vendor_message(api: responses.RequestsMock) -> None:
    api.put(f"{BASE}/menu", status=422, json=fixture("error_validation.json"))

    with pytest.raises(ConnectorError) as caught:
        connector().push_menu([menu_item()], "key-1")

    assert caught.value.kind is ErrorKind.PERMANENT
    assert "price must be a positive amount (sku SALAD-CAESAR)" in caught.value.message


def test_unknown_path_is_permanent(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/transactions", status=404, body="Not Found")

    with pytest.raises(ConnectorError) as caught:
        connector().fetch_purchases(None)

    assert caught.value.kind is ErrorKind.PERMANENT


def test_rate_limited_response_is_retried_after_its_delay(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/inventory", status=429, json=fixture("error_rate_limited.json"),
            headers={"Retry-After": "42"})

    with pytest.raises(ConnectorError) as caught:
        connector().fetch_inventory()

    assert (caught.value.kind, caught.value.retry_after) == (ErrorKind.RATE_LIMITED, 42.0)
    assert "Rate limit exceeded" in caught.value.message


def test_server_error_is_transient(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/fridges", status=503, body="upstream unavailable")

    with pytest.raises(ConnectorError) as caught:
        connector().fetch_status()

    assert caught.value.kind is ErrorKind.TRANSIENT


def test_timeout_is_transient(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/fridges", body=requests.ReadTimeout("read timed out"))

    with pytest.raises(ConnectorError) as caught:
        connector().fetch_status()

    assert caught.value.kind is ErrorKind.TRANSIENT


def test_refused_connection_is_transient(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/fridges", body=requests.ConnectionError("connection refused"))

    with pytest.raises(ConnectorError) as caught:
        connector().fetch_status()

    assert caught.value.kind is ErrorKind.TRANSIENT


def test_html_instead_of_json_is_permanent(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/fridges", body="<html>Login</html>", content_type="text/html")

    with pytest.raises(ConnectorError) as caught:
        connector().fetch_status()

    assert caught.value.kind is ErrorKind.PERMANENT
    assert "base URL" in caught.value.message

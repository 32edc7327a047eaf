"""Specification of the Shopify connector, against the GraphQL Admin API mocked with `responses`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
import requests
import responses
from graphql import parse, validate

from hub.connectors.base import Capability, ConnectorError, CouponData, ErrorKind, Fault, MenuItemData
from hub.connectors.shopify import ShopifyConnector, queries
from hub.connectors.shopify.client import shop_domain
from tests.connectors.shopify_contract import admin_schema, document_problems

FIXTURES = Path(__file__).parent.parent / "fixtures" / "shopify"
ENDPOINT = "https://acme-foods.myshopify.com/admin/api/2025-07/graphql.json"
TOKEN = "shpat_test_token"
SECRET = "shpss_app_secret_9"
CANAL = "gid://shopify/Location/71234567890"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def connector(**settings) -> ShopifyConnector:
    return ShopifyConnector({"shop": "acme-foods", **settings},
                            {"access_token": TOKEN, "webhook_secret": SECRET})


class GraphQLMock:
    """Answers each GraphQL operation, by name, with the next queued response; records the calls."""

    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.queue: dict[str, list[tuple[int, dict, object]]] = {}
        self.calls: list[tuple[str, dict]] = []
        self.documents: list[tuple[str, str]] = []
        self.headers: list[dict] = []
        rsps.add_callback(responses.POST, ENDPOINT, callback=self._answer)

    def on(self, operation: str, *fixtures: str, status: int = 200, headers: dict | None = None) -> None:
        for name in fixtures:
            self.queue.setdefault(operation, []).append((status, headers or {}, fixture(name)))

    def _answer(self, request):
        payload = json.loads(request.body)
        operation = re.match(r"\s*(?:query|mutation)\s+(\w+)", payload["query"]).group(1)
        self.calls.append((operation, payload["variables"]))
        self.documents.append((operation, payload["query"]))
        self.headers.append(dict(request.headers))
        status, headers, body = self.queue[operation].pop(0)
        return status, headers, json.dumps(body)

    def document(self, operation: str) -> str:
        return next(q for op, q in self.documents if op == operation)

    def operations(self) -> list[str]:
        return [op for op, _ in self.calls]

    def variables(self, operation: str) -> list[dict]:
        return [v for op, v in self.calls if op == operation]


@pytest.fixture
def gql():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock = GraphQLMock(rsps)
        yield mock
        assert all(not q for q in mock.queue.values()), f"unused responses: {mock.queue}"
        # Every document sent keeps the documented Admin API types (see tests/connectors/shopify_contract.py).
        broken = {op: p for (op, q), (_, v) in zip(mock.documents, mock.calls, strict=True)
                  if (p := document_problems(q, v))}
        assert not broken, f"GraphQL requests that break Shopify's Admin API: {broken}"


# ---- description and addressing ------------------------------------------------------------------

def test_schemas_are_valid_json_schema_with_titles_for_every_field():
    for schema in (ShopifyConnector.settings_schema, ShopifyConnector.credentials_schema):
        jsonschema.Draft202012Validator.check_schema(schema)
        assert all("title" in p and "description" in p for p in schema["properties"].values())


def test_describe_lists_every_capability():
    assert set(ShopifyConnector.describe()["capabilities"]) == {c.value for c in Capability}


@pytest.mark.parametrize("value", ["acme-foods", "acme-foods.myshopify.com", "https://Acme-Foods.myshopify.com/admin"])
def test_shop_domain_accepts_the_forms_staff_paste(value):
    assert shop_domain(value) == "acme-foods.myshopify.com"


def test_connection_test_posts_to_the_versioned_endpoint_with_the_access_token(gql):
    gql.on("Shop", "shop.json")
    gql.on("Locations", "locations_page1.json", "locations_page2.json")
    connector().test_connection()
    assert gql.operations() == ["Shop", "Locations", "Locations"]
    assert gql.headers[0]["X-Shopify-Access-Token"] == TOKEN


def test_configured_api_version_is_used():
    url = "https://acme-foods.myshopify.com/admin/api/2025-10/graphql.json"
    with responses.RequestsMock() as rsps:
        rsps.post(url, json=fixture("shop.json"))
        rsps.post(url, json=fixture("locations_page2.json"))
        connector(api_version="2025-10").test_connection()


# ---- status and inventory ------------------------------------------------------------------------

def test_status_follows_pages_and_reports_inactive_locations_offline(gql):
    gql.on("Locations", "locations_page1.json", "locations_page2.json")
    status = connector().fetch_status()
    assert [(s.external_id, s.name, s.online) for s in status] == [
        (CANAL, "Canal Street store", True),
        ("gid://shopify/Location/71234567891", "Airport kiosk (closed)", False),
    ]
    assert gql.variables("Locations") == [{"after": None}, {"after": "eyJsYXN0X2lkIjo3MTIzNDU2Nzg5MH0="}]


def test_location_filter_accepts_the_number_from_the_admin(gql):
    gql.on("Locations", "locations_page1.json", "locations_page2.json")
    assert [s.external_id for s in connector(location_ids=["71234567890"]).fetch_status()] == [CANAL]


def test_unknown_configured_location_fails_permanently(gql):
    gql.on("Locations", "locations_page1.json", "locations_page2.json")
    with pytest.raises(ConnectorError) as err:
        connector(location_ids=["999"]).fetch_status()
    assert err.value.kind is ErrorKind.PERMANENT
    assert "gid://shopify/Location/999" in err.value.message


def test_inventory_reads_available_quantities_of_active_locations_page_by_page(gql):
    gql.on("Locations", "locations_page1.json", "locations_page2.json")
    gql.on("Levels", "inventory_levels_page1.json", "inventory_levels_page2.json")
    counts = connector().fetch_inventory()
    assert [(c.location_external_id, c.sku, c.quantity) for c in counts] == [
        (CANAL, "SALAD-CAESAR", 12),
        (CANAL, "gid://shopify/ProductVariant/45000000002", -1),  # no sku: the variant id
        (CANAL, "SOUP-TOMATO", 4),
    ]
    assert gql.variables("Levels") == [{"id": CANAL, "after": None},
                                       {"id": CANAL, "after": "eyJsYXN0X2lkIjoyfQ=="}]


# ---- purchases -----------------------------------------------------------------------------------

def test_first_purchase_page_maps_pos_orders_and_asks_for_more(gql):
    gql.on("Orders", "orders_page1.json")
    page = connector(channels=["pos", "web"]).fetch_purchases(None)

    assert gql.variables("Orders") == [{"after": None, "query": "(channel:pos OR channel:web)"}]
    assert page.has_more is True
    assert json.loads(page.next_cursor) == {"since": None, "newest": "2025-05-01T10:03:00Z",
                                            "page": "eyJsYXN0X2lkIjo1NTAwMDAwMDAyfQ=="}
    pos, web = page.purchases
    assert pos.external_id == "gid://shopify/Order/5500000001"
    assert pos.location_external_id == CANAL
    assert pos.occurred_at == datetime(2025, 5, 1, 10, 0, 5, tzinfo=UTC)
    assert (pos.total, pos.currency, pos.payment_state) == ("16.10", "USD", "paid_at_pos")
    assert pos.coupon_codes == ["SUMMER10"]
    assert pos.customer_key == "gid://shopify/Customer/7001"
    (line,) = pos.lines
    assert (line.sku, line.quantity, line.unit_price, line.line_total, line.name) == (
        "SALAD-CAESAR", 2, "8.95", "16.10", "Caesar salad")
    assert web.payment_state == "prepaid"  # paid online before it reached the store
    assert web.customer_key is None
    assert web.lines[0].sku == "gid://shopify/ProductVariant/45000000002"


def test_second_purchase_page_continues_after_the_end_cursor_and_closes_the_poll(gql):
    gql.on("Orders", "orders_page2.json")
    cursor = json.dumps({"since": "2025-05-01T09:00:00Z", "newest": "2025-05-01T10:03:00Z",
                         "page": "eyJsYXN0X2lkIjo1NTAwMDAwMDAyfQ=="})
    page = connector().fetch_purchases(cursor)

    assert gql.variables("Orders") == [{"after": "eyJsYXN0X2lkIjo1NTAwMDAwMDAyfQ==",
                                        "query": "(channel:pos) updated_at:>='2025-05-01T09:00:00Z'"}]
    assert page.has_more is False
    (unpaid,) = page.purchases  # the cancelled order is not a purchase
    assert unpaid.payment_state == "unpaid"
    # newest update 10:06 (the cancelled order), minus the two-minute overlap
    assert json.loads(page.next_cursor) == {"since": "2025-05-01T10:04:00Z"}


def test_a_poll_without_orders_keeps_its_cursor(gql):
    gql.on("Orders", "orders_empty.json")
    page = connector().fetch_purchases('{"since": "2025-05-01T10:04:00Z"}')
    assert page.purchases == [] and json.loads(page.next_cursor) == {"since": "2025-05-01T10:04:00Z"}


def test_orders_of_other_locations_are_left_out_when_locations_are_configured(gql):
    gql.on("Orders", "orders_page2.json")
    assert connector(location_ids=["123"]).fetch_purchases(None).purchases == []


def test_yen_orders_keep_whole_yen(gql):
    gql.on("Orders", "orders_jpy.json")
    (order,) = connector().fetch_purchases(None).purchases
    assert (order.total, order.currency) == ("540", "JPY")
    assert (order.lines[0].unit_price, order.lines[0].line_total) == ("180", "540")


def test_an_order_still_open_at_the_till_is_not_a_purchase_yet(gql):
    gql.on("Orders", "orders_open.json")
    page = connector().fetch_purchases(None)
    assert page.purchases == [] and page.unreadable == []


def test_an_open_order_is_recorded_once_from_its_final_version_when_it_comes_back(gql):
    gql.on("Orders", "orders_open.json", "orders_closed.json")
    first = connector().fetch_purchases(None)
    final = connector().fetch_purchases(first.next_cursor)

    assert gql.variables("Orders")[1]["query"] == "(channel:pos) updated_at:>='2025-05-01T09:58:30Z'"
    (purchase,) = final.purchases
    assert (purchase.total, purchase.lines[0].quantity) == ("16.10", 2)


def test_an_order_the_hub_cannot_read_is_set_aside_and_the_poll_moves_on(gql):
    gql.on("Orders", "orders_missing_fields.json")
    page = connector(channels=["pos", "web"]).fetch_purchases(None)

    assert [p.external_id for p in page.purchases] == ["gid://shopify/Order/5500000001",
                                                      "gid://shopify/Order/5500000002"]
    (unreadable,) = page.unreadable
    assert (unreadable.kind, unreadable.external_id) == ("purchase", "gid://shopify/Order/5500000009")
    assert unreadable.raw["name"] == "#1001"
    assert "createdAt" in unreadable.reason
    assert json.loads(page.next_cursor) == {"since": "2025-05-01T10:01:00Z"}


def test_a_set_aside_order_is_read_again_from_its_raw_record():
    order = fixture("orders_closed.json")["data"]["orders"]["nodes"][0]
    assert connector().read_purchase(order).external_id == "gid://shopify/Order/5500000001"


def test_a_set_aside_order_still_open_reads_as_not_final():
    assert connector().read_purchase(fixture("orders_open.json")["data"]["orders"]["nodes"][0]) is None


def test_a_set_aside_order_still_unreadable_says_why():
    order = fixture("orders_missing_fields.json")["data"]["orders"]["nodes"][0]
    with pytest.raises(ValueError, match="createdAt"):
        connector().read_purchase(order)


def test_a_repeated_page_cursor_ends_the_poll_instead_of_asking_again(gql):
    gql.on("Orders", "orders_repeated_cursor.json")
    cursor = json.dumps({"since": "2025-05-01T09:00:00Z", "page": "eyJsYXN0X2lkIjo1NTAwMDAwMDAyfQ=="})
    page = connector().fetch_purchases(cursor)

    assert page.has_more is False
    assert json.loads(page.next_cursor) == {"since": "2025-05-01T09:59:00Z"}


def test_a_location_list_repeating_its_cursor_fails_instead_of_looping(gql):
    gql.on("Locations", "locations_page1.json", "locations_page1.json")
    with pytest.raises(ConnectorError) as err:
        connector().fetch_status()
    assert (err.value.kind, err.value.fault) == (ErrorKind.TRANSIENT, Fault.VENDOR)
    assert "repeated the page cursor" in err.value.message


def test_a_product_list_repeating_its_cursor_fails_instead_of_looping(gql):
    gql.on("Products", "products_page1.json", "products_page1.json")
    with pytest.raises(ConnectorError, match="repeated the page cursor"):
        connector().import_menu()


# ---- menu push -----------------------------------------------------------------------------------

def wrap(**overrides) -> MenuItemData:
    fields = {"sku": "WRAP-FALAFEL", "name": "Falafel wrap", "price": "7.50", "currency": "USD",
              "description": "Hummus, pickles", "category": "Wraps"}
    return MenuItemData(**{**fields, **overrides})


def test_new_item_is_created_with_product_set_and_published_to_point_of_sale(gql):
    gql.on("PushContext", "push_context.json")
    gql.on("VariantBySku", "variant_none.json")
    gql.on("ProductSet", "product_set.json")
    gql.on("Publish", "publish.json")
    connector().push_menu([wrap()], "delivery-1")

    assert gql.variables("VariantBySku") == [{"query": 'sku:"WRAP-FALAFEL"'}]
    (product_set,) = gql.variables("ProductSet")
    assert product_set["input"] == {
        "title": "Falafel wrap",
        "status": "ACTIVE",
        "descriptionHtml": "Hummus, pickles",
        "productType": "Wraps",
        "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
        "variants": [{"optionValues": [{"optionName": "Title", "name": "Default Title"}],
                      "price": "7.50", "sku": "WRAP-FALAFEL"}],
    }
    assert gql.variables("Publish") == [{"id": "gid://shopify/Product/9000000050",
                                         "input": [{"publicationId": "gid://shopify/Publication/1002"}]}]


def test_the_point_of_sale_channel_is_found_by_its_catalog_title_not_the_deprecated_name(gql):
    gql.on("PushContext", "push_context.json")
    gql.on("VariantBySku", "variant_none.json")
    gql.on("ProductSet", "product_set.json")
    gql.on("Publish", "publish.json")
    connector().push_menu([wrap()], "delivery-1")

    assert [v["input"] for v in gql.variables("Publish")] == [[{"publicationId": "gid://shopify/Publication/1002"}]]
    assert gql.document("PushContext").count("name") == 0


def test_a_new_item_fails_when_the_store_has_no_point_of_sale_channel_for_the_app(gql):
    gql.on("PushContext", "push_context_without_pos.json")
    gql.on("VariantBySku", "variant_none.json")
    with pytest.raises(ConnectorError) as err:
        connector().push_menu([wrap()], "delivery-1")
    assert (err.value.kind, err.value.fault) == (ErrorKind.PERMANENT, Fault.CONFIGURATION)
    assert "Point of Sale" in err.value.message
    assert "ProductSet" not in gql.operations()  # nothing half-made: no product the till never shows


def test_a_price_change_refused_for_some_variants_is_not_reported_as_done(gql):
    gql.on("PushContext", "push_context.json")
    gql.on("VariantBySku", "variant_found.json")
    gql.on("VariantsUpdate", "variants_update_partial.json")
    with pytest.raises(ConnectorError) as err:
        connector().push_menu([wrap(sku="SALAD-CAESAR")], "delivery-9")
    assert err.value.kind is ErrorKind.PERMANENT
    assert "variants.1.price: Price must be greater than or equal to 0" in err.value.message


def test_a_fuzzy_sku_match_is_not_taken_for_the_item(gql):
    gql.on("PushContext", "push_context.json")
    gql.on("VariantBySku", "variant_fuzzy_only.json")
    gql.on("ProductSet", "product_set.json")
    gql.on("Publish", "publish.json")
    connector().push_menu([wrap()], "delivery-2")
    assert "ProductSet" in gql.operations()


def test_existing_item_gets_its_price_and_sku_and_is_drafted_when_unavailable(gql):
    gql.on("PushContext", "push_context.json")
    gql.on("VariantBySku", "variant_found.json")
    gql.on("VariantsUpdate", "variants_update.json")
    gql.on("ProductUpdate", "product_update.json")
    connector().push_menu([wrap(sku="SALAD-CAESAR", name="Caesar salad", price="9.25", category="Mains",
                                available=False)], "delivery-3")

    assert gql.variables("VariantsUpdate") == [{
        "productId": "gid://shopify/Product/9000000001",
        "variants": [{"id": "gid://shopify/ProductVariant/45000000001", "price": "9.25",
                      "inventoryItem": {"sku": "SALAD-CAESAR"}}],
    }]
    assert gql.variables("ProductUpdate") == [{"product": {
        "id": "gid://shopify/Product/9000000001", "title": "Caesar salad", "status": "DRAFT",
        "descriptionHtml": "Hummus, pickles", "productType": "Mains"}}]


def test_a_variant_of_a_multi_variant_product_only_gets_price_and_sku(gql):
    gql.on("PushContext", "push_context.json")
    gql.on("VariantBySku", "variant_found_multi.json")
    gql.on("VariantsUpdate", "variants_update.json")
    connector().push_menu([wrap(sku="COFFEE-LARGE", name="Coffee (Large)", price="3.20")], "delivery-4")
    assert "ProductUpdate" not in gql.operations()


def test_removed_items_are_archived_or_lose_just_their_variant(gql):
    gql.on("PushContext", "push_context.json")
    gql.on("VariantBySku", "variant_found.json", "variant_found_multi.json", "variant_none.json")
    gql.on("ProductUpdate", "product_update.json")
    gql.on("VariantsDelete", "variants_delete.json")
    connector().push_menu([wrap(sku="SALAD-CAESAR", removed=True), wrap(sku="COFFEE-LARGE", removed=True),
                           wrap(sku="GONE", removed=True)], "delivery-5")
    assert gql.variables("ProductUpdate") == [{"product": {"id": "gid://shopify/Product/9000000001",
                                                           "status": "ARCHIVED"}}]
    assert gql.variables("VariantsDelete") == [{"productId": "gid://shopify/Product/9000000009",
                                                "variantsIds": ["gid://shopify/ProductVariant/45000000009"]}]


def test_prices_in_another_currency_than_the_shop_are_refused(gql):
    gql.on("PushContext", "push_context.json")
    gql.on("VariantBySku", "variant_none.json")
    with pytest.raises(ConnectorError) as err:
        connector().push_menu([wrap(currency="EUR")], "delivery-6")
    assert err.value.kind is ErrorKind.PERMANENT
    assert "EUR" in err.value.message and "USD" in err.value.message


def test_user_errors_of_a_mutation_are_permanent_with_shopifys_message(gql):
    gql.on("PushContext", "push_context.json")
    gql.on("VariantBySku", "variant_none.json")
    gql.on("ProductSet", "product_set_user_errors.json")
    with pytest.raises(ConnectorError) as err:
        connector().push_menu([wrap(price="-1.00")], "delivery-7")
    assert err.value.kind is ErrorKind.PERMANENT
    assert err.value.vendor_code == "INVALID_VARIANT"
    assert "input.variants.0.price: Price must be greater than or equal to 0" in err.value.message


# ---- coupons -------------------------------------------------------------------------------------

def test_new_percentage_coupon_is_a_basic_code_discount_for_all_buyers(gql):
    gql.on("DiscountByCode", "discount_by_code_none.json")
    gql.on("DiscountCreate", "discount_create.json")
    connector().push_coupons([CouponData(
        code="SPRING15", name="Spring", discount_type="percent", percent_off="15",
        valid_from=datetime(2025, 3, 20, tzinfo=UTC), valid_until=datetime(2025, 6, 20, tzinfo=UTC))], "c-1")
    assert gql.variables("DiscountCreate") == [{"discount": {
        "title": "Spring", "code": "SPRING15",
        "startsAt": "2025-03-20T00:00:00Z", "endsAt": "2025-06-20T00:00:00Z",
        "context": {"all": "ALL"},
        "customerGets": {"value": {"percentage": 0.15}, "items": {"all": True}},
    }}]


def test_existing_fixed_coupon_for_some_skus_is_updated(gql):
    gql.on("DiscountByCode", "discount_by_code_found.json")
    gql.on("VariantBySku", "variant_found.json")
    gql.on("Shop", "shop.json")
    gql.on("DiscountUpdate", "discount_update.json")
    connector().push_coupons([CouponData(code="SALAD2", name="Two off salads", discount_type="fixed",
                                         amount_off="2.00", currency="USD", skus=["SALAD-CAESAR"])], "c-2")
    (update,) = gql.variables("DiscountUpdate")
    assert update["id"] == "gid://shopify/DiscountCodeNode/1200000001"
    assert update["discount"]["customerGets"] == {
        "value": {"discountAmount": {"amount": "2.00", "appliesOnEachItem": False}},
        "items": {"products": {"productVariantsToAdd": ["gid://shopify/ProductVariant/45000000001"]}},
    }
    assert update["discount"]["endsAt"] is None


def test_a_coupon_for_some_locations_cannot_be_applied_since_code_discounts_apply_everywhere(gql):
    with pytest.raises(ConnectorError) as err:
        connector().push_coupons([CouponData(code="CANAL5", name="Canal only", discount_type="percent",
                                             percent_off="5", location_external_ids=[CANAL])], "c-5")
    assert err.value.kind is ErrorKind.PERMANENT
    assert "cannot be applied" in err.value.message
    assert "DiscountCreate" not in gql.operations()


def test_a_coupon_whose_skus_are_partly_missing_fails_naming_them(gql):
    gql.on("DiscountByCode", "discount_by_code_none.json")
    gql.on("VariantBySku", "variant_found.json", "variant_none.json")
    with pytest.raises(ConnectorError) as err:
        connector().push_coupons([CouponData(code="SALAD2", name="Two off", discount_type="percent",
                                             percent_off="5", skus=["SALAD-CAESAR", "SALAD-GREEK"])], "c-6")
    assert err.value.kind is ErrorKind.PERMANENT
    assert "SALAD-GREEK" in err.value.message
    assert "DiscountCreate" not in gql.operations()


def test_inactive_coupon_is_deactivated_and_unknown_inactive_ones_are_skipped(gql):
    gql.on("DiscountByCode", "discount_by_code_found.json", "discount_by_code_none.json")
    gql.on("DiscountDeactivate", "discount_deactivate.json")
    connector().push_coupons([
        CouponData(code="SUMMER10", name="Summer", discount_type="percent", percent_off="10", active=False),
        CouponData(code="NEVER", name="Never", discount_type="percent", percent_off="10", active=False),
    ], "c-3")
    assert gql.variables("DiscountDeactivate") == [{"id": "gid://shopify/DiscountCodeNode/1200000001"}]


def test_discount_user_errors_keep_shopifys_message(gql):
    gql.on("DiscountByCode", "discount_by_code_none.json")
    gql.on("DiscountCreate", "discount_create_user_errors.json")
    with pytest.raises(ConnectorError) as err:
        connector().push_coupons([CouponData(code="DUP", name="Dup", discount_type="percent",
                                             percent_off="5")], "c-4")
    assert err.value.kind is ErrorKind.PERMANENT
    assert "Code must be unique" in err.value.message


# ---- import --------------------------------------------------------------------------------------

def test_import_reads_every_page_and_skips_archived_products(gql):
    gql.on("Products", "products_page1.json", "products_page2.json")
    menu = connector().import_menu()
    assert [(m.sku, m.name, m.price, m.currency, m.category, m.available) for m in menu] == [
        ("SALAD-CAESAR", "Caesar salad", "8.95", "USD", "Mains", True),
        ("COFFEE-SMALL", "Coffee (Small)", "2.50", "USD", None, False),
        ("gid://shopify/ProductVariant/45000000009", "Coffee (Large)", "3.00", "USD", None, False),
    ]
    assert menu[0].description == "Romaine, parmesan, croutons"
    assert gql.variables("Products")[1] == {"after": "eyJsYXN0X2lkIjo5MDAwMDAwMDA5fQ=="}


# ---- errors --------------------------------------------------------------------------------------

def test_throttled_query_waits_until_its_cost_is_restored(gql):
    gql.on("Orders", "error_throttled.json")
    with pytest.raises(ConnectorError) as err:
        connector().fetch_purchases(None)
    assert err.value.kind is ErrorKind.RATE_LIMITED
    assert err.value.vendor_code == "THROTTLED"
    assert err.value.retry_after == 7.0  # (752 requested - 52 available) / 100 per second


def test_http_429_is_rate_limited_with_retry_after(gql):
    gql.on("Shop", "error_throttled.json", status=429, headers={"Retry-After": "2.0"})
    with pytest.raises(ConnectorError) as err:
        connector().test_connection()
    assert err.value.kind is ErrorKind.RATE_LIMITED
    assert err.value.retry_after == 2.0


def test_missing_access_scope_is_the_configurations_fault(gql):
    gql.on("Shop", "error_access_denied.json")
    with pytest.raises(ConnectorError) as err:
        connector().test_connection()
    assert err.value.fault is Fault.CONFIGURATION


def test_invalid_token_is_permanent_with_shopifys_message(gql):
    gql.on("Shop", "error_unauthorized.json", status=401)
    with pytest.raises(ConnectorError) as err:
        connector().test_connection()
    assert err.value.kind is ErrorKind.PERMANENT
    assert "Invalid API key or access token" in err.value.message


def test_missing_access_scope_is_permanent_with_shopifys_message(gql):
    gql.on("Orders", "error_access_denied.json")
    with pytest.raises(ConnectorError) as err:
        connector().fetch_purchases(None)
    assert err.value.kind is ErrorKind.PERMANENT
    assert err.value.vendor_code == "ACCESS_DENIED"
    assert "read_orders" in err.value.message


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(gql, status):
    gql.on("Shop", "error_internal.json", status=status)
    with pytest.raises(ConnectorError) as err:
        connector().test_connection()
    assert err.value.kind is ErrorKind.TRANSIENT


def test_internal_error_inside_a_200_answer_is_transient(gql):
    gql.on("Shop", "error_internal.json")
    with pytest.raises(ConnectorError) as err:
        connector().test_connection()
    assert err.value.kind is ErrorKind.TRANSIENT


def test_a_timeout_is_transient():
    with responses.RequestsMock() as rsps:
        rsps.post(ENDPOINT, body=requests.ConnectTimeout("connect timed out"))
        with pytest.raises(ConnectorError) as err:
            connector().test_connection()
    assert err.value.kind is ErrorKind.TRANSIENT


# ---- webhooks ------------------------------------------------------------------------------------

BODY = (FIXTURES / "webhook_orders_create.json").read_bytes()


def shopify_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_signature_matches_a_known_vector():
    body = b'{"event_id":"e1","type":"order.updated"}'
    headers = {"X-Shopify-Hmac-Sha256": "IZXeiy3ztxkSt9zvnEgkzjLp1TlPbbNVyYZyTuCePCg="}
    assert connector().verify_callback(headers, body, "https://hub.example.com/v1/webhooks/c2") is True


def test_valid_signature_is_accepted_whatever_the_header_case():
    headers = {"x-shopify-hmac-sha256": shopify_signature(SECRET, BODY)}
    assert connector().verify_callback(headers, BODY, "https://hub.example.com/v1/webhooks/c2") is True


def test_tampered_body_is_refused():
    headers = {"X-Shopify-Hmac-Sha256": shopify_signature(SECRET, BODY)}
    assert connector().verify_callback(headers, BODY.replace(b"16.10", b"0.10"), "https://h/x") is False


def test_signature_made_with_another_secret_is_refused():
    headers = {"X-Shopify-Hmac-Sha256": shopify_signature("another-secret", BODY)}
    assert connector().verify_callback(headers, BODY, "https://h/x") is False


def test_missing_signature_header_is_refused():
    assert connector().verify_callback({"X-Shopify-Topic": "orders/create"}, BODY, "https://h/x") is False


def test_without_a_secret_every_callback_is_refused():
    bare = ShopifyConnector({"shop": "acme-foods"}, {"access_token": TOKEN})
    headers = {"X-Shopify-Hmac-Sha256": shopify_signature("", BODY)}
    assert bare.verify_callback(headers, BODY, "https://h/x") is False


def test_callback_uses_the_event_id_header_and_topic():
    hint = connector().parse_callback({"X-Shopify-Topic": "orders/create",
                                       "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
                                       "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"}, BODY)
    assert (hint.event_id, hint.event_type, hint.poll_now) == (
        "98880550-7158-44d4-b7cd-2c97c8a091b5", "orders/create", True)


def test_callback_falls_back_to_the_webhook_id():
    hint = connector().parse_callback({"x-shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"}, BODY)
    assert hint.event_id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"


# ---- the Admin API contract check ----------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in dir(queries) if n.isupper()])
def test_every_document_the_connector_has_keeps_the_documented_admin_api(name):
    assert [e.message for e in validate(admin_schema(), parse(getattr(queries, name)))] == []


def test_the_contract_check_refuses_the_deprecated_publication_name():
    assert document_problems("query P { publications(first: 5) { nodes { id name } } }", None)


def test_the_contract_check_refuses_an_input_field_shopify_does_not_document():
    variables = {"productId": "gid://shopify/Product/1",
                 "variants": [{"id": "gid://shopify/ProductVariant/1", "sold_out": True}]}
    assert any("sold_out" in p for p in document_problems(queries.VARIANTS_UPDATE, variables))


def test_the_contract_check_refuses_a_misspelt_enum_value():
    variables = {"product": {"id": "gid://shopify/Product/1", "status": "HIDDEN"}}
    assert document_problems(queries.PRODUCT_UPDATE, variables)

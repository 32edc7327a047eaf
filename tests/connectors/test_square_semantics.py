"""What Square does with what the hub sends and reads (issue 11): meaning, not only shape."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest
from responses import matchers

from hub.connectors.base import ConnectorError, CouponData, ErrorKind, MenuItemData
from hub.connectors.square.client import MAX_PAGES  # noqa: F401 - missing before the fix
from hub.work.failures import Fault
from tests.connectors.square_contract import SquareMock
from tests.connectors.square_double import upsert_callback
from tests.connectors.square_support import API, connector, fixture, sent_json

RUNAWAY = 25  # a test's mock gives up after this many identical requests


@pytest.fixture(autouse=True)
def rsps():
    """Square's API, mocked; every request any test here sends is held to Square's contract."""
    with SquareMock() as mock:
        yield mock


def catalog(rsps) -> None:
    rsps.get(f"{API}/v2/catalog/list", json=fixture("catalog_list.json"))


def upserted_objects(rsps) -> list[dict]:
    (call,) = [c for c in rsps.calls if c.request.url.endswith("/v2/catalog/batch-upsert")]
    return sent_json(call)["batches"][0]["objects"]


def menu_item(**fields) -> MenuItemData:
    return MenuItemData(**{"name": "Caesar salad", "price": "8.95", "currency": "USD", **fields})


# ---- 1. paging -----------------------------------------------------------------------------------

def test_device_paging_stops_when_square_repeats_a_cursor(rsps):
    calls = itertools.count(1)

    def same_page(request):
        if next(calls) > RUNAWAY:
            raise RuntimeError("runaway paging")
        return 200, {}, json.dumps(fixture("devices_repeated_cursor.json"))

    rsps.get(f"{API}/v2/locations", json=fixture("locations.json"))
    rsps.add_callback("GET", f"{API}/v2/devices", callback=same_page)
    with pytest.raises(ConnectorError) as err:
        connector().fetch_status()
    assert "repeated" in err.value.message and "/v2/devices" in err.value.message
    assert (err.value.kind, err.value.fault) == (ErrorKind.TRANSIENT, Fault.VENDOR)
    assert len([c for c in rsps.calls if "/v2/devices" in c.request.url]) == 2


def test_a_listing_stops_after_the_page_cap_even_with_new_cursors(rsps):
    pages = itertools.count(1)

    def endless(request):
        page = next(pages)
        if page > MAX_PAGES + RUNAWAY:
            raise RuntimeError("runaway paging")
        return 200, {}, json.dumps({"devices": [], "cursor": f"DEVICES-PAGE-{page + 1}"})

    rsps.get(f"{API}/v2/locations", json=fixture("locations.json"))
    rsps.add_callback("GET", f"{API}/v2/devices", callback=endless)
    with pytest.raises(ConnectorError) as err:
        connector().fetch_status()
    assert f"{MAX_PAGES} pages" in err.value.message
    assert len([c for c in rsps.calls if "/v2/devices" in c.request.url]) == MAX_PAGES


def test_an_order_search_that_repeats_its_cursor_ends_the_paging_by_time(rsps):
    page = fixture("orders_search_page2.json") | {"cursor": "ORDERS-PAGE-2"}
    rsps.post(f"{API}/v2/orders/search", json=page)
    rsps.post(f"{API}/v2/catalog/batch-retrieve", json=fixture("catalog_batch_retrieve.json"))
    cursor = json.dumps({"since": "2025-05-01T09:00:00.000Z", "page": "ORDERS-PAGE-2"})
    result = connector(location_ids=["L1GRANTPARK"]).fetch_purchases(cursor)
    assert result.has_more is False
    assert json.loads(result.next_cursor) == {"since": "2025-05-01T10:07:00.000Z"}


# ---- 2. availability ---------------------------------------------------------------------------

def test_unavailable_variation_is_removed_from_every_location_not_marked_sold_out(rsps):
    catalog(rsps)
    rsps.add_callback("POST", f"{API}/v2/catalog/batch-upsert", callback=upsert_callback)
    connector(location_ids=["L1GRANTPARK", "L2MIDTOWN"]).push_menu(
        [menu_item(sku="SALAD-CAESAR", available=False)], "delivery-50")
    (item,) = upserted_objects(rsps)
    (variation,) = item["item_data"]["variations"]
    assert (variation["present_at_all_locations"], variation["present_at_location_ids"]) == (False, [])
    assert all("sold_out" not in o for o in variation["item_variation_data"].get("location_overrides", []))
    assert item["present_at_location_ids"] == ["L1GRANTPARK", "L2MIDTOWN"]  # the item keeps its places


def test_available_again_puts_the_variation_back_where_its_item_is(rsps):
    catalog(rsps)
    rsps.add_callback("POST", f"{API}/v2/catalog/batch-upsert", callback=upsert_callback)
    connector().push_menu([menu_item(sku="SALAD-CAESAR", available=True)], "delivery-51")
    (variation,) = upserted_objects(rsps)[0]["item_data"]["variations"]
    assert variation["present_at_all_locations"] is True


def test_a_change_square_did_not_keep_fails_the_delivery_as_not_applied(rsps):
    catalog(rsps)
    # Square's answer still has the variation everywhere and at its old price.
    salad_as_it_was = fixture("catalog_list.json")["objects"][2]
    rsps.post(f"{API}/v2/catalog/batch-upsert", json={"objects": [salad_as_it_was]})
    with pytest.raises(ConnectorError) as err:
        connector().push_menu([menu_item(sku="SALAD-CAESAR", price="9.25", available=False)], "delivery-52")
    assert err.value.kind is ErrorKind.PERMANENT
    assert "not applied" in err.value.message
    assert "VAR_SALAD" in err.value.message and "price_money" in err.value.message


def test_unavailable_imported_variation_is_read_back_as_unavailable(rsps):
    listing = fixture("catalog_list.json")
    salad = listing["objects"][2]["item_data"]["variations"][0]
    salad.update(present_at_all_locations=False, present_at_location_ids=[])
    rsps.get(f"{API}/v2/catalog/list", json=listing)
    menu = {m.sku: m for m in connector().import_menu()}
    assert menu["SALAD-CAESAR"].available is False


# ---- 3. several variations of one item ----------------------------------------------------------

def test_two_variations_of_one_item_travel_in_one_item_object_with_both_new_prices(rsps):
    catalog(rsps)
    rsps.add_callback("POST", f"{API}/v2/catalog/batch-upsert", callback=upsert_callback)
    connector().push_menu([menu_item(sku="VAR_SOUP", name="Tomato soup (Bowl)", price="7.00"),
                           menu_item(sku="SOUP-CUP", name="Tomato soup (Cup)", price="4.50")], "delivery-53")
    (item,) = [o for o in upserted_objects(rsps) if o["type"] == "ITEM"]
    prices = {v["id"]: v["item_variation_data"]["price_money"]["amount"]
              for v in item["item_data"]["variations"]}
    assert prices == {"VAR_SOUP": 700, "VAR_SOUP_CUP": 450}


def test_a_variation_push_keeps_the_square_item_and_variation_names(rsps):
    catalog(rsps)
    rsps.add_callback("POST", f"{API}/v2/catalog/batch-upsert", callback=upsert_callback)
    connector().push_menu([menu_item(sku="SOUP-CUP", name="Tomato soup (Cup)", price="4.50")], "delivery-54")
    (item,) = upserted_objects(rsps)
    assert item["item_data"]["name"] == "Tomato soup"
    names = {v["id"]: v["item_variation_data"]["name"] for v in item["item_data"]["variations"]}
    assert names == {"VAR_SOUP": "Bowl", "VAR_SOUP_CUP": "Cup"}


def test_the_other_variations_of_an_item_are_sent_unchanged(rsps):
    catalog(rsps)
    rsps.add_callback("POST", f"{API}/v2/catalog/batch-upsert", callback=upsert_callback)
    connector().push_menu([menu_item(sku="SOUP-CUP", name="Tomato soup (Cup)", price="4.50")], "delivery-55")
    (item,) = upserted_objects(rsps)
    bowl = next(v for v in item["item_data"]["variations"] if v["id"] == "VAR_SOUP")
    assert bowl["item_variation_data"]["price_money"] == {"amount": 650, "currency": "USD"}
    assert bowl["present_at_all_locations"] is True
    # Its sold-out flag is Square's to keep (read-only): the override stays, without the flag.
    assert bowl["item_variation_data"]["location_overrides"] == [{"location_id": "L2MIDTOWN"}]


# ---- 4, 5. purchases are final orders; unreadable ones are set aside -----------------------------

def test_an_open_order_is_not_a_purchase_yet(rsps):
    rsps.post(f"{API}/v2/orders/search", json=fixture("orders_search_open.json"))
    rsps.post(f"{API}/v2/catalog/batch-retrieve", json=fixture("catalog_batch_retrieve.json"))
    page = connector(location_ids=["L1GRANTPARK"]).fetch_purchases(None)
    assert page.purchases == [] and page.unreadable == []


def test_an_order_seen_open_is_recorded_once_completed_with_its_final_lines(rsps):
    rsps.post(f"{API}/v2/orders/search", json=fixture("orders_search_open.json"))
    rsps.post(f"{API}/v2/orders/search", json=fixture("orders_search_completed.json"))
    rsps.post(f"{API}/v2/catalog/batch-retrieve", json=fixture("catalog_batch_retrieve.json"))
    square = connector(location_ids=["L1GRANTPARK"])
    first = square.fetch_purchases(None)
    second = square.fetch_purchases(first.next_cursor)

    searched_from = sent_json(rsps.calls[-2])["query"]["filter"]["date_time_filter"]["updated_at"]["start_at"]
    assert searched_from <= "2025-05-01T11:00:05.000Z"  # the cursor never passes an order not yet final
    (purchase,) = second.purchases
    assert (purchase.external_id, purchase.total, len(purchase.lines)) == ("ORD_LATE_9", "75.99", 2)


def test_the_order_search_asks_only_for_completed_orders(rsps):
    rsps.post(f"{API}/v2/orders/search", json=fixture("orders_search_empty.json"))
    connector(location_ids=["L1GRANTPARK"]).fetch_purchases(None)
    assert sent_json(rsps.calls[0])["query"]["filter"]["state_filter"] == {"states": ["COMPLETED"]}


def test_an_order_the_hub_cannot_read_is_set_aside_and_the_page_moves_on(rsps):
    rsps.post(f"{API}/v2/orders/search", json=fixture("orders_search_missing_updated_at.json"))
    rsps.post(f"{API}/v2/catalog/batch-retrieve", json=fixture("catalog_batch_retrieve.json"))
    page = connector(location_ids=["L1GRANTPARK", "L2MIDTOWN"]).fetch_purchases(None)
    assert [p.external_id for p in page.purchases] == ["ORD_ONLINE_2"]
    (unreadable,) = page.unreadable
    assert (unreadable.kind, unreadable.external_id) == ("purchase", "ORD_NO_TIMES")
    assert unreadable.raw == fixture("orders_search_missing_updated_at.json")["orders"][0]
    assert "updated_at" in unreadable.reason
    assert json.loads(page.next_cursor)["page"] == "ORDERS-PAGE-2"


def test_replaying_a_completed_order_reads_it(rsps):
    rsps.post(f"{API}/v2/catalog/batch-retrieve", json=fixture("catalog_batch_retrieve.json"))
    purchase = connector().read_purchase(fixture("orders_search_completed.json")["orders"][0])
    assert (purchase.total, purchase.lines[1].sku) == ("75.99", "VAR_SOUP")


@pytest.mark.parametrize("name", ["orders_search_open.json", "order_canceled.json"])
def test_replaying_an_order_that_is_not_completed_records_nothing(name):
    raw = fixture(name)
    order = raw["orders"][0] if "orders" in raw else raw
    assert connector().read_purchase(order) is None


def test_replaying_an_order_still_unreadable_says_why():
    with pytest.raises(ValueError, match="updated_at"):
        connector().read_purchase(fixture("orders_search_missing_updated_at.json")["orders"][0])


# ---- 6. coupons ----------------------------------------------------------------------------------

def coupon(**fields) -> CouponData:
    return CouponData(**{"code": "LUNCH20", "name": "Lunch", "discount_type": "percent", "percent_off": "20",
                         "skus": ["SALAD-CAESAR", "SOUP-CUP"],
                         "valid_from": datetime(2099, 6, 1, 16, 0, tzinfo=UTC),
                         "valid_until": datetime(2099, 6, 30, 22, 0, tzinfo=UTC), **fields})


def discounts_catalog(rsps) -> None:
    rsps.get(f"{API}/v2/catalog/list", json=fixture("catalog_list.json"),
             match=[matchers.query_param_matcher({"types": "ITEM,DISCOUNT,PRODUCT_SET,PRICING_RULE"})])


def test_a_coupon_for_two_skus_with_a_window_is_a_pricing_rule_over_a_product_set(rsps):
    discounts_catalog(rsps)
    rsps.get(f"{API}/v2/locations", json=fixture("locations.json"))
    rsps.add_callback("POST", f"{API}/v2/catalog/batch-upsert", callback=upsert_callback)
    connector(location_ids=["L1GRANTPARK"]).push_coupons([coupon()], "coupon-run-2")

    by_type = {o["type"]: o for o in upserted_objects(rsps)}
    assert by_type["PRODUCT_SET"]["product_set_data"]["product_ids_any"] == ["VAR_SALAD", "VAR_SOUP_CUP"]
    rule = by_type["PRICING_RULE"]["pricing_rule_data"]
    assert rule["discount_id"] == by_type["DISCOUNT"]["id"]
    assert rule["match_products_id"] == by_type["PRODUCT_SET"]["id"]
    # Square's window is in the location's local time: Grant Park is in Chicago (UTC-5 in June).
    assert (rule["valid_from_date"], rule["valid_from_local_time"]) == ("2099-06-01", "11:00:00")
    assert (rule["valid_until_date"], rule["valid_until_local_time"]) == ("2099-06-30", "17:00:00")
    for obj in by_type.values():
        assert (obj["present_at_all_locations"], obj["present_at_location_ids"]) == (False, ["L1GRANTPARK"])


def test_a_coupon_window_over_several_time_zones_cannot_be_applied(rsps):
    discounts_catalog(rsps)
    rsps.get(f"{API}/v2/locations", json=fixture("locations.json"))
    with pytest.raises(ConnectorError) as err:
        connector(location_ids=["L1GRANTPARK", "L2MIDTOWN"]).push_coupons([coupon()], "coupon-run-3")
    assert err.value.kind is ErrorKind.PERMANENT
    assert "cannot be applied" in err.value.message and "time zone" in err.value.message
    assert not any(c.request.url.endswith("/batch-upsert") for c in rsps.calls)


def test_a_coupon_for_a_sku_square_does_not_have_cannot_be_applied(rsps):
    discounts_catalog(rsps)
    with pytest.raises(ConnectorError) as err:
        connector().push_coupons([coupon(skus=["NOT-IN-SQUARE"], valid_from=None, valid_until=None)], "run-4")
    assert "cannot be applied" in err.value.message and "NOT-IN-SQUARE" in err.value.message


# ---- 7, 8. stale cursors; many locations ---------------------------------------------------------

def test_a_stale_page_cursor_is_dropped_when_square_returns_nothing_for_it(rsps):
    rsps.post(f"{API}/v2/orders/search", json=fixture("orders_search_empty.json"))
    page = connector(location_ids=["L1GRANTPARK"]).fetch_purchases('{"page": "123"}')
    assert page.has_more is False
    assert "page" not in json.loads(page.next_cursor)


def test_more_than_ten_locations_are_searched_ten_at_a_time(rsps):
    many = [f"L{i:02d}" for i in range(12)]
    rsps.post(f"{API}/v2/orders/search", json=fixture("orders_search_empty.json"))
    square = connector(location_ids=many)
    first = square.fetch_purchases(None)
    second = square.fetch_purchases(first.next_cursor)
    assert [sent_json(c)["location_ids"] for c in rsps.calls] == [many[:10], many[10:]]
    assert (first.has_more, second.has_more) == (True, False)


# ---- 9. answers that are not Square's --------------------------------------------------------------

@pytest.mark.parametrize("body", ["[]", '"ok"', "null", "42"])
def test_a_json_answer_that_is_not_an_object_is_a_vendor_error(rsps, body):
    rsps.get(f"{API}/v2/locations", body=body, content_type="application/json")
    with pytest.raises(ConnectorError) as err:
        connector().test_connection()
    assert (err.value.kind, err.value.fault) == (ErrorKind.TRANSIENT, Fault.VENDOR)
    assert "not a JSON object" in err.value.message


def test_an_html_page_with_200_is_a_vendor_error(rsps):
    rsps.get(f"{API}/v2/locations", body="<html><body>Service maintenance</body></html>",
             content_type="text/html")
    with pytest.raises(ConnectorError) as err:
        connector().test_connection()
    assert (err.value.kind, err.value.fault) == (ErrorKind.TRANSIENT, Fault.VENDOR)


def test_a_missing_scope_is_the_configurations_fault_whatever_the_status(rsps):
    rsps.get(f"{API}/v2/locations", json=fixture("error_insufficient_scopes.json"), status=400)
    with pytest.raises(ConnectorError) as err:
        connector().test_connection()
    assert err.value.fault is Fault.CONFIGURATION


def test_an_unknown_configured_location_is_the_configurations_fault(rsps):
    rsps.get(f"{API}/v2/locations", json=fixture("locations.json"))
    with pytest.raises(ConnectorError) as err:
        connector(location_ids=["LNOPE"]).test_connection()
    assert err.value.fault is Fault.CONFIGURATION

"""The order actions' contract: once per channel order id, catalog prices, problems naming fields,
tenancy, the Find Order lookup, the order_status_changed trigger and hooks, and adjust_stock."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub.models import Event, HookDelivery, MenuItem, Order
from hub.schemas import validate
from tests.conftest import PG_URL, build_tenant, run_concurrently
from tests.test_orders_double import make_shop, order_body, shop  # noqa: F401 - the fixture


def order_count(session, shop):  # noqa: ANN001, ANN201, F811
    return session.scalar(select(func.count()).select_from(Order).where(Order.hub_id == shop.tenant.hub_id))


def paths(response):  # noqa: ANN001, ANN201
    return [error["path"] for error in response.get_json()["errors"]]


def post_order(shop, channel_order_id="WEB-1", **extra):  # noqa: ANN001, ANN201, F811
    return shop.post("create_order", order_body(channel_order_id, shop.location_id, **extra))


# ---------- create_order ----------

def test_a_repeated_idempotency_key_replays_the_answer(shop):  # noqa: F811
    first = shop.post("create_order", order_body("WEB-1", shop.location_id), key="k-1")
    again = shop.post("create_order", order_body("WEB-1", shop.location_id), key="k-1")
    assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]


def test_the_same_channel_order_id_answers_the_existing_order_with_200(shop):  # noqa: F811
    first = post_order(shop).get_json()
    again = post_order(shop)
    assert again.status_code == 200
    assert again.get_json()["id"] == first["id"]
    with shop.rt.db.session() as s:
        assert order_count(s, shop) == 1


def test_the_same_channel_order_id_with_other_contents_is_409_on_channel_order_id(shop):  # noqa: F811
    post_order(shop)
    response = shop.post("create_order", {**order_body("WEB-1", shop.location_id),
                                          "lines": [{"sku": "SAL-GREEK", "quantity": 1}]})
    assert response.status_code == 409
    assert paths(response) == ["/channel_order_id"]


@pytest.mark.skipif(not PG_URL, reason="concurrent transactions need PostgreSQL")
def test_concurrent_creates_of_one_channel_order_id_make_one_order(database_urls, tmp_path, monkeypatch):
    shop = make_shop("postgresql", database_urls, tmp_path, monkeypatch)  # noqa: F811
    shop.set_stock("SAL-CAESAR", 10)
    statuses = run_concurrently(2, lambda: post_order(shop, "RACE-1").status_code)
    shop.rt.queue.drain()
    assert sorted(statuses) == [200, 202]
    with shop.rt.db.session() as s:
        assert order_count(s, shop) == 1
    assert shop.stock("SAL-CAESAR") == 8


def test_prices_come_from_the_catalog_with_option_charges(shop):  # noqa: F811
    parmesan = {"name": "Dressing", "option": "Extra parmesan"}
    lines = [{"sku": "SAL-CAESAR", "quantity": 2, "modifiers": [parmesan]}]
    body = post_order(shop, lines=lines).get_json()
    assert body["lines"][0]["unit_price"] == "9.90"
    assert (body["total"], body["currency"]) == ("19.80", "EUR")


def test_an_unknown_sku_is_422_on_its_line(shop):  # noqa: F811
    response = post_order(shop, lines=[{"sku": "SAL-GREEK", "quantity": 1}, {"sku": "NOPE", "quantity": 1}])
    assert response.status_code == 422
    assert paths(response) == ["/lines/1/sku"]


def test_an_unknown_option_is_422_on_its_modifier(shop):  # noqa: F811
    response = post_order(shop, lines=[{"sku": "SAL-CAESAR", "quantity": 1,
                                        "modifiers": [{"name": "Dressing", "option": "Ranch"}]}])
    assert response.status_code == 422
    assert paths(response) == ["/lines/0/modifiers/0"]


def test_an_item_not_sold_at_the_location_is_422(shop):  # noqa: F811
    with shop.rt.db.session() as s:
        item = s.scalar(select(MenuItem).where(MenuItem.hub_id == shop.tenant.hub_id,
                                               MenuItem.sku == "SAL-GREEK"))
        item.location_ids = [shop.tenant.location_ids[1]]
    response = post_order(shop, lines=[{"sku": "SAL-GREEK", "quantity": 1}])
    assert response.status_code == 422
    assert "not sold at this location" in response.get_json()["errors"][0]["message"]


def test_a_prepaid_amount_that_is_not_the_total_is_422(shop):  # noqa: F811
    response = post_order(shop, payment={"type": "prepaid", "amount": "10.00",
                                         "reference": "pi_1"})
    assert response.status_code == 422
    assert paths(response) == ["/payment/amount"]
    assert "the order's total is 18.80 EUR" in response.get_json()["errors"][0]["message"]


def test_a_prepaid_order_is_sent_with_its_payment(shop):  # noqa: F811
    response = post_order(shop, payment={"type": "prepaid", "amount": "18.8", "currency": "EUR",
                                         "reference": "pi_1"})
    assert response.status_code == 202, response.get_json()
    shop.get_order(response.get_json()["id"])
    assert shop.calls("create")[0]["payment_type"] == "prepaid"


def test_an_unknown_location_is_422_on_location_id(shop):  # noqa: F811
    response = shop.post("create_order", order_body("WEB-1", "loc_nope"))
    assert response.status_code == 422
    assert paths(response) == ["/location_id"]


# ---------- tenancy and reading ----------

def test_another_hubs_order_is_404_and_cannot_be_changed(shop):  # noqa: F811
    order_id = post_order(shop).get_json()["id"]
    other = build_tenant(shop.rt, name="Other hub")
    assert shop.client.get(f"/v1/orders/{order_id}", headers=other.auth()).status_code == 404
    assert shop.client.post(f"/v1/orders/{order_id}/retry", headers=other.auth()).status_code == 404
    cancel = shop.client.post("/v1/actions/cancel_order", json={"order_id": order_id}, headers=other.auth())
    assert cancel.status_code == 422
    assert paths(cancel) == ["/order_id"]


def test_find_order_filters_by_channel_order_id_status_and_q(shop):  # noqa: F811
    shop.set_script(create="accepted")
    first = post_order(shop, "WEB-1").get_json()["id"]
    shop.rt.queue.drain()
    shop.set_script(create="refuse:closed")
    second = post_order(shop, "KIOSK-2").get_json()["id"]
    shop.rt.queue.drain()

    def ids(query):  # noqa: ANN001, ANN202
        response = shop.client.get(f"/v1/orders?{query}", headers=shop.tenant.auth())
        assert response.status_code == 200
        return [order["id"] for order in response.get_json()]

    assert ids("channel_order_id=WEB-1") == [first]
    assert ids("status=rejected") == [second]
    assert ids("q=kiosk") == [second]


def test_find_order_answers_named_order_choices(shop):  # noqa: F811
    shop.set_script(create="accepted")
    order_id = post_order(shop, "WEB-1042").get_json()["id"]
    shop.rt.queue.drain()
    [choice] = shop.client.get("/v1/orders", headers=shop.tenant.auth()).get_json()
    assert (choice["id"], choice["name"]) == (order_id, "WEB-1042 · Lobby fridge · accepted")
    assert validate("lookups/order.json", choice) == []


def test_find_order_pages_newest_first_with_a_cursor(shop):  # noqa: F811
    made = [post_order(shop, f"WEB-{i}").get_json()["id"] for i in range(3)]
    first = shop.client.get("/v1/orders?limit=2", headers=shop.tenant.auth())
    rest = shop.client.get(f"/v1/orders?limit=2&cursor={first.headers['X-Next-Cursor']}",
                           headers=shop.tenant.auth())
    seen = [o["id"] for o in first.get_json()] + [o["id"] for o in rest.get_json()]
    assert sorted(seen) == sorted(made)
    assert "X-Next-Cursor" not in rest.headers


def test_a_bad_cursor_is_422_on_cursor(shop):  # noqa: F811
    response = shop.client.get("/v1/orders?cursor=WyJ4IiwieSJd", headers=shop.tenant.auth())
    assert response.status_code == 422
    assert paths(response) == ["/cursor"]


# ---------- trigger ----------

def test_the_trigger_polls_status_changes_filtered_by_status(shop):  # noqa: F811
    shop.set_script(create="accepted")
    order_id = post_order(shop).get_json()["id"]
    shop.rt.queue.drain()
    response = shop.client.get("/v1/triggers/order_status_changed?status=accepted",
                               headers=shop.tenant.auth())
    items = response.get_json()
    assert [(i["previous_status"], i["status"], i["order"]["id"]) for i in items] == [
        ("received", "accepted", order_id)]
    assert validate("triggers/order_status_changed.output.json", items[0]) == []


def test_a_rest_hook_on_the_trigger_gets_each_matching_change(shop):  # noqa: F811
    hook = shop.client.post("/v1/hooks", json={"trigger": "order_status_changed",
                                               "target_url": "http://127.0.0.1:9/zap",
                                               "filters": {"status": "received"}}, headers=shop.tenant.auth())
    assert hook.status_code == 201, hook.get_json()
    post_order(shop)
    shop.rt.queue.drain()
    with shop.rt.db.session() as s:
        events = s.scalars(select(Event.id).join(HookDelivery, HookDelivery.event_id == Event.id)
                           .where(HookDelivery.subscription_id == hook.get_json()["id"])).all()
    assert len(events) == 1


# ---------- adjust_stock ----------

def test_adjust_stock_sets_and_adjusts_with_the_previous_quantity(shop):  # noqa: F811
    set_to = shop.post("adjust_stock", {"location_id": shop.location_id, "sku": "SAL-CAESAR",
                                        "set_quantity": 5})
    assert set_to.status_code == 200
    assert (set_to.get_json()["previous_quantity"], set_to.get_json()["quantity"]) == (0, 5)
    added = shop.post("adjust_stock", {"location_id": shop.location_id, "sku": "SAL-CAESAR", "adjust_by": 7})
    assert (added.get_json()["previous_quantity"], added.get_json()["quantity"]) == (5, 12)
    assert validate("actions/adjust_stock.output.json", added.get_json()) == []


def test_adjust_stock_fires_low_stock_once_per_crossing(shop):  # noqa: F811
    shop.set_stock("SAL-CAESAR", 10, threshold=3)

    def adjust(by):  # noqa: ANN001, ANN202
        return shop.post("adjust_stock", {"location_id": shop.location_id, "sku": "SAL-CAESAR",
                                          "adjust_by": by})

    def low_events():  # noqa: ANN202
        with shop.rt.db.session() as s:
            return s.scalar(select(func.count()).select_from(Event).where(
                Event.hub_id == shop.tenant.hub_id, Event.type == "low_stock"))

    assert adjust(-8).get_json()["is_low"] is True
    adjust(-1)
    assert low_events() == 1
    adjust(10)
    adjust(-10)
    assert low_events() == 2


def test_adjust_stock_needs_exactly_one_of_set_and_adjust(shop):  # noqa: F811
    both = shop.post("adjust_stock", {"location_id": shop.location_id, "sku": "SAL-CAESAR", "set_quantity": 1,
                                      "adjust_by": 1})
    neither = shop.post("adjust_stock", {"location_id": shop.location_id, "sku": "SAL-CAESAR"})
    assert both.status_code == neither.status_code == 422
    assert paths(both) == ["/set_quantity", "/adjust_by"]


def test_adjust_stock_of_an_unknown_sku_is_422_on_sku(shop):  # noqa: F811
    response = shop.post("adjust_stock", {"location_id": shop.location_id, "sku": "NOPE", "adjust_by": 1})
    assert response.status_code == 422
    assert paths(response) == ["/sku"]


def test_a_hook_with_a_filter_no_trigger_has_is_422(shop):  # noqa: F811
    hook = shop.client.post("/v1/hooks", json={"trigger": "order_status_changed",
                                               "target_url": "http://127.0.0.1:9/zap",
                                               "filters": {"colour": "red"}}, headers=shop.tenant.auth())
    assert hook.status_code == 422


def test_find_order_with_an_unknown_status_is_422_on_status(shop):  # noqa: F811
    response = shop.client.get("/v1/orders?status=lost", headers=shop.tenant.auth())
    assert response.status_code == 422
    assert paths(response) == ["/status"]


def test_the_trigger_with_an_unknown_status_is_422_on_status(shop):  # noqa: F811
    response = shop.client.get("/v1/triggers/order_status_changed?status=lost", headers=shop.tenant.auth())
    assert response.status_code == 422
    assert paths(response) == ["/status"]

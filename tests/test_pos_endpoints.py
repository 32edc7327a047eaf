"""The POS endpoints: purchases, inventory, heartbeat, and the menu and coupons with ETags."""

from __future__ import annotations

import threading

import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from hub.models import Connection, Event, InventoryLevel, Location, Purchase
from hub.runtime import get_runtime
from hub.schemas import validate
from hub.stock import set_stock
from tests.conftest import run_concurrently

SALE = {"external_id": "T-1", "location_external_id": "fridge-1", "occurred_at": "2026-01-05T12:00:00Z",
        "lines": [{"sku": "SAL-CAESAR", "quantity": 2, "unit_price": "8.90"}], "currency": "EUR"}
CAESAR = {"sku": "SAL-CAESAR", "name": "Caesar salad", "price": {"amount": "8.90", "currency": "EUR"}}


def count(model, **where):
    with get_runtime().db.session() as s:
        stmt = select(func.count()).select_from(model)
        for column, value in where.items():
            stmt = stmt.where(getattr(model, column) == value)
        return s.scalar(stmt)


def test_a_purchase_is_recorded_with_its_line_totals(backend_client, backend_tenant):
    response = backend_client.post("/v1/pos/purchases", json=SALE, headers=backend_tenant.auth("pos"))
    assert response.status_code == 200
    body = response.get_json()
    assert validate("pos/purchases.output.json", body) == []
    assert (body["received"], body["created"], body["duplicates"]) == (1, 1, 0)
    with get_runtime().db.session() as s:
        event = s.scalar(select(Event).where(Event.hub_id == backend_tenant.hub_id,
                                             Event.type == "new_purchase"))
    assert event.payload["total"] == "17.80" and event.payload["lines"][0]["line_total"] == "17.80"


def test_a_batch_reports_new_and_duplicate_purchases(client, tenant):
    client.post("/v1/pos/purchases", json=SALE, headers=tenant.auth("pos"))
    batch = {"purchases": [SALE, {**SALE, "external_id": "T-2"}]}
    body = client.post("/v1/pos/purchases", json=batch, headers=tenant.auth("pos")).get_json()
    assert [p["duplicate"] for p in body["purchases"]] == [True, False]
    assert (body["created"], body["duplicates"]) == (1, 1)


def test_an_unknown_location_is_a_422_at_its_path(client, tenant):
    batch = {"purchases": [SALE, {**SALE, "external_id": "T-2", "location_external_id": "nowhere"}]}
    response = client.post("/v1/pos/purchases", json=batch, headers=tenant.auth("pos"))
    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["path"] == "/purchases/1/location_external_id" and "fridge-1" in error["message"]
    assert count(Purchase, hub_id=tenant.hub_id) == 0


def test_a_bad_purchase_lists_every_violated_path(client, tenant):
    bad = {"external_id": "", "occurred_at": "yesterday", "lines": [], "currency": "euro"}
    response = client.post("/v1/pos/purchases", json=bad, headers=tenant.auth("pos"))
    assert response.status_code == 422
    found = {e["path"] for e in response.get_json()["errors"]}
    assert {"/external_id", "/occurred_at", "/lines", "/currency"} <= found


def test_the_same_purchase_posted_five_times_concurrently_over_http_is_recorded_once(
        backend_app, backend_tenant):
    with get_runtime().db.session() as s:
        set_stock(s, backend_tenant.hub_id, backend_tenant.location_ids[0], "SAL-CAESAR", 30)
    server = make_server("127.0.0.1", 0, backend_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/v1/pos/purchases"

    def send():
        return requests.post(url, json=SALE, headers=backend_tenant.auth("pos"), timeout=30).status_code

    try:
        statuses = run_concurrently(5, send)
    finally:
        server.shutdown()
    assert statuses == [200] * 5
    assert count(Purchase, hub_id=backend_tenant.hub_id) == 1
    assert count(Event, hub_id=backend_tenant.hub_id, type="new_purchase") == 1
    with get_runtime().db.session() as s:
        level = s.scalar(select(InventoryLevel)
                         .where(InventoryLevel.location_id == backend_tenant.location_ids[0]))
    assert level.quantity == 28


def test_inventory_counts_are_stored_and_fire_low_stock(backend_client, backend_tenant):
    body = {"counts": [{"location_external_id": "fridge-1", "sku": "SAL-CAESAR", "quantity": 2},
                       {"location_external_id": "fridge-2", "sku": "SAL-CAESAR", "quantity": 20}]}
    response = backend_client.put("/v1/pos/inventory", json=body, headers=backend_tenant.auth("pos"))
    assert response.status_code == 200
    assert response.get_json() == {"updated": 2, "low_stock_events": 1}
    assert count(Event, hub_id=backend_tenant.hub_id, type="low_stock") == 1


def test_inventory_for_an_unknown_location_is_a_422(client, tenant):
    body = {"counts": [{"location_external_id": "nowhere", "sku": "SAL-CAESAR", "quantity": 2}]}
    response = client.put("/v1/pos/inventory", json=body, headers=tenant.auth("pos"))
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["path"] == "/counts/0/location_external_id"
    assert count(InventoryLevel, hub_id=tenant.hub_id) == 0


def test_a_heartbeat_marks_the_connection_online_and_adds_new_locations(client, tenant):
    body = {"locations": [{"external_id": "fridge-1", "status": "inactive"},
                          {"external_id": "fridge-9", "name": "Roof fridge"}]}
    response = client.post("/v1/pos/heartbeat", json=body, headers=tenant.auth("pos"))
    assert response.status_code == 200
    assert validate("pos/heartbeat.output.json", response.get_json()) == []
    with get_runtime().db.session() as s:
        assert s.get(Connection, tenant.connection_id).status == "online"
        locations = {loc.external_id: loc for loc in s.scalars(
            select(Location).where(Location.connection_id == tenant.connection_id))}
    assert locations["fridge-9"].name == "Roof fridge"
    assert locations["fridge-1"].status == "offline"
    assert count(Event, hub_id=tenant.hub_id, type="pos_offline") == 1


def test_an_empty_heartbeat_is_accepted(client, tenant):
    response = client.post("/v1/pos/heartbeat", headers=tenant.auth("pos"))
    assert response.status_code == 200 and response.get_json()["status"] == "online"


def test_every_pos_call_counts_as_contact(client, tenant):
    client.get("/v1/pos/menu", headers=tenant.auth("pos"))
    with get_runtime().db.session() as s:
        assert s.get(Connection, tenant.connection_id).last_contact_at is not None


def test_the_menu_has_an_etag_and_answers_304_until_it_changes(client, tenant):
    client.post("/v1/actions/update_menu", json={"items": [CAESAR]}, headers=tenant.auth())
    first = client.get("/v1/pos/menu", headers=tenant.auth("pos"))
    body = first.get_json()
    assert validate("pos/menu.output.json", body) == []
    assert [item["sku"] for item in body["items"]] == ["SAL-CAESAR"]
    assert first.headers["ETag"] == body["etag"]
    unchanged = client.get("/v1/pos/menu", headers={**tenant.auth("pos"), "If-None-Match": body["etag"]})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == body["etag"]
    client.post("/v1/actions/update_menu", json={"items": [{"sku": "SAL-CAESAR", "available": False}]},
                headers=tenant.auth())
    changed = client.get("/v1/pos/menu", headers={**tenant.auth("pos"), "If-None-Match": body["etag"]})
    assert changed.status_code == 200 and changed.get_json()["items"][0]["available"] is False


def test_the_menu_holds_only_items_for_the_connections_locations(client, tenant, other_tenant):
    elsewhere = {"sku": "ELSEWHERE", "name": "Elsewhere", "price": {"amount": "1.00", "currency": "EUR"},
                 "location_ids": []}
    here = {**CAESAR, "location_ids": [tenant.location_ids[1]]}
    client.post("/v1/actions/update_menu", json={"items": [here, elsewhere], "remove_skus": []},
                headers=tenant.auth())
    items = client.get("/v1/pos/menu", headers=tenant.auth("pos")).get_json()["items"]
    assert [(i["sku"], i["location_ids"]) for i in items] == [("SAL-CAESAR", [tenant.location_ids[1]])]
    assert client.get("/v1/pos/menu", headers=other_tenant.auth("pos")).get_json()["items"] == []


def test_removed_items_leave_the_menu(client, tenant):
    client.post("/v1/actions/update_menu", json={"items": [CAESAR]}, headers=tenant.auth())
    client.post("/v1/actions/update_menu", json={"items": [{**CAESAR, "sku": "B"}],
                                                 "remove_skus": ["SAL-CAESAR"]}, headers=tenant.auth())
    items = client.get("/v1/pos/menu", headers=tenant.auth("pos")).get_json()["items"]
    assert [i["sku"] for i in items] == ["B"]


def test_the_coupons_have_an_etag_and_answer_304(client, tenant):
    client.post("/v1/actions/publish_coupon", json={"code": "LUNCH10", "discount_type": "percent",
                                                    "percent_off": "10"}, headers=tenant.auth())
    first = client.get("/v1/pos/coupons", headers=tenant.auth("pos"))
    body = first.get_json()
    assert validate("pos/coupons.output.json", body) == []
    assert [c["code"] for c in body["coupons"]] == ["LUNCH10"]
    again = client.get("/v1/pos/coupons",
                       headers={**tenant.auth("pos"), "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_automation_keys_cannot_use_the_pos_endpoints(client, tenant):
    assert client.post("/v1/pos/purchases", json=SALE, headers=tenant.auth()).status_code == 403
    assert client.get("/v1/pos/menu", headers=tenant.auth("admin")).status_code == 403

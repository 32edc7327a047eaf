"""An order ends with exactly one purchase and one stock decrement, whenever and however the POS
reports it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

import hub.connectors
from hub.connectors.base import (
    Capability,
    Connector,
    OrderData,
    OrderPlacement,
    OrderRef,
    OrderStatusReport,
    PurchaseLineRecord,
    PurchasePage,
    PurchaseRecord,
)
from hub.models import Event, Order, Purchase
from hub.runtime import get_runtime
from tests.conftest import build_tenant
from tests.scripted_pos import poll
from tests.test_pos_orders import PAY_AT_POS, PREPAID, place_order, post_status, stock_caesar, stock_level

SALE_OF_ORDER = {"location_external_id": "fridge-1", "occurred_at": "2026-01-05T12:00:00Z",
                 "lines": [{"sku": "SAL-CAESAR", "quantity": 2, "unit_price": "8.90"}], "currency": "EUR"}


def report_purchase(client, tenant, external_id: str, **fields):
    response = client.post("/v1/pos/purchases", json={**SALE_OF_ORDER, "external_id": external_id, **fields},
                           headers=tenant.auth("pos"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def purchases(tenant) -> list[Purchase]:
    with get_runtime().db.session() as s:
        return list(s.scalars(select(Purchase).where(Purchase.hub_id == tenant.hub_id)))


def new_purchase_events(tenant) -> int:
    with get_runtime().db.session() as s:
        return s.scalar(select(func.count()).select_from(Event).where(
            Event.hub_id == tenant.hub_id, Event.type == "new_purchase"))


def order(order_id: str) -> Order:
    with get_runtime().db.session() as s:
        return s.get(Order, order_id)


@pytest.mark.parametrize(("payment", "state"), [(PREPAID, "prepaid"), (PAY_AT_POS, "paid_at_pos")])
def test_completion_records_one_purchase_and_one_decrement(backend_client, backend_tenant, payment, state):
    client, tenant = backend_client, backend_tenant
    stock_caesar(client, tenant, quantity=10)
    order_id = place_order(tenant, payment=payment)
    post_status(client, tenant, order_id, "accepted", pos_order_id="K-1")
    post_status(client, tenant, order_id, "completed")
    [purchase] = purchases(tenant)
    assert (purchase.external_id, purchase.payment_state, purchase.total_amount) == ("K-1", state, "17.80")
    assert order(order_id).purchase_id == purchase.id
    assert stock_level(tenant) == 8
    assert new_purchase_events(tenant) == 1


def test_an_order_completed_without_a_pos_order_id_is_recorded_under_its_own_id(client, tenant):
    stock_caesar(client, tenant)
    order_id = place_order(tenant)
    post_status(client, tenant, order_id, "completed")
    assert [p.external_id for p in purchases(tenant)] == [f"order:{order_id}"]


@pytest.mark.parametrize("payment", [PREPAID, PAY_AT_POS])
def test_the_pos_reporting_the_purchase_before_completion_completes_the_order_once(
        backend_client, backend_tenant, payment):
    client, tenant = backend_client, backend_tenant
    stock_caesar(client, tenant, quantity=10)
    order_id = place_order(tenant, payment=payment)
    post_status(client, tenant, order_id, "accepted", pos_order_id="K-1")
    body = report_purchase(client, tenant, "K-1")
    assert body["created"] == 1
    assert order(order_id).status == "completed"
    assert post_status(client, tenant, order_id, "completed").status_code == 200  # the POS says so too
    assert [p.id for p in purchases(tenant)] == [order(order_id).purchase_id]
    assert stock_level(tenant) == 8
    assert new_purchase_events(tenant) == 1


@pytest.mark.parametrize("payment", [PREPAID, PAY_AT_POS])
def test_the_pos_reporting_the_purchase_after_completion_is_a_duplicate(client, tenant, payment):
    stock_caesar(client, tenant, quantity=10)
    order_id = place_order(tenant, payment=payment)
    post_status(client, tenant, order_id, "completed")
    body = report_purchase(client, tenant, "R-77", order_id=order_id)
    assert (body["created"], body["duplicates"]) == (0, 1)
    assert body["purchases"][0]["purchase_id"] == order(order_id).purchase_id
    assert len(purchases(tenant)) == 1 and stock_level(tenant) == 8
    assert new_purchase_events(tenant) == 1


def test_the_purchase_under_the_pos_order_id_after_completion_is_a_duplicate(client, tenant):
    stock_caesar(client, tenant, quantity=10)
    order_id = place_order(tenant)
    post_status(client, tenant, order_id, "accepted", pos_order_id="K-1")
    post_status(client, tenant, order_id, "completed")
    assert report_purchase(client, tenant, "K-1")["duplicates"] == 1
    assert len(purchases(tenant)) == 1 and stock_level(tenant) == 8


def test_a_purchase_naming_the_channel_order_id_is_linked(client, tenant):
    stock_caesar(client, tenant, quantity=10)
    order_id = place_order(tenant, channel_order_id="WEB-1042")
    body = report_purchase(client, tenant, "R-1", order_id="WEB-1042")
    assert order(order_id).purchase_id == body["purchases"][0]["purchase_id"]
    assert order(order_id).status == "completed" and stock_level(tenant) == 8


def test_a_purchase_naming_the_pos_order_id_is_linked(client, tenant):
    stock_caesar(client, tenant, quantity=10)
    order_id = place_order(tenant)
    post_status(client, tenant, order_id, "accepted", pos_order_id="RSV-7")
    body = report_purchase(client, tenant, "T-99", order_id="RSV-7")
    assert order(order_id).purchase_id == body["purchases"][0]["purchase_id"]
    assert order(order_id).status == "completed" and stock_level(tenant) == 8


def test_two_purchases_of_one_order_in_one_batch_are_recorded_once(client, tenant):
    stock_caesar(client, tenant, quantity=10)
    order_id = place_order(tenant)
    batch = {"purchases": [{**SALE_OF_ORDER, "external_id": "R-1", "order_id": order_id},
                           {**SALE_OF_ORDER, "external_id": "R-2", "order_id": order_id}]}
    body = client.post("/v1/pos/purchases", json=batch, headers=tenant.auth("pos")).get_json()
    assert [p["duplicate"] for p in body["purchases"]] == [False, True]
    assert len({p["purchase_id"] for p in body["purchases"]}) == 1
    assert len(purchases(tenant)) == 1 and stock_level(tenant) == 8


def test_a_purchase_naming_a_cancelled_order_is_a_sale_of_its_own(client, tenant):
    stock_caesar(client, tenant, quantity=10)
    order_id = place_order(tenant)
    post_status(client, tenant, order_id, "cancelled", reason="customer left")
    assert stock_level(tenant) == 10
    report_purchase(client, tenant, "R-1", order_id=order_id)
    assert order(order_id).purchase_id is None and order(order_id).status == "cancelled"
    assert stock_level(tenant) == 8


def test_a_purchase_naming_no_order_of_this_connection_is_a_sale_of_its_own(client, tenant, other_tenant):
    stock_caesar(client, other_tenant)
    other_order = place_order(other_tenant)
    stock_caesar(client, tenant, quantity=10)
    report_purchase(client, tenant, "R-1", order_id=other_order)
    assert order(other_order).purchase_id is None and stock_level(tenant) == 8


def test_a_plain_purchase_still_decrements_stock(client, tenant):
    stock_caesar(client, tenant, quantity=10)
    place_order(tenant)
    report_purchase(client, tenant, "R-9")
    assert stock_level(tenant) == 6  # the order holds 2, the walk-in sale took 2 more


class SellingPOS(Connector):
    """A polled POS that takes orders as K-1 (accepted) and whose first purchase page is its sale K-1 of
    two Caesar salads at fridge-1; it reports no order statuses."""

    type = "selling_pos"
    title = "Selling test POS"
    capabilities = frozenset({Capability.PURCHASES, Capability.ORDERS})
    settings_schema: dict[str, Any] = {"type": "object"}

    def create_order(self, order: OrderData, idempotency_key: str) -> OrderPlacement:
        """Accepted as K-1."""
        return OrderPlacement(pos_order_id="K-1", status="accepted")

    def fetch_order_statuses(self, orders: list[OrderRef]) -> list[OrderStatusReport]:
        """Nothing: only the purchase tells the hub the order is done."""
        return []

    def fetch_purchases(self, cursor: str | None) -> PurchasePage:
        """K-1 on the first page, nothing after."""
        if cursor is not None:
            return PurchasePage([], cursor)
        sale = PurchaseRecord(external_id="K-1", location_external_id="fridge-1",
                              occurred_at=datetime(2026, 1, 5, 12, tzinfo=UTC),
                              lines=[PurchaseLineRecord("SAL-CAESAR", 2, "8.90", "17.80")], total="17.80",
                              currency="EUR", payment_state="paid_at_pos")
        return PurchasePage([sale], "page-2")


@pytest.fixture
def polled_tenant(app, monkeypatch):
    """A hub whose connection is the polled SellingPOS."""
    monkeypatch.setattr(hub.connectors, "CONNECTORS", [*hub.connectors.CONNECTORS, SellingPOS])
    return build_tenant(get_runtime(), connection_type=SellingPOS.type)


def test_a_purchase_read_by_a_poll_completes_its_order_once(client, polled_tenant):
    tenant = polled_tenant
    stock_caesar(client, tenant, quantity=10)
    order_id = place_order(tenant)
    rt = get_runtime()
    rt.queue.drain()  # the order's delivery: the POS accepts it as K-1
    assert (order(order_id).status, order(order_id).pos_order_id) == ("accepted", "K-1")
    poll(rt, tenant.connection_id)
    [purchase] = purchases(tenant)
    assert (order(order_id).status, order(order_id).purchase_id) == ("completed", purchase.id)
    assert stock_level(tenant) == 8
    assert new_purchase_events(tenant) == 1


"""The sandbox's simulated POS takes orders: it accepts at once, makes them ready and completed on a
schedule, and refuses on cue.

Also the push connector's side of orders: they wait in the feed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hub.connectors.base import (
    Capability,
    ConnectorError,
    ErrorKind,
    OrderData,
    OrderLineData,
    OrderRef,
    OrderRefused,
)
from hub.connectors.push import PushConnector
from hub.connectors.sandbox import SandboxConnector
from hub.models import Order, OrderDelivery, Purchase
from hub.runtime import get_runtime
from hub.scheduler import run_due
from tests.conftest import build_tenant
from tests.test_pos_orders import PREPAID, place_order, stock_caesar, stock_level

LOCATIONS = [{"external_id": "fridge-1", "name": "Lobby fridge"}]
ORDER = OrderData(order_id="ord_1", channel_order_id="WEB-1", location_external_id="fridge-1",
                  lines=[OrderLineData(sku="SAL-CAESAR", quantity=2, unit_price="8.90", line_total="17.80")],
                  total="17.80", currency="EUR", payment_type="pay_at_pos")


def sandbox(**settings) -> SandboxConnector:
    return SandboxConnector({"locations": LOCATIONS, **settings}, {})


def accepted_ref(seconds_ago: float) -> OrderRef:
    at = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return OrderRef("ord_1", "SIM-ord_1", {"accepted_at": at.isoformat()})


# ---------- the connector ----------

def test_both_connectors_declare_that_they_take_orders():
    assert Capability.ORDERS in SandboxConnector.capabilities
    assert Capability.ORDERS in PushConnector.capabilities


def test_the_sandbox_accepts_an_order_at_once_under_its_own_id():
    placement = sandbox().create_order(ORDER, "ord_1-v1-create")
    assert (placement.status, placement.pos_order_id) == ("accepted", "SIM-ord_1")
    assert datetime.fromisoformat(placement.pos_state["accepted_at"]) <= datetime.now(UTC)


def test_an_order_with_a_refused_sku_is_refused_naming_it():
    with pytest.raises(OrderRefused, match="SAL-CAESAR"):
        sandbox(refuse_skus=["SAL-CAESAR"]).create_order(ORDER, "k")


def test_an_order_for_a_closed_location_is_refused():
    closed = SandboxConnector({"locations": [{**LOCATIONS[0], "closed": True}]}, {})
    with pytest.raises(OrderRefused, match="fridge-1 is closed"):
        closed.create_order(ORDER, "k")


def test_an_order_during_an_outage_is_a_transient_error():
    with pytest.raises(ConnectorError) as caught:
        sandbox(outage=True).create_order(ORDER, "k")
    assert caught.value.kind is ErrorKind.TRANSIENT and not isinstance(caught.value, OrderRefused)


def test_nothing_is_reported_before_the_schedule_makes_the_order_ready():
    assert sandbox().fetch_order_statuses([accepted_ref(5)]) == []


def test_the_order_is_ready_after_the_first_delay():
    reports = sandbox().fetch_order_statuses([accepted_ref(90)])
    assert [r.status for r in reports] == ["ready"]


def test_every_step_that_came_due_is_reported_in_order_at_its_scheduled_time():
    ref = accepted_ref(300)
    accepted_at = datetime.fromisoformat(ref.pos_state["accepted_at"])
    reports = sandbox().fetch_order_statuses([ref])
    assert [(r.status, r.occurred_at - accepted_at) for r in reports] == [
        ("ready", timedelta(seconds=60)), ("completed", timedelta(seconds=120))]


def test_zero_delays_make_the_order_ready_and_completed_at_the_next_poll():
    reports = sandbox(order_ready_after_seconds=0, order_completed_after_seconds=0).fetch_order_statuses(
        [accepted_ref(0)])
    assert [r.status for r in reports] == ["ready", "completed"]


def test_an_update_before_the_order_is_ready_keeps_its_schedule():
    ref = accepted_ref(5)
    placement = sandbox().update_order(ORDER, ref, "k")
    assert (placement.status, placement.pos_state) == ("accepted", ref.pos_state)


def test_an_update_once_the_kitchen_started_is_refused():
    with pytest.raises(OrderRefused, match="started"):
        sandbox().update_order(ORDER, accepted_ref(90), "k")


def test_a_cancel_before_completion_cancels_and_stops_the_schedule():
    connector = sandbox()
    placement = connector.cancel_order(ORDER, accepted_ref(90), "customer left", "k")
    assert (placement.status, placement.reason) == ("cancelled", "customer left")
    cancelled = OrderRef("ord_1", "SIM-ord_1", placement.pos_state)
    assert connector.fetch_order_statuses([cancelled]) == []


def test_a_cancel_after_completion_is_refused():
    with pytest.raises(OrderRefused, match="already completed"):
        sandbox().cancel_order(ORDER, accepted_ref(300), None, "k")


def test_the_push_connector_leaves_an_order_sent_for_the_feed():
    placement = PushConnector({}, {}).create_order(ORDER, "k")
    assert (placement.status, placement.pos_order_id) == ("sent", None)


def test_the_push_connector_takes_a_cancel_without_refusing():
    placement = PushConnector({}, {}).cancel_order(ORDER, OrderRef("ord_1", "K-1"), "gone", "k")
    assert (placement.status, placement.reason) == ("cancelled", "gone")


# ---------- through the hub: delivery, poll, purchase ----------

def sandbox_tenant(**settings):
    return build_tenant(get_runtime(), name="Sandbox hub", connection_type="sandbox",
                        config={"locations": LOCATIONS, **settings},
                        locations=(("fridge-1", "Lobby fridge"),))


def poll_and_deliver():
    rt = get_runtime()
    rt.queue.drain()
    run_due(rt, {})
    rt.queue.drain()


def test_a_sandbox_order_is_accepted_then_completed_by_polls_with_one_purchase(client):
    tenant = sandbox_tenant(order_ready_after_seconds=0, order_completed_after_seconds=0)
    stock_caesar(client, tenant, quantity=10)
    get_runtime().queue.drain()
    order_id = place_order(tenant, payment=PREPAID)
    poll_and_deliver()
    with get_runtime().db.session() as s:
        order = s.get(Order, order_id)
        purchase = s.scalar(select(Purchase).where(Purchase.hub_id == tenant.hub_id))
        assert (order.status, order.pos_order_id) == ("completed", f"SIM-{order_id}")
        assert (purchase.id, purchase.external_id, purchase.payment_state) == (
            order.purchase_id, f"SIM-{order_id}", "prepaid")
    assert stock_level(tenant) == 8


def test_a_sandbox_order_with_a_refused_sku_ends_rejected_with_its_stock_back(client):
    tenant = sandbox_tenant(refuse_skus=["SAL-CAESAR"])
    stock_caesar(client, tenant, quantity=10)
    get_runtime().queue.drain()
    order_id = place_order(tenant)
    get_runtime().queue.drain()
    with get_runtime().db.session() as s:
        order = s.get(Order, order_id)
        delivery = s.scalar(select(OrderDelivery).where(OrderDelivery.order_id == order_id))
        assert (order.status, order.status_reason) == ("rejected",
                                                       "item SAL-CAESAR is not available at this POS")
        assert delivery.status == "refused"
    assert stock_level(tenant) == 10

"""Orders from creation to the POS's decision: delivery, refusals, outages, updates, cancels and statuses."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from hub.connectors import build_connector
from hub.connectors.base import OrderStatusReport
from hub.models import Connection, Event, Order, OrderDelivery, utcnow
from hub.orders.delivery import ORDER_DELIVERIES, claim, queue_delivery
from hub.orders.sync import apply_callback_reports, follow_orders
from hub.scheduler import registered_sweeps
from hub.schemas import validate
from hub.work import queueing
from tests.test_orders_double import order_body, shop  # noqa: F401 - the fixture


def create(shop, channel_order_id="WEB-1", **extra):  # noqa: ANN001, ANN201, F811
    response = shop.post("create_order", order_body(channel_order_id, shop.location_id, **extra))
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def status_events(shop, order_id):  # noqa: ANN001, ANN201, F811
    with shop.rt.db.session() as s:
        events = s.scalars(select(Event).where(Event.hub_id == shop.tenant.hub_id,
                                               Event.type == "order_status_changed").order_by(Event.id))
        return [(e.payload["previous_status"], e.payload["status"]) for e in events
                if e.payload["order"]["id"] == order_id]


def test_a_created_order_is_delivered_and_accepted(shop):  # noqa: F811
    shop.set_script(create="accepted")
    order = shop.get_order(create(shop)["id"])
    assert order["status"] == "accepted"
    assert order["pos_order_id"] == f"pos-{order['id']}"
    assert order["delivery"]["status"] == "succeeded"
    assert [c["key"] for c in shop.calls("create")] == [f"{order['id']}-v1-create"]
    assert status_events(shop, order["id"]) == [(None, "received"), ("received", "accepted")]
    assert validate("common/order.json", order) == []


def test_the_create_answer_is_the_received_order_with_its_pending_delivery(shop):  # noqa: F811
    shop.set_script(create="sent")
    body = create(shop)
    assert body["status"] == "received"
    assert (body["total"], body["currency"]) == ("18.80", "EUR")
    assert body["delivery"]["operation"] == "create"
    assert validate("actions/create_order.output.json", body) == []


def test_a_refused_order_is_rejected_with_the_pos_reason_and_its_hold_released(shop):  # noqa: F811
    shop.set_stock("SAL-CAESAR", 10)
    shop.set_script(create="refuse:Caesar salad is out of stock")
    order = shop.get_order(create(shop)["id"])
    assert (order["status"], order["status_reason"]) == ("rejected", "Caesar salad is out of stock")
    assert order["delivery"]["status"] == "refused"
    assert order["delivery"]["last_error"] == "Caesar salad is out of stock"
    assert shop.stock("SAL-CAESAR") == 10


def test_a_pos_that_is_down_is_retried_then_dead_then_redriven_by_retry(shop):  # noqa: F811
    shop.set_script(create="down")
    order_id = create(shop)["id"]
    outcomes = [shop.rerun_delivery(order_id) for _ in range(6)]
    assert outcomes == ["retrying"] * 5 + ["dead"]
    dead = shop.get_order(order_id)
    assert dead["status"] == "received"
    assert dead["delivery"]["status"] == "dead"
    assert "503" in dead["delivery"]["last_error"]
    shop.set_script(create="accepted")
    retried = shop.client.post(f"/v1/orders/{order_id}/retry", headers=shop.tenant.auth())
    assert retried.status_code == 202
    assert shop.get_order(order_id)["status"] == "accepted"
    assert len(shop.calls("create")) == 8


def test_an_order_holds_stock_at_once_and_a_cancel_releases_it(shop):  # noqa: F811
    shop.set_stock("SAL-CAESAR", 10)
    shop.set_script(create="accepted", cancel="cancelled")
    order_id = create(shop)["id"]
    assert shop.stock("SAL-CAESAR") == 8
    shop.get_order(order_id)
    response = shop.post("cancel_order", {"order_id": order_id, "reason": "Customer left"})
    assert response.status_code == 202
    order = shop.get_order(order_id)
    assert order["status"] == "cancelled"
    assert shop.calls("cancel")[0]["key"] == f"{order_id}-v1-cancel"
    assert shop.stock("SAL-CAESAR") == 10


def test_a_cancel_the_pos_refuses_leaves_the_order_and_its_hold(shop):  # noqa: F811
    shop.set_stock("SAL-CAESAR", 10)
    shop.set_script(create="accepted", cancel="refuse:already being made")
    order_id = create(shop)["id"]
    shop.get_order(order_id)
    shop.post("cancel_order", {"order_id": order_id})
    order = shop.get_order(order_id)
    assert order["status"] == "accepted"
    assert (order["delivery"]["operation"], order["delivery"]["status"]) == ("cancel", "refused")
    assert order["delivery"]["last_error"] == "already being made"
    assert shop.stock("SAL-CAESAR") == 8


def test_an_order_the_pos_never_received_is_cancelled_at_once(shop):  # noqa: F811
    shop.set_stock("SAL-CAESAR", 10)
    shop.set_script(create="down")
    order_id = create(shop)["id"]
    for _ in range(6):
        shop.rerun_delivery(order_id)
    response = shop.post("cancel_order", {"order_id": order_id})
    assert response.get_json()["status"] == "cancelled"
    assert shop.calls("cancel") == []
    assert shop.stock("SAL-CAESAR") == 10


def test_an_update_sends_the_new_lines_and_moves_the_hold_by_the_difference(shop):  # noqa: F811
    shop.set_stock("SAL-CAESAR", 10)
    shop.set_stock("SAL-GREEK", 10)
    shop.set_script(create="accepted", update="accepted")
    order_id = create(shop)["id"]
    shop.get_order(order_id)
    response = shop.post("update_order", {"order_id": order_id, "lines": [
        {"sku": "SAL-CAESAR", "quantity": 1}, {"sku": "SAL-GREEK", "quantity": 3}]})
    assert response.status_code == 202, response.get_json()
    order = shop.get_order(order_id)
    assert order["version"] == 2
    assert order["total"] == "34.90"
    assert shop.calls("update")[0]["lines"] == [["SAL-CAESAR", 1], ["SAL-GREEK", 3]]
    assert shop.calls("update")[0]["key"] == f"{order_id}-v2-update"
    assert (shop.stock("SAL-CAESAR"), shop.stock("SAL-GREEK")) == (9, 7)


def test_an_update_is_refused_once_the_pos_has_started(shop):  # noqa: F811
    shop.set_script(create="ready")
    order_id = create(shop)["id"]
    assert shop.get_order(order_id)["status"] == "ready"
    greek = [{"sku": "SAL-GREEK", "quantity": 1}]
    response = shop.post("update_order", {"order_id": order_id, "lines": greek})
    assert response.status_code == 409
    assert response.get_json()["errors"][0]["path"] == "/order_id"
    assert shop.calls("update") == []


def test_a_repeated_status_report_is_ignored(shop):  # noqa: F811
    shop.set_script(create="sent")
    order_id = create(shop)["id"]
    pos_id = shop.get_order(order_id)["pos_order_id"]
    report = OrderStatusReport(pos_order_id=pos_id, status="ready")
    assert apply_callback_reports(shop.rt.db, shop.tenant.connection_id, [report]) == 1
    assert apply_callback_reports(shop.rt.db, shop.tenant.connection_id, [report]) == 0
    earlier = OrderStatusReport(pos_order_id=pos_id, status="accepted")
    assert apply_callback_reports(shop.rt.db, shop.tenant.connection_id, [earlier]) == 0
    assert status_events(shop, order_id)[-1] == ("sent", "ready")
    assert [h["status"] for h in shop.get_order(order_id)["history"]] == ["received", "sent", "ready"]


def test_a_poll_follows_the_statuses_of_open_orders(shop):  # noqa: F811
    shop.set_script(create="sent")
    order_id = create(shop)["id"]
    pos_id = shop.get_order(order_id)["pos_order_id"]
    shop.set_script(statuses=[{"pos_order_id": pos_id, "status": "rejected", "reason": "kitchen closed"}])
    with shop.rt.db.session() as s:
        connector = build_connector(s.get(Connection, shop.tenant.connection_id), shop.rt.vault)
    assert follow_orders(shop.rt.db, connector, shop.tenant.connection_id) == 1
    assert shop.calls("statuses")[0]["refs"] == [pos_id]
    order = shop.get_order(order_id)
    assert (order["status"], order["status_reason"]) == ("rejected", "kitchen closed")


def test_completion_records_the_orders_purchase_once(shop):  # noqa: F811
    shop.set_stock("SAL-CAESAR", 10)
    shop.set_script(create="completed")
    order = shop.get_order(create(shop)["id"])
    assert order["status"] == "completed"
    assert order["purchase_id"] is not None
    assert shop.stock("SAL-CAESAR") == 8
    with shop.rt.db.session() as s:
        purchases = s.scalars(select(Event).where(Event.hub_id == shop.tenant.hub_id,
                                                  Event.type == "new_purchase")).all()
    assert len(purchases) == 1


def test_one_delivery_is_in_flight_per_order(shop):  # noqa: F811
    shop.set_script(create="down")
    order_id = create(shop)["id"]
    shop.rerun_delivery(order_id)  # the create waits to retry
    with shop.rt.db.session() as s:
        order = s.get(Order, order_id)
        later = queue_delivery(s, order, "update").id
    shop.rt.queue.drain()
    with shop.rt.db.session() as s:
        assert claim(s, later) is None
        assert s.get(OrderDelivery, later).status == "pending"


def test_an_update_the_pos_refuses_is_reported_on_the_delivery(shop):  # noqa: F811
    shop.set_script(create="accepted", update="refuse:the kitchen has started it")
    order_id = create(shop)["id"]
    shop.get_order(order_id)
    shop.post("update_order", {"order_id": order_id, "lines": [{"sku": "SAL-GREEK", "quantity": 1}]})
    order = shop.get_order(order_id)
    assert order["status"] == "accepted"
    assert (order["delivery"]["operation"], order["delivery"]["status"]) == ("update", "refused")
    assert order["delivery"]["last_error"] == "the kitchen has started it"



def test_a_refused_update_puts_back_the_lines_and_hold_of_the_version_the_pos_makes(shop):  # noqa: F811
    shop.set_stock("SAL-CAESAR", 10)
    shop.set_stock("SAL-GREEK", 10)
    shop.set_script(create="accepted", update="refuse:the kitchen has started it")
    order_id = create(shop)["id"]
    before = shop.get_order(order_id)
    shop.post("update_order", {"order_id": order_id, "lines": [{"sku": "SAL-GREEK", "quantity": 3}]})
    order = shop.get_order(order_id)
    assert [(x["sku"], x["quantity"]) for x in order["lines"]] == [("SAL-CAESAR", 2)]
    assert (order["total"], order["lines"]) == (before["total"], before["lines"])
    assert (shop.stock("SAL-CAESAR"), shop.stock("SAL-GREEK")) == (8, 10)
    assert (order["delivery"]["status"], order["delivery"]["last_error"]) == (
        "refused", "the kitchen has started it")
    assert (order["status"], status_events(shop, order_id)[-1]) == ("accepted", ("received", "accepted"))


def test_a_refused_update_after_an_accepted_one_goes_back_to_the_accepted_update(shop):  # noqa: F811
    shop.set_stock("SAL-CAESAR", 10)
    shop.set_stock("SAL-GREEK", 10)
    shop.set_script(create="accepted", update="accepted")
    order_id = create(shop)["id"]
    shop.get_order(order_id)
    shop.post("update_order", {"order_id": order_id, "lines": [{"sku": "SAL-GREEK", "quantity": 1}]})
    shop.get_order(order_id)
    shop.set_script(create="accepted", update="refuse:too late")
    shop.post("update_order", {"order_id": order_id, "lines": [{"sku": "SAL-GREEK", "quantity": 4}]})
    order = shop.get_order(order_id)
    assert [(x["sku"], x["quantity"]) for x in order["lines"]] == [("SAL-GREEK", 1)]
    assert (shop.stock("SAL-CAESAR"), shop.stock("SAL-GREEK")) == (10, 9)

def test_the_scheduler_queues_an_order_delivery_whose_job_was_lost(shop):  # noqa: F811
    shop.set_script(create="accepted")
    order_id = create(shop)["id"]
    shop.rt.queue.drain()
    with shop.rt.db.session() as s:
        order = s.get(Order, order_id)
        lost = queue_delivery(s, order, "update")
    shop.rt.queue.drain()  # its job ran: make the row look as if its job had been lost instead
    with shop.rt.db.session() as s:
        s.execute(update(OrderDelivery).where(OrderDelivery.id == lost.id)
                  .values(status="pending", attempts=0, enqueued_at=utcnow() - timedelta(minutes=5)))
    assert "order_deliveries" in [sweep.name for sweep in registered_sweeps()]
    # Only this delivery: other tests of the module share the database and may leave work of their own.
    assert queueing.sweep(shop.rt.db, shop.rt.queue, ORDER_DELIVERIES, only=lost.id) == 1

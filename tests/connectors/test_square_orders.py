"""Specification of orders placed in Square (Orders and Payments APIs), against Square mocked (`responses`).

Every request is held to Square's request schemas (SquareMock); every recorded answer used here is held to
the response schema of its operation in Square's published OpenAPI document.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import jsonschema
import pytest

from hub.connectors.base import (
    ConnectorError,
    ErrorKind,
    OrderData,
    OrderLineData,
    OrderRef,
    OrderRefused,
)
from tests.connectors.square_contract import SquareMock, strict
from tests.connectors.square_support import API, FIXTURES, SIG_KEY, connector, fixture, sent_json

REFERENCE = Path("/work/shared/reference/square-openapi.json")
HOOK_URL = "https://hub.example.com/v1/webhooks/c1"
ORDER_URL = f"{API}/v2/orders/SQ_ORDER_1"


@pytest.fixture(autouse=True)
def rsps():
    """Square's API, mocked; every request is held to Square's contract."""
    with SquareMock() as mock:
        yield mock


def hub_order(**changes) -> OrderData:
    """Two Caesar salads with ranch dressing for pickup at Grant Park, paid at the till."""
    data = OrderData(
        order_id="ord_1", channel_order_id="WEB-1001", location_external_id="L1GRANTPARK",
        lines=[OrderLineData(sku="SALAD-CAESAR", quantity=2, unit_price="9.45", line_total="18.90",
                             modifiers=[{"name": "Dressing", "option": "Ranch", "price": "0.50"}],
                             note="no croutons")],
        total="18.90", currency="USD", payment_type="pay_at_pos", channel="web",
        pickup_at=datetime(2025, 5, 1, 12, 30, tzinfo=UTC), note="ring the bell",
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def prepaid(**changes) -> OrderData:
    return hub_order(**{"payment_type": "prepaid", "payment_amount": "18.90", "payment_reference": "pi_3Nabc",
                        **changes})


REF = OrderRef(order_id="ord_1", pos_order_id="SQ_ORDER_1",
               pos_state={"version": 1, "fulfillment_uid": "hub-pickup", "location_id": "L1GRANTPARK"})


def square_ready_for_create(rsps, created: str = "order_create_proposed.json") -> None:
    rsps.get(f"{API}/v2/locations", json=fixture("locations.json"))
    rsps.get(f"{API}/v2/catalog/list", json=fixture("catalog_list.json"))
    rsps.post(f"{API}/v2/orders", json=fixture(created))


def square_ready_for_payment(rsps) -> None:
    rsps.post(f"{API}/v2/payments", json=fixture("order_payment_external.json"))
    rsps.post(f"{ORDER_URL}/pay", json=fixture("order_pay.json"))


def calls_to(rsps, method: str, url: str) -> list:
    return [c for c in rsps.calls if c.request.method == method and c.request.url.split("?")[0] == url]


# ---- create ------------------------------------------------------------------------------------

def test_create_sends_lines_by_catalog_variation_with_modifiers_and_note(rsps):
    square_ready_for_create(rsps)
    connector().create_order(hub_order(), "ord_1-v1-create")
    (line,) = sent_json(calls_to(rsps, "POST", f"{API}/v2/orders")[0])["order"]["line_items"]
    assert line["catalog_object_id"] == "VAR_SALAD" and line["quantity"] == "2"
    assert line["modifiers"] == [{"catalog_object_id": "MOD_RANCH", "quantity": "1"}]
    assert line["note"] == "no croutons"


def test_create_puts_the_order_at_its_location_with_the_channel_reference_and_a_key(rsps):
    square_ready_for_create(rsps)
    connector().create_order(hub_order(), "ord_1-v1-create")
    body = sent_json(calls_to(rsps, "POST", f"{API}/v2/orders")[0])
    assert body["order"]["location_id"] == "L1GRANTPARK"
    assert body["order"]["reference_id"] == "WEB-1001"
    assert body["order"]["metadata"]["hub_order_id"] == "ord_1"
    assert body["idempotency_key"]


def test_create_asks_for_a_proposed_pickup_at_the_pickup_time(rsps):
    square_ready_for_create(rsps)
    connector().create_order(hub_order(customer_key="Ana"), "ord_1-v1-create")
    (fulfillment,) = sent_json(calls_to(rsps, "POST", f"{API}/v2/orders")[0])["order"]["fulfillments"]
    assert fulfillment["type"] == "PICKUP" and fulfillment["state"] == "PROPOSED"
    assert fulfillment["pickup_details"] == {
        "recipient": {"display_name": "Ana"}, "schedule_type": "SCHEDULED",
        "pickup_at": "2025-05-01T12:30:00Z", "note": "ring the bell"}


def test_create_with_the_same_key_sends_the_same_idempotency_key(rsps):
    square_ready_for_create(rsps)
    connector().create_order(hub_order(), "ord_1-v1-create")
    connector().create_order(hub_order(), "ord_1-v1-create")
    first, second = (sent_json(c)["idempotency_key"] for c in calls_to(rsps, "POST", f"{API}/v2/orders"))
    assert first == second


def test_pay_at_pos_order_is_left_open_without_a_payment(rsps):
    square_ready_for_create(rsps)
    placement = connector().create_order(hub_order(), "ord_1-v1-create")
    assert not [c for c in rsps.calls if "/v2/payments" in c.request.url or c.request.url.endswith("/pay")]
    assert placement.status == "sent" and placement.pos_order_id == "SQ_ORDER_1"


def test_placement_keeps_version_fulfillment_and_location_for_later_changes(rsps):
    square_ready_for_create(rsps)
    placement = connector().create_order(hub_order(), "ord_1-v1-create")
    assert placement.pos_state == {"version": 1, "fulfillment_uid": "hub-pickup",
                                   "location_id": "L1GRANTPARK"}


def test_an_order_square_already_reserved_is_accepted(rsps):
    square_ready_for_create(rsps, created="order_retrieve_reserved.json")
    assert connector().create_order(hub_order(), "k").status == "accepted"


def test_prepaid_order_records_the_channels_payment_as_an_external_payment(rsps):
    square_ready_for_create(rsps)
    square_ready_for_payment(rsps)
    connector().create_order(prepaid(), "ord_1-v1-create")
    body = sent_json(calls_to(rsps, "POST", f"{API}/v2/payments")[0])
    assert body["source_id"] == "EXTERNAL"
    assert body["external_details"] == {"type": "EXTERNAL", "source": "web", "source_id": "pi_3Nabc"}
    assert body["amount_money"] == {"amount": 1890, "currency": "USD"}
    assert (body["order_id"], body["location_id"], body["reference_id"]) == ("SQ_ORDER_1", "L1GRANTPARK",
                                                                             "WEB-1001")
    assert body["autocomplete"] is False


def test_prepaid_order_is_paid_with_the_external_payment(rsps):
    square_ready_for_create(rsps)
    square_ready_for_payment(rsps)
    placement = connector().create_order(prepaid(), "ord_1-v1-create")
    body = sent_json(calls_to(rsps, "POST", f"{ORDER_URL}/pay")[0])
    assert body["payment_ids"] == ["PAY_EXT_1"] and body["order_version"] == 1
    assert placement.pos_state["version"] == 3


def test_prepaid_order_that_square_totals_differently_is_cancelled_there_and_refused(rsps):
    square_ready_for_create(rsps)
    rsps.put(ORDER_URL, json=fixture("order_cancel.json"))
    with pytest.raises(OrderRefused) as err:
        connector().create_order(prepaid(payment_amount="17.90", total="17.90"), "k")
    assert "18.90 USD" in err.value.reason and "17.90" in err.value.reason
    assert sent_json(calls_to(rsps, "PUT", ORDER_URL)[0])["order"]["state"] == "CANCELED"
    assert not calls_to(rsps, "POST", f"{API}/v2/payments")


# ---- refusals and failures ---------------------------------------------------------------------------

def test_unknown_sku_is_refused_before_anything_is_created(rsps):
    square_ready_for_create(rsps)
    with pytest.raises(OrderRefused) as err:
        connector().create_order(hub_order(lines=[OrderLineData("NOPE-1", 1, "1.00", "1.00")]), "k")
    assert "NOPE-1" in err.value.reason
    assert not calls_to(rsps, "POST", f"{API}/v2/orders")


@pytest.mark.parametrize(("location", "why"), [
    ("L2MIDTOWN", "VAR_SOUP is sold out at Square location L2MIDTOWN"),
    ("L1GRANTPARK", "VAR_SOUP is not sold at Square location L1GRANTPARK"),
], ids=["sold-out-there", "not-sold-there"])
def test_an_item_square_does_not_sell_at_the_location_is_refused(rsps, location, why):
    square_ready_for_create(rsps)
    soup = OrderData("ord_2", "WEB-2", location, [OrderLineData("VAR_SOUP", 1, "6.50", "6.50")], "6.50",
                     "USD", "pay_at_pos")
    with pytest.raises(OrderRefused) as err:
        connector().create_order(soup, "k")
    assert err.value.reason == why


def test_order_at_an_inactive_location_is_refused(rsps):
    square_ready_for_create(rsps)
    with pytest.raises(OrderRefused) as err:
        connector().create_order(hub_order(location_external_id="L3CLOSED"), "k")
    assert "L3CLOSED is not active" in err.value.reason


def test_squares_refusal_of_the_order_is_an_order_refusal_with_squares_detail(rsps):
    square_ready_for_create(rsps)
    rsps.replace("POST", f"{API}/v2/orders", status=404, json=fixture("error_order_catalog_not_found.json"))
    with pytest.raises(OrderRefused) as err:
        connector().create_order(hub_order(), "k")
    assert "Item variation with catalog object ID `VAR_SALAD` not found" in err.value.reason
    assert err.value.vendor_code == "NOT_FOUND"


def test_square_unavailable_is_a_transient_error_not_a_refusal(rsps):
    square_ready_for_create(rsps)
    rsps.replace("POST", f"{API}/v2/orders", status=503, json=fixture("error_service_unavailable.json"))
    with pytest.raises(ConnectorError) as err:
        connector().create_order(hub_order(), "k")
    assert err.value.kind is ErrorKind.TRANSIENT and not isinstance(err.value, OrderRefused)


# ---- status --------------------------------------------------------------------------------------

EXPECTED_STATUSES = {
    "SQ_SENT": ("sent", None),
    "SQ_ACCEPTED": ("accepted", None),
    "SQ_READY": ("ready", None),
    "SQ_PICKED_UP": ("completed", None),
    "SQ_CANCELLED": ("cancelled", "customer called"),
    "SQ_REJECTED": ("rejected", "kitchen closed"),
    "SQ_FAILED": ("cancelled", "Square marked the pickup failed"),
}


def test_statuses_follow_the_order_and_pickup_state_table(rsps):
    rsps.post(f"{API}/v2/orders/batch-retrieve", json=fixture("orders_batch_retrieve.json"))
    refs = [OrderRef(order_id=f"o{i}", pos_order_id=pos_id) for i, pos_id in enumerate(EXPECTED_STATUSES)]
    reports = connector().fetch_order_statuses(refs)
    assert {r.pos_order_id: (r.status, r.reason) for r in reports} == EXPECTED_STATUSES


def test_statuses_are_read_with_one_batch_retrieve_of_the_orders_ids(rsps):
    rsps.post(f"{API}/v2/orders/batch-retrieve", json={"orders": []})
    connector().fetch_order_statuses([REF, OrderRef(order_id="o2", pos_order_id="SQ_2"),
                                      OrderRef(order_id="o3", pos_order_id=None)])
    (call,) = rsps.calls
    assert sent_json(call) == {"order_ids": ["SQ_ORDER_1", "SQ_2"]}


# ---- update and cancel ---------------------------------------------------------------------------

def test_update_replaces_the_lines_at_squares_current_version(rsps):
    rsps.get(ORDER_URL, json=fixture("order_retrieve_reserved.json"))
    rsps.get(f"{API}/v2/catalog/list", json=fixture("catalog_list.json"))
    rsps.put(ORDER_URL, json=fixture("order_update.json"))
    changed = hub_order(version=2, lines=[OrderLineData("SALAD-CAESAR", 3, "8.95", "26.85")])
    placement = connector().update_order(changed, REF, "ord_1-v2-update")
    body = sent_json(calls_to(rsps, "PUT", ORDER_URL)[0])
    assert body["order"]["version"] == 2
    assert body["fields_to_clear"] == ["line_items[v1-1]"]
    assert body["order"]["line_items"] == [{"uid": "v2-1", "catalog_object_id": "VAR_SALAD", "quantity": "3"}]
    assert placement.status == "accepted" and placement.pos_state["version"] == 3


def test_update_is_refused_once_the_pickup_is_prepared(rsps):
    rsps.get(ORDER_URL, json=fixture("order_retrieve_prepared.json"))
    with pytest.raises(OrderRefused) as err:
        connector().update_order(hub_order(version=2), REF, "k")
    assert "prepared" in err.value.reason
    assert not calls_to(rsps, "PUT", ORDER_URL)


def test_update_of_a_paid_order_is_refused(rsps):
    rsps.get(ORDER_URL, json=fixture("order_pay.json"))
    with pytest.raises(OrderRefused) as err:
        connector().update_order(hub_order(version=2), REF, "k")
    assert "paid order" in err.value.reason


def test_cancel_cancels_the_pickup_and_the_order_at_the_current_version(rsps):
    rsps.get(ORDER_URL, json=fixture("order_retrieve_reserved.json"))
    rsps.put(ORDER_URL, json=fixture("order_cancel.json"))
    placement = connector().cancel_order(hub_order(), REF, "customer called", "ord_1-v1-cancel")
    body = sent_json(calls_to(rsps, "PUT", ORDER_URL)[0])
    assert body["order"]["state"] == "CANCELED" and body["order"]["version"] == 2
    assert body["order"]["fulfillments"] == [{"uid": "hub-pickup", "state": "CANCELED",
                                              "pickup_details": {"cancel_reason": "customer called"}}]
    assert placement.status == "cancelled"


def test_cancel_of_an_order_square_completed_is_refused(rsps):
    completed = fixture("order_retrieve_reserved.json")
    completed["order"]["state"] = "COMPLETED"
    rsps.get(ORDER_URL, json=completed)
    with pytest.raises(OrderRefused):
        connector().cancel_order(hub_order(), REF, None, "k")


# ---- webhooks ------------------------------------------------------------------------------------

def signed(body: bytes) -> dict[str, str]:
    digest = hmac.new(SIG_KEY.encode(), HOOK_URL.encode() + body, hashlib.sha256).digest()
    return {"x-square-hmacsha256-signature": base64.b64encode(digest).decode()}


def test_fulfillment_webhook_is_verified_like_every_square_webhook():
    body = (FIXTURES / "webhook_order_fulfillment_updated.json").read_bytes()
    assert connector().verify_callback(signed(body), body, HOOK_URL) is True
    tampered = body.replace(b"PREPARED", b"COMPLETED")
    assert connector().verify_callback(signed(body), tampered, HOOK_URL) is False


def test_fulfillment_webhook_reports_the_orders_new_status():
    hint = connector().parse_callback({}, (FIXTURES / "webhook_order_fulfillment_updated.json").read_bytes())
    (report,) = hint.order_statuses
    assert (report.pos_order_id, report.status) == ("SQ_ORDER_1", "ready")
    assert report.occurred_at == datetime(2025, 5, 1, 12, 20, tzinfo=UTC)


def test_order_updated_webhook_of_a_completed_order_reports_it_completed():
    hint = connector().parse_callback({}, (FIXTURES / "webhook_order_updated.json").read_bytes())
    assert [(r.pos_order_id, r.status) for r in hint.order_statuses] == [("ORD_POS_1", "completed")]


def test_cancelled_order_webhook_leaves_cancelled_or_rejected_to_the_poll_it_asks_for():
    hint = connector().parse_callback({}, (FIXTURES / "webhook_order_updated_canceled.json").read_bytes())
    assert hint.order_statuses == [] and hint.poll_now is True


# ---- the recorded answers are Square's published shapes ----------------------------------------------

RESPONSES = {
    "order_create_proposed.json": "CreateOrderResponse",
    "order_payment_external.json": "CreatePaymentResponse",
    "order_pay.json": "PayOrderResponse",
    "order_retrieve_reserved.json": "RetrieveOrderResponse",
    "order_retrieve_prepared.json": "RetrieveOrderResponse",
    "order_update.json": "UpdateOrderResponse",
    "order_cancel.json": "UpdateOrderResponse",
    "orders_batch_retrieve.json": "BatchRetrieveOrdersResponse",
    "error_order_catalog_not_found.json": "CreateOrderResponse",
    "webhook_order_fulfillment_updated.json": "OrderFulfillmentUpdatedEvent",
}


@cache
def _published_definitions() -> dict:
    document = json.loads(REFERENCE.read_text())
    return {name: strict(schema) for name, schema in document["components"]["schemas"].items()}


@pytest.mark.skipif(not REFERENCE.exists(), reason="Square's full OpenAPI document is not on this machine")
@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_recorded_answer_is_valid_against_squares_response_schema(name):
    schema = {"$ref": f"#/definitions/{RESPONSES[name]}", "definitions": _published_definitions()}
    errors = [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in jsonschema.Draft7Validator(schema).iter_errors(fixture(name))]
    assert errors == []


@pytest.mark.skipif(not REFERENCE.exists(), reason="Square's full OpenAPI document is not on this machine")
def test_recorded_order_updated_event_is_valid_against_squares_order_updated_schema():
    schema = {"$ref": "#/definitions/OrderUpdated", "definitions": _published_definitions()}
    summary = fixture("webhook_order_updated_canceled.json")["data"]["object"]["order_updated"]
    assert list(jsonschema.Draft7Validator(schema).iter_errors(summary)) == []

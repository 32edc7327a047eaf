"""Orders at Byte fridges: reservations at the account's reservation endpoint, or unsupported without one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest
import responses
from responses import matchers

from hub.connectors.base import (
    ConnectorError,
    ErrorKind,
    Fault,
    OrderData,
    OrderLineData,
    OrderRef,
    OrderRefused,
    OrderStatusReport,
    Unsupported,
)
from hub.connectors.byte_fridge import ByteFridgeConnector
from tests.connectors_byte_simphony.test_byte_fridge import BASE, CREDENTIALS, CUSTOM_FIELDS, fixture

RESERVATIONS = "https://reservations.byte.test/v1/reservations"
SETTINGS: dict[str, Any] = {"base_url": BASE, "reservation_url": RESERVATIONS}
Mock = responses.RequestsMock


def connector(**overrides: Any) -> ByteFridgeConnector:
    return ByteFridgeConnector({**SETTINGS, **overrides}, CREDENTIALS)


@pytest.fixture
def endpoint() -> Iterator[Mock]:
    with responses.RequestsMock() as rsps:
        yield rsps


def order(**overrides: Any) -> OrderData:
    values: dict[str, Any] = {
        "order_id": "ord_1", "channel_order_id": "APP-77", "location_external_id": "FR-0001",
        "lines": [OrderLineData("SALAD-CAESAR", 2, "8.90", "17.80"),
                  OrderLineData("WATER-05", 1, "1.50", "1.50")],
        "total": "19.30", "currency": "EUR", "payment_type": "prepaid", "payment_amount": "19.30",
        "payment_reference": "pi_1", "pickup_at": datetime(2025, 5, 1, 10, 30, tzinfo=UTC),
    }
    return OrderData(**{**values, **overrides})


REF = OrderRef("ord_1", "ord_1", {"reservation_id": "ord_1"})


# -- without a reservation endpoint ---------------------------------------------------------------


def test_without_a_reservation_endpoint_an_order_is_unsupported_with_the_reason() -> None:
    with pytest.raises(Unsupported) as caught:
        ByteFridgeConnector({"base_url": BASE}, CREDENTIALS).create_order(order(), "ord_1-v1-create")

    assert "sell from the shelf" in caught.value.message
    assert "settings/reservation_url" in caught.value.message


def test_without_a_reservation_endpoint_there_are_no_statuses_to_follow() -> None:
    assert ByteFridgeConnector({"base_url": BASE}, CREDENTIALS).fetch_order_statuses([REF]) == []


# -- settings ----------------------------------------------------------------------------------------


def test_the_reservation_url_must_be_https() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"base_url": BASE, "reservation_url": "http://reservations.byte.test/r"},
                            ByteFridgeConnector.settings_schema)


def test_the_reservation_url_is_held_to_the_outbound_policy() -> None:
    settings = {"base_url": BASE, "reservation_url": "https://127.0.0.1/r"}

    problems = ByteFridgeConnector.outbound_problems(settings, ())

    assert any(p.startswith("settings/reservation_url: ") for p in problems)


# -- creating ----------------------------------------------------------------------------------------


def test_an_order_is_posted_as_a_reservation_of_its_items_at_its_fridge(endpoint: Mock) -> None:
    endpoint.post(RESERVATIONS, json=fixture("reservation_created.json"), status=201)

    connector().create_order(order(), "ord_1-v1-create")

    assert json.loads(endpoint.calls[0].request.body) == {
        "reservation_id": "ord_1", "fridge_id": "FR-0001",
        "items": [{"sku": "SALAD-CAESAR", "quantity": 2}, {"sku": "WATER-05", "quantity": 1}],
        "expires_at": "2025-05-01T11:00:00Z", "reference": "APP-77",
    }


def test_the_reservation_is_sent_with_the_key_and_the_idempotency_key(endpoint: Mock) -> None:
    endpoint.post(RESERVATIONS, json=fixture("reservation_created.json"), match=[matchers.header_matcher(
        {"Authorization": "Bearer byte-key-123", "Idempotency-Key": "ord_1-v1-create"})])

    connector().create_order(order(), "ord_1-v1-create")


def test_the_fridge_holds_the_items_for_the_configured_time_past_pickup(endpoint: Mock) -> None:
    endpoint.post(RESERVATIONS, json=fixture("reservation_created.json"))

    connector(reservation_hold_minutes=90).create_order(order(), "k")

    assert json.loads(endpoint.calls[0].request.body)["expires_at"] == "2025-05-01T12:00:00Z"


def test_a_reserved_answer_accepts_the_order(endpoint: Mock) -> None:
    endpoint.post(RESERVATIONS, json=fixture("reservation_created.json"), status=201)

    placement = connector().create_order(order(), "k")

    assert (placement.pos_order_id, placement.status) == ("ord_1", "accepted")
    assert placement.pos_state == {"reservation_id": "ord_1"}


def test_a_conflict_refuses_the_order_with_the_endpoints_message(endpoint: Mock) -> None:
    endpoint.post(RESERVATIONS, json=fixture("reservation_refused_out_of_stock.json"), status=409)

    with pytest.raises(OrderRefused) as caught:
        connector().create_order(order(), "k")

    assert caught.value.reason == ("The fridge refused the reservation: "
                                   "SALAD-CAESAR: only 1 left in fridge FR-0001")


def test_an_answer_other_than_reserved_refuses_the_order(endpoint: Mock) -> None:
    answer = {"reservation_id": "ord_1", "status": "rejected", "reason": "fridge offline"}
    endpoint.post(RESERVATIONS, json=answer)

    with pytest.raises(OrderRefused, match="fridge offline"):
        connector().create_order(order(), "k")


def test_an_endpoint_failing_with_503_is_transient(endpoint: Mock) -> None:
    endpoint.post(RESERVATIONS, json={"message": "maintenance"}, status=503)

    with pytest.raises(ConnectorError) as caught:
        connector().create_order(order(), "k")

    assert not isinstance(caught.value, OrderRefused)
    assert caught.value.kind is ErrorKind.TRANSIENT


def test_a_wrong_reservation_url_is_a_settings_problem(endpoint: Mock) -> None:
    endpoint.post(RESERVATIONS, json={"message": "no such route"}, status=404)

    with pytest.raises(ConnectorError) as caught:
        connector().create_order(order(), "k")

    assert caught.value.fault is Fault.CONFIGURATION


def test_an_order_without_a_fridge_is_a_settings_problem_without_a_call(endpoint: Mock) -> None:
    with pytest.raises(ConnectorError) as caught:
        connector().create_order(order(location_external_id=None), "k")

    assert caught.value.fault is Fault.CONFIGURATION
    assert len(endpoint.calls) == 0


# -- changing and cancelling ----------------------------------------------------------------------


def test_an_update_puts_the_new_items_on_the_reservation(endpoint: Mock) -> None:
    endpoint.put(f"{RESERVATIONS}/ord_1", json=fixture("reservation_reserved.json"))

    lines = [OrderLineData("WATER-05", 3, "1.50", "4.50")]

    placement = connector().update_order(order(lines=lines), REF, "k2")

    assert json.loads(endpoint.calls[0].request.body)["items"] == [{"sku": "WATER-05", "quantity": 3}]
    assert placement.status == "accepted"


def test_cancelling_deletes_the_reservation(endpoint: Mock) -> None:
    endpoint.delete(f"{RESERVATIONS}/ord_1", status=204)

    placement = connector().cancel_order(order(), REF, "changed my mind", "ord_1-v1-cancel")

    assert (placement.pos_order_id, placement.status) == ("ord_1", "cancelled")


def test_cancelling_a_reservation_already_gone_still_cancels(endpoint: Mock) -> None:
    endpoint.delete(f"{RESERVATIONS}/ord_1", json={"message": "not found"}, status=404)

    assert connector().cancel_order(order(), REF, None, "k").status == "cancelled"


def test_a_collected_reservation_refuses_the_cancellation(endpoint: Mock) -> None:
    endpoint.delete(f"{RESERVATIONS}/ord_1", json={"message": "already collected"}, status=409)

    with pytest.raises(OrderRefused, match="already collected"):
        connector().cancel_order(order(), REF, None, "k")


# -- statuses ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("answer", "expected"), [
    ("reservation_reserved.json", [OrderStatusReport("ord_1", "accepted")]),
    ("reservation_expired.json", [OrderStatusReport(
        "ord_1", "cancelled", reason="the reservation expired at the fridge before it was collected")]),
    ("reservation_cancelled.json", [OrderStatusReport(
        "ord_1", "cancelled", reason="the reservation was cancelled at the fridge")]),
    ("reservation_collected.json", [OrderStatusReport("ord_1", "completed")]),
])
def test_a_reservations_state_is_reported_as_the_orders_status(
        endpoint: Mock, answer: str, expected: list[OrderStatusReport]) -> None:
    endpoint.get(f"{RESERVATIONS}/ord_1", json=fixture(answer))

    assert connector().fetch_order_statuses([REF]) == expected


def test_a_reservation_the_endpoint_does_not_know_is_left_out(endpoint: Mock) -> None:
    endpoint.get(f"{RESERVATIONS}/ord_1", json={"message": "not found"}, status=404)

    assert connector().fetch_order_statuses([REF]) == []


def test_an_order_never_reserved_is_not_asked_about(endpoint: Mock) -> None:
    assert connector().fetch_order_statuses([OrderRef("ord_2", None, {})]) == []
    assert len(endpoint.calls) == 0


def test_orders_are_a_capability_of_byte_connections() -> None:
    assert "place_orders" in ByteFridgeConnector.describe()["capabilities"]


# -- the fridge's transaction of a collected reservation ------------------------------------------


def transactions(endpoint: Mock, name: str, path: str = "/transactions") -> None:
    endpoint.get(f"{BASE}{path}", json=fixture(name))


def test_a_transaction_naming_its_reservation_settles_that_order(endpoint: Mock) -> None:
    transactions(endpoint, "transactions_reservation.json")

    collected = connector().fetch_purchases(None).purchases[0]

    assert (collected.external_id, collected.order_id) == ("TX-9101", "ord_1")


def test_a_transaction_without_a_reservation_stays_an_ordinary_sale(endpoint: Mock) -> None:
    transactions(endpoint, "transactions_reservation.json")

    sale = connector().fetch_purchases(None).purchases[1]

    assert (sale.external_id, sale.order_id) == ("TX-9102", None)


def test_the_reservation_is_read_under_the_accounts_own_field_name(endpoint: Mock) -> None:
    transactions(endpoint, "transactions_custom_reservation.json", "/sales")
    fields = {**CUSTOM_FIELDS, "transaction_reservation": "booking.ref"}

    [collected] = connector(paths={"transactions": "/sales"}, fields=fields).fetch_purchases(None).purchases

    assert (collected.external_id, collected.order_id) == ("77140", "ord_1")


def test_an_empty_reservation_field_name_reads_no_reservation(endpoint: Mock) -> None:
    transactions(endpoint, "transactions_reservation.json")

    collected = connector(fields={"transaction_reservation": ""}).fetch_purchases(None).purchases[0]

    assert collected.order_id is None


def test_a_numeric_reservation_id_is_read_as_text(endpoint: Mock) -> None:
    body = fixture("transactions_reservation.json")
    body["transactions"][0]["reservation_id"] = 5512
    endpoint.get(f"{BASE}/transactions", json=body)

    assert connector().fetch_purchases(None).purchases[0].order_id == "5512"


def test_a_reservation_field_naming_an_object_sets_the_transaction_aside(endpoint: Mock) -> None:
    transactions(endpoint, "transactions_custom_reservation.json", "/sales")
    fields = {**CUSTOM_FIELDS, "transaction_reservation": "booking"}

    page = connector(paths={"transactions": "/sales"}, fields=fields).fetch_purchases(None)

    assert page.purchases == []
    [unreadable] = page.unreadable
    assert unreadable.external_id == "77140"
    assert "fields.transaction_reservation" in unreadable.reason


def test_a_set_aside_transaction_read_again_keeps_its_reservation() -> None:
    row = fixture("transactions_reservation.json")["transactions"][0]

    assert connector().read_purchase(row).order_id == "ord_1"


def test_the_reservation_field_is_a_setting_with_its_default() -> None:
    fields = ByteFridgeConnector.settings_schema["properties"]["fields"]["properties"]

    assert fields["transaction_reservation"]["default"] == "reservation_id"
    jsonschema.validate({"base_url": BASE, "fields": {"transaction_reservation": "booking.ref"}},
                        ByteFridgeConnector.settings_schema)

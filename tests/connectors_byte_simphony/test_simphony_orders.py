"""Orders at Simphony: checks posted, followed and voided against canned Transaction Services envelopes.

Every request goes through zeep built from the shipped WSDL and must also validate against Simphony's
published contract (simphony_contract), as in test_simphony.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from lxml import etree

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
from hub.connectors.simphony import SimphonyConnector
from tests.connectors_byte_simphony.simphony_contract import contract_violations
from tests.connectors_byte_simphony.test_simphony import CREDENTIALS, SETTINGS, FakeTransactionServices

TNS = "{http://micros-hosting.com/EGateway/}"
ORDER_SETTINGS = {**SETTINGS, "revenue_centers": [1, 2], "order_tender_media": 401}
CHECK = {"rvc": 1, "num": 1031, "seq": 6001}


class FakeOrderServices(FakeTransactionServices):
    """The fake service, answering the order operations from their fixtures by default."""

    DEFAULTS = {"PostTransactionEx": "post_transaction_ok.xml", "VoidTransaction": "void_transaction_ok.xml"}

    def _default(self, fields: dict[str, str]) -> str:
        if fields["operation"] in self.DEFAULTS:
            return self.DEFAULTS[fields["operation"]]
        if fields["operation"] == "GetCheckDetail" and fields.get("CheckSeqNumber") == "6001":
            return "check_detail_order_6001_open.xml"
        return super()._default(fields)


@dataclass
class Simphony:
    """The fake service and the raw requests it received."""

    fake: FakeOrderServices
    mock: responses.RequestsMock

    def posted(self, operation: str) -> etree._Element:
        """The body element of the last request of this operation."""
        for call in reversed(self.mock.calls):
            body = etree.fromstring(call.request.body)
            element = body.find(f".//{TNS}{operation}")
            if element is not None:
                return element
        raise AssertionError(f"no {operation} request was sent")


@pytest.fixture
def simphony() -> Iterator[Simphony]:
    """Transaction Services answering from fixtures; every request must keep the published WSDL."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeOrderServices(rsps)
        yield Simphony(fake, rsps)
        assert contract_violations(rsps.calls) == []


def connector(**overrides: Any) -> SimphonyConnector:
    return SimphonyConnector({**ORDER_SETTINGS, **overrides}, CREDENTIALS)


def line(**overrides: Any) -> OrderLineData:
    values: dict[str, Any] = {"sku": "101004", "quantity": 1, "unit_price": "4.50", "line_total": "4.50"}
    return OrderLineData(**{**values, **overrides})


def order(**overrides: Any) -> OrderData:
    values: dict[str, Any] = {
        "order_id": "ord_1", "channel_order_id": "WEB-1001", "location_external_id": "1",
        "lines": [line()], "total": "4.50", "currency": "EUR", "payment_type": "pay_at_pos",
    }
    return OrderData(**{**values, **overrides})


def prepaid(**overrides: Any) -> OrderData:
    return order(payment_type="prepaid", payment_amount="4.50", payment_reference="pi_3Nx", **overrides)


def ref(**state: Any) -> OrderRef:
    return OrderRef("ord_1", "6001", {**CHECK, **state})


def values(element: etree._Element, path: str) -> list[str]:
    return [e.text or "" for e in element.findall(path.replace("t:", TNS))]


# -- posting the check ------------------------------------------------------------------------------


def test_the_check_goes_to_the_revenue_center_of_the_orders_location(simphony: Simphony) -> None:
    connector().create_order(order(location_external_id="2"), "ord_1-v1-create")

    check = simphony.posted("PostTransactionEx").find(f"{TNS}pGuestCheck")
    assert check.findtext(f"{TNS}CheckRevenueCenterID") == "2"
    assert check.findtext(f"{TNS}CheckEmployeeObjectNum") == "900001"
    assert check.findtext(f"{TNS}CheckOrderType") == "1"


def test_the_vendor_code_is_sent_with_the_check(simphony: Simphony) -> None:
    connector().create_order(order(), "ord_1-v1-create")

    assert simphony.posted("PostTransactionEx").findtext(f"{TNS}vendorCode") == "FOODCO-HUB"


def test_each_unit_of_a_line_is_rung_as_one_menu_item_by_its_master_number(simphony: Simphony) -> None:
    connector().create_order(order(lines=[line(quantity=2), line(sku="101020")]), "k")

    posted = simphony.posted("PostTransactionEx")
    assert values(posted, "t:ppMenuItems/t:SimphonyPosApi_MenuItem/t:MenuItem/t:MiObjectNum") == [
        "101004", "101004", "101020"]


def test_items_are_rung_on_the_configured_menu_and_price_levels(simphony: Simphony) -> None:
    connector(order_menu_level=2, order_sub_level=3, order_price_level=4).create_order(order(), "k")

    item = simphony.posted("PostTransactionEx").find(f".//{TNS}MenuItem")
    levels = [item.findtext(f"{TNS}{n}") for n in ("MiMenuLevel", "MiSubLevel", "MiPriveLevel")]
    assert levels == ["2", "3", "4"]


def test_modifier_options_with_a_condiment_number_are_rung_as_condiments(simphony: Simphony) -> None:
    modifiers = [{"name": "Milk", "option": "Oat", "price": "0.40"}, {"name": "Size", "option": "Large"}]
    conn = connector(condiment_object_numbers={"Milk: Oat": 7001, "Large": 7002})

    conn.create_order(order(lines=[line(modifiers=modifiers)]), "k")

    posted = simphony.posted("PostTransactionEx")
    condiments = values(posted, ".//t:Condiments/t:SimphonyPosApi_MenuItemDefinition/t:MiObjectNum")
    assert condiments == ["7001", "7002"]


def test_unmapped_modifiers_and_the_line_note_are_written_on_the_item(simphony: Simphony) -> None:
    modifiers = [{"name": "Milk", "option": "Oat", "price": "0.40"}]

    connector().create_order(order(lines=[line(modifiers=modifiers, note="extra hot")]), "k")

    posted = simphony.posted("PostTransactionEx")
    assert values(posted, ".//t:MenuItem/t:MiReference") == ["Milk: Oat; extra hot"]
    assert posted.find(f".//{TNS}Condiments") is None


def test_the_channel_order_and_its_note_are_written_on_the_check(simphony: Simphony) -> None:
    connector().create_order(order(channel="kiosk", customer_key="cus_9", note="no cutlery"), "k")

    check = simphony.posted("PostTransactionEx").find(f"{TNS}pGuestCheck")
    assert check.findtext(f"{TNS}CheckID") == "WEB-1001"
    assert values(check, "t:PCheckInfoLines/t:string") == [
        "Order WEB-1001 (kiosk)", "Customer cus_9", "no cutlery", "Pay at POS"]


def test_the_pickup_time_is_the_checks_fire_time_in_property_time(simphony: Simphony) -> None:
    connector().create_order(order(pickup_at=datetime(2025, 5, 1, 10, 30, tzinfo=UTC)), "k")

    check = simphony.posted("PostTransactionEx").find(f"{TNS}pGuestCheck")
    assert check.findtext(f"{TNS}CheckDateToFire") == "2025-05-01T12:30:00"  # Europe/Berlin, summer time


def test_a_prepaid_order_is_tendered_with_the_configured_media_for_its_amount(simphony: Simphony) -> None:
    connector().create_order(prepaid(), "k")

    tender = simphony.posted("PostTransactionEx").find(f"{TNS}pTmedDetail")
    assert tender.findtext(f"{TNS}TmedObjectNum") == "401"
    assert tender.findtext(f"{TNS}TmedPartialPayment") == "4.50"
    assert tender.findtext(f"{TNS}TmedReference") == "pi_3Nx"


def test_a_pay_at_pos_order_leaves_the_check_open_without_a_tender(simphony: Simphony) -> None:
    connector().create_order(order(), "k")

    assert simphony.posted("PostTransactionEx").find(f"{TNS}pTmedDetail") is None


def test_a_pay_at_pos_order_carries_the_service_total_when_one_is_configured(simphony: Simphony) -> None:
    connector(order_service_total_tender=901).create_order(order(), "k")

    tender = simphony.posted("PostTransactionEx").find(f"{TNS}pTmedDetail")
    assert tender.findtext(f"{TNS}TmedObjectNum") == "901"
    assert tender.find(f"{TNS}TmedPartialPayment") is None


def test_a_prepaid_order_without_a_tender_media_setting_is_unsupported(simphony: Simphony) -> None:
    settings = {k: v for k, v in ORDER_SETTINGS.items() if k != "order_tender_media"}

    with pytest.raises(Unsupported, match="order_tender_media"):
        SimphonyConnector(settings, CREDENTIALS).create_order(prepaid(), "k")

    assert simphony.fake.of("PostTransactionEx") == []


def test_the_posted_checks_sequence_is_the_pos_order_id(simphony: Simphony) -> None:
    placement = connector().create_order(order(), "k")

    assert placement.pos_order_id == "6001"  # the id fetch_purchases gives this check's purchase
    assert placement.status == "accepted"
    assert placement.pos_state == {"rvc": 1, "num": 1031, "seq": 6001, "total_due": "11.90"}


def test_a_check_already_posted_for_the_channel_order_is_taken_instead_of_posting_again(
        simphony: Simphony) -> None:
    simphony.fake.answer({"operation": "GetChecks"}, "get_checks_order_posted.xml")

    placement = connector().create_order(order(), "ord_1-v1-create")

    assert simphony.fake.of("PostTransactionEx") == []
    assert (placement.pos_order_id, placement.status) == ("6001", "accepted")
    assert placement.pos_state == {"rvc": 1, "num": 1031, "seq": 6001, "total_due": "4.50"}


def test_the_days_checks_of_the_orders_revenue_center_are_searched_before_posting(simphony: Simphony) -> None:
    connector().create_order(order(location_external_id="2"), "k")

    (lookup,) = simphony.fake.of("GetChecks")
    assert (lookup["RvcObjectNum"], lookup["OrderTypeID"], lookup["IncludeClosedCheck"]) == ("2", "1", "true")
    assert [c["operation"] for c in simphony.fake.calls] == ["GetChecks", "PostTransactionEx"]


# -- refusals and failures ----------------------------------------------------------------------------


def test_an_item_out_of_order_refuses_the_order_with_simphonys_words(simphony: Simphony) -> None:
    simphony.fake.answer({"operation": "PostTransactionEx"}, "post_transaction_item_out_of_order.xml")

    with pytest.raises(OrderRefused) as caught:
        connector().create_order(order(), "k")

    assert caught.value.vendor_code == "MenuItemOutOfOrder"
    assert "Menu Item 101004 is out of order" in caught.value.reason


def test_a_revenue_center_outside_its_serving_period_refuses_the_order(simphony: Simphony) -> None:
    simphony.fake.answer({"operation": "PostTransactionEx"}, "post_transaction_serving_period_closed.xml")

    with pytest.raises(OrderRefused, match="not serving now"):
        connector().create_order(order(), "k")


@pytest.mark.parametrize(("answer", "status", "kind"), [
    ("post_transaction_gateway_down.xml", 200, ErrorKind.TRANSIENT),  # EGatewayConnectionError
    ("fault_server_busy.xml", 500, ErrorKind.TRANSIENT),
    ("fault_bad_request.xml", 500, ErrorKind.PERMANENT),
])
def test_service_failures_go_through_the_error_table_not_as_refusals(
        simphony: Simphony, answer: str, status: int, kind: ErrorKind) -> None:
    simphony.fake.answer({"operation": "PostTransactionEx"}, answer, status=status)

    with pytest.raises(ConnectorError) as caught:
        connector().create_order(order(), "k")

    assert not isinstance(caught.value, OrderRefused)
    assert caught.value.kind is kind


def test_a_sku_that_is_no_menu_item_number_is_refused_without_a_call(simphony: Simphony) -> None:
    with pytest.raises(OrderRefused, match="'LATTE-L' is not a Simphony menu item"):
        connector().create_order(order(lines=[line(sku="LATTE-L")]), "k")

    assert simphony.fake.calls == []


def test_a_location_outside_the_revenue_centers_is_a_settings_problem(simphony: Simphony) -> None:
    with pytest.raises(ConnectorError) as caught:
        connector().create_order(order(location_external_id="7"), "k")

    assert caught.value.fault is Fault.CONFIGURATION
    assert "revenue centers (1, 2)" in caught.value.message
    assert simphony.fake.calls == []


# -- following, changing and voiding ------------------------------------------------------------------


def test_an_open_check_reports_the_order_accepted(simphony: Simphony) -> None:
    assert connector().fetch_order_statuses([ref()]) == [OrderStatusReport("6001", "accepted")]


def test_the_check_is_read_by_its_number_and_sequence(simphony: Simphony) -> None:
    connector().fetch_order_statuses([ref()])

    (call,) = simphony.fake.of("GetCheckDetail")
    assert (call["CheckNumber"], call["CheckSeqNumber"]) == ("1031", "6001")


def test_a_closed_check_reports_the_order_completed(simphony: Simphony) -> None:
    simphony.fake.answer({"operation": "GetCheckDetail"}, "check_detail_order_6001_closed.xml")

    assert connector().fetch_order_statuses([ref()]) == [OrderStatusReport("6001", "completed")]


def test_a_check_with_every_item_voided_reports_the_order_cancelled(simphony: Simphony) -> None:
    simphony.fake.answer({"operation": "GetCheckDetail"}, "check_detail_order_6001_voided.xml")

    (report,) = connector().fetch_order_statuses([ref()])

    assert report.status == "cancelled"
    assert report.reason == "every item of the check was voided at Simphony"


def test_a_check_simphony_no_longer_knows_is_left_out(simphony: Simphony) -> None:
    simphony.fake.answer({"operation": "GetCheckDetail"}, "check_detail_not_found.xml")

    assert connector().fetch_order_statuses([ref()]) == []


def test_a_check_whose_detail_cannot_be_read_is_left_for_the_next_poll(simphony: Simphony) -> None:
    simphony.fake.answer({"operation": "GetCheckDetail"}, "check_detail_order_6001_unreadable.xml")

    assert connector().fetch_order_statuses([ref()]) == []


def test_an_order_never_posted_is_not_asked_about(simphony: Simphony) -> None:
    assert connector().fetch_order_statuses([OrderRef("ord_2", None, {})]) == []
    assert simphony.fake.calls == []


def test_cancelling_voids_the_orders_check(simphony: Simphony) -> None:
    placement = connector().cancel_order(order(), ref(), "customer left", "ord_1-v1-cancel")

    check = simphony.posted("VoidTransaction").find(f"{TNS}pGuestCheck")
    assert [check.findtext(f"{TNS}{n}") for n in ("CheckNum", "CheckSeq", "CheckRevenueCenterID")] == [
        "1031", "6001", "1"]
    assert (placement.pos_order_id, placement.status) == ("6001", "cancelled")


def test_a_check_that_can_no_longer_be_voided_refuses_the_cancellation(simphony: Simphony) -> None:
    simphony.fake.answer({"operation": "VoidTransaction"}, "void_transaction_check_closed.xml")

    with pytest.raises(OrderRefused, match="no longer open"):
        connector().cancel_order(order(), ref(), None, "k")


def test_changing_a_posted_order_is_unsupported_with_the_reason(simphony: Simphony) -> None:
    with pytest.raises(Unsupported, match="cannot change the items of a posted check"):
        connector().update_order(order(), ref(), "ord_1-v2-update")

    assert simphony.fake.calls == []


def test_orders_are_a_capability_of_simphony_connections() -> None:
    assert "place_orders" in SimphonyConnector.describe()["capabilities"]

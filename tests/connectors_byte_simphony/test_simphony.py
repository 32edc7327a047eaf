"""The Simphony connector against a local WSDL and canned Transaction Services envelopes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest
import requests
import responses
from lxml import etree

from hub.connectors.base import (
    ConnectorError,
    CouponData,
    ErrorKind,
    Fault,
    MenuItemData,
    PurchaseLineRecord,
    PurchasePage,
    Unsupported,
)
from hub.connectors.simphony import SimphonyConnector
from hub.connectors.simphony.client import SHIPPED_WSDLS
from tests.connectors_byte_simphony.simphony_contract import contract_violations

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "simphony"
WSDL = SHIPPED_WSDLS["sts-gen1"]
ENDPOINT = "https://simphony.test/EGateway/SimphonyPosApiWeb.asmx"
SETTINGS: dict[str, Any] = {
    "wsdl_location": "sts-gen1",
    "endpoint_url": ENDPOINT,
    "employee_object_number": 900001,
    "revenue_centers": [1],
    "currency": "EUR",
    "timezone": "Europe/Berlin",
}
CREDENTIALS = {"vendor_code": "FOODCO-HUB"}


def request_fields(body: bytes) -> dict[str, str]:
    """The operation name and every leaf value of a SOAP request, by local name."""
    root = etree.fromstring(body)
    body_element = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    operation = body_element[0]
    fields = {"operation": etree.QName(operation).localname}
    for element in operation.iter():
        if len(element) == 0 and element.text is not None:
            fields[etree.QName(element).localname] = element.text
    return fields


class FakeTransactionServices:
    """Answers SOAP posts at ENDPOINT from fixture files; records what was asked."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.calls: list[dict[str, str]] = []
        self.rules: list[tuple[Callable[[dict[str, str]], bool], Any]] = []
        mock.add_callback(responses.POST, ENDPOINT, callback=self._answer)

    def answer(self, when: dict[str, str], reply: Any, status: int = 200,
               headers: dict[str, str] | None = None) -> None:
        """Answer requests whose fields include `when` with a fixture file or an exception."""
        def matches(fields: dict[str, str]) -> bool:
            return all(fields.get(k) == v for k, v in when.items())
        self.rules.insert(0, (matches, (reply, status, headers or {})))

    def _default(self, fields: dict[str, str]) -> str:
        operation = fields["operation"]
        if operation == "GetConfigurationInfoEx":
            kind = fields["ConfigurationInfoTypeID"].lower()
            return "config_version.xml" if kind == "version" else f"config_{kind}_{fields['StartIndex']}.xml"
        if operation == "GetChecks":
            return "get_checks_rvc1.xml"
        return f"check_detail_{fields['CheckSeqNumber']}.xml"

    def _answer(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        fields = request_fields(request.body if isinstance(request.body, bytes) else request.body.encode())
        fields["SOAPAction"] = request.headers.get("SOAPAction", "")
        self.calls.append(fields)
        reply: Any = self._default(fields)
        status, headers = 200, {}
        for matches, (rule_reply, rule_status, rule_headers) in self.rules:
            if matches(fields):
                reply, status, headers = rule_reply, rule_status, rule_headers
                break
        if isinstance(reply, Exception):
            raise reply
        body = (FIXTURES / reply).read_text() if reply.endswith(".xml") else reply
        return status, {"Content-Type": "text/xml; charset=utf-8", **headers}, body

    def of(self, operation: str) -> list[dict[str, str]]:
        return [c for c in self.calls if c["operation"] == operation]


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    """The mocked transport; every SOAP request a test sends through it must keep Simphony's contract."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
        violations = contract_violations(rsps.calls)
        assert not violations, "requests that break Simphony's WSDL:\n" + "\n".join(violations)


@pytest.fixture
def sts(mock: responses.RequestsMock) -> FakeTransactionServices:
    return FakeTransactionServices(mock)


def connector(**overrides: Any) -> SimphonyConnector:
    return SimphonyConnector({**SETTINGS, **overrides}, CREDENTIALS)


def cursor(since: str, open_checks: list[dict[str, Any]] | None = None) -> str:
    return json.dumps({"since": since, "open": open_checks or []})


# -- description ---------------------------------------------------------------------------


def test_describe_offers_reads_and_orders_with_valid_schemas() -> None:
    described = SimphonyConnector.describe()
    jsonschema.Draft202012Validator.check_schema(described["settings_schema"])
    jsonschema.Draft202012Validator.check_schema(described["credentials_schema"])
    assert described["type"] == "simphony"
    assert set(described["capabilities"]) == {
        "test_connection", "fetch_status", "fetch_purchases", "import_menu", "place_orders"}
    for name, prop in described["settings_schema"]["properties"].items():
        assert prop.get("title") and prop.get("description"), name


# -- connection test and error classes --------------------------------------------------------


def test_connection_test_asks_each_revenue_center_for_the_version(sts: FakeTransactionServices) -> None:
    connector(revenue_centers=[1, 2]).test_connection()

    calls = sts.of("GetConfigurationInfoEx")
    assert [c["RVCObjectNumber"] for c in calls] == ["1", "2"]
    assert all(c["ConfigurationInfoTypeID"] == "VERSION" for c in calls)
    assert calls[0]["EmployeeObjectNumber"] == "900001"
    assert calls[0]["VendorCode"] == "FOODCO-HUB"
    assert calls[0]["SOAPAction"] == '"http://micros-hosting.com/EGateway/GetConfigurationInfoEx"'


def test_failed_operational_result_is_permanent_with_simphonys_message(sts: FakeTransactionServices) -> None:
    sts.answer({"operation": "GetConfigurationInfoEx"}, "config_invalid_rvc.xml")

    with pytest.raises(ConnectorError) as caught:
        connector().test_connection()

    assert caught.value.kind is ErrorKind.PERMANENT
    assert caught.value.fault is Fault.CONFIGURATION  # a revenue center the settings name
    assert caught.value.vendor_code == "InvalidRvcNum"
    assert "Revenue Center 99 not found in property" in caught.value.message


def test_gateway_connection_error_code_is_transient(sts: FakeTransactionServices) -> None:
    sts.answer({"operation": "GetConfigurationInfoEx"}, "config_gateway_down.xml")

    with pytest.raises(ConnectorError) as caught:
        connector().test_connection()

    assert caught.value.kind is ErrorKind.TRANSIENT
    assert caught.value.vendor_code == "EGatewayConnectionError"


def test_busy_soap_fault_is_transient(sts: FakeTransactionServices) -> None:
    sts.answer({}, "fault_server_busy.xml", status=500)

    with pytest.raises(ConnectorError) as caught:
        connector().test_connection()

    assert caught.value.kind is ErrorKind.TRANSIENT


def test_other_soap_fault_is_permanent_and_keeps_the_fault_text(sts: FakeTransactionServices) -> None:
    sts.answer({}, "fault_bad_request.xml", status=500)

    with pytest.raises(ConnectorError) as caught:
        connector().test_connection()

    assert caught.value.kind is ErrorKind.PERMANENT
    assert caught.value.vendor_code == "soap:Client"
    assert "There is an error in XML document (1, 412)" in caught.value.message


def test_server_error_page_without_soap_fault_is_transient(sts: FakeTransactionServices) -> None:
    sts.answer({}, "<html><body>503 Service Unavailable</body></html>", status=503)

    with pytest.raises(ConnectorError) as caught:
        connector().test_connection()

    assert caught.value.kind is ErrorKind.TRANSIENT
    assert caught.value.status == 503


def test_a_200_html_page_instead_of_an_envelope_is_transient_and_the_vendors_fault(
    sts: FakeTransactionServices,
) -> None:
    # What a proxy or an IIS warm-up page answers while the service restarts: well-formed XHTML, status 200.
    page = ("<html><head><title>Service Unavailable</title></head>"
            "<body><h1>The service is starting. Please try again.</h1></body></html>")
    sts.answer({}, page, headers={"Content-Type": "text/html; charset=utf-8"})

    with pytest.raises(ConnectorError) as caught:
        connector().test_connection()

    assert (caught.value.kind, caught.value.fault) == (ErrorKind.TRANSIENT, Fault.VENDOR)
    assert "HTML" in caught.value.message


def test_a_200_html_page_that_is_not_xml_is_transient_too(sts: FakeTransactionServices) -> None:
    sts.answer({}, "<!DOCTYPE html><html><body><p>Bad gateway<br></body></html>",
               headers={"Content-Type": "text/html"})

    with pytest.raises(ConnectorError) as caught:
        connector().test_connection()

    assert (caught.value.kind, caught.value.fault) == (ErrorKind.TRANSIENT, Fault.VENDOR)


def test_rate_limited_response_is_retried_after_its_delay(sts: FakeTransactionServices) -> None:
    sts.answer({}, "Too many requests", status=429, headers={"Retry-After": "30"})

    with pytest.raises(ConnectorError) as caught:
        connector().test_connection()

    assert caught.value.kind is ErrorKind.RATE_LIMITED
    assert caught.value.retry_after == 30.0


def test_rejected_credentials_are_permanent(sts: FakeTransactionServices) -> None:
    sts.answer({}, "Unauthorized: vendor not allowed", status=401)

    with pytest.raises(ConnectorError) as caught:
        connector().test_connection()

    assert caught.value.kind is ErrorKind.PERMANENT
    assert caught.value.fault is Fault.CONFIGURATION
    assert "vendor not allowed" in caught.value.message


def test_timeout_is_transient(sts: FakeTransactionServices) -> None:
    sts.answer({}, requests.ReadTimeout("read timed out"))

    with pytest.raises(ConnectorError) as caught:
        connector().test_connection()

    assert caught.value.kind is ErrorKind.TRANSIENT


def test_refused_connection_is_transient(sts: FakeTransactionServices) -> None:
    sts.answer({}, requests.ConnectionError("connection refused"))

    with pytest.raises(ConnectorError) as caught:
        connector().test_connection()

    assert caught.value.kind is ErrorKind.TRANSIENT


def test_wsdl_read_from_a_url_and_operations_sent_to_the_endpoint_url(mock: responses.RequestsMock) -> None:
    wsdl_url = "https://simphony.test/EGateway/SimphonyPosApiWeb.asmx?WSDL"
    mock.get(wsdl_url, body=WSDL.read_text(), content_type="text/xml")
    mock.post(ENDPOINT, body=(FIXTURES / "config_version.xml").read_text(), content_type="text/xml")

    connector(wsdl_location=wsdl_url).test_connection()

    assert [(c.request.method, c.request.url) for c in mock.calls] == [("GET", wsdl_url), ("POST", ENDPOINT)]


def test_unreachable_wsdl_url_is_transient(mock: responses.RequestsMock) -> None:
    wsdl_url = "https://simphony.test/EGateway/SimphonyPosApiWeb.asmx?WSDL"
    mock.get(wsdl_url, body=requests.ConnectionError("no route to host"))

    with pytest.raises(ConnectorError) as caught:
        connector(wsdl_location=wsdl_url).test_connection()

    assert caught.value.kind is ErrorKind.TRANSIENT


def test_wsdl_url_that_is_not_found_is_permanent(mock: responses.RequestsMock) -> None:
    wsdl_url = "https://simphony.test/EGateway/Wrong.asmx?WSDL"
    mock.get(wsdl_url, status=404, body="The resource cannot be found.")

    with pytest.raises(ConnectorError) as caught:
        connector(wsdl_location=wsdl_url).test_connection()

    assert (caught.value.kind, caught.value.status) == (ErrorKind.PERMANENT, 404)


# -- status ----------------------------------------------------------------------------------------


def test_status_reports_each_answering_revenue_center_online(sts: FakeTransactionServices) -> None:
    statuses = connector(revenue_centers=[1, 2]).fetch_status()

    assert [(s.external_id, s.online) for s in statuses] == [("1", True), ("2", True)]


def test_status_marks_a_revenue_center_offline_when_its_workstation_is_unreachable(
    sts: FakeTransactionServices,
) -> None:
    sts.answer({"RVCObjectNumber": "2"}, "config_gateway_down.xml")

    statuses = connector(revenue_centers=[1, 2]).fetch_status()

    assert [(s.external_id, s.online) for s in statuses] == [("1", True), ("2", False)]


def test_status_fails_when_the_property_does_not_answer_at_all(sts: FakeTransactionServices) -> None:
    sts.answer({}, requests.ConnectionError("connection refused"))

    with pytest.raises(ConnectorError) as caught:
        connector(revenue_centers=[1, 2]).fetch_status()

    assert caught.value.kind is ErrorKind.TRANSIENT


# -- menu ------------------------------------------------------------------------------------------


def test_import_menu_joins_definitions_with_their_main_price(sts: FakeTransactionServices) -> None:
    items = connector(config_page_size=2).import_menu()

    assert items == [
        MenuItemData(sku="101001", name="Chicken Caesar Salad", price="8.50", currency="EUR"),
        MenuItemData(sku="101002", name="Vegan Buddha Bowl", price="9.25", currency="EUR", available=False),
    ]


def test_import_menu_reads_every_configuration_page(sts: FakeTransactionServices) -> None:
    connector(config_page_size=2).import_menu()

    pages = [(c["ConfigurationInfoTypeID"], c["StartIndex"], c["MaxRecordCount"])
             for c in sts.of("GetConfigurationInfoEx")]
    assert pages == [
        ("MENUITEMDEFINITIONS", "1", "2"),
        ("MENUITEMDEFINITIONS", "3", "2"),
        ("MENUITEMDEFINITIONS", "5", "2"),
        ("MENUITEMPRICE", "1", "2"),
        ("MENUITEMPRICE", "3", "2"),
        ("MENUITEMPRICE", "5", "2"),
    ]


def test_import_menu_leaves_out_items_without_a_price(sts: FakeTransactionServices) -> None:
    items = connector(config_page_size=2).import_menu()

    assert "101003" not in {item.sku for item in items}


def test_imported_item_names_the_revenue_centers_that_offer_it(sts: FakeTransactionServices) -> None:
    sts.answer({"RVCObjectNumber": "2", "ConfigurationInfoTypeID": "MENUITEMDEFINITIONS"},
               "config_menuitemdefinitions_5.xml")

    items = connector(config_page_size=2, revenue_centers=[1, 2]).import_menu()

    assert {item.sku: item.location_external_ids for item in items} == {"101001": ["1"], "101002": ["1"]}


def test_definitions_without_a_master_number_are_reported_skipped_with_the_reason(
    sts: FakeTransactionServices,
) -> None:
    sts.answer({"ConfigurationInfoTypeID": "MENUITEMDEFINITIONS"}, "config_menuitemdefinitions_no_master.xml")

    items = connector(config_page_size=2).import_menu()

    assert list(items) == []
    assert [(s.external_id, s.reason) for s in items.skipped] == [
        ("1001", "menu item definition 1001 (Chicken Caesar Salad) has no MiMasterObjNum, the number checks "
                 "sell it under; it has only MenuItemMasterID 1001"),
        ("1002", "menu item definition 1002 (Vegan Buddha Bowl) has no MiMasterObjNum, the number checks "
                 "sell it under; it has only MenuItemMasterID 1002"),
    ]


def test_definitions_without_a_price_are_reported_skipped(sts: FakeTransactionServices) -> None:
    items = connector(config_page_size=2).import_menu()

    assert [(s.external_id, s.reason) for s in items.skipped] == [
        ("101003", "menu item 101003 (Staff Meal) has no price in revenue center 1")]


def test_menu_push_is_unsupported_with_the_reason() -> None:
    with pytest.raises(Unsupported) as caught:
        connector().push_menu([MenuItemData(sku="1", name="x", price="1.00", currency="EUR")], "key-1")

    assert caught.value.kind is ErrorKind.PERMANENT
    assert "make Simphony the master of product data and import its menu instead" in caught.value.message


def test_coupon_push_is_unsupported_with_the_reason() -> None:
    with pytest.raises(Unsupported) as caught:
        connector().push_coupons([CouponData(code="SPRING10", name="Spring", discount_type="percent",
                                             percent_off="10")], "key-1")

    assert "cannot create discounts" in caught.value.message


# -- purchases ----------------------------------------------------------------------------------


def test_paid_check_becomes_a_purchase_with_its_sold_lines(sts: FakeTransactionServices) -> None:
    page = connector().fetch_purchases(cursor("2025-05-01T12:00:00"))

    first = page.purchases[0]
    assert first.external_id == "5001"
    assert first.location_external_id == "1"
    assert first.occurred_at == datetime(2025, 5, 1, 12, 3, 11, tzinfo=ZoneInfo("Europe/Berlin"))
    assert first.lines == [PurchaseLineRecord(sku="101001", quantity=2, unit_price="8.50", line_total="17.00",
                                              name="Chicken Caesar Salad")]
    assert (first.total, first.currency, first.payment_state) == ("16.52", "EUR", "paid_at_pos")
    assert first.coupon_codes == ["SPRING10"]


def test_purchase_poll_reads_checks_from_the_cursor_time(sts: FakeTransactionServices) -> None:
    page = connector().fetch_purchases(cursor("2025-05-01T12:00:00"))

    asked = sts.of("GetChecks")[0]
    assert (asked["LookUpStartDate"], asked["IncludeClosedCheck"], asked["RvcObjectNum"]) == (
        "2025-05-01T12:00:00", "true", "1")
    assert json.loads(page.next_cursor)["since"] == "2025-05-01T12:30:45"
    assert page.has_more is False


def test_training_checks_are_not_purchases(sts: FakeTransactionServices) -> None:
    page = connector().fetch_purchases(cursor("2025-05-01T12:00:00"))

    assert [p.external_id for p in page.purchases] == ["5001", "5004"]
    assert "5003" not in {c["CheckSeqNumber"] for c in sts.of("GetCheckDetail")}


def test_open_check_is_followed_in_the_cursor_until_it_is_paid(sts: FakeTransactionServices) -> None:
    first = connector().fetch_purchases(cursor("2025-05-01T12:00:00"))
    followed = json.loads(first.next_cursor)["open"]
    assert [c["seq"] for c in followed] == [5002]

    sts.answer({"operation": "GetChecks"}, "get_checks_empty.xml")
    sts.answer({"CheckSeqNumber": "5002"}, "check_detail_5002_paid.xml")
    recent = (datetime.now(ZoneInfo("Europe/Berlin")) - timedelta(hours=1)).replace(tzinfo=None)
    followed[0]["opened"] = recent.isoformat()
    second = connector().fetch_purchases(cursor("2025-05-01T12:30:45", followed))

    assert [(p.external_id, p.total) for p in second.purchases] == [("5002", "4.50")]
    assert json.loads(second.next_cursor)["open"] == []


def poll_following_check_5002(sts: FakeTransactionServices, detail: str) -> PurchasePage:
    """A poll with no new checks, following check 5002 (opened an hour ago) whose detail is this fixture."""
    sts.answer({"operation": "GetChecks"}, "get_checks_empty.xml")
    sts.answer({"CheckSeqNumber": "5002"}, detail)
    recent = (datetime.now(ZoneInfo("Europe/Berlin")) - timedelta(hours=1)).replace(tzinfo=None).isoformat()
    return connector().fetch_purchases(
        cursor("2025-05-01T12:30:45", [{"rvc": 1, "num": 1024, "seq": 5002, "opened": recent}]))


def embedded_detail(fixture_name: str) -> str:
    """The check detail document a GetCheckDetail fixture embeds."""
    return (FIXTURES / fixture_name).read_text().split("<![CDATA[", 1)[1].split("]]>", 1)[0]


def test_open_check_that_vanished_is_no_longer_followed(sts: FakeTransactionServices) -> None:
    page = poll_following_check_5002(sts, "check_detail_not_found.xml")

    assert page.purchases == []
    assert json.loads(page.next_cursor)["open"] == []


def test_a_check_with_nothing_rung_up_yet_is_followed_until_it_closes(sts: FakeTransactionServices) -> None:
    page = poll_following_check_5002(sts, "check_detail_5002_nothing_rung.xml")

    assert page.purchases == []
    assert [c["seq"] for c in json.loads(page.next_cursor)["open"]] == [5002]


def test_a_check_the_hub_cannot_read_is_set_aside_and_the_poll_moves_on(sts: FakeTransactionServices) -> None:
    sts.answer({"CheckSeqNumber": "5001"}, "check_detail_5002_no_open_time.xml")

    page = connector().fetch_purchases(cursor("2025-05-01T12:00:00"))

    assert [p.external_id for p in page.purchases] == ["5004"]
    (unreadable,) = page.unreadable
    assert (unreadable.kind, unreadable.external_id) == ("purchase", "5001")
    assert unreadable.reason == "Simphony check 1023 has no open time"
    assert (unreadable.raw["rvc"], unreadable.raw["num"], unreadable.raw["seq"]) == (1, 1023, 5001)
    assert json.loads(page.next_cursor)["since"] == "2025-05-01T12:30:45"


def test_a_set_aside_check_is_read_again_from_its_raw_record() -> None:
    detail = embedded_detail("check_detail_5002_paid.xml")

    purchase = connector().read_purchase({"rvc": 1, "num": 1024, "seq": 5002, "detail": detail})

    assert purchase is not None and (purchase.external_id, purchase.total) == ("5002", "4.50")


def test_a_set_aside_check_still_unreadable_says_why() -> None:
    detail = embedded_detail("check_detail_5002_no_open_time.xml")

    with pytest.raises(ValueError, match="has no open time"):
        connector().read_purchase({"rvc": 1, "num": 1024, "seq": 5002, "detail": detail})


def test_a_set_aside_check_not_closed_yet_reads_as_not_final() -> None:
    detail = embedded_detail("check_detail_5002_open.xml")

    assert connector().read_purchase({"rvc": 1, "num": 1024, "seq": 5002, "detail": detail}) is None


def test_purchases_come_in_pages_of_the_poll_budget(sts: FakeTransactionServices) -> None:
    page = connector(max_checks_per_poll=1).fetch_purchases(cursor("2025-05-01T12:00:00"))

    assert [p.external_id for p in page.purchases] == ["5001"]
    assert page.has_more is True
    assert json.loads(page.next_cursor)["since"] == "2025-05-01T12:03:11"


def test_unreadable_cursor_is_permanent() -> None:
    with pytest.raises(ConnectorError) as caught:
        connector().fetch_purchases('{"since": "yesterday"}')

    assert caught.value.kind is ErrorKind.PERMANENT


def test_first_purchase_poll_looks_back_the_configured_hours(sts: FakeTransactionServices) -> None:
    connector(initial_lookback_hours=6).fetch_purchases(None)

    asked = datetime.fromisoformat(sts.of("GetChecks")[0]["LookUpStartDate"])
    expected = datetime.now(ZoneInfo("Europe/Berlin")).replace(tzinfo=None) - timedelta(hours=6)
    assert abs(asked - expected) < timedelta(minutes=1)


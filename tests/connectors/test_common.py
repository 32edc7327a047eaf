"""The helpers the vendor connectors share: money, times, webhook signatures, the updated-at cursor."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hub.connectors.base import ConnectorError, ErrorKind, PurchaseRecord
from hub.connectors.common.cursor import OVERLAP, UpdatedSince
from hub.connectors.common.locations import pick_locations
from hub.connectors.common.money import (
    decimal_to_minor,
    minor_to_decimal,
    vendor_decimal,
    with_currency_decimals,
)
from hub.connectors.common.timefmt import parse_rfc3339, rfc3339
from hub.connectors.common.webhooks import header, hmac_sha256_base64, signature_matches

# ---- money ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "currency", "expected"), [
    (1050, "USD", "10.50"),
    (5, "USD", "0.05"),
    (0, "EUR", "0.00"),
    (-250, "EUR", "-2.50"),
    (500, "JPY", "500"),
    (1234, "KWD", "1.234"),
])
def test_minor_units_become_decimal_strings_with_the_currency_exponent(amount, currency, expected):
    assert minor_to_decimal(amount, currency) == expected


@pytest.mark.parametrize(("value", "currency", "expected"), [
    ("4.5", "USD", 450),
    ("8.95", "usd", 895),
    ("100", "JPY", 100),
    ("1.234", "KWD", 1234),
])
def test_decimal_prices_become_minor_units(value, currency, expected):
    assert decimal_to_minor(value, currency) == expected


@pytest.mark.parametrize(("value", "currency"), [("1.005", "USD"), ("1.5", "JPY"), ("ten", "USD")])
def test_prices_the_currency_cannot_express_are_rejected_permanently(value, currency):
    with pytest.raises(ConnectorError) as err:
        decimal_to_minor(value, currency)
    assert err.value.kind is ErrorKind.PERMANENT


@pytest.mark.parametrize(("amount", "currency", "expected"), [
    ("16.1", "USD", "16.10"), ("0.0", "EUR", "0.00"), ("540.0", "JPY", "540"), ("1.2345", "KWD", "1.235"),
])
def test_decimal_amounts_get_the_currency_decimals(amount, currency, expected):
    assert with_currency_decimals(amount, currency) == expected


@pytest.mark.parametrize("value", ["12,50", "NaN", "Infinity", None, ""])
def test_a_vendor_number_that_is_not_a_finite_number_is_a_permanent_error_naming_the_vendor(value):
    with pytest.raises(ConnectorError) as err:
        vendor_decimal(value, "Byte", "a total")
    assert err.value.kind is ErrorKind.PERMANENT
    assert err.value.message.startswith("Byte sent a total ")


# ---- times ---------------------------------------------------------------------------------------

def test_rfc3339_times_read_with_z_and_written_in_utc_with_z():
    moment = parse_rfc3339("2025-03-14T12:31:07.250Z")
    assert moment == datetime(2025, 3, 14, 12, 31, 7, 250000, tzinfo=UTC)
    berlin = moment.astimezone(timezone(timedelta(hours=1)))
    assert rfc3339(berlin) == "2025-03-14T12:31:07Z"
    assert rfc3339(berlin, "milliseconds") == "2025-03-14T12:31:07.250Z"


# ---- webhooks ------------------------------------------------------------------------------------

def test_signature_is_base64_hmac_sha256_and_compared_without_surrounding_spaces():
    expected = base64.b64encode(hmac.new(b"key", b"body", hashlib.sha256).digest()).decode()
    assert hmac_sha256_base64("key", b"body") == expected
    assert signature_matches(expected, f" {expected}\n")
    assert not signature_matches(expected, None)
    assert not signature_matches(expected, "")
    assert not signature_matches(expected, hmac_sha256_base64("other", b"body"))


def test_headers_are_found_in_any_case():
    assert header({"X-Shopify-Topic": "orders/create"}, "x-shopify-topic") == "orders/create"
    assert header({}, "X-Shopify-Topic") is None


# ---- the updated-at cursor -----------------------------------------------------------------------

def purchase(external_id: str) -> PurchaseRecord:
    return PurchaseRecord(external_id, None, datetime(2025, 3, 14, tzinfo=UTC), [], "0.00", "EUR")


def test_a_first_poll_without_orders_keeps_no_cursor():
    state = UpdatedSince.read(None)
    state.saw([])
    page = state.page_of([], None, "seconds")
    assert (page.next_cursor, page.has_more) == (None, False)


def test_a_bare_time_is_a_start_time_and_stays_the_cursor_while_nothing_changes():
    state = UpdatedSince.read("2025-03-14T12:00:00Z")
    assert state.since == "2025-03-14T12:00:00Z"
    assert json.loads(state.page_of([], None, "seconds").next_cursor) == {"since": "2025-03-14T12:00:00Z"}


def test_pages_carry_the_vendor_cursor_and_the_newest_update_then_the_next_poll_overlaps():
    state = UpdatedSince.read(json.dumps({"since": "2025-03-14T12:00:00Z"}))
    state.saw(["2025-03-14T12:05:00Z", None, "2025-03-14T12:09:30.500Z", "2025-03-14T12:07:00Z"])
    first = state.page_of([purchase("o1")], "page-2", "milliseconds")
    assert first.has_more
    assert json.loads(first.next_cursor) == {"since": "2025-03-14T12:00:00Z",
                                             "newest": "2025-03-14T12:09:30.500Z", "page": "page-2"}
    second = UpdatedSince.read(first.next_cursor)
    last = second.page_of([purchase("o2")], None, "milliseconds")
    expected = rfc3339(parse_rfc3339("2025-03-14T12:09:30.500Z") - OVERLAP, "milliseconds")
    assert json.loads(last.next_cursor) == {"since": expected} == {"since": "2025-03-14T12:07:30.500Z"}
    assert not last.has_more


def test_an_unreadable_cursor_is_a_permanent_error():
    with pytest.raises(ConnectorError) as err:
        UpdatedSince.read("{not json")
    assert err.value.kind is ErrorKind.PERMANENT


# ---- locations -----------------------------------------------------------------------------------

def test_named_locations_are_picked_and_unknown_ones_named_in_a_permanent_error():
    locations = [{"id": "L1"}, {"id": "L2"}]
    assert pick_locations(locations, [], "no {ids}") == locations
    assert pick_locations(locations, ["L2"], "no {ids}") == [{"id": "L2"}]
    with pytest.raises(ConnectorError) as err:
        pick_locations(locations, ["L2", "L3", "L4"], "no location {ids} here")
    assert (err.value.kind, err.value.message, err.value.vendor_code) == (
        ErrorKind.PERMANENT, "no location L3, L4 here", "NOT_FOUND")

"""Orders at Byte fridges: a reservation of the items at the account's reservation endpoint.

Byte fridges sell from the shelf; an order can only hold items for a customer when the account runs a
reservation endpoint (``reservation_url``). Its small JSON contract, documented in the settings schema:

- ``POST <url>``: ``{reservation_id, fridge_id, items: [{sku, quantity}], expires_at, reference}``, with an
  ``Idempotency-Key`` header; answers ``{reservation_id, status: "reserved"}``. 409 or 422 with a message is
  a refusal (out of stock, unknown fridge or sku).
- ``PUT <url>/<reservation_id>``: the same body, changing the items.
- ``DELETE <url>/<reservation_id>``: releases it (404: already gone).
- ``GET <url>/<reservation_id>``: ``{reservation_id, status}``; status ``reserved``, ``collected``,
  ``expired`` or ``cancelled``.

The endpoint keeps the ``reservation_id`` it is sent (the hub's order id), and the fridge's transaction of a
collected reservation names it (``fields.transaction_reservation``, read as ``PurchaseRecord.order_id``): the
hub links that transaction to the order, completes it, and takes no stock a second time (the order held it).

A collected reservation is reported ``completed``. That is safe with the linking rules (hub.orders.links):
whichever comes first ends the order with one purchase. The transaction first: it is linked and completes
the order, and the later ``completed`` is a repeat, ignored. The state first: the hub records the order's
purchase under the reservation id, without a decrement, and the later transaction naming the order is that
purchase again (a duplicate). Both paths lock the order's row, so a poll and a callback cannot both record it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from hub.connectors.base import (
    ConnectorError,
    ErrorKind,
    OrderData,
    OrderPlacement,
    OrderRef,
    OrderRefused,
    OrderStatusReport,
    request_or_transient,
)
from hub.connectors.byte_fridge.errors import byte_error, settings_error, vendor_message
from hub.connectors.byte_fridge.fields import get_path

NO_RESERVATIONS = (
    "Byte fridges sell from the shelf: an order can only be held for a customer through a reservation "
    "endpoint, and none is configured for this connection (settings/reservation_url)"
)
# Answers that are the endpoint saying no to this reservation, with its reason.
REFUSAL_STATUSES = frozenset({409, 422})
# Reservation states (GET) as order statuses; "reserved" means held, "collected" that the customer took it.
STATUSES: Mapping[str, tuple[str, str | None]] = {
    "reserved": ("accepted", None),
    "collected": ("completed", None),
    "expired": ("cancelled", "the reservation expired at the fridge before it was collected"),
    "cancelled": ("cancelled", "the reservation was cancelled at the fridge"),
}


@dataclass
class ByteReservations:
    """The account's reservation endpoint, called with the connection's key."""

    http: requests.Session
    timeout: float
    url: str
    headers: dict[str, str]
    message_field: str
    hold_minutes: int

    def _send(self, method: str, path: str, body: Any = None, key: str | None = None) -> requests.Response:
        url = self.url.rstrip("/") + (f"/{quote(path, safe='')}" if path else "")
        headers = {**self.headers, **({"Idempotency-Key": key} if key else {})}
        return request_or_transient(self.http, method, url, json=body, timeout=self.timeout, headers=headers)

    def _refusal_or_error(self, response: requests.Response, doing: str) -> ConnectorError:
        error = byte_error(response, self.message_field)
        if response.status_code in REFUSAL_STATUSES:
            words = vendor_message(response, self.message_field) or f"HTTP {response.status_code}"
            return OrderRefused(f"The fridge refused {doing}: {words}", status=response.status_code)
        return error

    def body(self, order: OrderData) -> dict[str, Any]:
        """The reservation: the order's fridge, items and the time the fridge may release them."""
        if not order.location_external_id:
            raise settings_error("A reservation needs the fridge: the order's location has no Byte fridge id")
        start = order.pickup_at or datetime.now(UTC)
        expires = (start + timedelta(minutes=self.hold_minutes)).astimezone(UTC).replace(microsecond=0)
        return {
            "reservation_id": order.order_id,
            "fridge_id": order.location_external_id,
            "items": [{"sku": line.sku, "quantity": line.quantity} for line in order.lines],
            "expires_at": expires.isoformat().replace("+00:00", "Z"),
            "reference": order.channel_order_id,
        }

    def create(self, order: OrderData, key: str) -> OrderPlacement:
        """Reserve the order's items at its fridge."""
        response = self._send("POST", "", self.body(order), key)
        return self._placement(response, order.order_id, "the reservation")

    def update(self, order: OrderData, ref: OrderRef, key: str) -> OrderPlacement:
        """Change the reserved items."""
        reservation = _reservation_id(ref)
        response = self._send("PUT", reservation, self.body(order), key)
        return self._placement(response, reservation, "the changed reservation")

    def cancel(self, ref: OrderRef, key: str) -> OrderPlacement:
        """Release the reservation; one the endpoint no longer has is as good as released."""
        reservation = _reservation_id(ref)
        response = self._send("DELETE", reservation, key=key)
        if response.status_code >= 400 and response.status_code != 404:
            raise self._refusal_or_error(response, "the cancellation")
        return OrderPlacement(reservation, "cancelled", pos_state={"reservation_id": reservation})

    def statuses(self, refs: list[OrderRef]) -> list[OrderStatusReport]:
        """Each reservation's state; unknown reservations and states outside the contract are left out."""
        reports = []
        for ref in refs:
            if not ref.pos_order_id:
                continue
            reservation = _reservation_id(ref)
            response = self._send("GET", reservation)
            if response.status_code == 404:
                continue
            if response.status_code >= 400:
                raise byte_error(response, self.message_field)
            status = str(get_path(_json(response), "status") or "").lower()
            if status in STATUSES:
                order_status, reason = STATUSES[status]
                reports.append(OrderStatusReport(ref.pos_order_id, order_status, reason=reason))
        return reports

    def _placement(self, response: requests.Response, fallback_id: str, doing: str) -> OrderPlacement:
        if response.status_code >= 400:
            raise self._refusal_or_error(response, doing)
        answer = _json(response)
        status = str(get_path(answer, "status") or "reserved").lower()
        if status != "reserved":
            words = get_path(answer, "reason") or get_path(answer, self.message_field) or f"status {status!r}"
            raise OrderRefused(f"The fridge did not reserve the items: {words}")
        reservation = str(get_path(answer, "reservation_id") or fallback_id)
        return OrderPlacement(reservation, "accepted", pos_state={"reservation_id": reservation})


def _reservation_id(ref: OrderRef) -> str:
    return str(ref.pos_state.get("reservation_id") or ref.pos_order_id or ref.order_id)


def _json(response: requests.Response) -> Any:
    """The answer's JSON object ({} when empty); anything else breaks the contract."""
    if not response.content.strip():
        return {}
    try:
        return response.json()
    except ValueError as exc:
        raise ConnectorError(ErrorKind.PERMANENT, "The reservation endpoint answered with something other "
                             "than JSON; check settings/reservation_url",
                             status=response.status_code) from exc


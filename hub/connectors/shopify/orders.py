"""Orders the hub places in Shopify for POS pickup: orderCreate inputs, order edits, and the status table.

Why ``orderCreate`` rather than ``draftOrderCreate`` + ``draftOrderComplete``: the published 2025-07 schema
lets one ``orderCreate`` say everything the hub needs (``financialStatus`` PENDING for pay-at-POS, so staff
collect the payment at the till; PAID with a successful SALE transaction carrying the channel's reference
for prepaid), and ``options.inventoryBehaviour`` DECREMENT_OBEYING_POLICY makes Shopify claim the stock
and refuse an item that is out of stock (INVENTORY_CLAIM_FAILED) instead of overselling. A draft order
needs two calls, and completing it with ``paymentPending`` marks it pending without a way to record a
payment taken elsewhere.

Shopify takes no idempotency key on ``orderCreate``: every order is tagged ``hub-order-<hub order id>`` and
looked up by that tag first, so a retried create finds the order its first attempt made.
Pickup details (location, time, channel order id) travel as custom attributes shown on the order; the
channel's order id is also the order's ``sourceIdentifier``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.connectors.base import OrderData, OrderPlacement, OrderStatusReport
from hub.connectors.common.timefmt import parse_rfc3339, rfc3339

# Fulfillment orders and order display statuses meaning the store has started on the order.
_STARTED_FULFILLMENT = frozenset({"IN_PROGRESS", "INCOMPLETE", "CLOSED"})
_STARTED_DISPLAY = frozenset({"IN_PROGRESS", "PARTIALLY_FULFILLED", "FULFILLED"})
# Cancel reasons meaning the store refused the order rather than someone calling it off.
_REFUSAL_REASONS = frozenset({"DECLINED", "INVENTORY"})


def tag(order_id: str) -> str:
    """The tag that finds the Shopify order of a hub order again."""
    return f"hub-order-{order_id}"


def create_input(order: OrderData, variants: Mapping[str, str]) -> dict[str, Any]:
    """The OrderCreateOrderInput: lines by variant, pickup details as attributes, payment per type."""
    lines = []
    for line in order.lines:
        item: dict[str, Any] = {"variantId": variants[line.sku], "quantity": line.quantity}
        properties = [{"name": str(m.get("name") or "Option"), "value": str(m.get("option") or m.get("name"))}
                      for m in line.modifiers]
        if line.note:
            properties.append({"name": "Note", "value": line.note})
        if properties:
            item["properties"] = properties
        lines.append(item)
    attributes = [{"key": "Channel order", "value": order.channel_order_id}]
    if order.location_external_id:
        attributes.append({"key": "Pickup location", "value": order.location_external_id})
    if order.pickup_at:
        attributes.append({"key": "Pickup at", "value": rfc3339(order.pickup_at)})
    if order.customer_key:
        attributes.append({"key": "Customer", "value": order.customer_key})
    data: dict[str, Any] = {
        "currency": order.currency,
        "lineItems": lines,
        "sourceIdentifier": order.channel_order_id,
        "tags": ["pos-hub", "pickup", tag(order.order_id)],
        "customAttributes": attributes,
        "financialStatus": "PAID" if order.payment_type == "prepaid" else "PENDING",
    }
    if order.note:
        data["note"] = order.note
    if order.payment_type == "prepaid":
        transaction: dict[str, Any] = {
            "kind": "SALE", "status": "SUCCESS", "gateway": order.channel or "Ordering channel",
            "amountSet": {"shopMoney": {"amount": order.payment_amount or order.total,
                                        "currencyCode": order.currency}},
        }
        if order.payment_reference:
            transaction["authorizationCode"] = order.payment_reference
        data["transactions"] = [transaction]
    return data


CREATE_OPTIONS = {"inventoryBehaviour": "DECREMENT_OBEYING_POLICY", "sendReceipt": False,
                  "sendFulfillmentReceipt": False}


def status_of(order: Mapping[str, Any]) -> tuple[str, str | None]:
    """The hub status of a Shopify order, and the reason for a rejection or cancellation.

    ================================================  ======================================
    Shopify order                                     hub status
    ================================================  ======================================
    ``cancelledAt`` set, ``cancelReason`` DECLINED    rejected (reason: the cancel reason)
    or INVENTORY
    ``cancelledAt`` set, any other reason             cancelled
    ``displayFulfillmentStatus`` FULFILLED, or        completed (handed over)
    ``closed``
    ``displayFulfillmentStatus`` REQUEST_DECLINED     rejected
    a fulfillment order IN_PROGRESS / INCOMPLETE, or  accepted (staff have started on it)
    ``displayFulfillmentStatus`` IN_PROGRESS /
    PARTIALLY_FULFILLED
    anything else (UNFULFILLED, OPEN, ON_HOLD, ...)   sent
    ================================================  ======================================

    Shopify's "ready for pickup" is not readable from the order in this API version, so a Shopify order
    goes from accepted to completed without ``ready``.
    """
    if order.get("cancelledAt"):
        reason = order.get("cancelReason")
        words = f"cancelled in Shopify ({str(reason).lower()})" if reason else "cancelled in Shopify"
        return ("rejected" if reason in _REFUSAL_REASONS else "cancelled"), words
    display = order.get("displayFulfillmentStatus")
    if display == "FULFILLED" or order.get("closed"):
        return "completed", None
    if display == "REQUEST_DECLINED":
        return "rejected", "the fulfillment request was declined in Shopify"
    statuses = {fo.get("status") for fo in (order.get("fulfillmentOrders") or {}).get("nodes") or []}
    if statuses & _STARTED_FULFILLMENT or display in _STARTED_DISPLAY:
        return "accepted", None
    return "sent", None


def report(order: Mapping[str, Any]) -> OrderStatusReport:
    """A Shopify order's status as the hub's report (see ``status_of``)."""
    status, reason = status_of(order)
    occurred = None
    if isinstance(order.get("updatedAt"), str):
        try:
            occurred = parse_rfc3339(order["updatedAt"])
        except ValueError:
            occurred = None
    return OrderStatusReport(pos_order_id=order["id"], status=status, reason=reason, occurred_at=occurred)


def placement(order: Mapping[str, Any]) -> OrderPlacement:
    """What the hub stores after a create or edit: Shopify's order id and the order's status."""
    status, reason = status_of(order)
    return OrderPlacement(pos_order_id=order["id"], status=status, reason=reason,
                          pos_state={"order_id": order["id"]})


def update_refusal(order: Mapping[str, Any]) -> str | None:
    """Why this Shopify order's lines can no longer change (started or final), or None."""
    status, _ = status_of(order)
    if status != "sent":
        return f"the order is {status} in Shopify: the store has started or finished it"
    return None


def quantity_changes(calculated_lines: list[Mapping[str, Any]], wanted: Mapping[str, int]
                     ) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(line item id, new quantity) for lines to change, and (variant id, quantity) for variants to add."""
    seen: set[str] = set()
    changes = []
    for line in calculated_lines:
        variant = (line.get("variant") or {}).get("id")
        if not variant:
            continue
        quantity = 0 if variant in seen else wanted.get(variant, 0)
        seen.add(variant)
        if quantity != line.get("editableQuantity", line.get("quantity")):
            changes.append((line["id"], quantity))
    additions = [(variant, quantity) for variant, quantity in wanted.items()
                 if variant not in seen and quantity]
    return changes, additions

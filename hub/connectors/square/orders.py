"""Orders the hub places in Square (Orders API): request bodies, and Square's order as the hub's status.

* An order is created at its location with one PICKUP fulfillment (PROPOSED, so it shows in the
  Square Point of Sale order manager for staff to accept), its lines by catalog variation (the hub
  sku rule of the package notes), modifiers by catalog modifier when the item's modifier lists have
  one of that name (else an ad-hoc modifier with the hub's price), ``reference_id`` = the channel's
  order id (cut to Square's 40 characters) and the hub's ids in ``metadata``.
* Prepaid: the channel's payment is recorded as Square documents external payments: CreatePayment
  with ``source_id`` EXTERNAL, ``external_details`` and ``autocomplete`` false, then PayOrder with that
  payment, for the order's total as Square computes it, which must equal what the channel collected
  (otherwise the order is cancelled in Square and refused). Pay at the POS: the order stays OPEN
  and unpaid, for the till.
* Square refuses line item changes to a paid order ("LineItems cannot be modified for finalized
  tenders"), and the hub refuses them once the pickup is PREPARED or later.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from hub.connectors.base import OrderData, OrderLineData, OrderPlacement, OrderRefused, OrderStatusReport
from hub.connectors.common.money import decimal_to_minor, minor_to_decimal
from hub.connectors.common.timefmt import parse_rfc3339, rfc3339
from hub.connectors.square.catalog import Catalog

FULFILLMENT_UID = "hub-pickup"
# The fulfillment states in which the kitchen has not started: the lines may still change.
CHANGEABLE = frozenset({"PROPOSED", "RESERVED"})
_REFERENCE_MAX = 40


def _money(amount: str, currency: str) -> dict[str, Any]:
    return {"amount": decimal_to_minor(amount, currency), "currency": currency}


def _modifier(modifier: Mapping[str, Any], item: Mapping[str, Any] | None, catalog: Catalog,
              currency: str) -> dict[str, Any]:
    """A catalog modifier of the item's lists named like the hub's choice, else an ad-hoc one."""
    list_name = str(modifier.get("name") or "")
    option = str(modifier.get("option") or modifier.get("name") or "")
    list_ids = [info.get("modifier_list_id") for info in ((item or {}).get("item_data") or {})
                .get("modifier_list_info") or [] if info.get("enabled", True)]
    for list_id in list_ids:
        mlist = catalog.modifier_lists.get(list_id or "")
        data = (mlist or {}).get("modifier_list_data") or {}
        if list_name and data.get("name", "").lower() != list_name.lower():
            continue
        for candidate in data.get("modifiers") or []:
            if ((candidate.get("modifier_data") or {}).get("name") or "").lower() == option.lower():
                return {"catalog_object_id": candidate["id"], "quantity": "1"}
    price = modifier.get("price")
    amount = str(price.get("amount") if isinstance(price, Mapping) else price or "0")
    name = f"{list_name}: {option}" if list_name and option != list_name else option
    return {"name": name[:255], "quantity": "1", "base_price_money": _money(amount, currency)}


def _sellable(line: OrderLineData, catalog: Catalog, location_id: str) -> dict[str, Any]:
    """The line's variation; OrderRefused when Square has none, or it is not sold or sold out there."""
    variation = catalog.variations.get(line.sku)
    item = catalog.items.get(line.sku)
    if variation is None or item is None:
        raise OrderRefused(f"Square's item library has no item with sku {line.sku}", vendor_code="NOT_FOUND")
    for obj in (item, variation):
        if obj.get("present_at_all_locations", True):
            if location_id in (obj.get("absent_at_location_ids") or []):
                raise OrderRefused(f"{line.sku} is not sold at Square location {location_id}",
                                   vendor_code="ITEM_NOT_AT_LOCATION")
        elif location_id not in (obj.get("present_at_location_ids") or []):
            raise OrderRefused(f"{line.sku} is not sold at Square location {location_id}",
                               vendor_code="ITEM_NOT_AT_LOCATION")
    overrides = (variation.get("item_variation_data") or {}).get("location_overrides") or []
    if any(o.get("location_id") == location_id and o.get("sold_out") for o in overrides):
        raise OrderRefused(f"{line.sku} is sold out at Square location {location_id}", vendor_code="SOLD_OUT")
    return variation


def line_items(order: OrderData, catalog: Catalog, location_id: str, prefix: str) -> list[dict[str, Any]]:
    """The order's lines as Square line items by catalog variation (OrderRefused for unsellable skus)."""
    items = []
    for index, line in enumerate(order.lines):
        variation = _sellable(line, catalog, location_id)
        li: dict[str, Any] = {"uid": f"{prefix}-{index + 1}", "catalog_object_id": variation["id"],
                              "quantity": str(line.quantity)}
        if line.modifiers:
            item = catalog.items.get(line.sku)
            li["modifiers"] = [_modifier(m, item, catalog, order.currency) for m in line.modifiers]
        if line.note:
            li["note"] = line.note[:2000]
        items.append(li)
    return items


def create_body(order: OrderData, catalog: Catalog, location_id: str, idempotency_key: str) -> dict[str, Any]:
    """The CreateOrder request: lines, a PROPOSED pickup fulfillment, the channel's reference."""
    pickup: dict[str, Any] = {
        "recipient": {"display_name": (order.customer_key or f"Order {order.channel_order_id}")[:255]},
    }
    if order.pickup_at:
        pickup.update(schedule_type="SCHEDULED", pickup_at=rfc3339(order.pickup_at))
    else:
        pickup["schedule_type"] = "ASAP"
    if order.note:
        pickup["note"] = order.note[:500]
    metadata = {"hub_order_id": order.order_id[:255], "channel_order_id": order.channel_order_id[:255]}
    if order.channel:
        metadata["channel"] = order.channel[:255]
    body: dict[str, Any] = {
        "location_id": location_id,
        "reference_id": order.channel_order_id[:_REFERENCE_MAX],
        "source": {"name": (order.channel or "POS hub")[:255]},
        "line_items": line_items(order, catalog, location_id, f"v{order.version}"),
        "fulfillments": [{"uid": FULFILLMENT_UID, "type": "PICKUP", "state": "PROPOSED",
                          "pickup_details": pickup}],
        "metadata": metadata,
    }
    return {"idempotency_key": idempotency_key, "order": body}


def payment_body(order: OrderData, square_order: Mapping[str, Any], idempotency_key: str) -> dict[str, Any]:
    """CreatePayment recording the channel's payment as an EXTERNAL one, to be collected by PayOrder."""
    total = square_order["total_money"]
    details: dict[str, Any] = {"type": "EXTERNAL", "source": (order.channel or "Ordering channel")[:255]}
    if order.payment_reference:
        details["source_id"] = order.payment_reference[:255]
    body: dict[str, Any] = {
        "source_id": "EXTERNAL",
        "idempotency_key": idempotency_key,
        "amount_money": {"amount": total["amount"], "currency": total["currency"]},
        "autocomplete": False,
        "order_id": square_order["id"],
        "location_id": square_order["location_id"],
        "reference_id": order.channel_order_id[:_REFERENCE_MAX],
        "external_details": details,
    }
    return body


def total_mismatch(order: OrderData, square_order: Mapping[str, Any]) -> str | None:
    """Why the channel's payment cannot pay Square's order (its total differs), or None."""
    total = square_order.get("total_money") or {}
    paid = order.payment_amount or order.total
    currency = total.get("currency") or order.currency
    square_total = minor_to_decimal(int(total.get("amount") or 0), currency)
    if currency != order.currency or Decimal(square_total) != Decimal(paid):
        return (f"Square totals the order at {square_total} {currency} (taxes and prices as set up in "
                f"Square), but the channel was paid {paid} {order.currency}")
    return None


def pickup(square_order: Mapping[str, Any]) -> dict[str, Any]:
    """The hub's pickup fulfillment of a Square order (or its first one), or an empty dict."""
    fulfillments = square_order.get("fulfillments") or []
    return next((f for f in fulfillments if f.get("uid") == FULFILLMENT_UID), fulfillments[0] if fulfillments
                else {})


def pos_state(square_order: Mapping[str, Any]) -> dict[str, Any]:
    """What the hub keeps to change the order later: its version, fulfillment uid and location."""
    return {"version": square_order.get("version"), "fulfillment_uid": pickup(square_order).get("uid"),
            "location_id": square_order.get("location_id")}


# (order state, fulfillment state) -> hub status; None as fulfillment state: any.
STATUS_TABLE: dict[tuple[str, str | None], str] = {
    ("DRAFT", None): "sent",
    ("OPEN", "PROPOSED"): "sent",
    ("OPEN", "RESERVED"): "accepted",
    ("OPEN", "PREPARED"): "ready",
    ("OPEN", "COMPLETED"): "completed",
    ("OPEN", "CANCELED"): "cancelled",
    ("OPEN", "FAILED"): "cancelled",
    ("OPEN", None): "sent",
    ("COMPLETED", None): "completed",
    ("CANCELED", None): "cancelled",
}


def status_of(order_state: str | None, fulfillment_state: str | None) -> str | None:
    """The hub status of a Square order state and pickup fulfillment state (None: not known).

    ======================  ======================  ============================================
    order ``state``         pickup ``state``        hub status
    ======================  ======================  ============================================
    DRAFT                   any                     sent
    OPEN                    PROPOSED (or none)      sent (staff have not accepted it yet)
    OPEN                    RESERVED                accepted
    OPEN                    PREPARED                ready
    OPEN                    COMPLETED               completed (picked up)
    OPEN                    CANCELED / FAILED       cancelled, or rejected when Square records
                                                    the pickup as rejected (``rejected_at``)
    COMPLETED               any                     completed
    CANCELED                any                     cancelled, or rejected as above
    ======================  ======================  ============================================
    """
    state = order_state or "OPEN"
    return STATUS_TABLE.get((state, fulfillment_state)) or STATUS_TABLE.get((state, None))


def report(square_order: Mapping[str, Any]) -> OrderStatusReport | None:
    """A Square order's status as the hub's report (see ``status_of``), or None when unknown."""
    fulfillment = pickup(square_order)
    status = status_of(square_order.get("state"), fulfillment.get("state"))
    if status is None or not square_order.get("id"):
        return None
    details = fulfillment.get("pickup_details") or {}
    reason = None
    if status == "cancelled":
        if details.get("rejected_at"):
            status = "rejected"
        reason = details.get("cancel_reason") or (
            "Square marked the pickup failed" if fulfillment.get("state") == "FAILED" else None)
        if status == "rejected" and not reason:
            reason = "declined in Square Point of Sale"
    occurred = square_order.get("updated_at")
    return OrderStatusReport(pos_order_id=square_order["id"], status=status, reason=reason,
                             occurred_at=_time(occurred), pos_state=pos_state(square_order))


def _time(value: Any) -> datetime | None:
    try:
        return parse_rfc3339(value) if isinstance(value, str) else None
    except ValueError:
        return None


def placement(square_order: Mapping[str, Any], default: str = "sent") -> OrderPlacement:
    """What the hub stores after a create, update or cancel: Square's id, status and state."""
    found = report(square_order)
    return OrderPlacement(pos_order_id=square_order.get("id"), status=found.status if found else default,
                          reason=found.reason if found else None, pos_state=pos_state(square_order))


def update_refusal(square_order: Mapping[str, Any]) -> str | None:
    """Why the lines of this Square order can no longer change (started, final or paid), or None."""
    state = square_order.get("state")
    if state != "OPEN":
        return f"the order is {str(state).lower()} in Square"
    fulfillment_state = pickup(square_order).get("state")
    if fulfillment_state and fulfillment_state not in CHANGEABLE:
        return f"Square's pickup is already {fulfillment_state.lower()}: the kitchen has started"
    if square_order.get("tenders"):
        return "Square does not change the items of a paid order"
    return None


def update_body(order: OrderData, square_order: Mapping[str, Any], catalog: Catalog,
                idempotency_key: str) -> dict[str, Any]:
    """A sparse UpdateOrder: the current version, the old line items cleared, the new ones added."""
    location_id = square_order["location_id"]
    old = [li["uid"] for li in square_order.get("line_items") or [] if li.get("uid")]
    body: dict[str, Any] = {
        "idempotency_key": idempotency_key,
        "order": {"location_id": location_id, "version": square_order.get("version"),
                  "line_items": line_items(order, catalog, location_id, f"v{order.version}")},
    }
    if old:
        body["fields_to_clear"] = [f"line_items[{uid}]" for uid in old]
    return body


def cancel_body(square_order: Mapping[str, Any], reason: str | None, idempotency_key: str) -> dict[str, Any]:
    """A sparse UpdateOrder cancelling the pickup and the order at the current version."""
    fulfillment: dict[str, Any] = {"uid": pickup(square_order).get("uid") or FULFILLMENT_UID,
                                   "state": "CANCELED"}
    if reason:
        fulfillment["pickup_details"] = {"cancel_reason": reason[:100]}
    order: dict[str, Any] = {"location_id": square_order["location_id"],
                             "version": square_order.get("version"), "state": "CANCELED"}
    if pickup(square_order):
        order["fulfillments"] = [fulfillment]
    return {"idempotency_key": idempotency_key, "order": order}

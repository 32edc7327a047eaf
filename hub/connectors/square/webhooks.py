"""Square webhooks: the x-square-hmacsha256-signature check, and what an event says."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hub.connectors.base import CallbackHint, OrderStatusReport
from hub.connectors.common.timefmt import parse_rfc3339
from hub.connectors.common.webhooks import header, hmac_sha256_base64, signature_matches
from hub.connectors.square.orders import status_of

SIGNATURE_HEADER = "x-square-hmacsha256-signature"


def signature(key: str, notification_url: str, body: bytes) -> str:
    """Square's webhook signature: base64(HMAC-SHA256(key, notification URL + raw body))."""
    return hmac_sha256_base64(key, notification_url.encode() + body)


def verify(key: str | None, notification_url: str, headers: Mapping[str, str], body: bytes) -> bool:
    """True when the request carries the signature of this subscription's key."""
    if not key:
        return False
    return signature_matches(signature(key, notification_url, body), header(headers, SIGNATURE_HEADER))


# Order webhooks, and where their data.object holds the order's summary.
ORDER_EVENTS = {"order.updated": "order_updated", "order.fulfillment.updated": "order_fulfillment_updated"}
# Statuses a webhook can tell on its own: a cancelled pickup may be a rejection (Square records
# rejected_at on the order, not in the event), so that one is left to the poll the hint asks for.
_CERTAIN = frozenset({"sent", "accepted", "ready", "completed"})


def order_statuses(event: Mapping[str, Any]) -> list[OrderStatusReport]:
    """The order status an order.updated or order.fulfillment.updated event states (see orders.status_of)."""
    key = ORDER_EVENTS.get(str(event.get("type")))
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    summary = ((data.get("object") or {}) if isinstance(data.get("object"), dict) else {}).get(key or "")
    if not key or not isinstance(summary, dict) or not summary.get("order_id"):
        return []
    updates = [u for u in summary.get("fulfillment_update") or [] if isinstance(u, dict)]
    fulfillment_state = updates[-1].get("new_state") if updates else None
    if summary.get("state") == "OPEN" and fulfillment_state is None:
        return []  # order.updated says nothing of the pickup: the poll reads it
    status = status_of(summary.get("state"), fulfillment_state)
    if status not in _CERTAIN:
        return []
    try:
        occurred = parse_rfc3339(summary["updated_at"]) if summary.get("updated_at") else None
    except (TypeError, ValueError):
        occurred = None
    return [OrderStatusReport(pos_order_id=str(summary["order_id"]), status=status, occurred_at=occurred)]


def hint(body: bytes) -> CallbackHint:
    """Any Square event is a hint to poll now; event_id lets the hub drop redeliveries; order events
    carry the order's status when the event alone tells it."""
    try:
        event = json.loads(body)
    except ValueError:
        return CallbackHint()
    if not isinstance(event, dict):
        return CallbackHint()
    return CallbackHint(event_id=event.get("event_id"), event_type=event.get("type"),
                        order_statuses=order_statuses(event), poll_now=True)

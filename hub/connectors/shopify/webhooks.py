"""Shopify webhooks: the X-Shopify-Hmac-Sha256 check, and what a delivery says."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hub.connectors.base import CallbackHint, OrderStatusReport
from hub.connectors.common.webhooks import header, hmac_sha256_base64, signature_matches

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"


def signature(secret: str, body: bytes) -> str:
    """Shopify's webhook signature: base64(HMAC-SHA256(app secret, raw body))."""
    return hmac_sha256_base64(secret, body)


def verify(secret: str | None, headers: Mapping[str, str], body: bytes) -> bool:
    """True when the delivery carries the signature of the app's secret."""
    if not secret:
        return False
    return signature_matches(signature(secret, body), header(headers, SIGNATURE_HEADER))


# Order topics whose body alone tells the hub status: a cancellation or a fulfilled order.
ORDER_TOPICS = frozenset({"orders/cancelled", "orders/fulfilled", "orders/updated"})


def order_statuses(topic: str | None, body: bytes) -> list[OrderStatusReport]:
    """The status an orders/cancelled, orders/fulfilled or orders/updated delivery states, if certain."""
    if topic not in ORDER_TOPICS:
        return []
    try:
        order: Any = json.loads(body)
    except ValueError:
        return []
    if not isinstance(order, dict) or not isinstance(order.get("admin_graphql_api_id"), str):
        return []
    if order.get("cancelled_at"):
        # A cancellation that was a refusal (declined, out of stock) is told apart by the poll.
        if order.get("cancel_reason") in ("declined", "inventory"):
            return []
        return [OrderStatusReport(order["admin_graphql_api_id"], "cancelled",
                                  reason=f"cancelled in Shopify ({order.get('cancel_reason') or 'other'})")]
    if order.get("fulfillment_status") == "fulfilled":
        return [OrderStatusReport(order["admin_graphql_api_id"], "completed")]
    return []


def hint(headers: Mapping[str, str], body: bytes = b"") -> CallbackHint:
    """Any Shopify webhook is a hint to poll now; the event id lets the hub drop redeliveries; order
    topics carry the order's status when the body alone tells it."""
    event_id = header(headers, "X-Shopify-Event-Id") or header(headers, "X-Shopify-Webhook-Id")
    topic = header(headers, "X-Shopify-Topic")
    return CallbackHint(event_id=event_id, event_type=topic, order_statuses=order_statuses(topic, body),
                        poll_now=True)

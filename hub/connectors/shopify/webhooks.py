"""Shopify webhooks: the X-Shopify-Hmac-Sha256 check, and what a delivery says."""

from __future__ import annotations

from collections.abc import Mapping

from hub.connectors.base import CallbackHint
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


def hint(headers: Mapping[str, str]) -> CallbackHint:
    """Any Shopify webhook is a hint to poll now; the event id lets the hub drop redeliveries."""
    event_id = header(headers, "X-Shopify-Event-Id") or header(headers, "X-Shopify-Webhook-Id")
    return CallbackHint(event_id=event_id, event_type=header(headers, "X-Shopify-Topic"), poll_now=True)

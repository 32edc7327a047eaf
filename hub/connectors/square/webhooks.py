"""Square webhooks: the x-square-hmacsha256-signature check, and what an event says."""

from __future__ import annotations

import json
from collections.abc import Mapping

from hub.connectors.base import CallbackHint
from hub.connectors.common.webhooks import header, hmac_sha256_base64, signature_matches

SIGNATURE_HEADER = "x-square-hmacsha256-signature"


def signature(key: str, notification_url: str, body: bytes) -> str:
    """Square's webhook signature: base64(HMAC-SHA256(key, notification URL + raw body))."""
    return hmac_sha256_base64(key, notification_url.encode() + body)


def verify(key: str | None, notification_url: str, headers: Mapping[str, str], body: bytes) -> bool:
    """True when the request carries the signature of this subscription's key."""
    if not key:
        return False
    return signature_matches(signature(key, notification_url, body), header(headers, SIGNATURE_HEADER))


def hint(body: bytes) -> CallbackHint:
    """Any Square event is a hint to poll now; event_id lets the hub drop redeliveries."""
    try:
        event = json.loads(body)
    except ValueError:
        return CallbackHint()
    if not isinstance(event, dict):
        return CallbackHint()
    return CallbackHint(event_id=event.get("event_id"), event_type=event.get("type"), poll_now=True)

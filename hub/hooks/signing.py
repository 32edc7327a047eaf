"""Standard Webhooks signing: whsec_ secrets and the webhook-* headers of a delivery."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from math import floor

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret, "whsec_" + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature_headers(secret: str, message_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """The webhook-id, webhook-timestamp and webhook-signature headers for this body."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(floor(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, timestamp, body),
    }

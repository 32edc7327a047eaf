"""Vendor callback event ids: each event is acted on once, and its id is forgotten after RETENTION.

Square and Shopify sign the URL and body only, with no timestamp, so a captured callback stays
validly signed for ever: the stored event id is what makes a redelivery or a replay a no-op.
RETENTION outlasts the vendors' redelivery windows (Square retries for up to 24 hours, Shopify
8 times over 4 hours); a replay older than that is let through once more, then remembered again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from hub.claims import claim
from hub.db import Database
from hub.models import CallbackEvent, utcnow

RETENTION = timedelta(days=7)
MAX_EVENT_ID_LENGTH = 200


def event_key(event_id: object, body: bytes) -> str:
    """What identifies a callback: the vendor's event id, or a digest of the signed body without one."""
    if event_id is None or event_id == "":
        return "sha256:" + hashlib.sha256(body).hexdigest()
    text = str(event_id)
    if len(text) > MAX_EVENT_ID_LENGTH or "\x00" in text:
        return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return text


def first_delivery(session: Session, connection_id: str, key: str) -> bool:
    """Record the event in the caller's transaction; False when it was already received.

    A concurrent delivery of the same event waits for this transaction: it sees a duplicate once
    this one commits, or takes over if this one rolls back.
    """
    return claim(session, CallbackEvent, connection_id=connection_id, event_id=key, received_at=utcnow())


def purge_old_callback_events(db: Database, now: datetime | None = None) -> int:
    """Forget event ids received more than RETENTION ago; returns how many."""
    cutoff = (now or utcnow()) - RETENTION
    with db.session() as session:
        return session.execute(delete(CallbackEvent).where(CallbackEvent.received_at < cutoff)).rowcount

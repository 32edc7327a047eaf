"""Appending events: the immutable records that triggers are views over.

Consumers of new events (the hook outbox) are registered with `listen` by the runtime, so this
module knows none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from hub.models import Event, Hub, utcnow

_LOCKED_KEY = "event_hub_locks"
# Called with (session, event) for every new event, inside its transaction.
_listeners: list[Callable[[Session, Event], None]] = []


def listen(listener: Callable[[Session, Event], None]) -> None:
    """Call listener(session, event) for every new event, inside the event's transaction (once each)."""
    if listener not in _listeners:
        _listeners.append(listener)


def emit(
    session: Session,
    hub_id: str,
    type_: str,
    payload: dict[str, Any],
    *,
    connection_id: str | None = None,
    location_id: str | None = None,
    sku: str | None = None,
) -> Event:
    """Append an event in the caller's transaction.

    The hub row is bumped first: its row lock serialises event writers of one hub
    until commit, so event ids become visible in increasing order and a since_id
    cursor never skips an event that commits late. Call it last in a transaction
    to keep that lock short.
    """
    # Once per hub per transaction: the row lock is held until commit anyway.
    transaction = session.get_transaction()
    owner, locked = session.info.get(_LOCKED_KEY, (None, set()))
    if owner is not transaction:
        locked = set()
        session.info[_LOCKED_KEY] = (transaction, locked)
    if hub_id not in locked:
        session.execute(update(Hub).where(Hub.id == hub_id).values(event_seq=Hub.event_seq + 1))
        locked.add(hub_id)
    now = utcnow()
    if payload.get("occurred_at") is None:
        payload = {**payload, "occurred_at": now.isoformat()}
    record = Event(hub_id=hub_id, type=type_, payload=payload, connection_id=connection_id,
                   location_id=location_id, sku=sku, created_at=now)
    session.add(record)
    session.flush()
    for listener in _listeners:
        listener(session, record)
    return record

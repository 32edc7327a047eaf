"""Appending events: the immutable records that triggers are views over.

Consumers of new events (the hook outbox) are registered with `listen` by the runtime, so this
module knows none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from hub.db import on_commit
from hub.models import Event, Hub, utcnow
from hub.observability.metrics import count_events

_LOCKED_KEY = "event_hub_locks"
# Called with (session, event) for every new event, inside its transaction.
_listeners: list[Callable[[Session, Event], None]] = []


def listen(listener: Callable[[Session, Event], None]) -> None:
    """Call listener(session, event) for every new event, inside the event's transaction (once each)."""
    if listener not in _listeners:
        _listeners.append(listener)


def hold_event_order(session: Session, hub_id: str) -> None:
    """Take the hub's row lock before this transaction allocates any of the hub's event ids.

    Writers of one hub's events therefore commit in the order of their ids, so a poll never sees an
    event while one with a lower id is still to commit, and a since_id cursor never skips one that
    commits late. Taken once per hub per transaction (held until commit anyway); SQLite's single
    writer gives the same order.

    Why not the lock-free high-water mark (an xid8 column, polls limited to
    `xid < pg_snapshot_xmin(pg_current_snapshot())`): ids come from a sequence at insert, and a
    transaction that got its xid earlier (it wrote the purchase first) can take a higher id later
    than a younger transaction still in flight. The older one's event is below xmin and shown, the
    younger one's lower id commits after the cursor passed it: skipped (see
    tests/test_event_order.py). That rule is sound only with a cursor of (xid, id), which the
    since_id contract and the clients (max id as cursor) do not have.
    """
    transaction = session.get_transaction()
    owner, locked = session.info.get(_LOCKED_KEY, (None, set()))
    if owner is not transaction:
        locked = set()
        session.info[_LOCKED_KEY] = (transaction, locked)
    if hub_id not in locked:
        session.execute(update(Hub).where(Hub.id == hub_id).values(event_seq=Hub.event_seq + 1))
        locked.add(hub_id)


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

    The hub's event order is held first (hold_event_order: its row lock until commit), so event
    ids become visible in increasing order and a since_id cursor never skips an event that commits
    late. Call it last in a transaction to keep that lock short.
    """
    hold_event_order(session, hub_id)
    now = utcnow()
    if payload.get("occurred_at") is None:
        payload = {**payload, "occurred_at": now.isoformat()}
    record = Event(hub_id=hub_id, type=type_, payload=payload, connection_id=connection_id,
                   location_id=location_id, sku=sku, created_at=now)
    session.add(record)
    session.flush()
    on_commit(session, lambda: count_events((type_,)))
    for listener in _listeners:
        listener(session, record)
    return record


def emit_many(
    session: Session,
    hub_id: str,
    items: list[tuple[str, dict[str, Any], str | None, str | None, str | None]],
) -> list[Event]:
    """Append several events of one hub in one INSERT, in order; each item is
    (type, payload, connection_id, location_id, sku).

    The same rules as emit, in bulk: the hub's event order held first (hold_event_order),
    occurred_at filled in when missing, then every listener called for every event, so the hook
    outbox still gets each one (its rows are flushed together with the next flush).
    """
    if not items:
        return []
    hold_event_order(session, hub_id)
    now = utcnow()
    records = [
        Event(hub_id=hub_id, type=type_,
              payload=payload if payload.get("occurred_at") is not None
              else {**payload, "occurred_at": now.isoformat()},
              connection_id=connection_id, location_id=location_id, sku=sku, created_at=now)
        for type_, payload, connection_id, location_id, sku in items
    ]
    session.add_all(records)
    session.flush()  # one multi-row INSERT ... RETURNING id, in the order given
    types = [type_ for type_, *_ in items]
    on_commit(session, lambda: count_events(types))
    for record in records:
        for listener in _listeners:
            listener(session, record)
    return records

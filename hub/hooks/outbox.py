"""The hook outbox: deliveries recorded in the event's own transaction, their jobs enqueued after commit.

Because the HookDelivery rows commit (or roll back) together with the event, an event is
never delivered without being stored, and never stored without its deliveries; the sweep
re-enqueues any job that is lost after the commit.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.hooks.kind import HOOK_DELIVERIES
from hub.jobs import JobQueue
from hub.models import Event, HookDelivery, HookSubscription, new_id
from hub.work.kind import PENDING
from hub.work.queueing import enqueue_on_commit
from triggers import get_trigger

_CACHE_KEY = "hook_subscriptions"


def _subscriptions(session: Session, hub_id: str, trigger: str) -> list[tuple[str, dict]]:
    # One indexed query per (hub, trigger) per transaction: a batch of purchases asks once.
    transaction = session.get_transaction()
    owner, cache = session.info.get(_CACHE_KEY, (None, {}))
    if owner is not transaction:
        cache = {}
        session.info[_CACHE_KEY] = (transaction, cache)
    key = (hub_id, trigger)
    if key not in cache:
        cache[key] = session.execute(
            select(HookSubscription.id, HookSubscription.filters)
            .where(HookSubscription.hub_id == hub_id, HookSubscription.trigger == trigger)
        ).all()
    return cache[key]


def record_deliveries(session: Session, event: Event, queue: JobQueue) -> None:
    """One pending delivery per subscription the event matches; their jobs go to `queue` after commit."""
    spec = get_trigger(event.type)
    if spec is None:
        return
    ids = []
    for subscription_id, filters in _subscriptions(session, event.hub_id, event.type):
        if not spec.matches(event, filters or {}):
            continue
        delivery_id = new_id("hdl")
        session.add(HookDelivery(id=delivery_id, hub_id=event.hub_id, subscription_id=subscription_id,
                                 event_id=event.id, status=PENDING, attempts=0,
                                 next_attempt_at=event.created_at, enqueued_at=event.created_at))
        ids.append(delivery_id)
    enqueue_on_commit(session, queue, HOOK_DELIVERIES, ids)

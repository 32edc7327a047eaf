"""The hook sweep: re-enqueues deliveries whose retry is due or whose job was lost.

Jobs only carry a delivery id and the database is the record of work, so a Redis flush,
a killed worker or a failed enqueue delays a delivery but never loses it.

A delivery still pending LOST_AFTER its enqueue is only presumed lost: under a backlog its job
is simply still waiting in the queue. So the queue is asked first (by the delivery's job id),
and only a delivery whose job is not waiting there is enqueued again; re-enqueueing a waiting
rq job would push its id a second time (17,726 queue entries for 7,444 deliveries).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from hub.db import Database
from hub.hooks.outbox import enqueue_deliveries, job_id
from hub.models import HookDelivery, utcnow
from hub.runtime import get_runtime

# A job enqueued this long ago whose delivery is still pending is presumed lost.
LOST_AFTER = timedelta(minutes=2)
BATCH = 500


def _needs_enqueue(now: datetime):  # noqa: ANN202 - a SQL condition
    lost = HookDelivery.enqueued_at < now - LOST_AFTER
    never = HookDelivery.enqueued_at.is_(None)
    return or_(
        # A retry that has come due since it was last enqueued, or a job that vanished.
        and_(HookDelivery.status == "pending", HookDelivery.next_attempt_at <= now,
             or_(never, HookDelivery.enqueued_at < HookDelivery.next_attempt_at, lost)),
        # A worker died mid-send: its lease ran out.
        and_(HookDelivery.status == "in_progress", HookDelivery.leased_until < now,
             or_(never, HookDelivery.enqueued_at < HookDelivery.leased_until, lost)),
    )


def sweep_hook_deliveries(db: Database, now: datetime | None = None) -> int:
    """Enqueue every delivery that needs a job now and has none waiting; returns how many.

    The UPDATE marks them enqueued with the same condition it selected them by, so several
    schedulers sweeping at once look at each delivery once; a delivery whose job still waits
    keeps it, and is looked at again LOST_AFTER later.
    """
    now = now or utcnow()
    condition = _needs_enqueue(now)
    with db.session() as session:
        due = select(HookDelivery.id).where(condition).order_by(HookDelivery.next_attempt_at).limit(BATCH)
        ids = list(session.scalars(
            update(HookDelivery).where(HookDelivery.id.in_(due.scalar_subquery()), condition)
            .values(enqueued_at=now).returning(HookDelivery.id).execution_options(synchronize_session=False)
        ))
    if not ids:
        return 0
    waiting = get_runtime().queue.waiting(job_id(delivery_id) for delivery_id in ids)
    lost = [delivery_id for delivery_id in ids if job_id(delivery_id) not in waiting]
    enqueue_deliveries(lost)
    return len(lost)

"""Holding one item: claim it with a lease, write its outcome only while that holds, retry or dead-letter.

Every write is a compare-and-set UPDATE, so duplicate jobs or two workers never run one item
at once, and a worker whose lease ran out (and was taken over) cannot overwrite the outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.orm import Session

from hub.jobs import JobQueue
from hub.work.failures import ErrorKind, Failure
from hub.work.kind import DEAD, IN_PROGRESS, PENDING, Lease, TaskKind, WorkKind
from hub.work.queueing import enqueue_on_commit


def claim(session: Session, kind: TaskKind, item_id: str, now: datetime,
          unless: ColumnElement[bool] | None = None) -> Lease | None:
    """Take the item if it is claimable and `unless` is false, counting the attempt; None if not taken."""
    table = kind.table
    until = now + kind.lease
    conditions = [table.id == item_id, kind.claimable(now)]
    if unless is not None:
        conditions.append(~unless)
    attempts = session.scalar(
        update(table).where(*conditions)
        .values(status=IN_PROGRESS, leased_until=until, attempts=table.attempts + 1)
        .returning(table.attempts).execution_options(synchronize_session=False)
    )
    return None if attempts is None else Lease(item_id, until, attempts)


def claim_one_in_flight(session: Session, kind: TaskKind, item_id: str, lock_row: Select[Any],
                        busy: ColumnElement[bool], now: datetime, delay: timedelta) -> Lease | None:
    """Take the item unless another of its group is in flight (`busy`); a busy one waits `delay`.

    `lock_row` (a SELECT ... FOR UPDATE of the group's row: the connection, the order) serialises the
    group's claims on PostgreSQL (SQLite has one writer), so two jobs never both see it free. A
    postponed item's attempt is not counted.
    """
    session.execute(lock_row)
    lease = claim(session, kind, item_id, now, unless=busy)
    if lease is None:
        table = kind.table
        session.execute(
            update(table).where(table.id == item_id, kind.claimable(now), busy)
            .values(status=PENDING, next_attempt_at=now + delay, leased_until=None)
            .execution_options(synchronize_session=False)
        )
    return lease


def holding(session: Session, kind: WorkKind, lease: Lease) -> Any | None:
    """The item's row while the lease still holds; None for the late job of a lease taken over."""
    return session.scalar(select(kind.table).where(kind.holds(lease)))


def settle(session: Session, kind: WorkKind, lease: Lease, **values: Any) -> bool:
    """Write the outcome and end the lease if it still holds; False when it was lost (nothing written).
    `values` may also hand the item straight to a next lease (e.g. a poll's follow-up claim)."""
    return session.execute(
        update(kind.table).where(kind.holds(lease)).values({**kind.released(), **values})
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def fail(session: Session, kind: TaskKind, lease: Lease, failure: Failure, now: datetime,
         **values: Any) -> str | None:
    """Record a failed attempt: pending until its retry, or dead; that status (None: the lease was lost)."""
    delay = kind.backoff.delay(failure.kind, failure.retry_after, lease.attempts)
    message = failure.message[:2000]
    if delay is None:
        if failure.kind is not ErrorKind.PERMANENT:
            message = f"{message} (gave up after {lease.attempts} attempts)"
        status, due = DEAD, None
    else:
        status, due = PENDING, now + timedelta(seconds=delay)
    return status if settle(session, kind, lease, status=status, last_error=message, next_attempt_at=due,
                            **values) else None


def revive(session: Session, queue: JobQueue, kind: TaskKind, *where: ColumnElement[bool], now: datetime,
           due_at: datetime | None = None) -> list[str]:
    """Make the dead items matching `where` pending with fresh attempts; their jobs run after commit."""
    table = kind.table
    ids = list(session.scalars(
        update(table).where(table.status == DEAD, *where)
        .values(status=PENDING, attempts=0, next_attempt_at=due_at, leased_until=None, enqueued_at=now)
        .returning(table.id).execution_options(synchronize_session=False)
    ))
    enqueue_on_commit(session, queue, kind, ids)
    return ids

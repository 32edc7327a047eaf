"""Queueing leased work: jobs enqueued after commit, and the sweep that queues what came due or was lost.

Each job goes to its kind's queue (for polls, the queue of the connection's type), and the queue is
asked whether a job still waits in the queue it would now be sent to.

Jobs carry only an item id (and a claim token), and the database is the record of work, so a
Redis flush, a killed worker or a failed enqueue delays an item but never loses it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from sqlalchemy import null, select, update
from sqlalchemy.orm import Session

from hub.db import Database, on_commit
from hub.jobs import JobQueue
from hub.models import utcnow
from hub.work.kind import TaskKind, WorkKind


def enqueue(queue: JobQueue, kind: WorkKind, jobs: Iterable[tuple[str, ...]], to: str | None = None) -> None:
    """Queue one job per tuple of arguments (the first is the item id) on the kind's queue (or `to`)."""
    for args in jobs:
        queue.enqueue(kind.job, *args, job_id=kind.job_id(args[0]), queue=to or kind.queue_for())


def enqueue_on_commit(session: Session, queue: JobQueue, kind: TaskKind, item_ids: Iterable[str]) -> None:
    """Queue the items' jobs once this transaction has committed them (never, if it rolls back)."""
    jobs = [(item_id,) for item_id in item_ids]
    if jobs:
        on_commit(session, lambda: enqueue(queue, kind, jobs))


def mark_due(db: Database, kind: WorkKind, now: datetime | None = None,
             waiting: Callable[[Mapping[str, str]], set[str]] | None = None, *,
             only: str | None = None, limit: int | None = None) -> list[tuple[str, ...]]:
    """Mark the items that need a job as queued; returns the job arguments of those with no job waiting."""
    return [args for args, _ in _mark_due(db, kind, now, waiting, only=only, limit=limit)]


def _mark_due(db: Database, kind: WorkKind, now: datetime | None = None,
              waiting: Callable[[Mapping[str, str]], set[str]] | None = None, *,
              only: str | None = None, limit: int | None = None) -> list[tuple[tuple[str, ...], str]]:
    """mark_due, with the queue each job goes to.

    An item presumed lost may only be stuck behind a backlog, so `waiting` (the queue) is asked
    first, outside any transaction: an item whose job still waits there is marked again but not
    queued twice (17,726 rq entries for 7,444 hook deliveries before that), and for kinds held from
    when they are queued it keeps its token. The rows are then locked as they are marked (SKIP
    LOCKED on PostgreSQL; SQLite has one writer) and checked again, so several schedulers sweeping
    at once mark each item once.
    """
    now = now or utcnow()
    table = kind.table
    pick = select(table.id).where(kind.needs_job(now))
    if only is not None:
        pick = pick.where(table.id == only)
    route = kind.routed_by if kind.routed_by is not None else null()
    with db.session() as session:
        kind.give_up_stalled(session, now)
        rows = session.execute(pick.add_columns(route).order_by(kind.due_at.nulls_first())
                               .limit(limit or kind.batch)).all()
    if not rows:
        return []
    ids = [item_id for item_id, _ in rows]
    queues = {item_id: kind.queue_for(value) for item_id, value in rows}
    in_queue = waiting({kind.job_id(item_id): queues[item_id] for item_id in ids}) if waiting else set()
    token = secrets.token_hex(8)
    with db.session() as session:
        pick = pick.where(table.id.in_(ids))
        if not db.is_sqlite:
            pick = pick.with_for_update(skip_locked=True)
        picked = set(session.scalars(pick))
        fresh = [item_id for item_id in ids if item_id in picked and kind.job_id(item_id) not in in_queue]
        for group, group_token in ((fresh, token), (picked.difference(fresh), None)):
            if group:
                session.execute(update(table).where(table.id.in_(group)).values(kind.queued(now, group_token))
                                .execution_options(synchronize_session=False))
    return [(kind.job_args(item_id, token), queues[item_id]) for item_id in fresh]


def sweep(db: Database, queue: JobQueue, kind: WorkKind, now: datetime | None = None,
          only: str | None = None) -> int:
    """Queue a job for every item of this kind that needs one and has none waiting; returns how many."""
    jobs = _mark_due(db, kind, now, queue.waiting, only=only)
    for args, queue_name in jobs:
        enqueue(queue, kind, [args], to=queue_name)
    return len(jobs)

"""What a kind of leased work declares, and the SQL by which its items are queued, held and released."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from hub.work.backoff import Backoff

PENDING, IN_PROGRESS, SUCCEEDED, DEAD = "pending", "in_progress", "succeeded", "dead"


@dataclass(frozen=True)
class Lease:
    """A worker's hold on one item: its outcome is written only while the item's lease column matches."""

    item_id: str
    token: Any  # the lease column's value when the hold was taken (a lease end, or a claim token)
    attempts: int = 0  # which attempt this hold is, for work that counts them


@dataclass(frozen=True)
class WorkKind:
    """A kind of leased work: the table recording its items, the job running one, its lease and backoff."""

    name: str  # prefix of its job ids; rq allows only letters, digits, "_" and "-"
    job: str  # import path of the job function
    table: type[Any]  # the model whose rows are the items: the record of work
    lease: timedelta  # longer than one run may take, so a live worker never loses its lease
    backoff: Backoff
    queue: str  # the rq queue its jobs go to (hub.jobs), so workers can be run for one kind alone
    batch: int = 500  # items one sweep looks at

    def job_id(self, item_id: str) -> str:
        """The queue's id of an item's job, so an item is queued at most once at a time."""
        return f"{self.name}-{item_id}"

    @property
    def routed_by(self) -> InstrumentedAttribute | None:
        """The column whose value picks an item's queue (queue_for), or None: every job goes to `queue`."""
        return None

    def queue_for(self, route: Any = None) -> str:
        """The queue of an item's job, given its routed_by value."""
        return self.queue

    def job_args(self, item_id: str, token: str) -> tuple[str, ...]:
        """The job's arguments: the item id (and the token, for kinds held from when they are queued)."""
        return (item_id,)

    @property
    def due_at(self) -> InstrumentedAttribute:
        """The column saying when an item is next due (NULL: now); sweeps take the most overdue first."""
        raise NotImplementedError

    def needs_job(self, now: datetime) -> ColumnElement[bool]:
        """Items that need a job queued now."""
        raise NotImplementedError

    def queued(self, now: datetime, token: str | None) -> dict[str, Any]:
        """The values marking an item's job as queued; token None: the job already waiting keeps its own."""
        raise NotImplementedError

    def holds(self, lease: Lease) -> ColumnElement[bool]:
        """The item's row while this lease on it still holds."""
        raise NotImplementedError

    def released(self) -> dict[str, Any]:
        """The values that end a lease."""
        raise NotImplementedError

    def give_up_stalled(self, session: Session, now: datetime) -> None:
        """Dead-letter items whose worker stopped during their last allowed attempt (none by default)."""


@dataclass(frozen=True)
class TaskKind(WorkKind):
    """Work done once, retried until it succeeds or is dead: rows with status, attempts, next_attempt_at,
    leased_until, enqueued_at and last_error, each taken by the job that runs it (deliveries)."""

    # A job queued this long ago whose item still needs one is looked for in the queue: it may be lost.
    lost_after: timedelta = timedelta(minutes=2)

    @property
    def due_at(self) -> InstrumentedAttribute:
        """When the next attempt is due."""
        return self.table.next_attempt_at

    def claimable(self, now: datetime) -> ColumnElement[bool]:
        """Items a job may take now: pending and due, or held by a worker that stopped, with attempts left."""
        t = self.table
        return or_(
            and_(t.status == PENDING, or_(t.next_attempt_at.is_(None), t.next_attempt_at <= now)),
            and_(t.status == IN_PROGRESS, t.leased_until < now, t.attempts < self.backoff.max_attempts),
        )

    def needs_job(self, now: datetime) -> ColumnElement[bool]:
        """Claimable items not queued since they became so (due again, or their lease ran out), or queued
        lost_after ago and still waiting."""
        t = self.table
        return and_(self.claimable(now), or_(
            t.enqueued_at.is_(None), t.enqueued_at < t.next_attempt_at, t.enqueued_at < t.leased_until,
            t.enqueued_at < now - self.lost_after,
        ))

    def queued(self, now: datetime, token: str | None) -> dict[str, Any]:
        """Queued now; the job takes its own lease when it runs."""
        return {"enqueued_at": now}

    def holds(self, lease: Lease) -> ColumnElement[bool]:
        """In progress under this very lease (its end identifies it)."""
        t = self.table
        return and_(t.id == lease.item_id, t.status == IN_PROGRESS, t.leased_until == lease.token)

    def released(self) -> dict[str, Any]:
        """No lease."""
        return {"leased_until": None}

    def give_up_stalled(self, session: Session, now: datetime) -> None:
        """Items whose lease ran out on their last attempt are dead rather than retried for ever."""
        t, last = self.table, self.backoff.max_attempts
        session.execute(
            update(t).where(t.status == IN_PROGRESS, t.leased_until < now, t.attempts >= last)
            .values(status=DEAD, leased_until=None, next_attempt_at=None,
                    last_error=f"the worker stopped during each of {last} attempts")
            .execution_options(synchronize_session=False)
        )

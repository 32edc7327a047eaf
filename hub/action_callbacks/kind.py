"""Action callbacks as leased work: waiting for their run to end, then retried until sent or dead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.orm import Session

from hub.crypto import Vault
from hub.db import on_commit
from hub.hooks.signing import new_secret
from hub.jobs import ACTION_CALLBACKS_QUEUE, JobQueue
from hub.models import ActionCallback, ActionRun, Delivery, Hub
from hub.work.backoff import Backoff
from hub.work.kind import IN_PROGRESS, PENDING, TaskKind
from hub.work.queueing import enqueue

WAITING = "waiting"  # for the run to end: not yet due


def run_ended(action_run_id: Any) -> ColumnElement[bool]:
    """The run has no delivery left pending or in progress (succeeded, dead or skipped: see run_status)."""
    return ~exists().where(Delivery.action_run_id == action_run_id,
                           Delivery.status.in_((PENDING, IN_PROGRESS)))


@dataclass(frozen=True)
class CallbackKind(TaskKind):
    """A task that also becomes claimable when it is waiting and its run has ended."""

    def claimable(self, now: datetime) -> ColumnElement[bool]:
        """Due or stalled like any task, or waiting for a run that has now ended."""
        t = self.table
        return or_(super().claimable(now), and_(t.status == WAITING, run_ended(t.action_run_id)))


ACTION_CALLBACKS = CallbackKind(
    name="callback",
    job="hub.action_callbacks.sender.send_callback",
    queue=ACTION_CALLBACKS_QUEUE,
    table=ActionCallback,
    # Longer than the send's own timeouts, so a live job never loses its lease mid-send.
    lease=timedelta(seconds=60),
    # About 4.5 hours of retries; a target's Retry-After is honoured up to an hour.
    backoff=Backoff(delays=(5, 30, 120, 600, 1800, 3600, 10800), max_retry_after=3600),
    lost_after=timedelta(minutes=2),
)


def add_callback(session: Session, run: ActionRun, url: str) -> ActionCallback:
    """The run's callback, waiting for the run to end (in the run's transaction)."""
    callback = ActionCallback(hub_id=run.hub_id, action_run_id=run.id, url=url, status=WAITING, attempts=0)
    session.add(callback)
    session.flush()
    return callback


def wake_on_commit(session: Session, queue: JobQueue, action_run_id: str) -> None:
    """Queue the run's waiting callback after commit; its job sends it only if the run has ended by then.

    Run after each delivery's outcome is committed, the job of the last delivery to end always sees
    the run ended; the sweep covers a worker that stopped in between.
    """
    ids = list(session.scalars(select(ActionCallback.id).where(ActionCallback.action_run_id == action_run_id,
                                                               ActionCallback.status == WAITING)))
    if ids:
        on_commit(session, lambda: enqueue(queue, ACTION_CALLBACKS, [(i,) for i in ids]))


def rearm(session: Session, action_run_id: str) -> None:
    """A re-driven run calls back again when it ends: its callback waits again with fresh attempts."""
    session.execute(
        update(ActionCallback).where(ActionCallback.action_run_id == action_run_id)
        .values(status=WAITING, attempts=0, last_error=None, last_status_code=None, next_attempt_at=None,
                leased_until=None, enqueued_at=None)
        .execution_options(synchronize_session=False)
    )


def callback_view(session: Session, action_run_id: str) -> dict[str, Any] | None:
    """The run's callback as common/action_run.json's callback field; None without one."""
    row = session.execute(
        select(ActionCallback.status, ActionCallback.attempts, ActionCallback.last_error)
        .where(ActionCallback.action_run_id == action_run_id)
    ).one_or_none()
    if row is None:
        return None
    return {"status": row.status, "attempts": row.attempts, "last_error": row.last_error}


def callback_secret(session: Session, vault: Vault, hub_id: str) -> str:
    """The hub's callback signing secret, made on first use (concurrent first uses agree on one)."""
    stored = session.scalar(select(Hub.callback_secret_encrypted).where(Hub.id == hub_id))
    if stored is None:
        session.execute(update(Hub).where(Hub.id == hub_id, Hub.callback_secret_encrypted.is_(None))
                        .values(callback_secret_encrypted=vault.encrypt_json(new_secret()))
                        .execution_options(synchronize_session=False))
        stored = session.scalar(select(Hub.callback_secret_encrypted).where(Hub.id == hub_id))
    return vault.decrypt_json(stored)

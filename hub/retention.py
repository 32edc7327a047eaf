"""Retention: old rows are deleted in bounded batches, so the tables stop growing for ever.

What is kept (each age a setting, hub.config):

- events: 90 days, with the hook deliveries that reference them (a delivery never outlives its
  event); an event is kept while one of its hook deliveries is still to be made or is a dead letter
  not yet 30 days dead. The newest event of the table is never deleted (SQLite would reuse its id).
- hook deliveries: succeeded ones 90 days after they were made; dead letters 30 days after they
  died (updated_at), unless replayed before (a replay makes them pending again).
- action runs: 90 days, with their deliveries and outcome callback, all at once (a run's status is
  computed from its deliveries); kept while a delivery or the callback is still to be made, or is a
  dead letter not yet 30 days dead.
- idempotency records: 24 hours. Vendor callback event ids: 7 days.

Orders, their deliveries and purchases are business records and are not pruned; quarantined
records stay until replayed or dismissed (hub.quarantine).

Each batch selects at most `batch_rows` primary keys through an index on the age column
(created_at, or status for dead letters), then deletes those keys in one short transaction; a
pause follows each batch, and a pass stops when its time budget is spent (the next tick goes on).
Retention never takes the hub row lock that event inserts hold (hub.events.hold_event_order), so
writers are never waiting on it beyond a batch's row locks. The highest event id deleted per hub is
kept in event_retention_marks, so a poll whose cursor points below the retained range says so.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, delete, exists, func, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.action_callbacks.kind import WAITING
from hub.callbacks import RETENTION as CALLBACK_EVENTS_KEPT
from hub.config import Settings
from hub.db import Database
from hub.idempotency import KEEP_FOR as IDEMPOTENCY_KEPT
from hub.models import (
    ActionCallback,
    ActionRun,
    CallbackEvent,
    Delivery,
    Event,
    EventRetentionMark,
    HookDelivery,
    IdempotencyRecord,
    utcnow,
)
from hub.work.kind import DEAD, IN_PROGRESS, PENDING, SUCCEEDED

log = logging.getLogger(__name__)

# What each step reports, in the order a pass runs them.
KINDS = ("idempotency_records", "callback_events", "hook_deliveries", "events", "action_runs",
         "deliveries", "action_callbacks")


@dataclass(frozen=True)
class Policy:
    """How long each kind of row is kept, and how a pass deletes (defaults as hub.config.Settings)."""

    events: timedelta = timedelta(days=90)
    hook_deliveries: timedelta = timedelta(days=90)
    action_runs: timedelta = timedelta(days=90)
    dead_letters: timedelta = timedelta(days=30)
    idempotency: timedelta = IDEMPOTENCY_KEPT
    callback_events: timedelta = CALLBACK_EVENTS_KEPT
    batch_rows: int = 5000
    pause_seconds: float = 0.2
    budget_seconds: float | None = 2.0  # None: until nothing is left

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> Policy:
        """The policy the HUB_RETENTION_* settings describe."""
        values: dict[str, Any] = {
            "events": timedelta(days=settings.retention_events_days),
            "hook_deliveries": timedelta(days=settings.retention_hook_deliveries_days),
            "action_runs": timedelta(days=settings.retention_action_runs_days),
            "dead_letters": timedelta(days=settings.retention_dead_letters_days),
            "idempotency": timedelta(hours=settings.retention_idempotency_hours),
            "callback_events": timedelta(days=settings.retention_callback_events_days),
            "batch_rows": settings.retention_batch_rows,
            "pause_seconds": settings.retention_pause_seconds,
            "budget_seconds": settings.retention_budget_seconds,
        }
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True)
class Cutoffs:
    """The instants before which each kind is old, fixed for one pass."""

    events: datetime
    hook_deliveries: datetime
    action_runs: datetime
    dead_letters: datetime
    idempotency: datetime
    callback_events: datetime

    @classmethod
    def at(cls, policy: Policy, now: datetime) -> Cutoffs:
        return cls(events=now - policy.events, hook_deliveries=now - policy.hook_deliveries,
                   action_runs=now - policy.action_runs, dead_letters=now - policy.dead_letters,
                   idempotency=now - policy.idempotency, callback_events=now - policy.callback_events)


@dataclass(frozen=True)
class PassResult:
    """What one pass deleted (or, dry, would delete) per kind; complete: nothing old was left over."""

    counts: dict[str, int]
    complete: bool
    batches: int
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        key = "would_delete" if self.dry_run else "deleted"
        return {key: self.counts, "complete": self.complete, "batches": self.batches, "dry_run": self.dry_run}


# Whether a row of a leased-work table still holds work, or is a dead letter still kept.
def _kept_work(table: Any, c: Cutoffs, active: Sequence[str] = (PENDING, IN_PROGRESS)) -> ColumnElement[bool]:
    return or_(table.status.in_(active), and_(table.status == DEAD, table.updated_at >= c.dead_letters))


def _old_events(c: Cutoffs) -> Select:
    newest = select(func.max(Event.id)).scalar_subquery()
    held = exists().where(HookDelivery.event_id == Event.id, _kept_work(HookDelivery, c))
    return (select(Event.id, Event.hub_id)
            .where(Event.created_at < c.events, Event.id < newest, ~held)
            .order_by(Event.created_at))


def _old_runs(c: Cutoffs) -> Select:
    held = or_(
        exists().where(Delivery.action_run_id == ActionRun.id, _kept_work(Delivery, c)),
        exists().where(ActionCallback.action_run_id == ActionRun.id,
                       _kept_work(ActionCallback, c, (WAITING, PENDING, IN_PROGRESS))),
    )
    return (select(ActionRun.id).where(ActionRun.created_at < c.action_runs, ~held)
            .order_by(ActionRun.created_at))


def _old_idempotency(c: Cutoffs) -> Select:
    return (select(IdempotencyRecord.api_key_id, IdempotencyRecord.key)
            .where(IdempotencyRecord.created_at < c.idempotency).order_by(IdempotencyRecord.created_at))


def _old_callback_events(c: Cutoffs) -> Select:
    return (select(CallbackEvent.connection_id, CallbackEvent.event_id)
            .where(CallbackEvent.received_at < c.callback_events).order_by(CallbackEvent.received_at))


def _dead_hook_deliveries(c: Cutoffs) -> ColumnElement[bool]:
    return and_(HookDelivery.status == DEAD, HookDelivery.updated_at < c.dead_letters)


def _succeeded_hook_deliveries(c: Cutoffs) -> ColumnElement[bool]:
    return and_(HookDelivery.status == SUCCEEDED, HookDelivery.created_at < c.hook_deliveries)


def _deleted(session: Session, stmt: Any) -> int:
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount


def _mark_pruned(session: Session, rows: Sequence[Any]) -> None:
    """Raise each hub's mark to the highest event id of its just deleted."""
    highest: dict[str, int] = {}
    for event_id, hub_id in rows:
        highest[hub_id] = max(event_id, highest.get(hub_id, 0))
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    for hub_id, event_id in sorted(highest.items()):
        stmt = dialect.insert(EventRetentionMark).values(hub_id=hub_id, pruned_through=event_id,
                                                         updated_at=now)
        stmt = stmt.on_conflict_do_update(index_elements=[EventRetentionMark.hub_id], set_={
            "pruned_through": case((stmt.excluded.pruned_through > EventRetentionMark.pruned_through,
                                    stmt.excluded.pruned_through), else_=EventRetentionMark.pruned_through),
            "updated_at": now,
        })
        session.execute(stmt)


# One batch of a step: (counts deleted, how many of the step's own rows it found).
Batch = Callable[[Session, Cutoffs, int], tuple[Counter, int]]


def _batch_idempotency(session: Session, c: Cutoffs, limit: int) -> tuple[Counter, int]:
    keys = [tuple(row) for row in session.execute(_old_idempotency(c).limit(limit))]
    if keys:
        column = tuple_(IdempotencyRecord.api_key_id, IdempotencyRecord.key)
        _deleted(session, delete(IdempotencyRecord).where(column.in_(keys)))
    return Counter(idempotency_records=len(keys)), len(keys)


def _batch_callback_events(session: Session, c: Cutoffs, limit: int) -> tuple[Counter, int]:
    keys = [tuple(row) for row in session.execute(_old_callback_events(c).limit(limit))]
    if keys:
        column = tuple_(CallbackEvent.connection_id, CallbackEvent.event_id)
        _deleted(session, delete(CallbackEvent).where(column.in_(keys)))
    return Counter(callback_events=len(keys)), len(keys)


def _hook_batch(condition: Callable[[Cutoffs], ColumnElement[bool]], order: Any) -> Batch:
    def run(session: Session, c: Cutoffs, limit: int) -> tuple[Counter, int]:
        ids = session.scalars(select(HookDelivery.id).where(condition(c)).order_by(order).limit(limit)).all()
        done = 0
        if ids:  # the condition again: a dead letter replayed meanwhile is pending, and stays
            done = _deleted(session, delete(HookDelivery).where(HookDelivery.id.in_(ids), condition(c)))
        return Counter(hook_deliveries=done), len(ids)
    return run


def _batch_events(session: Session, c: Cutoffs, limit: int) -> tuple[Counter, int]:
    rows = session.execute(_old_events(c).limit(limit)).all()
    if not rows:
        return Counter(), 0
    ids = [event_id for event_id, _ in rows]
    # The deliveries first, explicitly (not left to ON DELETE CASCADE), so they are counted.
    deliveries = _deleted(session, delete(HookDelivery).where(HookDelivery.event_id.in_(ids)))
    events = _deleted(session, delete(Event).where(Event.id.in_(ids)))
    _mark_pruned(session, rows)
    return Counter(events=events, hook_deliveries=deliveries), len(rows)


def _batch_runs(session: Session, c: Cutoffs, limit: int) -> tuple[Counter, int]:
    ids = session.scalars(_old_runs(c).limit(limit)).all()
    if not ids:
        return Counter(), 0
    callbacks = delete(ActionCallback).where(ActionCallback.action_run_id.in_(ids))
    counts = Counter(
        deliveries=_deleted(session, delete(Delivery).where(Delivery.action_run_id.in_(ids))),
        action_callbacks=_deleted(session, callbacks),
        action_runs=_deleted(session, delete(ActionRun).where(ActionRun.id.in_(ids))),
    )
    return counts, len(ids)


STEPS: tuple[tuple[str, Batch], ...] = (
    ("idempotency_records", _batch_idempotency),
    ("callback_events", _batch_callback_events),
    ("dead hook deliveries", _hook_batch(_dead_hook_deliveries, HookDelivery.updated_at)),
    ("succeeded hook deliveries", _hook_batch(_succeeded_hook_deliveries, HookDelivery.created_at)),
    ("events", _batch_events),
    ("action_runs", _batch_runs),
)


def _count(session: Session, query: Select) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def count_old(db: Database, policy: Policy, now: datetime | None = None) -> dict[str, int]:
    """What a pass would delete now, per kind (the dry run): read only."""
    c = Cutoffs.at(policy, now or utcnow())
    with db.session() as session:
        events = _old_events(c).with_only_columns(Event.id).order_by(None)
        runs = _old_runs(c).order_by(None)
        hook_deliveries = select(HookDelivery.id).where(or_(
            _dead_hook_deliveries(c), _succeeded_hook_deliveries(c), HookDelivery.event_id.in_(events)))
        return {
            "idempotency_records": _count(session, _old_idempotency(c)),
            "callback_events": _count(session, _old_callback_events(c)),
            "hook_deliveries": _count(session, hook_deliveries),
            "events": _count(session, events),
            "action_runs": _count(session, runs),
            "deliveries": _count(session, select(Delivery.id).where(Delivery.action_run_id.in_(runs))),
            "action_callbacks": _count(session, select(ActionCallback.id)
                                       .where(ActionCallback.action_run_id.in_(runs))),
        }


def prune(db: Database, policy: Policy, now: datetime | None = None, *, dry_run: bool = False,
          sleep: Callable[[float], None] = time.sleep,
          clock: Callable[[], float] = time.monotonic) -> PassResult:
    """One pass: every step in batches of at most policy.batch_rows rows, each its own transaction,
    pausing between batches, until nothing old is left or the time budget is spent."""
    if dry_run:
        return PassResult(count_old(db, policy, now), complete=True, batches=0, dry_run=True)
    c = Cutoffs.at(policy, now or utcnow())
    deadline = None if policy.budget_seconds is None else clock() + policy.budget_seconds
    totals: Counter = Counter(dict.fromkeys(KINDS, 0))
    batches = 0
    deleted_last = False  # the pause follows a batch that deleted something, not an empty probe
    for _name, batch in STEPS:
        while True:
            if batches and deadline is not None and clock() >= deadline:
                return _finish(totals, complete=False, batches=batches)
            if deleted_last:
                sleep(policy.pause_seconds)
            with db.session() as session:
                counts, found = batch(session, c, policy.batch_rows)
            batches += 1
            totals.update(counts)
            deleted_last = found > 0
            if found < policy.batch_rows:
                break
    return _finish(totals, complete=True, batches=batches)


def _finish(totals: Counter, *, complete: bool, batches: int) -> PassResult:
    result = PassResult({kind: totals[kind] for kind in KINDS}, complete=complete, batches=batches)
    if any(result.counts.values()):
        log.info("retention deleted %s%s", result.counts,
                 "" if complete else " (more left for the next pass)")
    return result


def run_retention(db: Database, settings: Settings) -> PassResult:
    """The scheduler's sweep: one pass within the configured time budget."""
    return prune(db, Policy.from_settings(settings))

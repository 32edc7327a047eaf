"""Deliveries: pushing an action run's changes to each POS, retried until accepted or dead.

The database is the record. An action writes its deliveries in the same transaction as its
catalog change (an outbox) and enqueues one job per delivery after commit. A job claims its
delivery with a lease (a compare-and-set UPDATE), so duplicate jobs never push at once and
only one delivery per connection is in flight. The sweep re-enqueues deliveries that are due
or whose job was lost (Redis flushed, worker killed), so no delivery depends on Redis.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from hub.catalog import Diff, coupon_diff, menu_diff, record_accepted
from hub.connectors import build_connector, connector_class
from hub.connectors.base import Capability, ConnectorError, ErrorKind
from hub.events import on_commit
from hub.models import ActionRun, Connection, Delivery, utcnow
from hub.refs import iso
from hub.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)

JOB = "hub.deliveries.run_delivery"
# Longer than a job may run (rq's job timeout is 300 s), so a live worker never loses its lease.
LEASE = timedelta(seconds=330)
# Delays before attempts 2..8; the 8th failure is final.
BACKOFF_SECONDS = (2, 10, 60, 300, 1800, 7200, 21600)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
# A pending delivery enqueued this long ago without being picked up has lost its job.
LOST_AFTER = timedelta(seconds=60)
# When another delivery to the same connection is in flight, try again this much later.
BUSY_DELAY = timedelta(seconds=3)
SWEEP_BATCH = 500

_CAPABILITY = {"skus": Capability.PUSH_MENU, "coupon_codes": Capability.PUSH_COUPONS}
_WHAT = {"skus": "menu changes", "coupon_codes": "coupons"}
_FETCH = {"skus": "GET /v1/pos/menu", "coupon_codes": "GET /v1/pos/coupons"}


def job_id(delivery_id: str) -> str:
    """The queue's job id of a delivery (rq allows only letters, digits, _ and -)."""
    return f"delivery-{delivery_id}"


def _payload_kind(payload: dict[str, Any]) -> str:
    return "skus" if "skus" in payload else "coupon_codes"


def _enqueue(delivery_ids: list[str]) -> None:
    queue = get_runtime().queue
    for delivery_id in delivery_ids:
        queue.enqueue(JOB, delivery_id, job_id=job_id(delivery_id))


def enqueue_on_commit(session: Session, delivery_ids: list[str]) -> None:
    """Enqueue the deliveries' jobs once this transaction has committed them."""
    if delivery_ids:
        ids = list(delivery_ids)
        on_commit(session, lambda: _enqueue(ids))


def skip_reason(connection: Connection, payload: dict[str, Any]) -> str | None:
    """Why this connection cannot receive this delivery, or None when it can."""
    kind = _payload_kind(payload)
    cls = connector_class(connection.type)
    if cls is None:
        return f"The connection type {connection.type!r} is unknown, so nothing was sent."
    if _CAPABILITY[kind] not in cls.capabilities:
        return (f"{cls.title} connections cannot receive {_WHAT[kind]}, so nothing was sent; a POS that "
                f"calls the hub fetches them from {_FETCH[kind]}.")
    return None


def diff_for(session: Session, connection: Connection, payload: dict[str, Any]) -> Diff:
    """What this delivery must push now to this connection (only what differs from what it accepted)."""
    if "skus" in payload:
        return menu_diff(session, connection, list(payload["skus"]))
    return coupon_diff(session, connection, list(payload["coupon_codes"]))


def create_deliveries(session: Session, run: ActionRun, connections: list[Connection],
                      payload: dict[str, Any]) -> list[Delivery]:
    """One delivery per connection, in the caller's transaction; jobs are enqueued after commit.

    A connection that cannot receive this kind of change gets a skipped delivery saying why.
    """
    now = utcnow()
    deliveries, due = [], []
    for connection in connections:
        reason = skip_reason(connection, payload)
        changes = 0 if reason else len(diff_for(session, connection, payload).records)
        delivery = Delivery(hub_id=run.hub_id, action_run_id=run.id, connection_id=connection.id,
                            payload={**payload, "changes": changes},
                            status="skipped" if reason else "pending",
                            attempts=0, last_error=reason, enqueued_at=None if reason else now,
                            created_at=now, updated_at=now)
        session.add(delivery)
        deliveries.append(delivery)
    session.flush()
    due = [d.id for d in deliveries if d.status == "pending"]
    enqueue_on_commit(session, due)
    return deliveries


def redrive_dead(session: Session, run: ActionRun) -> list[str]:
    """Make the run's dead deliveries pending again with fresh retries; their jobs run after commit."""
    ids = list(session.scalars(
        update(Delivery).where(Delivery.action_run_id == run.id, Delivery.hub_id == run.hub_id,
                               Delivery.status == "dead")
        .values(status="pending", attempts=0, next_attempt_at=None, leased_until=None, enqueued_at=utcnow())
        .returning(Delivery.id)
    ))
    enqueue_on_commit(session, ids)
    return ids


# ---------- the job ----------

def claim(session: Session, delivery_id: str, now: datetime | None = None) -> datetime | None:
    """Lease the delivery if it is due (or its lease expired) and its connection is free.

    Returns the lease's end, which also identifies the lease when the outcome is written.
    """
    now = now or utcnow()
    connection_id = session.scalar(select(Delivery.connection_id).where(Delivery.id == delivery_id))
    if connection_id is None:
        return None
    # Serialise claims per connection (a row lock on PostgreSQL; SQLite has a single writer).
    session.execute(select(Connection.id).where(Connection.id == connection_id).with_for_update())
    other = aliased(Delivery)
    busy = exists().where(other.connection_id == connection_id, other.id != delivery_id,
                          other.status == "in_progress", other.leased_until > now)
    due = or_(
        and_(Delivery.status == "pending",
             or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now)),
        and_(Delivery.status == "in_progress", Delivery.leased_until < now),
    )
    lease = now + LEASE
    claimed = session.execute(
        update(Delivery).where(Delivery.id == delivery_id, due, ~busy)
        .values(status="in_progress", leased_until=lease, attempts=Delivery.attempts + 1, enqueued_at=None,
                updated_at=now)
    ).rowcount == 1
    if claimed:
        return lease
    session.execute(
        update(Delivery).where(Delivery.id == delivery_id, due, busy)
        .values(status="pending", next_attempt_at=now + BUSY_DELAY, enqueued_at=None)
    )
    return None


def _settle(session: Session, delivery_id: str, lease: datetime, **values: Any) -> bool:
    """Write the outcome if the lease is still ours (compare-and-set); False when it was lost."""
    return session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "in_progress",
                               Delivery.leased_until == lease)
        .values(leased_until=None, updated_at=utcnow(), **values)
    ).rowcount == 1


def retry_delay(attempts: int, error: ConnectorError) -> float | None:
    """Seconds before the next attempt, or None when the delivery is dead."""
    if error.kind == ErrorKind.PERMANENT or attempts >= MAX_ATTEMPTS:
        return None
    if error.kind == ErrorKind.RATE_LIMITED and error.retry_after is not None:
        return error.retry_after
    base = BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1]
    return base * random.uniform(0.8, 1.2)  # jitter spreads retries of many deliveries apart


def run_delivery(delivery_id: str) -> str:
    """The delivery job: claim, push what changed, record the outcome. Returns the outcome's name."""
    rt = get_runtime()
    with rt.db.session() as session:
        lease = claim(session, delivery_id)
    if lease is None:
        return "not_claimed"
    try:
        return _attempt(rt, delivery_id, lease)
    except ConnectorError as error:
        return _failed(rt, delivery_id, lease, error)
    except Exception as exc:  # noqa: BLE001 - an unexpected failure is retried like an outage
        log.exception("delivery %s failed unexpectedly", delivery_id)
        return _failed(rt, delivery_id, lease,
                       ConnectorError(ErrorKind.TRANSIENT, f"unexpected error: {type(exc).__name__}: {exc}"))


def _attempt(rt: Runtime, delivery_id: str, lease: datetime) -> str:
    with rt.db.session() as session:
        delivery = session.get(Delivery, delivery_id)
        connection = session.get(Connection, delivery.connection_id)
        reason = skip_reason(connection, delivery.payload)
        diff = None if reason else diff_for(session, connection, delivery.payload)
        payload = dict(delivery.payload)
    if reason is not None:
        with rt.db.session() as session:
            _settle(session, delivery_id, lease, status="skipped", last_error=reason, next_attempt_at=None)
        return "skipped"
    if diff.records:
        connector = build_connector(connection, rt.vault)
        # Same content, same key: a POS that honours idempotency keys applies a repeated push once.
        key = f"{delivery_id}-{diff.digest()}"
        if diff.kind == "item":
            connector.push_menu(diff.records, idempotency_key=key)
        else:
            connector.push_coupons(diff.records, idempotency_key=key)
    with rt.db.session() as session:
        if not _settle(session, delivery_id, lease, status="succeeded", last_error=None, next_attempt_at=None,
                       payload={**payload, "changes": len(diff.records)}):
            log.warning("delivery %s lost its lease before it finished; outcome not recorded", delivery_id)
            return "lease_lost"
        record_accepted(session, connection.id, diff)
    return "succeeded"


def _failed(rt: Runtime, delivery_id: str, lease: datetime, error: ConnectorError) -> str:
    with rt.db.session() as session:
        attempts = session.scalar(select(Delivery.attempts).where(Delivery.id == delivery_id)) or 0
        delay = retry_delay(attempts, error)
        message = str(error)[:2000]
        if delay is None:
            if error.kind != ErrorKind.PERMANENT:
                message = f"{message} (gave up after {attempts} attempts)"
            _settle(session, delivery_id, lease, status="dead", last_error=message, next_attempt_at=None)
            return "dead"
        _settle(session, delivery_id, lease, status="pending", last_error=message,
                next_attempt_at=utcnow() + timedelta(seconds=delay), enqueued_at=None)
        return "retrying"


# ---------- the sweep ----------

def sweep_deliveries(rt: Runtime, now: datetime | None = None) -> int:
    """Enqueue deliveries that are due and have no live job; returns how many.

    Due: pending and past next_attempt_at, never enqueued since (a retry) or enqueued over
    LOST_AFTER ago (the job was lost), or in progress with an expired lease (the worker died).
    Marking enqueued_at first keeps several schedulers from enqueueing the same delivery.
    """
    now = now or utcnow()
    unqueued = or_(Delivery.enqueued_at.is_(None), Delivery.enqueued_at < now - LOST_AFTER)
    due = or_(
        and_(Delivery.status == "pending",
             or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now), unqueued),
        and_(Delivery.status == "in_progress", Delivery.leased_until < now, unqueued),
    )
    with rt.db.session() as session:
        # A delivery whose worker died on every attempt is given up rather than retried forever.
        session.execute(
            update(Delivery).where(Delivery.status == "in_progress", Delivery.leased_until < now,
                                   Delivery.attempts >= MAX_ATTEMPTS)
            .values(status="dead", leased_until=None, updated_at=now, next_attempt_at=None,
                    last_error=f"the worker stopped during each of {MAX_ATTEMPTS} attempts")
        )
        candidates = list(session.scalars(select(Delivery.id).where(due).limit(SWEEP_BATCH)))
        if not candidates:
            return 0
        ids = list(session.scalars(
            update(Delivery).where(Delivery.id.in_(candidates), due).values(enqueued_at=now)
            .returning(Delivery.id)))
        enqueue_on_commit(session, ids)
    return len(ids)


# ---------- reading progress ----------

def run_status(deliveries: list[Delivery]) -> str:
    """The run's status, derived from its deliveries."""
    counts = Counter(d.status for d in deliveries)
    if counts["pending"] or counts["in_progress"]:
        untouched = all(d.status == "pending" and d.attempts == 0 for d in deliveries
                        if d.status in ("pending", "in_progress"))
        return "pending" if untouched and not counts["succeeded"] and not counts["dead"] else "in_progress"
    attempted = len(deliveries) - counts["skipped"]
    if counts["dead"] and counts["dead"] == attempted:
        return "failed"
    return "partially_failed" if counts["dead"] else "succeeded"


def run_summary(deliveries: list[Delivery]) -> str:
    """A one-line human summary, e.g. "2 of 3 connections updated; 1 failed and can be retried"."""
    counts = Counter(d.status for d in deliveries)
    waiting = sum(1 for d in deliveries if d.status == "pending" and d.attempts)
    parts = [f"{counts['succeeded']} of {len(deliveries)} connection{'s' if len(deliveries) != 1 else ''} "
             "updated"]
    for number, words in ((counts["pending"] - waiting, "queued"), (waiting, "waiting to retry"),
                          (counts["in_progress"], "being sent"),
                          (counts["dead"], "failed and can be retried"), (counts["skipped"], "skipped")):
        if number:
            parts.append(f"{number} {words}")
    return "; ".join(parts)


def run_payload(session: Session, run: ActionRun) -> dict[str, Any]:
    """The action run as schemas/common/action_run.json."""
    rows = session.execute(
        select(Delivery, Connection.name).join(Connection, Connection.id == Delivery.connection_id)
        .where(Delivery.action_run_id == run.id).order_by(Connection.name, Delivery.connection_id)
        .execution_options(populate_existing=True)
    ).all()
    deliveries = [d for d, _ in rows]
    updated = max([run.created_at, *(d.updated_at for d in deliveries if d.updated_at)])
    return {
        "id": run.id,
        "action": run.action,
        "status": run_status(deliveries),
        "created_at": iso(run.created_at),
        "updated_at": iso(updated),
        "summary": run_summary(deliveries),
        "deliveries": [{
            "connection_id": d.connection_id,
            "connection_name": name,
            "status": d.status,
            "attempts": d.attempts,
            "last_error": d.last_error,
            "next_attempt_at": iso(d.next_attempt_at) if d.status == "pending" else None,
            "changes": int(d.payload.get("changes", 0)),
        } for d, name in rows],
    }


# ---------- targets ----------

def target_connections(session: Session, hub_id: str, connection_ids: list[str] | None,
                       path: str = "/connection_ids") -> tuple[list[Connection], list[dict[str, str]]]:
    """The hub's connections to deliver to (all when connection_ids is None), and errors for unknown ids."""
    query = select(Connection).where(Connection.hub_id == hub_id)
    if connection_ids is None:
        return list(session.scalars(query.order_by(Connection.name, Connection.id))), []
    found = {c.id: c for c in session.scalars(query.where(Connection.id.in_(connection_ids)))}
    errors = [{"path": f"{path}/{i}", "message": f"There is no POS connection {cid!r} in this hub; "
               "pick one from the list of connections (GET /v1/connections)."}
              for i, cid in enumerate(connection_ids) if cid not in found]
    return [found[cid] for cid in connection_ids if cid in found], errors

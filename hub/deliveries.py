"""Deliveries: pushing an action run's changes to each POS, retried until accepted or dead.

Deliveries are a kind of leased work (hub.work): the database is the record, a job claims its
delivery with a lease, and the engine's sweep re-enqueues deliveries that are due or whose job
was lost, so no delivery depends on Redis. Particular to deliveries: an action writes them in
the same transaction as its catalog change (an outbox), only one delivery per connection is in
flight, and each pushes only what differs from what that POS last accepted.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased, defer

from hub.action_callbacks.kind import add_callback, callback_view, rearm, wake_on_commit
from hub.catalog import Diff, coupon_diff, menu_diff, record_accepted
from hub.connectors import build_connector, connector_class
from hub.connectors.base import Capability, ConnectorError
from hub.jobs import ACTION_DELIVERIES_QUEUE
from hub.models import ActionRun, Connection, Delivery, utcnow
from hub.observability.metrics import timed_job
from hub.refs import iso
from hub.runtime import Runtime, get_runtime
from hub.work.backoff import Backoff
from hub.work.failures import ErrorKind, Failure
from hub.work.kind import IN_PROGRESS, PENDING, SUCCEEDED, Lease, TaskKind
from hub.work.leases import claim_one_in_flight, fail, revive, settle
from hub.work.queueing import enqueue_on_commit

log = logging.getLogger(__name__)

ACTION_DELIVERIES = TaskKind(
    name="delivery",
    job="hub.deliveries.run_delivery",
    queue=ACTION_DELIVERIES_QUEUE,
    table=Delivery,
    # Longer than a job may run (rq's job timeout is 300 s), so a live worker never loses its lease.
    lease=timedelta(seconds=330),
    # Delays before attempts 2..8; the 8th failure is final.
    backoff=Backoff(delays=(2, 10, 60, 300, 1800, 7200, 21600)),
    lost_after=timedelta(seconds=60),
)
# When another delivery to the same connection is in flight, try again this much later.
BUSY_DELAY = timedelta(seconds=3)

_CAPABILITY = {"skus": Capability.PUSH_MENU, "coupon_codes": Capability.PUSH_COUPONS}
_WHAT = {"skus": "menu changes", "coupon_codes": "coupons"}
_FETCH = {"skus": "GET /v1/pos/menu", "coupon_codes": "GET /v1/pos/coupons"}


def _payload_kind(payload: dict[str, Any]) -> str:
    return "skus" if "skus" in payload else "coupon_codes"


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

    A connection that cannot receive this kind of change gets a skipped delivery saying why. What
    changed for each connection is counted by its delivery when it runs (null until then), so the
    request does no per-connection work beyond inserting the deliveries.
    """
    now = utcnow()
    deliveries = []
    for connection in connections:
        reason = skip_reason(connection, payload)
        delivery = Delivery(hub_id=run.hub_id, action_run_id=run.id, connection_id=connection.id,
                            payload={**payload, "changes": 0} if reason else payload,
                            status="skipped" if reason else PENDING,
                            attempts=0, last_error=reason, enqueued_at=None if reason else now,
                            created_at=now, updated_at=now)
        session.add(delivery)
        deliveries.append(delivery)
    session.flush()
    queue = get_runtime().queue
    enqueue_on_commit(session, queue, ACTION_DELIVERIES, [d.id for d in deliveries if d.status == PENDING])
    if run.input.get("callback_url"):
        # A run whose deliveries were all skipped has ended already: its callback goes at once.
        add_callback(session, run, run.input["callback_url"])
        wake_on_commit(session, queue, run.id)
    return deliveries


def redrive_dead(session: Session, run: ActionRun) -> list[str]:
    """Make the run's dead deliveries pending again with fresh retries; their jobs run after commit.

    A run re-driven calls back again (if it has a callback URL) once it has ended again.
    """
    revived = revive(session, get_runtime().queue, ACTION_DELIVERIES, Delivery.action_run_id == run.id,
                     Delivery.hub_id == run.hub_id, now=utcnow())
    if revived:
        rearm(session, run.id)
    return revived


# ---------- the job ----------

def claim(session: Session, delivery_id: str, now: datetime | None = None) -> Lease | None:
    """Lease the delivery if it is due (or its lease expired) and no other delivery to its connection is.

    A delivery that finds its connection busy is postponed by BUSY_DELAY, its attempt not counted.
    """
    now = now or utcnow()
    connection_id = session.scalar(select(Delivery.connection_id).where(Delivery.id == delivery_id))
    if connection_id is None:
        return None
    other = aliased(Delivery)
    busy = exists().where(other.connection_id == connection_id, other.id != delivery_id,
                          other.status == IN_PROGRESS, other.leased_until > now)
    lock = select(Connection.id).where(Connection.id == connection_id).with_for_update()
    return claim_one_in_flight(session, ACTION_DELIVERIES, delivery_id, lock, busy, now, BUSY_DELAY)


@timed_job("action", delivery=True)
def run_delivery(delivery_id: str) -> str:
    """The delivery job: claim, push what changed, record the outcome. Returns the outcome's name."""
    rt = get_runtime()
    with rt.db.session() as session:
        lease = claim(session, delivery_id)
    if lease is None:
        return "not_claimed"
    outcome = _finish(rt, lease)
    if outcome in (SUCCEEDED, "skipped", "dead"):
        _wake_callback(rt, delivery_id)
    return outcome


def _wake_callback(rt: Runtime, delivery_id: str) -> None:
    """Once the delivery's outcome is committed, its run's callback goes if the run has ended."""
    with rt.db.session() as session:
        run_id = session.scalar(select(Delivery.action_run_id).where(Delivery.id == delivery_id))
        if run_id is not None:
            wake_on_commit(session, rt.queue, run_id)


def _finish(rt: Runtime, lease: Lease) -> str:
    """Attempt the push and record its outcome."""
    delivery_id = lease.item_id
    try:
        return _attempt(rt, lease)
    except ConnectorError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - an unexpected failure is retried like an outage
        log.exception("delivery %s failed unexpectedly", delivery_id)
        error = ConnectorError(ErrorKind.TRANSIENT, f"unexpected error: {type(exc).__name__}: {exc}")
    with rt.db.session() as session:
        status = fail(session, ACTION_DELIVERIES, lease, Failure(error.kind, str(error), error.retry_after),
                      utcnow())
    return {PENDING: "retrying", None: "lease_lost"}.get(status, status)


def _attempt(rt: Runtime, lease: Lease) -> str:
    with rt.db.session() as session:
        delivery = session.get(Delivery, lease.item_id)
        connection = session.get(Connection, delivery.connection_id)
        reason = skip_reason(connection, delivery.payload)
        diff = None if reason else diff_for(session, connection, delivery.payload)
        payload = dict(delivery.payload)
    if reason is not None:
        with rt.db.session() as session:
            settle(session, ACTION_DELIVERIES, lease, status="skipped", last_error=reason,
                   next_attempt_at=None, payload={**payload, "changes": 0})
        return "skipped"
    if diff.records:
        connector = build_connector(connection, rt.vault)
        # Same content, same key: a POS that honours idempotency keys applies a repeated push once.
        key = f"{lease.item_id}-{diff.digest()}"
        if diff.kind == "item":
            connector.push_menu(diff.records, idempotency_key=key)
        else:
            connector.push_coupons(diff.records, idempotency_key=key)
    with rt.db.session() as session:
        if not settle(session, ACTION_DELIVERIES, lease, status=SUCCEEDED, last_error=None,
                      next_attempt_at=None, payload={**payload, "changes": len(diff.records)}):
            log.warning("delivery %s lost its lease before it finished; outcome not recorded", lease.item_id)
            return "lease_lost"
        record_accepted(session, connection.id, diff)
    return SUCCEEDED


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
    # Each delivery's payload holds the run's skus (up to 500): only its change count is read.
    rows = session.execute(
        select(Delivery, Connection.name, Delivery.payload["changes"].as_integer())
        .join(Connection, Connection.id == Delivery.connection_id).options(defer(Delivery.payload))
        .where(Delivery.action_run_id == run.id).order_by(Connection.name, Delivery.connection_id)
        .execution_options(populate_existing=True)
    ).all()
    deliveries = [d for d, _, _ in rows]
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
            "changes": changes,
        } for d, name, changes in rows],
        "callback": callback_view(session, run.id),
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

"""Polling POS connections: claimed in the database, run as jobs, cursors saved with their data.

Polls are a kind of leased work (hub.work) that recurs: the scheduler's sweep claims due
connections with a lease when it queues their poll (FOR UPDATE SKIP LOCKED on PostgreSQL), so
several scheduler processes never poll one connection twice, and the job carries the claim's
token. Each page of purchases is committed together with the cursor that follows it, so a crash
or error never skips purchases, and a POS that was unreachable for hours is caught up page by
page on its return: a poll reads at most MAX_PAGES_PER_POLL pages, and when the connector still
has more it hands its claim to a follow-up poll queued at once (behind the polls already waiting,
so a catch-up never starves other connections) instead of waiting its interval.

A record the connector cannot map is quarantined in its page's transaction (hub.quarantine), so one
unreadable order never stalls the connection. After each poll the connection's health, its next
delay and its connection_failing / connection_recovered events follow hub.connection_health.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from hub.connection_health import after_failure, after_success, failure_delay
from hub.connectors import build_connector
from hub.connectors.base import Capability, ConnectorError, ErrorKind, LocationStatus
from hub.db import Database, on_commit
from hub.events import emit
from hub.inventory import CountUpdate, apply_counts
from hub.jobs import POLLS_QUEUE, polls_queue
from hub.models import Connection, Location, utcnow
from hub.observability.metrics import timed_job
from hub.orders.sync import follow_orders
from hub.presence import record_contact, report_location
from hub.purchases import record_purchases
from hub.quarantine import quarantine, settle_recorded
from hub.refs import locations_by_external_id
from hub.runtime import Runtime, get_runtime
from hub.work.backoff import Backoff
from hub.work.failures import Fault
from hub.work.kind import Lease, WorkKind
from hub.work.leases import holding, settle
from hub.work.queueing import mark_due, sweep

log = logging.getLogger(__name__)

MAX_PAGES_PER_POLL = 50


@dataclass(frozen=True)
class PollKind(WorkKind):
    """Connections due a poll, each claimed (claimed_until, claimed_by) from when its job is queued."""

    @property
    def due_at(self) -> InstrumentedAttribute:
        """When the next poll is due."""
        return Connection.next_poll_at

    def needs_job(self, now: datetime) -> ColumnElement[bool]:
        """Polled connections that are due and not claimed (or whose claim ran out)."""
        return and_(Connection.poll_interval_seconds > 0,
                    or_(Connection.next_poll_at.is_(None), Connection.next_poll_at <= now),
                    or_(Connection.claimed_until.is_(None), Connection.claimed_until < now))

    def queued(self, now: datetime, token: str | None) -> dict[str, Any]:
        """Claimed until the lease ends, under a new token unless its job still waits with the old one."""
        claim = {"claimed_until": now + self.lease}
        return claim if token is None else {**claim, "claimed_by": token}

    @property
    def routed_by(self) -> InstrumentedAttribute:
        """The connection's type picks the queue, so each POS type's polls can have workers of their own."""
        return Connection.type

    def queue_for(self, route: Any = None) -> str:
        """polls:<connector type>, e.g. polls:byte_fridge."""
        return polls_queue(route)

    def job_args(self, item_id: str, token: str) -> tuple[str, ...]:
        """The connection and the claim's token."""
        return (item_id, token)

    def holds(self, lease: Lease) -> ColumnElement[bool]:
        """Still claimed by this token (another scheduler re-claims it once the claim has run out)."""
        return and_(Connection.id == lease.item_id, Connection.claimed_by == lease.token)

    def released(self) -> dict[str, Any]:
        """Unclaimed."""
        return {"claimed_until": None, "claimed_by": None}


POLLS = PollKind(
    name="poll",
    job="hub.polling.poll_connection",
    queue=POLLS_QUEUE,  # one queue per connector type: polls:<type> (queue_for)
    table=Connection,
    lease=timedelta(seconds=300),
    # A failed poll is retried after its interval (at least 30 s), jittered so that a fleet that failed
    # together does not retry together; a rate-limited one waits at least the vendor's Retry-After.
    backoff=Backoff(delays=(30,), jitter=(1.0, 1.5), endless=True),
    batch=20,
)


def claim_due(
    db: Database, now: datetime | None = None, limit: int = 20, connection_id: str | None = None
) -> list[tuple[str, str]]:
    """Claim connections whose poll is due (or just this one); returns (connection id, claim token) pairs."""
    return mark_due(db, POLLS, now, only=connection_id, limit=limit)


def poll_now(rt: Runtime, connection_id: str) -> bool:
    """Make one connection due and enqueue its poll at once; False when a poll is already running."""
    with rt.db.session() as session:
        request_early_poll(session, connection_id)
    return sweep(rt.db, rt.queue, POLLS, only=connection_id) > 0


def request_early_poll(session: Session, connection_id: str) -> None:
    """A vendor callback is a hint: make the connection due now (polling stays the backstop)."""
    session.execute(update(Connection).where(Connection.id == connection_id).values(next_poll_at=utcnow()))


def _location_for(session: Session, connection: Connection, known: dict[str, Location],
                  external_id: str, name: str | None = None) -> Location:
    location = known.get(external_id)
    if location is None:
        location = Location(hub_id=connection.hub_id, connection_id=connection.id,
                            external_id=external_id, name=name or external_id)
        session.add(location)
        session.flush()
        known[external_id] = location
    elif name and location.name == location.external_id and name != location.name:
        location.name = name
    return location


def _apply_status(session: Session, connection: Connection, statuses: list[LocationStatus]) -> None:
    known = locations_by_external_id(session, connection.id)
    for status in statuses:
        location = _location_for(session, connection, known, status.external_id, status.name)
        report_location(session, connection, location, status.online)


@timed_job("poll")
def poll_connection(connection_id: str, token: str) -> None:
    """Poll one claimed connection: status, inventory, purchases; then schedule the next poll."""
    rt = get_runtime()
    db = rt.db
    lease = Lease(connection_id, token)
    with db.session() as session:
        connection = holding(session, POLLS, lease)
        if connection is None:
            return  # another scheduler re-claimed it after our lease ran out
        try:
            connector = build_connector(connection, rt.vault)
        except Exception as exc:  # noqa: BLE001 - unknown type or undecryptable credentials
            connector = None
            # Unknown type, refused settings, credentials the keys cannot decrypt: support must act.
            setup_error = ConnectorError(ErrorKind.PERMANENT, f"cannot build the connector: {exc}",
                                         fault=Fault.CONFIGURATION)
    if connector is None:
        _finish(db, lease, error=setup_error)
        return
    capabilities = connector.capabilities
    try:
        if Capability.STATUS in capabilities:
            statuses = connector.fetch_status()
            with db.session() as session:
                _apply_status(session, session.get(Connection, connection_id), statuses)
        if Capability.INVENTORY in capabilities:
            counts = connector.fetch_inventory()
            with db.session() as session:
                connection = session.get(Connection, connection_id)
                known = locations_by_external_id(session, connection.id)
                apply_counts(session, connection, [
                    CountUpdate(_location_for(session, connection, known, c.location_external_id), c.sku,
                                c.quantity) for c in counts])
        more = Capability.PURCHASES in capabilities and _poll_purchases(db, connector, connection_id)
        follow_orders(db, connector, connection_id)  # statuses of the orders sent to this POS
    except ConnectorError as exc:
        _finish(db, lease, error=exc)
        return
    except Exception as exc:  # noqa: BLE001 - a bug in one connector must not stop the others' polls
        log.exception("poll of %s failed", connection_id)
        bug = ConnectorError(ErrorKind.TRANSIENT, f"internal error: {exc}", fault=Fault.HUB)
        _finish(db, lease, error=bug)
        return
    _finish(db, lease, more=more)


def _poll_purchases(db: Database, connector, connection_id: str) -> bool:  # noqa: ANN001
    """Read pages until the connector has no more, or up to the cap; True when it stopped at the cap."""
    for _ in range(MAX_PAGES_PER_POLL):
        with db.session() as session:
            cursor = session.scalar(select(Connection.poll_cursor).where(Connection.id == connection_id))
        page = connector.fetch_purchases(cursor)
        with db.session() as session:
            connection = session.get(Connection, connection_id)
            if page.purchases:
                recorded = record_purchases(session, connection, page.purchases, create_locations=True)
                settle_recorded(session, connection, {r.external_id: r.purchase_id for r in recorded})
            # Unreadable records are kept with the page, so the cursor moves past them and none is lost.
            quarantine(session, connection, page.unreadable)
            # Saved in the same transaction as the purchases it covers.
            if page.next_cursor is not None:
                connection.poll_cursor = page.next_cursor
        if not page.has_more:
            return False
    return True


def _finish(db: Database, lease: Lease, error: ConnectorError | None = None, more: bool = False) -> None:
    """Release the claim if still ours: due again after the interval (or the failure policy's delay), with
    the connection's health and its failing / recovered event written in the same transaction.

    A successful poll that stopped at the page cap (`more`) is due again now instead: its claim passes in
    the same UPDATE to a new token, whose job is queued after commit behind the jobs already waiting. The
    connection is never unclaimed in between, so the scheduler cannot queue a second poll of it; if that
    job is lost, the claim runs out and the sweep queues the poll as for any lost job."""
    now = utcnow()
    with db.session() as session:
        connection = session.get(Connection, lease.item_id)
        if connection is None:
            return  # deleted while it was polled
        if error is None:
            delay, verdict = connection.poll_interval_seconds, after_success(connection, now)
        else:
            log.warning("poll of %s failed: %s", lease.item_id, error)
            delay = failure_delay(connection, error, POLLS.backoff)
            verdict = after_failure(connection, error, now)
        due = now + timedelta(seconds=delay)
        handover: dict[str, Any] = {}
        follow_up = more and error is None and connection.poll_interval_seconds > 0
        if follow_up:
            token = secrets.token_hex(8)
            due, handover = now, POLLS.queued(now, token)
        polled = {"last_polled_at": now} if error is None else {}
        released = settle(session, POLLS, lease, next_poll_at=due, **verdict.values, **handover, **polled)
        # Not ours any more: another scheduler re-claimed it after our lease ran out, and its poll reports.
        if not released:
            return
        if verdict.event is not None:
            name, payload = verdict.event
            emit(session, connection.hub_id, name, payload, connection_id=connection.id)
        if error is None:
            record_contact(session, connection, now)
        if follow_up:
            _queue_follow_up(session, connection.id, token, connection.type)


def _queue_follow_up(session: Session, connection_id: str, token: str, connection_type: str) -> None:
    """Queue the next poll under its new claim once committed. Its job id names the claim: the running
    job still holds the plain id (the in-process pool would drop a second job of that id, and rq would
    overwrite the running job's record)."""
    queue = get_runtime().queue
    on_commit(session, lambda: queue.enqueue(
        POLLS.job, *POLLS.job_args(connection_id, token), job_id=f"{POLLS.job_id(connection_id)}-{token}",
        queue=POLLS.queue_for(connection_type)))

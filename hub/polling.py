"""Polling POS connections: claimed in the database, run as jobs, cursors saved with their data.

The scheduler claims due connections with a lease (FOR UPDATE SKIP LOCKED on
PostgreSQL), so several scheduler processes never poll one connection twice;
the poll itself runs as a job. Each page of purchases is committed together with
the cursor that follows it, so a crash or error never skips purchases, and a
POS that was unreachable for hours is caught up page by page on its return.
"""

from __future__ import annotations

import logging
import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hub.connectors import build_connector
from hub.connectors.base import Capability, ConnectorError, ErrorKind, LocationStatus
from hub.db import Database
from hub.inventory import CountUpdate, apply_counts
from hub.models import Connection, Location, utcnow
from hub.presence import record_contact, report_location
from hub.purchases import record_purchases
from hub.refs import locations_by_external_id
from hub.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)

CLAIM_SECONDS = 300
MAX_PAGES_PER_POLL = 50


def claim_due(
    db: Database, now: datetime | None = None, limit: int = 20, connection_id: str | None = None
) -> list[tuple[str, str]]:
    """Claim connections whose poll is due (or just this one); returns (connection id, claim token) pairs."""
    now = now or utcnow()
    token = secrets.token_hex(8)
    with db.session() as session:
        due = (
            select(Connection.id)
            .where(Connection.poll_interval_seconds > 0,
                   or_(Connection.next_poll_at.is_(None), Connection.next_poll_at <= now),
                   or_(Connection.claimed_until.is_(None), Connection.claimed_until < now))
            .order_by(Connection.next_poll_at.nulls_first())
            .limit(limit)
        )
        if connection_id is not None:
            due = due.where(Connection.id == connection_id)
        if not db.is_sqlite:
            due = due.with_for_update(skip_locked=True)
        ids = list(session.scalars(due))
        if not ids:
            return []
        session.execute(update(Connection).where(Connection.id.in_(ids))
                        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), claimed_by=token))
    return [(cid, token) for cid in ids]


def schedule_due_polls(rt: Runtime) -> int:
    """The scheduler's sweep: claim due connections and enqueue one poll job each."""
    claimed = claim_due(rt.db)
    for connection_id, token in claimed:
        rt.queue.enqueue("hub.polling.poll_connection", connection_id, token, job_id=f"poll-{connection_id}")
    return len(claimed)


def poll_now(rt: Runtime, connection_id: str) -> bool:
    """Make one connection due and enqueue its poll at once; False when a poll is already running."""
    with rt.db.session() as session:
        request_early_poll(session, connection_id)
    claimed = claim_due(rt.db, connection_id=connection_id)
    for cid, token in claimed:
        rt.queue.enqueue("hub.polling.poll_connection", cid, token, job_id=f"poll-{cid}")
    return bool(claimed)


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


def _owns_claim(session: Session, connection_id: str, token: str) -> Connection | None:
    connection = session.get(Connection, connection_id)
    if connection is None or connection.claimed_by != token:
        return None
    return connection


def poll_connection(connection_id: str, token: str) -> None:
    """Poll one claimed connection: status, inventory, purchases; then schedule the next poll."""
    rt = get_runtime()
    db = rt.db
    with db.session() as session:
        connection = _owns_claim(session, connection_id, token)
        if connection is None:
            return  # another scheduler re-claimed it after our lease ran out
        try:
            connector = build_connector(connection, rt.vault)
        except Exception as exc:  # noqa: BLE001 - unknown type or undecryptable credentials
            connector = None
            setup_error = ConnectorError(ErrorKind.PERMANENT, f"cannot build the connector: {exc}")
    if connector is None:
        _finish(db, connection_id, token, error=setup_error)
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
        if Capability.PURCHASES in capabilities:
            _poll_purchases(db, connector, connection_id)
    except ConnectorError as exc:
        _finish(db, connection_id, token, error=exc)
        return
    except Exception as exc:  # noqa: BLE001 - a bug in one connector must not stop the others' polls
        log.exception("poll of %s failed", connection_id)
        _finish(db, connection_id, token, error=ConnectorError(ErrorKind.TRANSIENT, f"internal error: {exc}"))
        return
    _finish(db, connection_id, token)


def _poll_purchases(db: Database, connector, connection_id: str) -> None:  # noqa: ANN001
    for _ in range(MAX_PAGES_PER_POLL):
        with db.session() as session:
            cursor = session.scalar(select(Connection.poll_cursor).where(Connection.id == connection_id))
        page = connector.fetch_purchases(cursor)
        with db.session() as session:
            connection = session.get(Connection, connection_id)
            if page.purchases:
                record_purchases(session, connection, page.purchases, create_locations=True)
            # Saved in the same transaction as the purchases it covers.
            if page.next_cursor is not None:
                connection.poll_cursor = page.next_cursor
        if not page.has_more:
            return


def _finish(db: Database, connection_id: str, token: str, error: ConnectorError | None = None) -> None:
    now = utcnow()
    with db.session() as session:
        connection = _owns_claim(session, connection_id, token)
        if connection is None:
            return
        if error is None:
            record_contact(session, connection, now)
            delay = connection.poll_interval_seconds
            connection.last_error = None
        else:
            log.warning("poll of %s failed: %s", connection_id, error)
            connection.last_error = str(error)[:2000]
            if error.kind is ErrorKind.RATE_LIMITED and error.retry_after:
                delay = int(error.retry_after) + 1
            else:
                # Jittered, so a fleet that failed together does not retry together.
                delay = int(max(connection.poll_interval_seconds, 30) * random.uniform(1.0, 1.5))
        connection.next_poll_at = now + timedelta(seconds=delay)
        connection.claimed_until = None
        connection.claimed_by = None

"""Online status of connections and locations, and the pos_offline / pos_online events.

A connection is offline after its offline window without successful contact
(a heartbeat, a POS call, a successful poll); a location is offline when the POS
reports it inactive. Each outage fires one pos_offline and, when it ends, one
pos_online: every transition is a compare-and-set UPDATE, so concurrent
heartbeats or several scheduler processes never fire twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.db import Database
from hub.events import emit
from hub.models import Connection, Hub, Location, utcnow
from hub.refs import connection_ref, iso, location_ref


def _window(session: Session, connection: Connection) -> int:
    if connection.offline_window_seconds:
        return connection.offline_window_seconds
    return session.scalar(select(Hub.offline_window_seconds).where(Hub.id == connection.hub_id)) or 300


def _outage_seconds(since: datetime | None, now: datetime) -> int | None:
    return int((now - since).total_seconds()) if since else None


def record_contact(session: Session, connection: Connection, now: datetime | None = None) -> bool:
    """Note a successful contact; True when it ended an outage (pos_online fired)."""
    now = now or utcnow()
    ordinary = session.execute(
        update(Connection).where(Connection.id == connection.id, Connection.status != "offline")
        .values(last_contact_at=now, status="online")
    ).rowcount
    if ordinary:
        return False
    since = session.scalar(select(Connection.offline_since).where(Connection.id == connection.id))
    came_back = session.execute(
        update(Connection).where(Connection.id == connection.id, Connection.status == "offline")
        .values(last_contact_at=now, status="online", offline_since=None)
    ).rowcount == 1
    if came_back:
        emit(session, connection.hub_id, "pos_online", {
            "type": "pos_online", "occurred_at": iso(now), "scope": "connection",
            "connection": connection_ref(connection), "location": None,
            "offline_since": iso(since), "outage_seconds": _outage_seconds(since, now),
        }, connection_id=connection.id)
    return came_back


def report_location(session: Session, connection: Connection, location: Location, online: bool,
                    now: datetime | None = None) -> str | None:
    """Apply a location's reported state; returns the event type it fired, if any."""
    now = now or utcnow()
    if online:
        since = location.offline_since
        came_back = session.execute(
            update(Location).where(Location.id == location.id, Location.status == "offline")
            .values(status="online", offline_since=None, last_contact_at=now)
        ).rowcount == 1
        if not came_back:
            session.execute(update(Location).where(Location.id == location.id)
                            .values(status="online", last_contact_at=now))
            return None
        emit(session, connection.hub_id, "pos_online", {
            "type": "pos_online", "occurred_at": iso(now), "scope": "location",
            "connection": connection_ref(connection), "location": location_ref(location),
            "offline_since": iso(since), "outage_seconds": _outage_seconds(since, now),
        }, connection_id=connection.id, location_id=location.id)
        return "pos_online"
    went_down = session.execute(
        update(Location).where(Location.id == location.id, Location.status != "offline")
        .values(status="offline", offline_since=now)
    ).rowcount == 1
    if not went_down:
        return None
    emit(session, connection.hub_id, "pos_offline", {
        "type": "pos_offline", "occurred_at": iso(now), "scope": "location",
        "connection": connection_ref(connection), "location": location_ref(location),
        "reason": "reported_inactive", "last_contact_at": iso(location.last_contact_at),
        "offline_window_seconds": _window(session, connection),
    }, connection_id=connection.id, location_id=location.id)
    return "pos_offline"


def sweep_offline(db: Database, now: datetime | None = None) -> int:
    """Mark connections offline whose last contact is older than their window; returns how many.

    Each connection is settled in a transaction of its own, so one hub's events
    never wait on another's, and several schedulers may sweep at once.
    """
    now = now or utcnow()
    with db.session() as session:
        rows = session.execute(
            select(Connection.id, Connection.last_contact_at, Connection.offline_window_seconds,
                   Hub.offline_window_seconds)
            .join(Hub, Hub.id == Connection.hub_id)
            .where(Connection.status == "online", Connection.last_contact_at.is_not(None))
        ).all()
    fired = 0
    for connection_id, seen, own_window, hub_window in rows:
        window = own_window or hub_window
        if seen > now - timedelta(seconds=window):
            continue
        with db.session() as session:
            # Compare-and-set on the contact time we read: a heartbeat in between wins.
            claimed = session.execute(
                update(Connection).where(Connection.id == connection_id, Connection.status == "online",
                                         Connection.last_contact_at == seen)
                .values(status="offline", offline_since=now)
            ).rowcount == 1
            if not claimed:
                continue
            connection = session.get(Connection, connection_id)
            emit(session, connection.hub_id, "pos_offline", {
                "type": "pos_offline", "occurred_at": iso(now), "scope": "connection",
                "connection": connection_ref(connection), "location": None, "reason": "no_contact",
                "last_contact_at": iso(seen), "offline_window_seconds": window,
            }, connection_id=connection.id)
            fired += 1
    return fired

"""The small reference objects every trigger item carries, with names resolved."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Connection, Location


def connection_ref(connection: Connection) -> dict[str, Any]:
    """{"id", "name", "type"} of a connection."""
    return {"id": connection.id, "name": connection.name, "type": connection.type}


def location_ref(location: Location | None) -> dict[str, Any] | None:
    """{"id", "name", "external_id"} of a location, or None."""
    if location is None:
        return None
    return {"id": location.id, "name": location.name, "external_id": location.external_id}


def iso(value: Any) -> str | None:
    """An ISO 8601 timestamp (UTC, with offset), or None."""
    return value.isoformat() if value is not None else None


def locations_by_external_id(session: Session, connection_id: str) -> dict[str, Location]:
    """A connection's locations keyed by the POS's own ids (one query)."""
    return {loc.external_id: loc for loc in
            session.scalars(select(Location).where(Location.connection_id == connection_id))}

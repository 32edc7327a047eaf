"""Inventory reports from a POS, and the low_stock events they cause."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.events import emit
from hub.models import Connection, Location, MenuItem
from hub.refs import connection_ref, location_ref
from hub.stock import StockChange, set_stock


@dataclass(frozen=True)
class CountUpdate:
    """One absolute count to apply: location, sku, quantity and an optional threshold."""

    location: Location
    sku: str
    quantity: int
    threshold: int | None = None


def item_names(session: Session, hub_id: str, skus: set[str]) -> dict[str, str]:
    """Catalog names of these skus (one query)."""
    if not skus:
        return {}
    rows = session.execute(
        select(MenuItem.sku, MenuItem.name).where(MenuItem.hub_id == hub_id, MenuItem.sku.in_(skus))
    )
    return {sku: name for sku, name in rows}


def low_stock_payload(connection: Connection, location: Location, sku: str, change: StockChange,
                      item_name: str | None) -> dict:
    """The low_stock trigger item of a crossing (without its event id; occurred_at filled in on emit)."""
    return {
        "type": "low_stock",
        "occurred_at": None,
        "connection": connection_ref(connection),
        "location": location_ref(location),
        "sku": sku,
        "item_name": item_name,
        "quantity": change.quantity,
        "threshold": change.threshold,
    }


def emit_low_stock(session: Session, connection: Connection, location: Location, sku: str,
                   change: StockChange, item_name: str | None) -> None:
    """Append the low_stock event for a crossing."""
    emit(session, connection.hub_id, "low_stock",
         low_stock_payload(connection, location, sku, change, item_name),
         connection_id=connection.id, location_id=location.id, sku=sku)


def apply_counts(session: Session, connection: Connection, updates: list[CountUpdate]) -> int:
    """Set absolute counts; emits one low_stock per crossing; returns how many events fired."""
    crossings: list[tuple[CountUpdate, StockChange]] = []
    for update in updates:
        change = set_stock(session, connection.hub_id, update.location.id, update.sku, update.quantity,
                           update.threshold)
        if change.crossed_low:
            crossings.append((update, change))
    names = item_names(session, connection.hub_id, {u.sku for u, _ in crossings})
    for update, change in crossings:
        emit_low_stock(session, connection, update.location, update.sku, change, names.get(update.sku))
    return len(crossings)

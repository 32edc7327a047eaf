"""Driving a sandbox connection: sell, restock, take locations offline, simulate an outage.

Sales go into the simulated POS's journal and reach the hub through the scheduler's
poll; everything else goes through the same services real POS reports use, so
every trigger fires exactly as it would for a real fridge or kiosk.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.connectors.sandbox import append_sale
from hub.inventory import CountUpdate, apply_counts
from hub.models import Connection, Hub, Location, MenuItem, utcnow
from hub.polling import request_early_poll
from hub.presence import record_contact, report_location

ACTIONS = ("sell", "restock", "location_offline", "location_online", "outage", "recover")


class SimulationError(ValueError):
    """The simulation cannot do what was asked; the message says why, the path names the field."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


def _location(session: Session, connection: Connection, external_id: str | None) -> Location:
    locations = list(session.scalars(select(Location).where(Location.connection_id == connection.id)
                                     .order_by(Location.created_at)))
    if not locations:
        raise SimulationError("/location_external_id", "this sandbox connection has no locations")
    if external_id is None:
        return locations[0]
    for location in locations:
        if location.external_id == external_id:
            return location
    known = ", ".join(loc.external_id for loc in locations)
    raise SimulationError("/location_external_id", f"unknown location {external_id!r}; known: {known}")


def _set_location_flag(connection: Connection, external_id: str, offline: bool) -> None:
    config = dict(connection.config or {})
    config["locations"] = [
        {**loc, "offline": offline} if loc.get("external_id") == external_id else loc
        for loc in config.get("locations", [])
    ]
    connection.config = config


def simulate(
    session: Session,
    connection: Connection,
    action: str,
    *,
    location_external_id: str | None = None,
    sku: str | None = None,
    quantity: int = 1,
) -> dict[str, Any]:
    """Run one simulated happening at a sandbox connection and say what it did."""
    if connection.type != "sandbox":
        raise SimulationError("", "only sandbox connections can be simulated")
    if action not in ACTIONS:
        raise SimulationError("/action", f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if action in ("sell", "restock"):
        if not sku:
            raise SimulationError("/sku", f"{action} needs a sku")
        if quantity < (1 if action == "sell" else 0):
            raise SimulationError("/quantity", "quantity must be at least 1 to sell, 0 to restock")
    if action == "outage":
        hub_window = session.scalar(select(Hub.offline_window_seconds).where(Hub.id == connection.hub_id))
        window = connection.offline_window_seconds or hub_window or 300
        # The simulated POS stops answering, and its last contact is moved back past the window
        # so the scheduler's next offline sweep (within seconds) sees the outage.
        connection.config = {**(connection.config or {}), "outage": True}
        record_contact(session, connection, utcnow() - timedelta(seconds=window + 1))
        return {"action": action, "detail": "the POS stopped answering; pos_offline fires on the next sweep"}
    if action == "recover":
        connection.config = {k: v for k, v in (connection.config or {}).items() if k != "outage"}
        came_back = record_contact(session, connection)
        return {"action": action, "detail": "contact restored", "pos_online_fired": came_back}
    location = _location(session, connection, location_external_id)
    if action in ("location_offline", "location_online"):
        online = action == "location_online"
        _set_location_flag(connection, location.external_id, offline=not online)
        fired = report_location(session, connection, location, online)
        return {"action": action, "location_id": location.id, "event": fired}
    if action == "restock":
        apply_counts(session, connection, [CountUpdate(location, sku, quantity)])
        record_contact(session, connection)
        return {"action": action, "location_id": location.id, "sku": sku, "quantity": quantity}
    item = session.scalar(select(MenuItem).where(MenuItem.hub_id == connection.hub_id, MenuItem.sku == sku))
    price = Decimal(item.price_amount) if item else Decimal("0.00")
    external_id = f"SIM-{secrets.token_hex(6)}"
    connection.config = append_sale(connection.config or {}, {
        "external_id": external_id, "location_external_id": location.external_id,
        "occurred_at": utcnow().isoformat(),
        "lines": [{"sku": sku, "name": item.name if item else None, "quantity": quantity,
                   "unit_price": format(price, "f"), "line_total": format(price * quantity, "f")}],
        "total": format(price * quantity, "f"), "currency": item.currency if item else "EUR",
        "payment_state": "paid_at_pos",
    })
    # Like a vendor webhook: a hint that makes the scheduler poll the sale within seconds.
    request_early_poll(session, connection.id)
    return {"action": action, "location_id": location.id, "external_id": external_id,
            "detail": "sold at the simulated POS; the hub records it on its next poll (within seconds)"}

"""Importing a POS's own menu into the catalog, for accounts where that POS is the master of product data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.catalog import menu_diff, record_accepted, upsert_menu_items
from hub.connectors import build_connector
from hub.connectors.base import Capability, MenuItemData, Unsupported
from hub.connectors.common.skipped import skipped_of
from hub.deliveries import create_deliveries, target_connections
from hub.models import ActionRun, Connection, Location
from hub.runtime import Runtime


def _change(item: MenuItemData, location_ids: dict[str, str]) -> dict[str, Any]:
    change: dict[str, Any] = {
        "sku": item.sku, "name": item.name, "price": {"amount": item.price, "currency": item.currency},
        "description": item.description, "category": item.category, "modifiers": item.modifiers,
        "available": item.available, "image_url": item.image_url,
    }
    if item.location_external_ids is not None:
        change["location_ids"] = [location_ids[x] for x in item.location_external_ids if x in location_ids]
    return change


def import_menu(rt: Runtime, hub_id: str, connection_id: str, push_to_others: bool = False) -> dict[str, Any]:
    """Upsert the POS's menu into the catalog; optionally push the result to the hub's other connections.

    The source connection is recorded as having accepted what it sent, so the hub
    never pushes a master POS its own menu back.
    """
    with rt.db.session() as s:
        connection = s.scalar(select(Connection).where(Connection.id == connection_id,
                                                       Connection.hub_id == hub_id))
        if connection is None:
            raise LookupError(connection_id)
        connector = build_connector(connection, rt.vault)
    if Capability.IMPORT_MENU not in connector.capabilities:
        raise Unsupported(f"{connector.title} connections cannot export their menu")
    found = connector.import_menu()
    items = [item for item in found if not item.removed]
    # What the POS had but the hub could not import, with the reason: an import is never silently short.
    skipped = [{"external_id": s.external_id, "reason": s.reason} for s in skipped_of(found)]
    skus = sorted({item.sku for item in items})
    with rt.db.session() as s:
        connection = s.get(Connection, connection_id)
        location_ids = {loc.external_id: loc.id for loc in
                        s.scalars(select(Location).where(Location.connection_id == connection_id))}
        upsert_menu_items(s, hub_id, [_change(item, location_ids) for item in items], [])
        record_accepted(s, connection_id, menu_diff(s, connection, skus))
        run_id = None
        if push_to_others and skus:
            targets = [c for c in target_connections(s, hub_id, None)[0] if c.id != connection_id]
            run = ActionRun(hub_id=hub_id, action="update_menu",
                            input={"imported_from": connection_id, "skus": skus})
            s.add(run)
            s.flush()
            create_deliveries(s, run, targets, {"skus": skus})
            run_id = run.id
    return {"connection_id": connection_id, "imported": len(skus), "skus": skus, "skipped": skipped,
            "action_run_id": run_id}

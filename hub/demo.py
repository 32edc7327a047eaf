"""The demo hub that `make run` creates: a sandbox connection and a menu a newcomer can try at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.admin import add_connection, add_location, create_hub
from hub.catalog import items_by_sku, menu_diff, record_accepted, upsert_menu_items
from hub.keys import issue_key
from hub.models import ApiKey, Connection, Hub, InventoryLevel, Location, utcnow
from hub.runtime import Runtime
from hub.stock import set_stock

DEMO_HUB_NAME = "Demo hub"
DEMO_KEY_NAME = "demo key (make run)"
DEMO_OPERATOR = "support@demo.local"
DEMO_LOCATIONS = [
    {"external_id": "fridge-lobby", "name": "Lobby fridge (simulated)"},
    {"external_id": "kiosk-station", "name": "Station kiosk (simulated)"},
]
DEMO_MENU_FILE = Path(__file__).with_name("demo_menu.json")


def ensure_demo(rt: Runtime) -> dict[str, Any]:
    """Create the demo hub once; each call revokes the last demo key and prints a fresh one."""
    with rt.db.session() as s:
        hub = s.scalar(select(Hub).where(Hub.name == DEMO_HUB_NAME).order_by(Hub.created_at))
        created = hub is None
        if hub is None:
            hub = create_hub(s, DEMO_HUB_NAME)
            con = add_connection(s, rt.vault, hub.id, "sandbox", "Demo fridges and kiosks (simulated)",
                                 {"locations": DEMO_LOCATIONS})
            for loc in DEMO_LOCATIONS:
                add_location(s, hub.id, con.id, loc["external_id"], loc["name"])
        con_id = s.scalar(
            select(Connection.id).where(Connection.hub_id == hub.id, Connection.type == "sandbox")
        )
        menu_added = load_demo_menu(s, hub, s.get(Connection, con_id)) if con_id else 0
        s.execute(update(ApiKey).where(ApiKey.hub_id == hub.id, ApiKey.name == DEMO_KEY_NAME,
                                       ApiKey.revoked_at.is_(None)).values(revoked_at=utcnow()))
        issued = issue_key(s, hub.id, "automation", name=DEMO_KEY_NAME)
        base = rt.settings.base_url
        return {
            "hub_id": hub.id,
            "created": created,
            "menu_items_added": menu_added,
            "sandbox_connection_id": con_id,
            "automation_key": issued.key,
            "try": f"curl -H 'Authorization: Bearer {issued.key}' {base}/v1/me",
            **_demo_operator(s, base),
        }


def _demo_operator(session: Session, base: str) -> dict[str, str]:
    """The support console's first operator: made once, its generated password shown that once only."""
    from hub.console.auth import create_operator, find_operator, generate_password

    console = {"console": f"{base}/console", "console_operator": DEMO_OPERATOR}
    if find_operator(session, DEMO_OPERATOR) is not None:
        return {**console, "console_password": "shown when it was created; set a new one with: "
                f"python -m hub set-operator-password {DEMO_OPERATOR}"}
    password = generate_password()
    create_operator(session, DEMO_OPERATOR, password)
    return {**console, "console_password": f"{password} (shown once; change it with: "
            f"python -m hub set-operator-password {DEMO_OPERATOR})"}


def demo_menu() -> list[dict[str, Any]]:
    """The demo menu's meals as stored in demo_menu.json (prices without a currency)."""
    return json.loads(DEMO_MENU_FILE.read_text(encoding="utf-8"))["items"]


def _as_change(meal: dict[str, Any], currency: str) -> dict[str, Any]:
    """A meal of the file as a catalog change, its prices in the hub's currency."""
    def money(amount: str) -> dict[str, str]:
        return {"amount": amount, "currency": currency}

    modifiers = [{**modifier, "options": [{**option, "price": money(option["price"])}
                                          for option in modifier["options"]]}
                 for modifier in meal.get("modifiers", [])]
    return {"sku": meal["sku"], "name": meal["name"], "description": meal["description"],
            "category": meal["category"], "price": money(meal["price"]), "modifiers": modifiers,
            "available": True}


def load_demo_menu(session: Session, hub: Hub, connection: Connection) -> int:
    """Add the demo menu's meals the hub has never had, with their stock and thresholds; return how many.

    Idempotent: a sku the hub has (or had: deleted ones count) and stock already tracked are left as
    they are, so running the demo again never resets prices edited or stock sold since. The sandbox is
    recorded as having accepted the meals, as a fleet already selling them would have.
    """
    meals = demo_menu()
    known = items_by_sku(session, hub.id, [meal["sku"] for meal in meals])
    new = [meal for meal in meals if meal["sku"] not in known]
    if new:
        upsert_menu_items(session, hub.id, [_as_change(meal, hub.currency) for meal in new], [])
        record_accepted(session, connection.id, menu_diff(session, connection, [m["sku"] for m in new]))
    locations = {loc.external_id: loc.id for loc in session.scalars(
        select(Location).where(Location.connection_id == connection.id))}
    tracked = {(row.location_id, row.sku) for row in session.execute(
        select(InventoryLevel.location_id, InventoryLevel.sku).where(InventoryLevel.hub_id == hub.id))}
    for meal in new:
        for external_id, quantity in meal["stock"].items():
            location_id = locations.get(external_id)
            if location_id and (location_id, meal["sku"]) not in tracked:
                set_stock(session, hub.id, location_id, meal["sku"], quantity, meal["threshold"])
    return len(new)

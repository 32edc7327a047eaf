"""The demo hub that `make run` creates: a sandbox connection a newcomer can try at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from hub.admin import add_connection, add_location, create_hub
from hub.keys import issue_key
from hub.models import ApiKey, Connection, Hub, utcnow
from hub.runtime import Runtime

DEMO_HUB_NAME = "Demo hub"
DEMO_KEY_NAME = "demo key (make run)"
DEMO_LOCATIONS = [
    {"external_id": "fridge-lobby", "name": "Lobby fridge (simulated)"},
    {"external_id": "kiosk-station", "name": "Station kiosk (simulated)"},
]


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
        s.execute(update(ApiKey).where(ApiKey.hub_id == hub.id, ApiKey.name == DEMO_KEY_NAME,
                                       ApiKey.revoked_at.is_(None)).values(revoked_at=utcnow()))
        issued = issue_key(s, hub.id, "automation", name=DEMO_KEY_NAME)
        base = rt.settings.base_url
        return {
            "hub_id": hub.id,
            "created": created,
            "sandbox_connection_id": con_id,
            "automation_key": issued.key,
            "try": f"curl -H 'Authorization: Bearer {issued.key}' {base}/v1/me",
        }

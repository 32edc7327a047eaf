"""A simulated fridge/kiosk fleet for demos and for the first test of a Zap.

Its "POS database" is its settings: the simulation (hub/simulation.py) appends
sales to a journal there, and the scheduler polls them like any POS's purchases,
through the same cursor, so a demo exercises the real polling path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.connectors.base import (
    Capability,
    Connector,
    ConnectorError,
    CouponData,
    ErrorKind,
    LocationStatus,
    MenuItemData,
    PurchaseLineRecord,
    PurchasePage,
    PurchaseRecord,
)

JOURNAL_LIMIT = 1000
PAGE_SIZE = 100


class SandboxConnector(Connector):
    """Simulated POS: accepts pushes and reports the state its settings describe."""

    type = "sandbox"
    title = "Sandbox (simulated fridges and kiosks)"
    description = "A simulated fleet for demos: nothing real is sold or changed."
    simulated = True
    schema_file = "connectors/sandbox.json"
    capabilities = frozenset(
        {Capability.TEST, Capability.STATUS, Capability.PURCHASES, Capability.PUSH_MENU,
         Capability.PUSH_COUPONS}
    )
    default_poll_interval_seconds = 60

    def test_connection(self) -> None:
        """Always reachable."""
        return None

    def fetch_status(self) -> list[LocationStatus]:
        """Each simulated location, online unless the simulation took it offline."""
        if self.config.get("outage"):
            raise ConnectorError(ErrorKind.TRANSIENT, "simulated outage: the sandbox POS does not answer")
        return [
            LocationStatus(loc["external_id"], loc["name"], not loc.get("offline", False))
            for loc in self.config.get("locations", [])
        ]

    def fetch_purchases(self, cursor: str | None) -> PurchasePage:
        """Simulated sales after the cursor (a journal sequence number), oldest first."""
        if self.config.get("outage"):
            raise ConnectorError(ErrorKind.TRANSIENT, "simulated outage: the sandbox POS does not answer")
        after = int(cursor) if cursor and cursor.isdigit() else 0
        newer = [entry for entry in self.config.get("journal", []) if entry["seq"] > after]
        page = newer[:PAGE_SIZE]
        next_cursor = str(page[-1]["seq"]) if page else cursor
        more = len(newer) > PAGE_SIZE
        return PurchasePage([_purchase(entry) for entry in page], next_cursor, has_more=more)

    def _maybe_fail(self) -> None:
        mode = self.setting("fail_pushes")
        if mode == "transient":
            raise ConnectorError(ErrorKind.TRANSIENT, "simulated outage (HTTP 503)", status=503)
        if mode == "permanent":
            raise ConnectorError(ErrorKind.PERMANENT, "simulated rejection (HTTP 401)", status=401)

    def push_menu(self, items: list[MenuItemData], idempotency_key: str) -> None:
        """Accept the menu (nothing real changes)."""
        self._maybe_fail()

    def push_coupons(self, coupons: list[CouponData], idempotency_key: str) -> None:
        """Accept the coupons (nothing real changes)."""
        self._maybe_fail()


def _purchase(entry: dict[str, Any]) -> PurchaseRecord:
    return PurchaseRecord(
        external_id=entry["external_id"],
        location_external_id=entry["location_external_id"],
        occurred_at=datetime.fromisoformat(entry["occurred_at"]),
        lines=[PurchaseLineRecord(**line) for line in entry["lines"]],
        total=entry["total"],
        currency=entry["currency"],
        payment_state=entry.get("payment_state", "paid_at_pos"),
    )


def append_sale(config: dict[str, Any], sale: dict[str, Any]) -> dict[str, Any]:
    """A new config with the sale journalled under the next sequence number (oldest trimmed)."""
    journal = list(config.get("journal", []))
    seq = journal[-1]["seq"] + 1 if journal else 1
    journal.append({**sale, "seq": seq})
    return {**config, "journal": journal[-JOURNAL_LIMIT:]}

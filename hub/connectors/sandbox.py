"""A simulated fridge/kiosk fleet for demos and for the first test of a Zap."""

from __future__ import annotations

from typing import Any

from hub.connectors.base import (
    Capability,
    Connector,
    ConnectorError,
    CouponData,
    ErrorKind,
    LocationStatus,
    MenuItemData,
)


class SandboxConnector(Connector):
    """Simulated POS: accepts pushes and reports the state its settings describe."""

    type = "sandbox"
    title = "Sandbox (simulated fridges and kiosks)"
    description = "A simulated fleet for demos: nothing real is sold or changed."
    simulated = True
    settings_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "locations": {
                "type": "array",
                "title": "Simulated locations",
                "items": {
                    "type": "object",
                    "required": ["external_id", "name"],
                    "properties": {
                        "external_id": {"type": "string", "minLength": 1},
                        "name": {"type": "string", "minLength": 1},
                        "offline": {"type": "boolean", "default": False},
                    },
                },
            },
            "outage": {
                "type": "boolean",
                "default": False,
                "description": "Set by the simulation: the POS does not answer polls.",
            },
            "fail_pushes": {
                "type": "string",
                "enum": ["none", "transient", "permanent"],
                "default": "none",
                "description": "Make pushes fail, to try retries and dead letters.",
            },
        },
    }
    capabilities = frozenset(
        {Capability.TEST, Capability.STATUS, Capability.PUSH_MENU, Capability.PUSH_COUPONS}
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

    def _maybe_fail(self) -> None:
        mode = self.config.get("fail_pushes", "none")
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

"""A POS that calls the hub's POS endpoints itself; the hub never calls it."""

from __future__ import annotations

from hub.connectors.base import Connector


class PushConnector(Connector):
    """Any vendor or integrator that posts purchases, inventory and heartbeats to the hub."""

    type = "push"
    title = "Push (POS calls the hub)"
    description = (
        "The POS reports purchases, inventory and heartbeats to the hub's /v1/pos endpoints "
        "with a pos-scoped key, and fetches the menu and coupons from /v1/pos/menu and "
        "/v1/pos/coupons. It is offline when its heartbeats stop."
    )
    schema_file = "connectors/push.json"
    capabilities = frozenset()
    default_poll_interval_seconds = None

    def test_connection(self) -> None:
        """Nothing to call: the POS calls the hub."""
        return None

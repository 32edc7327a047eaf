"""A POS that calls the hub's POS endpoints itself; the hub never calls it."""

from __future__ import annotations

from hub.connectors.base import (
    Capability,
    Connector,
    OrderData,
    OrderPlacement,
    OrderRef,
    OrderStatusReport,
)


class PushConnector(Connector):
    """Any vendor or integrator that posts purchases, inventory and heartbeats to the hub.

    Orders are not sent: they wait in the connection's feed (GET /v1/pos/orders), and the POS
    posts their statuses (POST /v1/pos/orders/<id>/status).
    """

    type = "push"
    title = "Push (POS calls the hub)"
    description = (
        "The POS reports purchases, inventory and heartbeats to the hub's /v1/pos endpoints "
        "with a pos-scoped key, and fetches the menu and coupons from /v1/pos/menu and "
        "/v1/pos/coupons. It fetches its orders from /v1/pos/orders and posts their statuses "
        "to /v1/pos/orders/<id>/status. It is offline when its heartbeats stop."
    )
    schema_file = "connectors/push.json"
    capabilities = frozenset({Capability.ORDERS})
    default_poll_interval_seconds = None

    def test_connection(self) -> None:
        """Nothing to call: the POS calls the hub."""
        return None

    def create_order(self, order: OrderData, idempotency_key: str) -> OrderPlacement:
        """The order waits in the feed for the POS to fetch it: sent, no decision yet."""
        return OrderPlacement(pos_order_id=None, status="sent")

    def update_order(self, order: OrderData, ref: OrderRef, idempotency_key: str) -> OrderPlacement:
        """The changed order waits in the feed (its version tells the POS it changed)."""
        return OrderPlacement(pos_order_id=ref.pos_order_id, status="sent")

    def cancel_order(self, order: OrderData, ref: OrderRef, reason: str | None,
                     idempotency_key: str) -> OrderPlacement:
        """The cancellation waits in the feed; the POS cannot refuse it."""
        return OrderPlacement(pos_order_id=ref.pos_order_id, status="cancelled", reason=reason)

    def fetch_order_statuses(self, orders: list[OrderRef]) -> list[OrderStatusReport]:
        """Nothing to ask: the POS posts its statuses to the hub."""
        return []

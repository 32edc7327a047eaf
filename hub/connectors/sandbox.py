"""A simulated fridge/kiosk fleet for demos and for the first test of a Zap.

Its "POS database" is its settings: the simulation (hub/simulation.py) appends
sales to a journal there, and the scheduler polls them like any POS's purchases,
through the same cursor, so a demo exercises the real polling path.

Orders: the simulated POS accepts an order at once and makes it ready, then completed, on a
schedule (settings order_ready_after_seconds and order_completed_after_seconds). Nothing is
stored at the POS: the placement's pos_state carries the acceptance time, and each poll's
fetch_order_statuses reports every step that came due since, each at its scheduled time. It
refuses an order naming a sku of refuse_skus, or for a location marked closed, with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub.connectors.base import (
    Capability,
    Connector,
    ConnectorError,
    CouponData,
    ErrorKind,
    LocationStatus,
    MenuItemData,
    OrderData,
    OrderPlacement,
    OrderRef,
    OrderRefused,
    OrderStatusReport,
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
         Capability.PUSH_COUPONS, Capability.ORDERS}
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

    def _check_order(self, order: OrderData) -> None:
        """Refuse, as a real POS would, an order it cannot make: a refused sku or a closed location."""
        if self.config.get("outage"):
            raise ConnectorError(ErrorKind.TRANSIENT, "simulated outage: the sandbox POS does not answer")
        self._maybe_fail()
        location = next((loc for loc in self.config.get("locations", [])
                         if loc.get("external_id") == order.location_external_id), {})
        if location.get("closed"):
            raise OrderRefused(f"location {order.location_external_id} is closed",
                               vendor_code="location_closed")
        refused = sorted({line.sku for line in order.lines} & set(self.setting("refuse_skus") or []))
        if refused:
            raise OrderRefused(f"item {', '.join(refused)} is not available at this POS",
                               vendor_code="item_refused")

    def _schedule(self, accepted_at: datetime) -> list[tuple[str, datetime]]:
        """When the simulated kitchen makes an order accepted at this time ready, and completes it."""
        ready = accepted_at + timedelta(seconds=self.setting("order_ready_after_seconds"))
        completed = ready + timedelta(seconds=self.setting("order_completed_after_seconds"))
        return [("ready", ready), ("completed", completed)]

    def _reached(self, ref: OrderRef, now: datetime) -> list[tuple[str, datetime]]:
        """The steps of the schedule that came due by now (after acceptance)."""
        accepted = ref.pos_state.get("accepted_at")
        if not accepted:
            return []
        return [(status, at) for status, at in self._schedule(datetime.fromisoformat(accepted)) if at <= now]

    def create_order(self, order: OrderData, idempotency_key: str) -> OrderPlacement:
        """Accept the order at once; the schedule makes it ready and completed later."""
        self._check_order(order)
        now = datetime.now(UTC)
        return OrderPlacement(pos_order_id=f"SIM-{order.order_id}", status="accepted",
                              pos_state={"accepted_at": now.isoformat()})

    def update_order(self, order: OrderData, ref: OrderRef, idempotency_key: str) -> OrderPlacement:
        """Take the new lines while the simulated kitchen has not made the order ready."""
        self._check_order(order)
        if self._reached(ref, datetime.now(UTC)):
            raise OrderRefused("the simulated kitchen has started the order; it can no longer be changed",
                               vendor_code="order_started")
        return OrderPlacement(pos_order_id=ref.pos_order_id, status="accepted", pos_state=dict(ref.pos_state))

    def cancel_order(self, order: OrderData, ref: OrderRef, reason: str | None,
                     idempotency_key: str) -> OrderPlacement:
        """Cancel the order unless the simulated POS has completed it already."""
        if self.config.get("outage"):
            raise ConnectorError(ErrorKind.TRANSIENT, "simulated outage: the sandbox POS does not answer")
        if any(status == "completed" for status, _ in self._reached(ref, datetime.now(UTC))):
            raise OrderRefused("the order was already completed at the simulated POS",
                               vendor_code="order_completed")
        return OrderPlacement(pos_order_id=ref.pos_order_id, status="cancelled", reason=reason,
                              pos_state={**ref.pos_state, "cancelled": True})

    def fetch_order_statuses(self, orders: list[OrderRef]) -> list[OrderStatusReport]:
        """Every step of each order's schedule that came due, oldest first, at its scheduled time."""
        if self.config.get("outage"):
            raise ConnectorError(ErrorKind.TRANSIENT, "simulated outage: the sandbox POS does not answer")
        now = datetime.now(UTC)
        return [OrderStatusReport(pos_order_id=ref.pos_order_id, status=status, occurred_at=at)
                for ref in orders if ref.pos_order_id and not ref.pos_state.get("cancelled")
                for status, at in self._reached(ref, now)]


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

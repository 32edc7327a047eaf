"""A POS test double for orders, and the fixtures the order tests share (this module holds no tests).

The double records every create, update, cancel and status read in a JSON-lines log, and answers
as its script file says, per operation: ``{"create": "accepted"}`` places the order in that status,
``"refuse:<reason>"`` raises OrderRefused, ``"down"`` raises a transient ConnectorError (HTTP 503).
``statuses`` lists the reports fetch_order_statuses returns. The script can change mid-test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from hub import connectors, create_app
from hub.connectors.base import (
    Capability,
    Connector,
    ConnectorError,
    ErrorKind,
    OrderData,
    OrderPlacement,
    OrderRef,
    OrderRefused,
    OrderStatusReport,
)
from hub.models import MenuItem, OrderDelivery
from hub.orders.delivery import run_order_delivery
from hub.stock import set_stock
from tests.conftest import BACKENDS, Tenant, build_tenant, make_settings


class OrderPOS(Connector):
    """Takes orders as its script says and logs each call."""

    type = "order_test"
    title = "Order test POS"
    capabilities = frozenset({Capability.TEST, Capability.ORDERS})
    default_poll_interval_seconds = None
    settings_schema: dict[str, Any] = {
        "type": "object", "additionalProperties": False, "required": ["script"],
        "properties": {"script": {"type": "string"}},
    }

    def test_connection(self) -> None:
        """Always reachable."""

    def _script(self) -> dict[str, Any]:
        return json.loads(Path(self.config["script"]).read_text())

    def _log(self, op: str, **entry: Any) -> None:
        with Path(self.config["script"]).with_suffix(".calls").open("a") as f:
            f.write(json.dumps({"op": op, **entry}, default=str) + "\n")

    def _answer(self, op: str, order: OrderData, key: str) -> OrderPlacement:
        self._log(op, key=key, order_id=order.order_id, lines=[(x.sku, x.quantity) for x in order.lines],
                  total=order.total, payment_type=order.payment_type)
        outcome = self._script().get(op, "sent")
        if outcome == "down":
            raise ConnectorError(ErrorKind.TRANSIENT, "HTTP 503: service unavailable", status=503)
        if outcome.startswith("refuse:"):
            raise OrderRefused(outcome.removeprefix("refuse:"))
        return OrderPlacement(pos_order_id=f"pos-{order.order_id}", status=outcome,
                              pos_state={"v": order.version})

    def create_order(self, order: OrderData, idempotency_key: str) -> OrderPlacement:
        """Place the order as scripted."""
        return self._answer("create", order, idempotency_key)

    def update_order(self, order: OrderData, ref: OrderRef, idempotency_key: str) -> OrderPlacement:
        """Change the order as scripted."""
        return self._answer("update", order, idempotency_key)

    def cancel_order(self, order: OrderData, ref: OrderRef, reason: str | None,
                     idempotency_key: str) -> OrderPlacement:
        """Cancel the order as scripted."""
        return self._answer("cancel", order, idempotency_key)

    def fetch_order_statuses(self, orders: list[OrderRef]) -> list[OrderStatusReport]:
        """The scripted reports."""
        self._log("statuses", refs=[r.pos_order_id for r in orders])
        return [OrderStatusReport(**report) for report in self._script().get("statuses", [])]


@dataclass
class Shop:
    """An app on one backend with a tenant whose connection is the order double, and a small catalog."""

    app: Any
    client: Any
    rt: Any
    tenant: Tenant
    script: Path

    @property
    def location_id(self) -> str:
        """The tenant's first location."""
        return self.tenant.location_ids[0]

    def set_script(self, **script: Any) -> None:
        """What the POS answers from now on."""
        self.script.write_text(json.dumps(script))

    def calls(self, op: str | None = None) -> list[dict[str, Any]]:
        """The POS calls made so far (of one operation)."""
        path = self.script.with_suffix(".calls")
        calls = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        return [c for c in calls if op is None or c["op"] == op]

    def post(self, action: str, body: dict[str, Any], key: str | None = None) -> Any:
        """POST /v1/actions/<action> with the automation key."""
        headers = {**self.tenant.auth(), **({"Idempotency-Key": key} if key else {})}
        return self.client.post(f"/v1/actions/{action}", json=body, headers=headers)

    def get_order(self, order_id: str) -> dict[str, Any]:
        """GET /v1/orders/<id> (asserts 200)."""
        self.rt.queue.drain()
        response = self.client.get(f"/v1/orders/{order_id}", headers=self.tenant.auth())
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def stock(self, sku: str, location_id: str | None = None) -> int:
        """The stock of a sku at a location (the first by default)."""
        from hub.models import InventoryLevel

        with self.rt.db.session() as s:
            return s.scalar(select(InventoryLevel.quantity).where(
                InventoryLevel.location_id == (location_id or self.location_id), InventoryLevel.sku == sku))

    def set_stock(self, sku: str, quantity: int, threshold: int | None = None) -> None:
        """Set a tracked count at the first location."""
        with self.rt.db.session() as s:
            set_stock(s, self.tenant.hub_id, self.location_id, sku, quantity, threshold)

    def rerun_delivery(self, order_id: str) -> str:
        """Make the order's latest delivery due now and run its job here; its outcome."""
        self.rt.queue.drain()
        with self.rt.db.session() as s:
            delivery_id = s.scalar(select(OrderDelivery.id).where(OrderDelivery.order_id == order_id)
                                   .order_by(OrderDelivery.created_at.desc()).limit(1))
            s.execute(update(OrderDelivery).where(OrderDelivery.id == delivery_id)
                      .values(next_attempt_at=None))
        return run_order_delivery(delivery_id)


MENU = (("SAL-CAESAR", "Caesar salad", "9.40", [{"name": "Dressing", "options": [
    {"name": "Extra parmesan", "price": {"amount": "0.50", "currency": "EUR"}}]}]),
        ("SAL-GREEK", "Greek salad", "8.50", []))


def make_shop(backend: str, database_urls: dict[str, str], tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> Shop:
    """An app on this backend, a hub on the order double, and its catalog."""
    monkeypatch.setattr(connectors, "CONNECTORS", [*connectors.CONNECTORS, OrderPOS])
    app = create_app(make_settings(database_urls[backend]))
    rt = app.extensions["hub_runtime"]
    script = tmp_path / f"pos-{backend}.json"
    script.write_text(json.dumps({"create": "sent"}))
    tenant = build_tenant(rt, connection_type="order_test", config={"script": str(script)})
    with rt.db.session() as s:
        for sku, name, price, modifiers in MENU:
            s.add(MenuItem(hub_id=tenant.hub_id, sku=sku, name=name, price_amount=price, currency="EUR",
                           modifiers=modifiers))
    return Shop(app, app.test_client(), rt, tenant, script)


@pytest.fixture(params=BACKENDS)
def shop(request: pytest.FixtureRequest, database_urls: dict[str, str], tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> Shop:
    """A shop on each backend (SQLite, and PostgreSQL when configured)."""
    shop = make_shop(request.param, database_urls, tmp_path, monkeypatch)
    yield shop
    shop.rt.queue.drain()


def order_body(channel_order_id: str = "WEB-1", location_id: str = "", **extra: Any) -> dict[str, Any]:
    """A pay-at-POS order of two Caesar salads (override with extra)."""
    return {"channel_order_id": channel_order_id, "location_id": location_id,
            "lines": [{"sku": "SAL-CAESAR", "quantity": 2}], "payment": {"type": "pay_at_pos"}, **extra}

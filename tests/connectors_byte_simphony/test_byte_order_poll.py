"""A Byte order through the hub's polling path, against a fridge API on loopback: the reservation holds the
stock, and the fridge's transaction naming it (or the reservation read as collected first) ends the order
with exactly one purchase and one stock decrement."""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from hub import create_app
from hub.config import Settings
from hub.models import InventoryLevel, Order, Purchase
from hub.orders.changes import create_order
from hub.outbound.client import OutboundSession
from hub.runtime import get_runtime
from hub.stock import set_stock
from tests.conftest import Tenant, build_tenant
from tests.connectors_byte_simphony.test_byte_fridge import fixture
from tests.outbound.conftest import FakeDNS
from tests.outbound.servers import LocalServer, Reply
from tests.test_polling import poll_now
from tests.test_pos_orders import PAY_AT_POS, PREPAID
from tests.tls import certificate

FRIDGE_API = "fridges.example.test"
SALAD = {"sku": "SALAD-CAESAR", "name": "Chicken Caesar Salad",
         "price": {"amount": "8.90", "currency": "EUR"}}


class FridgeAPI:
    """The account's Byte API and reservation endpoint, as the fixtures answer them; the test sets what the
    transactions page holds and what state the reservation is in."""

    def __init__(self) -> None:
        self.transactions: list[dict[str, Any]] = []
        self.reservation_state = "reserved"
        self.reservation_id = ""
        self.asked: list[tuple[str, str]] = []

    def answer(self, method: str, path: str) -> Reply:
        """The reply to one request."""
        self.asked.append((method, path))
        if path == "/api/fridges":
            return _json([{"id": "FR-0001", "name": "Lobby fridge", "status": "online"}])
        if path == "/api/inventory":
            return _json([])
        if path.startswith("/api/transactions"):
            return _json({"transactions": self.transactions, "next_cursor": "c_9102", "has_more": False})
        if path == "/api/menu":
            return _json({})
        if (method, path) == ("POST", "/reservations"):
            return _json({**fixture("reservation_created.json"), "reservation_id": self.reservation_id}, 201)
        if re.fullmatch(r"/reservations/[^/]+", path) and method == "GET":
            return _json({**fixture(f"reservation_{self.reservation_state}.json"),
                          "reservation_id": self.reservation_id})
        return _json({"message": "no such route"}, 404)


def _json(body: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(body).encode())


@pytest.fixture
def fridge_api(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FridgeAPI, str]]:
    """The fridge API over HTTPS on 127.0.0.1 under FRIDGE_API (resolved there, its certificate trusted)."""
    cert_file, key_file = certificate(tmp_path, FRIDGE_API)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    api = FridgeAPI()
    server = LocalServer(api.answer, tls=context).start()
    dns = FakeDNS(socket.getaddrinfo)
    dns.answers[FRIDGE_API] = ["127.0.0.1"]
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    opened = OutboundSession.__init__

    def trusting(self: OutboundSession, *args: Any, **kwargs: Any) -> None:
        opened(self, *args, **kwargs)
        self.verify = str(cert_file)

    monkeypatch.setattr(OutboundSession, "__init__", trusting)
    yield api, f"https://{FRIDGE_API}:{server.port}"
    server.stop()


@pytest.fixture
def byte_hub(backend_settings: Settings, fridge_api: tuple[FridgeAPI, str]) -> Iterator[tuple[Any, Tenant]]:
    """An app allowed to call the loopback fridge API, and a hub with a Byte connection to it (one fridge)."""
    app = create_app(dataclasses.replace(backend_settings, outbound_allowed_hosts=(FRIDGE_API,)))
    _, url = fridge_api
    tenant = build_tenant(get_runtime(), connection_type="byte_fridge",
                          config={"base_url": f"{url}/api", "reservation_url": f"{url}/reservations"},
                          credentials={"api_key": "byte-key-123"}, locations=(("FR-0001", "Lobby fridge"),))
    yield app.test_client(), tenant
    get_runtime().queue.drain()


def place_reserved_order(client: Any, tenant: Tenant, api: FridgeAPI, payment: dict[str, Any]) -> str:
    """Two salads on the menu at 8.90 and ten in the fridge; an order of two, reserved at the fridge."""
    rt = get_runtime()
    assert client.post("/v1/actions/update_menu", json={"items": [SALAD]},
                       headers=tenant.auth()).status_code == 202
    with rt.db.session() as s:
        set_stock(s, tenant.hub_id, tenant.location_ids[0], "SALAD-CAESAR", 10)
        order, _ = create_order(s, tenant.hub_id, {
            "channel_order_id": "APP-77", "location_id": tenant.location_ids[0],
            "lines": [{"sku": "SALAD-CAESAR", "quantity": 2}], "payment": payment})
        order_id = order.id
    api.reservation_id = order_id
    rt.queue.drain()  # the menu push, then the reservation
    assert ("POST", "/reservations") in api.asked
    assert order_state(order_id)[0] == "accepted"
    return order_id


def collecting_transaction(order_id: str) -> dict[str, Any]:
    """The fridge's transaction of the two salads, naming the reservation (the fixture's first)."""
    return {**fixture("transactions_reservation.json")["transactions"][0], "reservation_id": order_id}


def order_state(order_id: str) -> tuple[str, str | None]:
    with get_runtime().db.session() as s:
        order = s.get(Order, order_id)
        return order.status, order.purchase_id


def purchases(tenant: Tenant) -> list[tuple[str, str]]:
    with get_runtime().db.session() as s:
        return [(p.id, p.external_id) for p in s.scalars(
            select(Purchase).where(Purchase.connection_id == tenant.connection_id))]


def salads_left(tenant: Tenant) -> int:
    with get_runtime().db.session() as s:
        return s.scalar(select(InventoryLevel.quantity).where(
            InventoryLevel.location_id == tenant.location_ids[0], InventoryLevel.sku == "SALAD-CAESAR"))


@pytest.mark.parametrize("payment", [PREPAID, PAY_AT_POS], ids=["prepaid", "pay_at_pos"])
def test_the_polled_transaction_naming_the_reservation_is_the_orders_one_purchase(
        byte_hub, fridge_api, payment):
    client, tenant = byte_hub
    api, _ = fridge_api
    order_id = place_reserved_order(client, tenant, api, payment)
    assert salads_left(tenant) == 8  # held when placed
    api.transactions = [collecting_transaction(order_id)]

    poll_now(get_runtime(), tenant.connection_id)

    [(purchase_id, external_id)] = purchases(tenant)
    assert external_id == "TX-9101"
    assert order_state(order_id) == ("completed", purchase_id)
    assert salads_left(tenant) == 8


def test_a_reservation_read_as_collected_before_its_transaction_still_ends_with_one_purchase(
        byte_hub, fridge_api):
    client, tenant = byte_hub
    api, _ = fridge_api
    order_id = place_reserved_order(client, tenant, api, PAY_AT_POS)
    api.reservation_state = "collected"

    poll_now(get_runtime(), tenant.connection_id)  # no transaction yet: the reservation completes the order
    api.transactions = [collecting_transaction(order_id)]
    poll_now(get_runtime(), tenant.connection_id)  # the fridge's transaction is that purchase again

    [(purchase_id, external_id)] = purchases(tenant)
    assert external_id == order_id  # recorded under the reservation id at completion
    assert order_state(order_id) == ("completed", purchase_id)
    assert salads_left(tenant) == 8


def test_a_polled_transaction_naming_no_reservation_is_a_sale_of_its_own(byte_hub, fridge_api):
    client, tenant = byte_hub
    api, _ = fridge_api
    order_id = place_reserved_order(client, tenant, api, PAY_AT_POS)
    walk_up = collecting_transaction(order_id)
    del walk_up["reservation_id"]
    api.transactions = [walk_up]

    poll_now(get_runtime(), tenant.connection_id)

    assert [external_id for _, external_id in purchases(tenant)] == ["TX-9101"]
    assert order_state(order_id) == ("accepted", None)
    assert salads_left(tenant) == 6

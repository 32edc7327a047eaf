"""End to end through HTTP: an order placed by a channel, followed to completed by an order_status_changed
REST hook, ending with exactly one purchase and one stock decrement; prepaid through the sandbox, and
pay-at-POS through a push POS that reads its feed, posts statuses and then reports its own purchase."""

from __future__ import annotations

import json

import pytest

from hub import create_app
from hub.polling import POLLS
from hub.runtime import get_runtime
from hub.work.queueing import sweep
from tests.test_end_to_end_sandbox import cli
from tests.test_hooks_delivery import Receiver

CAESAR = {"sku": "SAL-CAESAR", "name": "Caesar salad", "price": {"amount": "6.50", "currency": "EUR"}}
STEPS = ["received", "accepted", "ready", "completed"]


@pytest.fixture
def hook_receiver():
    """A local HTTP server that records the REST hook's deliveries."""
    server = Receiver()
    yield server
    server.close()


def onboard(capsys, settings, connection_type: str, config: dict) -> dict:
    """A hub with one connection and one location, by CLI; its keys and ids."""
    hub = cli(capsys, settings, "create-hub", "Fresh Fridges GmbH")
    con = cli(capsys, settings, "add-connection", "--hub", hub["id"], "--type", connection_type,
              "--name", "Office fridges", "--config", json.dumps(config))
    location = cli(capsys, settings, "add-location", "--hub", hub["id"], "--connection", con["id"],
                   "--external-id", "fridge-lobby", "--name", "Lobby fridge")
    keys = {scope: cli(capsys, settings, "create-key", "--hub", hub["id"], "--scope", scope,
                       *(["--connection", con["id"]] if scope == "pos" else []))["key"]
            for scope in ("automation", "pos")}
    return {"location_id": location["id"], "connection_id": con["id"],
            "auth": {"Authorization": f"Bearer {keys['automation']}"},
            "pos": {"Authorization": f"Bearer {keys['pos']}"}}


def start(capsys, settings, receiver: Receiver, connection_type: str, config: dict):
    """The onboarded hub's app client and setup: Caesar salad on the menu, 10 in the fridge, and a
    REST hook on order_status_changed to the receiver."""
    setup = onboard(capsys, settings, connection_type, config)
    client = create_app(settings).test_client()
    rt = get_runtime()
    assert client.post("/v1/actions/update_menu", headers=setup["auth"],
                       json={"items": [CAESAR]}).status_code == 202
    rt.queue.drain()
    stock = client.post("/v1/actions/adjust_stock", headers=setup["auth"], json={
        "location_id": setup["location_id"], "sku": "SAL-CAESAR", "set_quantity": 10})
    assert stock.status_code == 200, stock.get_json()
    hook = client.post("/v1/hooks", headers=setup["auth"], json={
        "trigger": "order_status_changed", "target_url": receiver.url, "filters": {}})
    assert hook.status_code == 201, hook.get_json()
    return client, setup


def stock_of(client, setup: dict) -> int:
    """The fridge's count of Caesar salad, read with an adjustment of nothing."""
    answer = client.post("/v1/actions/adjust_stock", headers=setup["auth"], json={
        "location_id": setup["location_id"], "sku": "SAL-CAESAR", "adjust_by": 0})
    return answer.get_json()["quantity"]


def hooked_statuses(receiver: Receiver) -> list[str]:
    """Every status the hook delivered (waiting a moment for one too many), in the order of their events:
    deliveries may overtake each other."""
    items = sorted((json.loads(r.body) for r in receiver.wait_for(len(STEPS) + 1, timeout=1.5)),
                   key=lambda item: item["id"])
    return [item["status"] for item in items]


def test_a_prepaid_order_through_the_sandbox_is_followed_to_completed_by_a_rest_hook(
        capsys, settings, hook_receiver):
    client, setup = start(capsys, settings, hook_receiver, "sandbox", {
        "locations": [{"external_id": "fridge-lobby", "name": "Lobby fridge"}],
        "order_ready_after_seconds": 0, "order_completed_after_seconds": 0})
    rt = get_runtime()
    placed = client.post("/v1/actions/create_order", headers=setup["auth"], json={
        "channel_order_id": "WEB-1042", "location_id": setup["location_id"],
        "lines": [{"sku": "SAL-CAESAR", "quantity": 2}],
        "payment": {"type": "prepaid", "amount": "13.00", "currency": "EUR", "reference": "pi_3Nf8xYk2"}})
    assert placed.status_code == 202, placed.get_json()
    order_id = placed.get_json()["id"]
    rt.queue.drain()  # the delivery: the simulated POS accepts at once
    # The scheduler's poll sweep, of this hub's connection only: the test database holds other tests'
    # due connections, and one sweep queues at most POLLS.batch of them (oldest due first).
    sweep(rt.db, rt.queue, POLLS, only=setup["connection_id"])  # the poll follows the order to completed
    rt.queue.drain()

    assert hooked_statuses(hook_receiver) == STEPS
    order = client.get(f"/v1/orders/{order_id}", headers=setup["auth"]).get_json()
    assert (order["status"], order["pos_order_id"]) == ("completed", f"SIM-{order_id}")
    [purchase] = client.get("/v1/triggers/new_purchase", headers=setup["auth"]).get_json()
    assert (purchase["purchase_id"], purchase["payment_state"], purchase["total"]) == (
        order["purchase_id"], "prepaid", "13.00")
    assert stock_of(client, setup) == 8


def test_a_pay_at_pos_order_through_a_push_pos_ends_with_the_pos_purchase_once(
        capsys, settings, hook_receiver):
    client, setup = start(capsys, settings, hook_receiver, "push", {})
    rt = get_runtime()
    placed = client.post("/v1/actions/create_order", headers=setup["auth"], json={
        "channel_order_id": "KIOSK-77", "location_id": setup["location_id"],
        "lines": [{"sku": "SAL-CAESAR", "quantity": 2}], "payment": {"type": "pay_at_pos"}})
    assert placed.status_code == 202, placed.get_json()
    rt.queue.drain()

    # The POS fetches its feed, then works the order and reports each step.
    feed = client.get("/v1/pos/orders", headers=setup["pos"]).get_json()
    [order] = feed["orders"]
    assert (order["channel_order_id"], order["payment"]) == ("KIOSK-77", {"type": "pay_at_pos"})
    status_url = f"/v1/pos/orders/{order['id']}/status"
    for status, extra in (("accepted", {"pos_order_id": "K-7731"}), ("ready", {}), ("completed", {})):
        answer = client.post(status_url, headers={**setup["pos"], "Idempotency-Key": f"{status}-1"},
                             json={"status": status, **extra})
        assert answer.status_code == 200, answer.get_json()
    sale = client.post("/v1/pos/purchases", headers=setup["pos"], json={
        "external_id": "K-7731", "occurred_at": "2026-01-05T12:00:00Z", "currency": "EUR",
        "lines": [{"sku": "SAL-CAESAR", "quantity": 2, "unit_price": "6.50"}],
        "payment_state": "paid_at_pos"})
    assert sale.get_json()["duplicates"] == 1
    rt.queue.drain()

    assert hooked_statuses(hook_receiver) == STEPS
    changed = client.get("/v1/pos/orders", query_string={"cursor": feed["cursor"]},
                         headers=setup["pos"]).get_json()["orders"]
    assert [o["status"] for o in changed] == ["completed"]
    [purchase] = client.get("/v1/triggers/new_purchase", headers=setup["auth"]).get_json()
    assert (purchase["external_id"], purchase["payment_state"]) == ("K-7731", "paid_at_pos")
    assert purchase["purchase_id"] == changed[0]["purchase_id"]
    assert stock_of(client, setup) == 8

"""The push POS's orders: the feed GET /v1/pos/orders and POST /v1/pos/orders/<id>/status."""

from __future__ import annotations

from sqlalchemy import select

from hub.admin import add_connection
from hub.keys import issue_key
from hub.models import Connection, InventoryLevel, Order, OrderStatusChange
from hub.orders.changes import cancel_order, create_order, update_order
from hub.runtime import get_runtime
from hub.schemas import validate
from hub.stock import set_stock

CAESAR = {"sku": "SAL-CAESAR", "name": "Caesar salad", "price": {"amount": "8.90", "currency": "EUR"}}
PREPAID = {"type": "prepaid", "amount": "17.80", "currency": "EUR", "reference": "pi_1"}
PAY_AT_POS = {"type": "pay_at_pos"}


def stock_caesar(client, tenant, quantity: int = 10) -> None:
    """Caesar salad in the catalog, and `quantity` of it at the tenant's first location."""
    assert client.post("/v1/actions/update_menu", json={"items": [CAESAR]},
                       headers=tenant.auth()).status_code == 202
    with get_runtime().db.session() as s:
        set_stock(s, tenant.hub_id, tenant.location_ids[0], "SAL-CAESAR", quantity)


def place_order(tenant, channel_order_id: str = "WEB-1", payment: dict | None = None,
                quantity: int = 2) -> str:
    """An order of Caesar salads at the tenant's first location (through the hub's order service)."""
    with get_runtime().db.session() as s:
        order, created = create_order(s, tenant.hub_id, {
            "channel_order_id": channel_order_id, "location_id": tenant.location_ids[0],
            "lines": [{"sku": "SAL-CAESAR", "quantity": quantity}], "payment": payment or PAY_AT_POS})
        assert created
        return order.id


def stock_level(tenant) -> int:
    """Caesar salads left at the tenant's first location."""
    with get_runtime().db.session() as s:
        return s.scalar(select(InventoryLevel.quantity).where(
            InventoryLevel.location_id == tenant.location_ids[0], InventoryLevel.sku == "SAL-CAESAR"))


def post_status(client, tenant, order_id: str, status: str, headers: dict | None = None, **fields):
    return client.post(f"/v1/pos/orders/{order_id}/status", json={"status": status, **fields},
                       headers={**tenant.auth("pos"), **(headers or {})})


def feed(client, tenant, **params):
    return client.get("/v1/pos/orders", query_string=params, headers=tenant.auth("pos"))


def second_pos_key(tenant) -> str:
    """A pos key of a second push connection of the tenant's hub."""
    rt = get_runtime()
    with rt.db.session() as s:
        other = add_connection(s, rt.vault, tenant.hub_id, "push", "Second POS", {}, {})
        return issue_key(s, tenant.hub_id, "pos", other.id).key


def history(order_id: str) -> list[str]:
    with get_runtime().db.session() as s:
        return list(s.scalars(select(OrderStatusChange.status).where(OrderStatusChange.order_id == order_id)
                              .order_by(OrderStatusChange.id)))


# ---------- the feed ----------

def test_the_feed_lists_a_new_order_with_lines_payment_pickup_status_and_version(client, tenant):
    stock_caesar(client, tenant)
    order_id = place_order(tenant, payment=PREPAID)
    response = feed(client, tenant)
    assert response.status_code == 200
    body = response.get_json()
    assert validate("pos/orders.output.json", body) == []
    [order] = body["orders"]
    assert (order["id"], order["status"], order["version"]) == (order_id, "received", 1)
    assert order["lines"][0]["sku"] == "SAL-CAESAR" and order["lines"][0]["quantity"] == 2
    assert (order["payment"]["type"], order["payment"]["reference"]) == ("prepaid", "pi_1")
    assert "pickup_at" in order and order["location"]["external_id"] == "fridge-1"
    assert body["has_more"] is False and "X-Next-Cursor" not in response.headers


def test_the_feed_leaves_out_the_orders_of_other_hubs(client, tenant, other_tenant):
    stock_caesar(client, other_tenant)
    place_order(other_tenant)
    assert feed(client, tenant).get_json()["orders"] == []


def test_the_feed_leaves_out_the_orders_of_another_connection_of_the_same_hub(client, tenant):
    stock_caesar(client, tenant)
    place_order(tenant)
    other_key = second_pos_key(tenant)
    body = client.get("/v1/pos/orders", headers={"Authorization": f"Bearer {other_key}"}).get_json()
    assert body["orders"] == []


def test_the_cursor_returns_only_the_orders_changed_since(client, tenant):
    stock_caesar(client, tenant)
    first, second = place_order(tenant, "WEB-1"), place_order(tenant, "WEB-2")
    cursor = feed(client, tenant).get_json()["cursor"]
    assert feed(client, tenant, cursor=cursor).get_json()["orders"] == []
    post_status(client, tenant, first, "accepted")
    changed = feed(client, tenant, cursor=cursor).get_json()["orders"]
    assert [(o["id"], o["status"]) for o in changed] == [(first, "accepted")]
    assert second not in {o["id"] for o in changed}


def test_a_channel_update_shows_the_new_version_and_lines_in_the_feed(client, tenant):
    stock_caesar(client, tenant)
    order_id = place_order(tenant, quantity=2)
    cursor = feed(client, tenant).get_json()["cursor"]
    with get_runtime().db.session() as s:
        update_order(s, tenant.hub_id, {"order_id": order_id,
                                        "lines": [{"sku": "SAL-CAESAR", "quantity": 3}]})
    [order] = feed(client, tenant, cursor=cursor).get_json()["orders"]
    assert (order["version"], order["lines"][0]["quantity"]) == (2, 3)


def test_a_channel_cancellation_shows_in_the_feed(client, tenant):
    stock_caesar(client, tenant)
    order_id = place_order(tenant)
    cursor = feed(client, tenant).get_json()["cursor"]
    with get_runtime().db.session() as s:
        cancel_order(s, tenant.hub_id, {"order_id": order_id, "reason": "customer called"})
    [order] = feed(client, tenant, cursor=cursor).get_json()["orders"]
    assert (order["status"], order["status_reason"]) == ("cancelled", "customer called")


def test_a_full_page_answers_x_next_cursor_and_the_next_page_the_rest(client, tenant):
    stock_caesar(client, tenant)
    ids = [place_order(tenant, f"WEB-{n}") for n in range(3)]
    first = feed(client, tenant, limit=2)
    assert first.get_json()["has_more"] is True
    assert first.headers["X-Next-Cursor"] == first.get_json()["cursor"]
    rest = feed(client, tenant, limit=2, cursor=first.headers["X-Next-Cursor"])
    assert [o["id"] for o in first.get_json()["orders"] + rest.get_json()["orders"]] == ids
    assert rest.get_json()["has_more"] is False and "X-Next-Cursor" not in rest.headers


def test_a_cursor_that_is_not_one_is_a_422_on_cursor(client, tenant):
    response = feed(client, tenant, cursor="abc")
    assert response.status_code == 422
    assert [e["path"] for e in response.get_json()["errors"]] == ["/cursor"]


def test_an_unknown_parameter_is_a_422_naming_it(client, tenant):
    response = feed(client, tenant, status="sent")
    assert response.status_code == 422 and response.get_json()["errors"][0]["path"] == "/status"


def test_an_automation_key_may_not_read_the_feed(client, tenant):
    assert client.get("/v1/pos/orders", headers=tenant.auth()).status_code == 403


def test_the_feed_counts_as_contact_from_the_pos(client, tenant):
    feed(client, tenant)
    with get_runtime().db.session() as s:
        assert s.get(Connection, tenant.connection_id).last_contact_at is not None


# ---------- statuses ----------

def test_accepted_is_applied_and_answers_the_order_with_its_pos_order_id(client, tenant):
    stock_caesar(client, tenant)
    order_id = place_order(tenant)
    response = post_status(client, tenant, order_id, "accepted", pos_order_id="K-7731")
    assert response.status_code == 200
    body = response.get_json()
    assert validate("pos/order_status.output.json", body) == []
    assert (body["status"], body["pos_order_id"]) == ("accepted", "K-7731")
    assert history(order_id) == ["received", "accepted"]


def test_rejected_without_a_reason_is_a_422_on_reason(client, tenant):
    stock_caesar(client, tenant)
    response = post_status(client, tenant, place_order(tenant), "rejected")
    assert response.status_code == 422
    assert "/reason" in {e["path"] for e in response.get_json()["errors"]}


def test_rejected_with_a_reason_releases_the_held_stock(client, tenant):
    stock_caesar(client, tenant, quantity=10)
    order_id = place_order(tenant, quantity=3)
    assert stock_level(tenant) == 7
    body = post_status(client, tenant, order_id, "rejected", reason="Caesar salad is sold out").get_json()
    assert (body["status"], body["status_reason"]) == ("rejected", "Caesar salad is sold out")
    assert stock_level(tenant) == 10


def test_a_move_back_is_a_409_naming_status(client, tenant):
    stock_caesar(client, tenant)
    order_id = place_order(tenant)
    post_status(client, tenant, order_id, "completed")
    response = post_status(client, tenant, order_id, "accepted")
    assert response.status_code == 409
    assert response.get_json()["errors"][0]["path"] == "/status"
    assert history(order_id) == ["received", "completed"]


def test_a_cancelled_order_cannot_be_made_ready(client, tenant):
    stock_caesar(client, tenant)
    order_id = place_order(tenant)
    post_status(client, tenant, order_id, "cancelled", reason="customer left")
    assert post_status(client, tenant, order_id, "ready").status_code == 409


def test_repeating_the_current_status_changes_nothing(client, tenant):
    stock_caesar(client, tenant)
    order_id = place_order(tenant)
    post_status(client, tenant, order_id, "ready")
    response = post_status(client, tenant, order_id, "ready")
    assert (response.status_code, response.get_json()["status"]) == (200, "ready")
    assert history(order_id) == ["received", "ready"]


def test_another_pos_order_id_for_an_order_that_has_one_is_a_409(client, tenant):
    stock_caesar(client, tenant)
    order_id = place_order(tenant)
    post_status(client, tenant, order_id, "accepted", pos_order_id="K-1")
    response = post_status(client, tenant, order_id, "ready", pos_order_id="K-2")
    assert response.status_code == 409 and response.get_json()["errors"][0]["path"] == "/pos_order_id"


def test_another_hubs_order_is_404(client, tenant, other_tenant):
    stock_caesar(client, other_tenant)
    order_id = place_order(other_tenant)
    assert post_status(client, tenant, order_id, "accepted").status_code == 404
    assert history(order_id) == ["received"]


def test_an_order_of_another_connection_of_the_same_hub_is_404(client, tenant):
    stock_caesar(client, tenant)
    order_id = place_order(tenant)
    other_key = second_pos_key(tenant)
    response = client.post(f"/v1/pos/orders/{order_id}/status", json={"status": "accepted"},
                           headers={"Authorization": f"Bearer {other_key}"})
    assert response.status_code == 404


def test_an_unknown_status_is_a_422_on_status(client, tenant):
    stock_caesar(client, tenant)
    response = post_status(client, tenant, place_order(tenant), "sent")
    assert response.status_code == 422 and response.get_json()["errors"][0]["path"] == "/status"


def test_the_same_idempotency_key_replays_the_first_answer(client, tenant):
    stock_caesar(client, tenant)
    order_id = place_order(tenant)
    key = {"Idempotency-Key": "status-1"}
    first = post_status(client, tenant, order_id, "accepted", headers=key)
    post_status(client, tenant, order_id, "ready")
    replay = post_status(client, tenant, order_id, "accepted", headers=key)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.get_json() == first.get_json()
    assert history(order_id) == ["received", "accepted", "ready"]


def test_a_status_moves_the_order_to_the_end_of_the_feed(client, tenant):
    stock_caesar(client, tenant)
    first, second = place_order(tenant, "WEB-1"), place_order(tenant, "WEB-2")
    post_status(client, tenant, first, "accepted")
    assert [o["id"] for o in feed(client, tenant).get_json()["orders"]] == [second, first]


def test_a_pos_order_id_given_with_a_status_is_stored(client, tenant):
    stock_caesar(client, tenant)
    order_id = place_order(tenant)
    post_status(client, tenant, order_id, "accepted", pos_order_id="K-9")
    with get_runtime().db.session() as s:
        assert s.get(Order, order_id).pos_order_id == "K-9"


"""Every payload the hub builds validates against its JSON Schema contract under schemas/.

Each public payload is built by one plain function (hub.purchases.purchase_payload, hub.presence,
hub.inventory.emit_low_stock, hub.catalog.menu_item_payload, ...) and described only by its schema;
these tests drive the real producers (not the schemas' samples) and check what they build. Lookups,
actions, action runs, admin and the other POS answers are checked in their own modules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from hub.catalog import upsert_menu_items
from hub.models import Connection, Location, utcnow
from hub.presence import record_contact, report_location, sweep_offline
from hub.purchases import record_purchases
from hub.runtime import get_runtime
from hub.schemas import validate
from tests.conftest import Tenant
from tests.scripted_pos import add_scripted, registered
from tests.scripted_pos import poll as poll_connection
from tests.test_hooks_delivery import Receiver, subscribe
from tests.test_triggers_poll import count, record, sale
from triggers import get_trigger
from triggers.base import poll


def _purchase_without_a_location(tenant: Tenant) -> None:
    rt = get_runtime()
    with rt.db.session() as s:
        record_purchases(s, s.get(Connection, tenant.connection_id), [sale("T-1", location=None)],
                         create_locations=True)


def _sale_emptying_a_catalog_item(tenant: Tenant) -> None:
    rt = get_runtime()
    with rt.db.session() as s:
        upsert_menu_items(s, tenant.hub_id, [{"sku": "SAL-CAESAR", "name": "Caesar salad",
                                              "price": {"amount": "6.50", "currency": "EUR"}}], [])
    count(tenant, "fridge-1", "SAL-CAESAR", 4, threshold=3)
    record(tenant, sale("T-1", lines=(("SAL-CAESAR", 2),)))


def _silent_connection(tenant: Tenant) -> None:
    rt = get_runtime()
    start = utcnow() - timedelta(minutes=30)
    with rt.db.session() as s:
        record_contact(s, s.get(Connection, tenant.connection_id), now=start)
    sweep_offline(rt.db, now=start + timedelta(minutes=6))


def _connection_calling_again(tenant: Tenant) -> None:
    _silent_connection(tenant)
    rt = get_runtime()
    with rt.db.session() as s:
        record_contact(s, s.get(Connection, tenant.connection_id))


def _location_reported(tenant: Tenant, *states: bool) -> None:
    rt = get_runtime()
    for online in states:
        with rt.db.session() as s:
            connection = s.get(Connection, tenant.connection_id)
            report_location(s, connection, s.get(Location, tenant.location_ids[0]), online=online)


def _polls(tenant: Tenant, *answers: str) -> None:
    rt = get_runtime()
    with registered():
        connection_id = add_scripted(rt, tenant.hub_id, answer=answers[0])
        for answer in answers:
            with rt.db.session() as s:
                s.get(Connection, connection_id).config = {"answer": answer}
            poll_connection(rt, connection_id)


# (trigger, producer, what one of the items it builds must show: the variant this row exercises)
PRODUCERS = [
    pytest.param("new_purchase", lambda t: record(t, sale("T-1")), {"customer_key": "loyalty-42"},
                 id="purchase-by-a-loyalty-customer"),
    pytest.param("new_purchase", lambda t: record(t, sale("T-1", customer_key=None)), {"customer_key": None},
                 id="anonymous-purchase"),
    pytest.param("new_purchase", _purchase_without_a_location, {"location": None},
                 id="purchase-without-a-location"),
    pytest.param("low_stock", lambda t: count(t, "fridge-1", "SAL-GREEK", 1, threshold=3),
                 {"item_name": None}, id="count-below-threshold"),
    pytest.param("low_stock", _sale_emptying_a_catalog_item, {"item_name": "Caesar salad", "quantity": 2},
                 id="sale-emptying-a-catalog-item"),
    pytest.param("pos_offline", _silent_connection, {"scope": "connection", "reason": "no_contact"},
                 id="silent-connection"),
    pytest.param("pos_online", _connection_calling_again, {"scope": "connection", "location": None},
                 id="connection-calling-again"),
    pytest.param("pos_offline", lambda t: _location_reported(t, False),
                 {"scope": "location", "reason": "reported_inactive"}, id="location-reported-inactive"),
    pytest.param("pos_online", lambda t: _location_reported(t, False, True), {"scope": "location"},
                 id="location-active-again"),
    pytest.param("connection_failing", lambda t: _polls(t, "revoked"),
                 {"fault": "configuration", "needs_attention": True}, id="revoked-token"),
    pytest.param("connection_recovered", lambda t: _polls(t, "revoked", "ok"), {"consecutive_failures": 1},
                 id="token-renewed"),
]


def trigger_items(tenant: Tenant, trigger: str) -> list[dict]:
    """The trigger's items as a poll builds them (the same function builds a hook's body)."""
    with get_runtime().db.session() as s:
        return poll(s, get_trigger(trigger), tenant.hub_id, filters={})


@pytest.fixture
def receiver():
    """A local HTTP server standing in for a hook's target."""
    server = Receiver()
    yield server
    server.close()


@pytest.mark.parametrize(("trigger", "produce", "variant"), PRODUCERS)
def test_every_trigger_item_a_producer_builds_matches_the_triggers_output_schema(
        tenant: Tenant, trigger: str, produce: Callable[[Tenant], None], variant: dict[str, Any]):
    produce(tenant)
    items = trigger_items(tenant, trigger)
    assert any(variant.items() <= item.items() for item in items), items
    for item in items:
        assert validate(get_trigger(trigger).output_schema, item) == [], item


@pytest.mark.parametrize(("trigger", "produce", "variant"), PRODUCERS)
def test_every_hook_body_a_producer_causes_matches_the_triggers_output_schema(
        client, tenant: Tenant, receiver: Receiver, trigger: str, produce: Callable[[Tenant], None],
        variant: dict[str, Any]):
    hook = subscribe(client, tenant, receiver.url, trigger=trigger)
    produce(tenant)
    bodies = [Webhook(hook["secret"]).verify(r.body, r.headers) for r in receiver.wait_for(1, timeout=5)]
    assert any(variant.items() <= body.items() for body in bodies), bodies
    for body in bodies:
        assert validate(get_trigger(trigger).output_schema, body) == [], body


def test_listed_hook_deliveries_match_the_delivery_schema(client, tenant: Tenant, receiver: Receiver):
    hook = subscribe(client, tenant, receiver.url)
    record(tenant, sale("T-1"))
    receiver.wait_for(1)
    get_runtime().queue.drain()
    listed = client.get(f"/v1/hooks/{hook['id']}/deliveries", headers=tenant.auth()).get_json()
    assert listed
    for delivery in listed:
        assert validate("hooks/delivery.output.json", delivery) == [], delivery


def test_the_me_answer_matches_its_schema(client, tenant: Tenant):
    for scope in ("automation", "pos", "admin"):
        body = client.get("/v1/me", headers=tenant.auth(scope)).get_json()
        assert validate("me.output.json", body) == [], scope


def test_the_inventory_answer_matches_its_schema(client, tenant: Tenant):
    counts = {"counts": [{"location_external_id": "fridge-1", "sku": "SAL-CAESAR", "quantity": 1,
                          "low_stock_threshold": 3}]}
    response = client.put("/v1/pos/inventory", json=counts, headers=tenant.auth("pos"))
    assert response.status_code == 200, response.get_json()
    assert validate("pos/inventory.output.json", response.get_json()) == []

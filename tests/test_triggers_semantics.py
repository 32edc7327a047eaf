"""Trigger semantics through the poll: once per purchase, once per low-stock crossing, once per outage."""

from datetime import timedelta

from hub.models import Connection, utcnow
from hub.presence import record_contact, sweep_offline
from hub.runtime import get_runtime
from tests.test_triggers_poll import count, poll, record, sale


def test_a_purchase_reported_twice_appears_once(backend_client, backend_tenant):
    first = record(backend_tenant, sale("T-1001"))
    again = record(backend_tenant, sale("T-1001"), sale("T-1002"))
    assert again[0].duplicate and again[0].purchase_id == first[0].purchase_id
    items = poll(backend_client, backend_tenant, "new_purchase")
    assert [i["external_id"] for i in items] == ["T-1002", "T-1001"]


def test_low_stock_fires_once_per_crossing(backend_client, backend_tenant):
    count(backend_tenant, "fridge-1", "SAL-CAESAR", 10, threshold=3)
    count(backend_tenant, "fridge-1", "SAL-CAESAR", 3)
    count(backend_tenant, "fridge-1", "SAL-CAESAR", 2)
    count(backend_tenant, "fridge-1", "SAL-CAESAR", 0)
    items = poll(backend_client, backend_tenant, "low_stock")
    assert [(i["sku"], i["quantity"], i["threshold"]) for i in items] == [("SAL-CAESAR", 3, 3)]
    assert items[0]["location"]["name"] == "Lobby fridge"


def test_low_stock_rearms_when_stock_rises_above_the_threshold(backend_client, backend_tenant):
    count(backend_tenant, "fridge-1", "SAL-CAESAR", 2, threshold=3)
    count(backend_tenant, "fridge-1", "SAL-CAESAR", 12)
    count(backend_tenant, "fridge-1", "SAL-CAESAR", 1)
    items = poll(backend_client, backend_tenant, "low_stock")
    assert [i["quantity"] for i in items] == [1, 2]


def test_a_sale_that_empties_the_fridge_fires_low_stock_after_the_purchase(client, tenant):
    count(tenant, "fridge-1", "SAL-CAESAR", 4, threshold=3)
    record(tenant, sale("T-1", lines=(("SAL-CAESAR", 2),)))
    purchase = poll(client, tenant, "new_purchase")[0]
    low = poll(client, tenant, "low_stock")
    assert [(i["quantity"], i["item_name"]) for i in low] == [(2, None)]
    assert low[0]["id"] > purchase["id"]


def test_an_outage_fires_one_offline_and_one_online(backend_client, backend_tenant):
    rt = get_runtime()
    start = utcnow() - timedelta(minutes=30)
    with rt.db.session() as s:
        record_contact(s, s.get(Connection, backend_tenant.connection_id), now=start)
    sweep_offline(rt.db, now=start + timedelta(minutes=6))
    sweep_offline(rt.db, now=start + timedelta(minutes=8))
    for minute in (9, 10):
        with rt.db.session() as s:
            connection = s.get(Connection, backend_tenant.connection_id)
            record_contact(s, connection, now=start + timedelta(minutes=minute))
    offline = poll(backend_client, backend_tenant, "pos_offline")
    online = poll(backend_client, backend_tenant, "pos_online")
    assert [(i["scope"], i["reason"]) for i in offline] == [("connection", "no_contact")]
    assert [(i["scope"], i["outage_seconds"]) for i in online] == [("connection", 180)]
    assert online[0]["id"] > offline[0]["id"]
    assert offline[0]["connection"]["id"] == backend_tenant.connection_id


def test_offline_and_online_filters_select_one_connection(client, tenant, other_tenant):
    rt = get_runtime()
    start = utcnow() - timedelta(minutes=30)
    with rt.db.session() as s:
        record_contact(s, s.get(Connection, tenant.connection_id), now=start)
    sweep_offline(rt.db, now=start + timedelta(minutes=6))
    assert len(poll(client, tenant, "pos_offline", connection_id=tenant.connection_id)) == 1
    assert poll(client, tenant, "pos_offline", connection_id=other_tenant.connection_id) == []

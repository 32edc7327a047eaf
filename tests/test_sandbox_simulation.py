"""The sandbox: a simulated fleet that makes every trigger fire, driven by API or CLI."""

from sqlalchemy import select

from hub.models import Event, InventoryLevel
from hub.polling import poll_now
from hub.presence import sweep_offline
from hub.runtime import get_runtime
from tests.conftest import build_tenant

FLEET = {"locations": [{"external_id": "fridge-1", "name": "Lobby fridge"},
                       {"external_id": "fridge-2", "name": "Gym fridge"}]}


def sandbox(rt):
    return build_tenant(rt, connection_type="sandbox", config=FLEET)


def simulate(client, tenant, **body):
    return client.post(f"/v1/admin/connections/{tenant.connection_id}/simulate", json=body,
                       headers=tenant.auth("admin"))


def record_sales(rt, tenant):
    """What the scheduler does within seconds of a simulated sale: poll the sandbox."""
    poll_now(rt, tenant.connection_id)
    rt.queue.drain()


def event_types(rt, hub_id):
    with rt.db.session() as s:
        return s.scalars(select(Event.type).where(Event.hub_id == hub_id).order_by(Event.id)).all()


def test_selling_until_stock_runs_low_fires_purchases_and_one_low_stock(client):
    rt = get_runtime()
    tenant = sandbox(rt)
    assert simulate(client, tenant, action="restock", sku="SAL-CAESAR", quantity=7).status_code == 200
    for _ in range(4):
        assert simulate(client, tenant, action="sell", sku="SAL-CAESAR").status_code == 200
    record_sales(rt, tenant)
    assert event_types(rt, tenant.hub_id) == ["new_purchase", "new_purchase", "new_purchase",
                                              "new_purchase", "low_stock"]
    with rt.db.session() as s:
        assert s.scalar(select(InventoryLevel.quantity).where(InventoryLevel.hub_id == tenant.hub_id)) == 3


def test_an_outage_fires_offline_on_the_next_sweep_and_online_on_recovery(client):
    rt = get_runtime()
    tenant = sandbox(rt)
    assert simulate(client, tenant, action="outage").status_code == 200
    sweep_offline(rt.db)
    assert simulate(client, tenant, action="recover").json["pos_online_fired"] is True
    assert event_types(rt, tenant.hub_id) == ["pos_offline", "pos_online"]


def test_a_location_can_go_offline_and_back(client):
    rt = get_runtime()
    tenant = sandbox(rt)
    simulate(client, tenant, action="location_offline", location_external_id="fridge-2")
    simulate(client, tenant, action="location_online", location_external_id="fridge-2")
    assert event_types(rt, tenant.hub_id) == ["pos_offline", "pos_online"]


def test_only_sandbox_connections_can_be_simulated(client, tenant):
    response = simulate(client, tenant, action="sell", sku="X")
    assert response.status_code == 422
    assert "sandbox" in response.json["detail"]


def test_unknown_location_names_the_known_ones(client):
    tenant = sandbox(get_runtime())
    response = simulate(client, tenant, action="sell", sku="X", location_external_id="fridge-9")
    assert response.status_code == 422
    assert response.json["errors"][0]["path"] == "/location_external_id"
    assert "fridge-1" in response.json["detail"]


def test_another_hubs_connection_cannot_be_simulated(client, other_tenant):
    tenant = sandbox(get_runtime())
    response = client.post(f"/v1/admin/connections/{tenant.connection_id}/simulate",
                           json={"action": "outage"}, headers=other_tenant.auth("admin"))
    assert response.status_code == 404


def test_connection_test_reports_the_sandbox_answered(client):
    tenant = sandbox(get_runtime())
    response = client.post(f"/v1/admin/connections/{tenant.connection_id}/test", headers=tenant.auth("admin"))
    assert response.json["ok"] is True


def test_a_sale_is_polled_once_even_when_polled_again(client):
    rt = get_runtime()
    tenant = sandbox(rt)
    simulate(client, tenant, action="sell", sku="WRAP-FALAFEL")
    record_sales(rt, tenant)
    record_sales(rt, tenant)
    assert event_types(rt, tenant.hub_id) == ["new_purchase"]


def test_support_can_poll_a_connection_now(client):
    rt = get_runtime()
    tenant = sandbox(rt)
    response = client.post(f"/v1/admin/connections/{tenant.connection_id}/poll", headers=tenant.auth("admin"))
    assert response.status_code == 202
    rt.queue.drain()
    with rt.db.session() as s:
        from hub.models import Connection

        assert s.get(Connection, tenant.connection_id).status == "online"

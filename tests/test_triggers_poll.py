"""Polling triggers: GET /v1/triggers/<name> pages events newest first, scoped to the caller's hub."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from hub.connectors.base import PurchaseLineRecord, PurchaseRecord
from hub.inventory import CountUpdate, apply_counts
from hub.models import Connection, Location, MenuItem
from hub.presence import report_location
from hub.purchases import record_purchases
from hub.runtime import get_runtime
from hub.schemas import schema, validate
from tests.conftest import build_tenant
from tests.scripted_pos import add_scripted, registered
from tests.scripted_pos import poll as poll_connection
from triggers import TRIGGERS


def sale(external_id, location="fridge-1", lines=(("SAL-CAESAR", 1),), customer_key="loyalty-42"):
    """A purchase as a POS reports it."""
    return PurchaseRecord(
        external_id=external_id, location_external_id=location,
        occurred_at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
        lines=[PurchaseLineRecord(sku=sku, quantity=qty, unit_price="6.50", line_total=f"{6.5 * qty:.2f}")
               for sku, qty in lines],
        total=None, currency="EUR", payment_state="paid_at_pos", customer_key=customer_key,
        coupon_codes=["LUNCH10"] if customer_key else [],
    )


def record(tenant, *records, connection_id=None):
    """Record purchases through the real service, as the POS endpoint and the poller do."""
    rt = get_runtime()
    with rt.db.session() as s:
        return record_purchases(s, s.get(Connection, connection_id or tenant.connection_id), list(records))


def count(tenant, location_external_id, sku, quantity, threshold=None):
    """Apply one absolute stock count through the real inventory service."""
    rt = get_runtime()
    with rt.db.session() as s:
        con = s.get(Connection, tenant.connection_id)
        loc = s.scalar(select(Location).where(Location.connection_id == con.id,
                                              Location.external_id == location_external_id))
        return apply_counts(s, con, [CountUpdate(loc, sku, quantity, threshold)])


def poll(client, tenant, trigger, **params):
    response = client.get(f"/v1/triggers/{trigger}", query_string=params, headers=tenant.auth())
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_items_come_newest_first_with_their_event_ids(backend_client, backend_tenant):
    record(backend_tenant, sale("T-1"), sale("T-2"), sale("T-3"))
    items = poll(backend_client, backend_tenant, "new_purchase")
    assert [i["external_id"] for i in items] == ["T-3", "T-2", "T-1"]
    ids = [i["id"] for i in items]
    assert ids == sorted(ids, reverse=True) and all(isinstance(i, int) for i in ids)


def test_items_carry_resolved_names_and_match_the_output_schema(backend_client, backend_tenant):
    record(backend_tenant, sale("T-1", lines=(("SAL-CAESAR", 2), ("DRK-LEMON", 1))))
    item = poll(backend_client, backend_tenant, "new_purchase")[0]
    assert validate("triggers/new_purchase.output.json", item) == []
    assert item["location"]["name"] == "Lobby fridge"
    assert item["connection"]["name"] == "Test hub POS"
    assert item["total"] == "19.50" and item["item_count"] == 3
    assert item["customer_key"] == "loyalty-42" and item["coupon_codes"] == ["LUNCH10"]


def test_every_kind_of_payload_matches_its_output_schema(backend_client, backend_tenant):
    record(backend_tenant, sale("T-1", customer_key=None))
    count(backend_tenant, "fridge-1", "SAL-CAESAR", 1, threshold=3)
    rt = get_runtime()
    with rt.db.session() as s:
        con = s.get(Connection, backend_tenant.connection_id)
        loc = s.get(Location, backend_tenant.location_ids[0])
        report_location(s, con, loc, online=False)
    with rt.db.session() as s:
        con = s.get(Connection, backend_tenant.connection_id)
        loc = s.get(Location, backend_tenant.location_ids[0])
        report_location(s, con, loc, online=True)
    with registered():  # a POS that revokes the hub's token, then takes a new one
        scripted = add_scripted(rt, backend_tenant.hub_id, answer="revoked")
        poll_connection(rt, scripted)
        with rt.db.session() as s:
            s.get(Connection, scripted).config = {"answer": "ok"}
        poll_connection(rt, scripted)
    with rt.db.session() as s:  # an order placed: order_status_changed
        s.add(MenuItem(hub_id=backend_tenant.hub_id, sku="ORD-1", name="Bowl", price_amount="8.90",
                       currency="EUR"))
    order = {"channel_order_id": "WEB-1", "location_id": backend_tenant.location_ids[0],
             "lines": [{"sku": "ORD-1", "quantity": 1}], "payment": {"type": "pay_at_pos"}}
    placed = backend_client.post("/v1/actions/create_order", json=order, headers=backend_tenant.auth())
    assert placed.status_code == 202
    for spec in TRIGGERS:
        items = poll(backend_client, backend_tenant, spec.name)
        assert items, spec.name
        for item in items:
            assert validate(spec.output_schema, item) == [], (spec.name, item)


def test_since_id_returns_only_newer_events(client, tenant):
    record(tenant, sale("T-1"), sale("T-2"), sale("T-3"))
    oldest = poll(client, tenant, "new_purchase")[-1]["id"]
    items = poll(client, tenant, "new_purchase", since_id=oldest)
    assert [i["external_id"] for i in items] == ["T-3", "T-2"]


def test_before_id_pages_back_through_older_events(client, tenant):
    record(tenant, *(sale(f"T-{n}") for n in range(1, 6)))
    first_page = poll(client, tenant, "new_purchase", limit=2)
    second_page = poll(client, tenant, "new_purchase", limit=2, before_id=first_page[-1]["id"])
    last_page = poll(client, tenant, "new_purchase", limit=2, before_id=second_page[-1]["id"])
    assert [i["external_id"] for i in first_page + second_page + last_page] == [
        "T-5", "T-4", "T-3", "T-2", "T-1"]


def test_limit_defaults_to_one_hundred(client, tenant):
    record(tenant, *(sale(f"T-{n}") for n in range(105)))
    assert len(poll(client, tenant, "new_purchase")) == 100
    assert len(poll(client, tenant, "new_purchase", limit=500)) == 105


@pytest.mark.parametrize("value", ["0", "501", "-3", "ten", "1.5"])
def test_a_limit_out_of_bounds_is_refused_naming_limit(client, tenant, value):
    response = client.get(f"/v1/triggers/new_purchase?limit={value}", headers=tenant.auth())
    assert response.status_code == 422
    assert [e["path"] for e in response.get_json()["errors"]] == ["/limit"]


@pytest.mark.parametrize("param", ["since_id", "before_id"])
def test_a_non_numeric_cursor_is_refused(client, tenant, param):
    response = client.get(f"/v1/triggers/low_stock?{param}=abc", headers=tenant.auth())
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["path"] == f"/{param}"


def test_unknown_query_parameters_are_refused(client, tenant):
    response = client.get("/v1/triggers/pos_offline?sku=SAL-CAESAR&colour=red", headers=tenant.auth())
    assert response.status_code == 422
    assert [e["path"] for e in response.get_json()["errors"]] == ["/sku", "/colour"]


def test_an_unknown_trigger_is_404_listing_the_known_ones(client, tenant):
    response = client.get("/v1/triggers/new_order", headers=tenant.auth())
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    detail = response.get_json()["detail"]
    assert all(spec.name in detail for spec in TRIGGERS)


def test_the_location_filter_keeps_only_that_locations_events(backend_client, backend_tenant):
    record(backend_tenant, sale("T-1", location="fridge-1"), sale("T-2", location="fridge-2"))
    items = poll(backend_client, backend_tenant, "new_purchase", location_id=backend_tenant.location_ids[1])
    assert [i["external_id"] for i in items] == ["T-2"]


def test_the_connection_filter_keeps_only_that_connections_events(client, tenant):
    rt = get_runtime()
    with rt.db.session() as s:
        from hub.admin import add_connection, add_location

        other = add_connection(s, rt.vault, tenant.hub_id, "push", "Kiosks", {}, {})
        add_location(s, tenant.hub_id, other.id, "kiosk-1", "Station kiosk")
    record(tenant, sale("T-1"))
    record(tenant, sale("K-1", location="kiosk-1"), connection_id=other.id)
    items = poll(client, tenant, "new_purchase", connection_id=other.id)
    assert [i["external_id"] for i in items] == ["K-1"]


def test_the_sku_filter_finds_purchases_with_a_line_of_that_sku(backend_client, backend_tenant):
    record(backend_tenant, sale("T-1", lines=(("SAL-CAESAR", 1),)),
           sale("T-2", lines=(("DRK-LEMON", 1), ("SAL-GREEK", 2))), sale("T-3", lines=(("SAL-GREEK", 1),)))
    items = poll(backend_client, backend_tenant, "new_purchase", sku="SAL-GREEK")
    assert [i["external_id"] for i in items] == ["T-3", "T-2"]


def test_the_sku_filter_of_low_stock_keeps_only_that_item(client, tenant):
    count(tenant, "fridge-1", "SAL-CAESAR", 1, threshold=3)
    count(tenant, "fridge-1", "SAL-GREEK", 0, threshold=3)
    items = poll(client, tenant, "low_stock", sku="SAL-GREEK")
    assert [(i["sku"], i["quantity"]) for i in items] == [("SAL-GREEK", 0)]


@pytest.mark.parametrize("empty", ["location_id=", "location_id=&sku=", "connection_id=%20"])
def test_an_empty_filter_value_means_all(client, tenant, empty):
    # The filters are documented as "empty for all": Zapier and n8n send a field left blank as "".
    count(tenant, "fridge-1", "SAL-CAESAR", 1, threshold=3)
    count(tenant, "fridge-2", "SAL-GREEK", 0, threshold=3)
    response = client.get(f"/v1/triggers/low_stock?{empty}", headers=tenant.auth())
    assert response.status_code == 200
    assert sorted(i["sku"] for i in response.get_json()) == ["SAL-CAESAR", "SAL-GREEK"]


def test_another_hubs_events_never_appear(backend_client, backend_tenant):
    other = build_tenant(get_runtime(), name="Other hub")
    record(other, sale("OTHER-1"))
    record(backend_tenant, sale("MINE-1"))
    assert [i["external_id"] for i in poll(backend_client, backend_tenant, "new_purchase")] == ["MINE-1"]
    assert [i["external_id"] for i in poll(backend_client, other, "new_purchase")] == ["OTHER-1"]


def test_another_hubs_location_filter_finds_nothing(client, tenant, other_tenant):
    record(other_tenant, sale("OTHER-1"))
    assert poll(client, tenant, "new_purchase", location_id=other_tenant.location_ids[0]) == []


def test_a_pos_key_cannot_poll_triggers(client, tenant):
    assert client.get("/v1/triggers/new_purchase", headers=tenant.auth("pos")).status_code == 403


def test_an_admin_key_can_poll_triggers(client, tenant):
    assert client.get("/v1/triggers/new_purchase", headers=tenant.auth("admin")).status_code == 200


def test_every_trigger_sample_is_a_valid_item_of_that_trigger():
    for spec in TRIGGERS:
        sample = spec.sample()
        assert sample["type"] == spec.name
        assert validate(spec.output_schema, sample) == []


def test_every_trigger_declares_exactly_the_filters_of_its_filters_schema():
    for spec in TRIGGERS:
        assert set(spec.filters) == set(schema(spec.filters_schema)["properties"]), spec.name

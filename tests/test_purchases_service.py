"""Recording purchases: once per POS id, with stock and events."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from hub.connectors.base import PurchaseLineRecord, PurchaseRecord
from hub.models import Connection, Event, InventoryLevel, Purchase
from hub.purchases import UnknownLocation, record_purchases
from hub.runtime import get_runtime
from hub.stock import set_stock
from tests.conftest import build_tenant, run_concurrently


def sale(external_id="T-1001", location="fridge-1", quantity=2, sku="SAL-CAESAR"):
    return PurchaseRecord(
        external_id=external_id, location_external_id=location,
        occurred_at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
        lines=[PurchaseLineRecord(sku=sku, quantity=quantity, unit_price="6.50",
                                  line_total=f"{6.5 * quantity:.2f}", name="Caesar salad")],
        total=None, currency="EUR", payment_state="paid_at_pos", customer_key="loyalty-42",
    )


def count(session, model, **where):
    stmt = select(func.count()).select_from(model)
    for column, value in where.items():
        stmt = stmt.where(getattr(model, column) == value)
    return session.scalar(stmt)


def test_a_purchase_reported_twice_is_recorded_once(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    with rt.db.session() as s:
        con = s.get(Connection, tenant.connection_id)
        first = record_purchases(s, con, [sale()])
    with rt.db.session() as s:
        con = s.get(Connection, tenant.connection_id)
        second = record_purchases(s, con, [sale()])
    assert not first[0].duplicate and second[0].duplicate
    assert first[0].purchase_id == second[0].purchase_id
    with rt.db.session() as s:
        assert count(s, Event, hub_id=tenant.hub_id, type="new_purchase") == 1


def test_total_is_computed_from_lines_when_absent(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    with rt.db.session() as s:
        record_purchases(s, s.get(Connection, tenant.connection_id), [sale(quantity=3)])
    with rt.db.session() as s:
        event = s.scalar(select(Event).where(Event.hub_id == tenant.hub_id))
    assert event.payload["total"] == "19.50"
    assert event.payload["item_count"] == 3
    assert event.payload["location"]["name"] == "Lobby fridge"


def test_unknown_location_is_refused_for_pushed_purchases(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    with rt.db.session() as s, pytest.raises(UnknownLocation) as error:
        record_purchases(s, s.get(Connection, tenant.connection_id), [sale(location="nowhere")])
    assert "fridge-1" in str(error.value)


def test_five_concurrent_reports_of_one_purchase_make_one_purchase_one_event_one_decrement(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    with rt.db.session() as s:
        set_stock(s, tenant.hub_id, tenant.location_ids[0], "SAL-CAESAR", 30)

    def report():
        with rt.db.session() as s:
            record_purchases(s, s.get(Connection, tenant.connection_id), [sale(quantity=2)])

    run_concurrently(5, report)
    with rt.db.session() as s:
        assert count(s, Purchase, hub_id=tenant.hub_id) == 1
        assert count(s, Event, hub_id=tenant.hub_id, type="new_purchase") == 1
        level = s.scalar(select(InventoryLevel).where(InventoryLevel.location_id == tenant.location_ids[0]))
        assert level.quantity == 28


def test_sale_crossing_the_threshold_emits_low_stock_after_the_purchase(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    with rt.db.session() as s:
        set_stock(s, tenant.hub_id, tenant.location_ids[0], "SAL-CAESAR", 6, threshold=5)
        record_purchases(s, s.get(Connection, tenant.connection_id), [sale(quantity=2)])
    with rt.db.session() as s:
        types = s.scalars(select(Event.type).where(Event.hub_id == tenant.hub_id).order_by(Event.id)).all()
        low = s.scalar(select(Event).where(Event.hub_id == tenant.hub_id, Event.type == "low_stock"))
    assert types == ["new_purchase", "low_stock"]
    assert (low.payload["quantity"], low.payload["threshold"]) == (4, 5)


def test_untracked_items_do_not_create_stock_or_low_stock(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    with rt.db.session() as s:
        record_purchases(s, s.get(Connection, tenant.connection_id), [sale(sku="UNTRACKED")])
    with rt.db.session() as s:
        assert count(s, InventoryLevel, hub_id=tenant.hub_id) == 0
        assert count(s, Event, hub_id=tenant.hub_id, type="low_stock") == 0


def test_a_purchase_first_reported_unpaid_keeps_the_later_paid_state_without_a_second_event(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    unpaid = sale(external_id="OPEN-1")
    unpaid.payment_state = "unpaid"
    with rt.db.session() as s:
        record_purchases(s, s.get(Connection, tenant.connection_id), [unpaid])
    with rt.db.session() as s:
        record_purchases(s, s.get(Connection, tenant.connection_id), [sale(external_id="OPEN-1")])
    with rt.db.session() as s:
        state = s.scalar(select(Purchase.payment_state).where(Purchase.hub_id == tenant.hub_id))
        assert state == "paid_at_pos"
        assert count(s, Event, hub_id=tenant.hub_id, type="new_purchase") == 1

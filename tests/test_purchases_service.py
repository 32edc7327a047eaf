"""Recording purchases: once per POS id, with stock and events."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from hub.connectors.base import PurchaseLineRecord, PurchaseRecord
from hub.models import Connection, Event, HookDelivery, HookSubscription, InventoryLevel, Location, Purchase
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


# Set-based batches: one INSERT per table, one stock UPDATE per (location, sku), events in bulk.

def level(session, location_id, sku="SAL-CAESAR"):
    return session.scalar(select(InventoryLevel).where(InventoryLevel.location_id == location_id,
                                                       InventoryLevel.sku == sku))


def test_a_batch_with_one_purchase_twice_records_it_once(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    with rt.db.session() as s:
        set_stock(s, tenant.hub_id, tenant.location_ids[0], "SAL-CAESAR", 30)
        results = record_purchases(s, s.get(Connection, tenant.connection_id),
                                   [sale("A"), sale("B"), sale("A", quantity=5)])
    assert [(r.external_id, r.duplicate) for r in results] == [("A", False), ("B", False), ("A", True)]
    assert results[0].purchase_id == results[2].purchase_id != results[1].purchase_id
    with rt.db.session() as s:
        assert count(s, Purchase, hub_id=tenant.hub_id) == 2
        assert count(s, Event, hub_id=tenant.hub_id, type="new_purchase") == 2
        assert level(s, tenant.location_ids[0]).quantity == 26  # A's first report (2) and B (2)


def test_concurrent_batches_with_overlapping_ids_record_each_once_and_decrement_once(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    with rt.db.session() as s:
        set_stock(s, tenant.hub_id, tenant.location_ids[0], "SAL-CAESAR", 1000)
        set_stock(s, tenant.hub_id, tenant.location_ids[1], "SAL-CAESAR", 1000)
    ids = [f"T-{n:03}" for n in range(60)]
    # Overlapping windows, some in reverse order: the inserts must not deadlock on PostgreSQL.
    batches = [ids[0:40], ids[20:60][::-1], ids[10:50], ids[::-1]]

    def report(batch):
        with rt.db.session() as s:
            results = record_purchases(s, s.get(Connection, tenant.connection_id),
                                       [sale(n, location=f"fridge-{1 + int(n[2:]) % 2}", quantity=1)
                                        for n in batch])
        return sum(not r.duplicate for r in results)

    pending = list(batches)
    created = run_concurrently(len(batches), lambda: report(pending.pop()))
    assert sum(created) == 60
    with rt.db.session() as s:
        assert count(s, Purchase, hub_id=tenant.hub_id) == 60
        assert count(s, Event, hub_id=tenant.hub_id, type="new_purchase") == 60
        assert level(s, tenant.location_ids[0]).quantity == 970
        assert level(s, tenant.location_ids[1]).quantity == 970


def test_a_batch_crossing_the_threshold_twice_for_one_sku_emits_one_low_stock(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    with rt.db.session() as s:
        set_stock(s, tenant.hub_id, tenant.location_ids[0], "SAL-CAESAR", 8, threshold=5)
        set_stock(s, tenant.hub_id, tenant.location_ids[0], "SOUP-TOMATO", 9, threshold=5)
        batch = [sale("A", quantity=2), sale("B", quantity=2, sku="SOUP-TOMATO"), sale("C", quantity=2),
                 sale("D", quantity=3), sale("E", quantity=1, sku="SOUP-TOMATO")]
        record_purchases(s, s.get(Connection, tenant.connection_id), batch)
    with rt.db.session() as s:
        types = s.scalars(select(Event.type).where(Event.hub_id == tenant.hub_id).order_by(Event.id)).all()
        low = s.scalar(select(Event).where(Event.hub_id == tenant.hub_id, Event.type == "low_stock"))
        assert types == ["new_purchase"] * 5 + ["low_stock"]  # the soup stays above (9 - 3 = 6)
        # The event carries the level at the line that crossed (8 - 2 - 2), as one sale at a time would.
        assert (low.sku, low.payload["quantity"], low.payload["threshold"]) == ("SAL-CAESAR", 4, 5)
        assert level(s, tenant.location_ids[0]).quantity == 1
        assert level(s, tenant.location_ids[0]).is_low
    # Still low: no second event; restocked above the threshold, the next crossing fires again.
    with rt.db.session() as s:
        record_purchases(s, s.get(Connection, tenant.connection_id), [sale("F", quantity=1)])
        set_stock(s, tenant.hub_id, tenant.location_ids[0], "SAL-CAESAR", 7)
    with rt.db.session() as s:
        record_purchases(s, s.get(Connection, tenant.connection_id),
                         [sale("G", quantity=1), sale("H", quantity=1), sale("I", quantity=1)])
    with rt.db.session() as s:
        payloads = s.scalars(select(Event.payload).where(Event.hub_id == tenant.hub_id,
                                                         Event.type == "low_stock").order_by(Event.id)).all()
        assert [p["quantity"] for p in payloads] == [4, 5]


def test_a_batch_mixing_paid_and_unpaid_settles_each_purchase_once(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)

    def paid(external_id, state):
        record = sale(external_id)
        record.payment_state = state
        return record

    with rt.db.session() as s:
        first = record_purchases(s, s.get(Connection, tenant.connection_id), [
            paid("OPEN-1", "unpaid"), paid("PAID-1", "prepaid"), paid("OPEN-1", "paid_at_pos"),
            paid("OPEN-2", "unpaid"), paid("OPEN-3", "unpaid")])
    with rt.db.session() as s:
        second = record_purchases(s, s.get(Connection, tenant.connection_id), [
            paid("OPEN-2", "unpaid"), paid("OPEN-2", "prepaid"), paid("PAID-1", "unpaid"),
            paid("OPEN-3", "paid_at_pos"), paid("NEW-1", "unpaid")])
    assert [r.duplicate for r in first] == [False, False, True, False, False]
    assert [r.duplicate for r in second] == [True, True, True, True, False]
    with rt.db.session() as s:
        states = dict(s.execute(select(Purchase.external_id, Purchase.payment_state)
                                .where(Purchase.hub_id == tenant.hub_id)).all())
        assert states == {"OPEN-1": "paid_at_pos", "PAID-1": "prepaid", "OPEN-2": "prepaid",
                          "OPEN-3": "paid_at_pos", "NEW-1": "unpaid"}
        assert count(s, Event, hub_id=tenant.hub_id, type="new_purchase") == 5
        open_2 = {r.purchase_id for r in first if r.external_id == "OPEN-2"}
        assert {r.purchase_id for r in second[:2]} == open_2


def test_a_polled_batch_creates_its_new_locations_once_and_links_its_purchases(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt, locations=())
    with rt.db.session() as s:
        record_purchases(s, s.get(Connection, tenant.connection_id),
                         [sale("A", location="kiosk-9"), sale("B", location="kiosk-7"),
                          sale("C", location="kiosk-9"), sale("D", location=None)], create_locations=True)
    with rt.db.session() as s:
        locations = dict(s.execute(select(Location.external_id, Location.id)
                                   .where(Location.connection_id == tenant.connection_id)).all())
        linked = dict(s.execute(select(Purchase.external_id, Purchase.location_id)
                                .where(Purchase.hub_id == tenant.hub_id)).all())
    assert sorted(locations) == ["kiosk-7", "kiosk-9"]
    assert linked == {"A": locations["kiosk-9"], "B": locations["kiosk-7"], "C": locations["kiosk-9"],
                      "D": None}


def test_every_event_of_a_batch_reaches_the_hook_outbox(backend_app):
    rt = get_runtime()
    tenant = build_tenant(rt)
    with rt.db.session() as s:
        for trigger in ("new_purchase", "low_stock"):
            s.add(HookSubscription(hub_id=tenant.hub_id, trigger=trigger, target_url="http://127.0.0.1:9/hook",
                                   filters={}, secret_encrypted=rt.vault.encrypt_json("whsec")))
        set_stock(s, tenant.hub_id, tenant.location_ids[0], "SAL-CAESAR", 6, threshold=5)
    with rt.db.session() as s:
        record_purchases(s, s.get(Connection, tenant.connection_id), [sale(f"H-{n}") for n in range(5)])
    with rt.db.session() as s:
        event_ids = set(s.scalars(select(Event.id).where(Event.hub_id == tenant.hub_id)))
        delivered = set(s.scalars(select(HookDelivery.event_id).where(HookDelivery.hub_id == tenant.hub_id)))
    assert len(event_ids) == 6 and delivered == event_ids

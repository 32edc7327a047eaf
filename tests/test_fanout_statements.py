"""A menu fan-out's SQL is set-based: statement counts do not grow with the skus or the connections.

Counted like bench/run.py does, with a `before_cursor_execute` listener on the engine (an executemany
counts once). Figures only bound the work: they are the fixed steps of a request or of a delivery.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from hub import connectors
from hub.catalog import fingerprint, item_fingerprint
from hub.connectors.base import CouponData, MenuItemData
from hub.deliveries import run_delivery
from hub.models import AcceptedState, Delivery
from hub.runtime import get_runtime
from tests.conftest import build_tenant
from tests.doubles import Harness, RecordingConnector, applied

# A delivery's fixed steps: its claim, one read each of the delivery, connection, locations, the items'
# versions (and one of the rows changed since this process read them) and the accepted fingerprints,
# the settle, one upsert of the fingerprints, the callback wake-up (13 statements on PostgreSQL, 17 on
# SQLite today).
DELIVERY_MAX = 17


def items(count: int, price: str = "5.50") -> list[dict]:
    return [{"sku": f"MENU-{i:04d}", "name": f"Meal {i}", "price": {"amount": price, "currency": "EUR"}}
            for i in range(count)]


@pytest.fixture
def harness(backend_app, tmp_path, monkeypatch):
    monkeypatch.setattr(connectors, "CONNECTORS", [*connectors.CONNECTORS, RecordingConnector])
    rt = get_runtime()
    monkeypatch.setattr(rt.queue, "enqueue", lambda *args, **kwargs: None)  # jobs are run by hand
    return Harness(rt, backend_app.test_client(), "inprocess", tmp_path)


@contextmanager
def counted(harness) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = harness.rt.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def post_menu(harness, tenant, body) -> str:
    response = harness.client.post("/v1/actions/update_menu", json=body, headers=tenant.auth())
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def deliver(harness, run_id: str, connection_id: str) -> list[str]:
    """Run the run's delivery to the connection; the statements it issued."""
    with harness.rt.db.session() as s:
        delivery_id = s.scalar(select(Delivery.id).where(Delivery.action_run_id == run_id,
                                                         Delivery.connection_id == connection_id))
    with counted(harness) as statements:
        assert run_delivery(delivery_id) == "succeeded"
    return statements


def test_a_delivery_of_500_skus_issues_as_many_statements_as_one_of_a_single_sku(harness):
    tenant = build_tenant(harness.rt)
    one, _ = harness.add_pos(tenant.hub_id, "one")
    many, log = harness.add_pos(tenant.hub_id, "many")
    small = deliver(harness, post_menu(harness, tenant, {"items": items(1), "connection_ids": [one]}), one)
    large_run = post_menu(harness, tenant, {"items": items(500), "connection_ids": [many]})
    large = deliver(harness, large_run, many)
    assert len(applied(log)[0]["records"]) == 500
    assert len(large) == len(small) <= DELIVERY_MAX


def test_a_delivery_that_changes_and_removes_items_stays_bounded(harness):
    tenant = build_tenant(harness.rt)
    con, log = harness.add_pos(tenant.hub_id, "berlin")
    deliver(harness, post_menu(harness, tenant, {"items": items(500)}), con)
    body = {"items": items(250, price="6.50"), "remove_skus": [f"MENU-{i:04d}" for i in range(250, 500)]}
    statements = deliver(harness, post_menu(harness, tenant, body), con)
    last = applied(log)[-1]["records"]
    assert len(last) == 500 and sum(r["removed"] for r in last) == 250
    assert len(statements) <= DELIVERY_MAX + 1  # the removals' DELETE
    with harness.rt.db.session() as s:
        kept = dict(s.execute(select(AcceptedState.key, AcceptedState.fingerprint)
                              .where(AcceptedState.connection_id == con)).all())
    assert sorted(kept) == [f"MENU-{i:04d}" for i in range(250)]


def test_an_unchanged_re_send_of_500_skus_reads_without_writing_accepted_state(harness):
    tenant = build_tenant(harness.rt)
    con, log = harness.add_pos(tenant.hub_id, "berlin")
    deliver(harness, post_menu(harness, tenant, {"items": items(500)}), con)
    statements = deliver(harness, post_menu(harness, tenant, {"items": items(500)}), con)
    assert len(applied(log)) == 1
    writes = [s for s in statements if "accepted_states" in s and not s.lstrip().upper().startswith("SELECT")]
    assert writes == []


def test_posting_500_items_to_100_connections_costs_the_statements_of_posting_them_to_2(harness):
    counts = {}
    for size in (2, 100):
        tenant = build_tenant(harness.rt, name=f"Hub of {size}")
        for i in range(size):
            harness.add_pos(tenant.hub_id, f"fridge-{size}-{i:03d}")
        with counted(harness) as statements:
            run_id = post_menu(harness, tenant, {"items": items(500)})
        counts[size] = statements
        with harness.rt.db.session() as s:
            pending = s.scalars(select(Delivery).where(Delivery.action_run_id == run_id,
                                                       Delivery.status == "pending")).all()
        assert len(pending) == size
        assert all(d.payload.get("changes") is None for d in pending)  # counted when each is sent
    assert len(counts[100]) == len(counts[2])
    assert sum("INSERT INTO deliveries" in s for s in counts[100]) == 1


def test_a_pending_delivery_shows_no_change_count_until_it_is_sent(harness):
    tenant = build_tenant(harness.rt)
    con, _ = harness.add_pos(tenant.hub_id, "berlin")
    run_id = post_menu(harness, tenant, {"items": items(3), "connection_ids": [con]})
    before = harness.client.get(f"/v1/actions/{run_id}", headers=tenant.auth()).get_json()
    deliver(harness, run_id, con)
    after = harness.client.get(f"/v1/actions/{run_id}", headers=tenant.auth()).get_json()
    assert [(d["status"], d["changes"]) for d in before["deliveries"]] == [("pending", None)]
    assert [(d["status"], d["changes"]) for d in after["deliveries"]] == [("succeeded", 3)]


def _as_first_recorded(value):
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else str(value)


def test_fingerprints_are_those_of_the_whole_record_so_accepted_states_stay_valid():
    item = MenuItemData(sku="SAL", name="Salad", price="8.90", currency="EUR", category="Bowls",
                        modifiers=[{"name": "Size", "options": [{"name": "L", "price": "1.00"}]}],
                        location_external_ids=["fridge-1", "fridge-2"])
    coupon = CouponData(code="LUNCH", name="Lunch", discount_type="percent", percent_off="10",
                        amount_off=None, currency=None, valid_from=datetime(2026, 1, 1, tzinfo=UTC),
                        valid_until=None, skus=["SAL"], location_external_ids=None, active=True)
    for data in (item, coupon):
        # The fingerprint as first recorded: the canonical JSON of dataclasses.asdict, instants in UTC.
        whole = json.dumps(asdict(data), sort_keys=True, separators=(",", ":"), default=_as_first_recorded)
        assert fingerprint(data) == hashlib.sha256(whole.encode()).hexdigest()
    assert item_fingerprint(item) == fingerprint(item)
    assert item_fingerprint(MenuItemData(**{**asdict(item), "price": "9.10"})) != fingerprint(item)


def test_a_delivery_sends_the_catalog_as_it_is_when_it_runs_not_as_another_delivery_read_it(harness):
    tenant = build_tenant(harness.rt)
    first, _ = harness.add_pos(tenant.hub_id, "first")
    second, log = harness.add_pos(tenant.hub_id, "second")
    run_id = post_menu(harness, tenant, {"items": items(3), "connection_ids": [first, second]})
    deliver(harness, run_id, first)  # this process has read the three items
    later = post_menu(harness, tenant, {"items": [{"sku": "MENU-0001", "price": {"amount": "7.25",
                                                                                "currency": "EUR"}}],
                                        "connection_ids": [second]})
    deliver(harness, run_id, second)
    deliver(harness, later, second)
    assert [[(r["sku"], r["price"]) for r in call["records"]] for call in applied(log)] == [
        [("MENU-0000", "5.50"), ("MENU-0001", "7.25"), ("MENU-0002", "5.50")]]

"""A since_id cursor never skips an event that commits late, with real concurrent transactions on
PostgreSQL: one held open with an event in it while another appends and commits, and the xid
inversion that defeats a plain `xid < pg_snapshot_xmin(...)` high-water mark (an older transaction
taking a higher id than a younger one still in flight)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from hub import create_app
from hub.events import emit
from hub.runtime import get_runtime
from tests.conftest import PG_URL, build_tenant, make_settings
from triggers import get_trigger
from triggers.base import poll

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (HUB_TEST_DATABASE_URL)")
SPEC = get_trigger("low_stock")


@pytest.fixture
def pg(database_urls):
    """The app on PostgreSQL and a fresh hub in it."""
    create_app(make_settings(database_urls["postgresql"]))
    rt = get_runtime()
    return rt, build_tenant(rt)


def append(session, hub_id: str, label: str) -> int:
    """One event in the caller's transaction; its id."""
    payload = {"type": "low_stock", "label": label}
    return emit(session, hub_id, "low_stock", payload).id


def walk(rt, hub_id: str, cursor: int) -> list[int]:
    """Every id a client walking forward from `cursor` sees now (since_id pages of 2, oldest first)."""
    seen = []
    while True:
        with rt.db.session() as s:
            items = poll(s, SPEC, hub_id, filters={}, limit=2, since_id=cursor)
        seen.extend(item["id"] for item in reversed(items))
        if len(items) < 2:
            return seen
        cursor = max(item["id"] for item in items)


def appended_in_thread(rt, hub_id: str, before=None) -> tuple[threading.Thread, dict, threading.Event]:
    """Start a transaction in a thread (`before` runs first in it) that appends one event and commits."""
    out: dict = {}
    committed = threading.Event()

    def run() -> None:
        try:
            with rt.db.session() as s:
                if before is not None:
                    before(s)
                    out["ready"].set()
                    out["go"].wait(10)
                out["id"] = append(s, hub_id, "late-started")
            committed.set()
        except BaseException as exc:  # noqa: BLE001 - re-raised by the test
            out["error"] = exc

    out["ready"], out["go"] = threading.Event(), threading.Event()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out, committed


def test_an_event_held_in_an_open_transaction_is_not_skipped_by_a_cursor(pg):
    rt, tenant = pg
    start = walk(rt, tenant.hub_id, 0)
    cursor = max(start, default=0)
    held = rt.db.sessions()
    try:
        first = append(held, tenant.hub_id, "held")  # the lower id, still uncommitted
        thread, out, committed = appended_in_thread(rt, tenant.hub_id)
        committed.wait(1.0)  # a lock-free writer would have committed its higher id by now
        seen = walk(rt, tenant.hub_id, cursor)
        assert first not in seen
        cursor = max(seen, default=cursor)
        held.commit()
    finally:
        held.close()
    thread.join(10)
    assert "error" not in out and not thread.is_alive()
    seen += walk(rt, tenant.hub_id, cursor)
    assert seen == sorted([first, out["id"]])


def test_an_older_transaction_taking_a_higher_id_does_not_let_a_cursor_skip_a_younger_one(pg):
    """The case a plain xmin rule gets wrong: OLD gets its xid first (it wrote the purchase), YOUNG
    appends (lower id) and stays open, OLD appends (higher id) and commits. A poll must not show
    OLD's event while YOUNG's lower id is still to commit."""
    rt, tenant = pg
    cursor = max(walk(rt, tenant.hub_id, 0), default=0)
    thread, out, committed = appended_in_thread(
        rt, tenant.hub_id, before=lambda s: s.execute(text("SELECT pg_current_xact_id()")))
    assert out["ready"].wait(10)  # OLD now holds the older xid
    young = rt.db.sessions()
    try:
        young_id = append(young, tenant.hub_id, "young")
        out["go"].set()  # OLD appends now: a higher id than YOUNG's, from an older transaction
        committed.wait(1.0)
        seen = walk(rt, tenant.hub_id, cursor)
        assert young_id not in seen
        cursor = max(seen, default=cursor)
        young.commit()
    finally:
        young.close()
    thread.join(10)
    assert "error" not in out and not thread.is_alive()
    assert out["id"] > young_id
    seen += walk(rt, tenant.hub_id, cursor)
    assert seen == [young_id, out["id"]]

"""The scheduler's polls: claimed once, cursors saved with their data, errors never skip purchases."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

import hub.connectors
import hub.polling
from hub.connectors.base import (
    Capability,
    Connector,
    ConnectorError,
    ErrorKind,
    LocationStatus,
    PurchaseLineRecord,
    PurchasePage,
    PurchaseRecord,
)
from hub.models import Connection, Event, Location, Purchase, utcnow
from hub.polling import POLLS, claim_due, poll_connection
from hub.runtime import get_runtime
from hub.work.queueing import sweep
from tests.conftest import build_tenant
from tests.test_work_engine import RecordingQueue


def purchase(n: int) -> PurchaseRecord:
    return PurchaseRecord(
        external_id=f"ORD-{n}",
        location_external_id="store-1",
        occurred_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC) + timedelta(minutes=n),
        lines=[PurchaseLineRecord(sku="SAL-CAESAR", quantity=1, unit_price="6.50", line_total="6.50")],
        total="6.50",
        currency="EUR",
    )


class ScriptedPOS(Connector):
    """A POS whose answers the test scripts: pages of purchases keyed by cursor, or failures."""

    type = "scripted"
    title = "Scripted test POS"
    capabilities = frozenset({Capability.STATUS, Capability.PURCHASES})
    pages: dict[str | None, PurchasePage | ConnectorError] = {}
    calls: list[str | None] = []
    online = True

    def fetch_status(self):
        return [LocationStatus("store-1", "Main street store", ScriptedPOS.online)]

    def fetch_purchases(self, cursor):
        ScriptedPOS.calls.append(cursor)
        answer = ScriptedPOS.pages[cursor]
        if isinstance(answer, ConnectorError):
            raise answer
        return answer


@pytest.fixture
def scripted(monkeypatch, backend_app):
    monkeypatch.setattr(hub.connectors, "CONNECTORS", [*hub.connectors.CONNECTORS, ScriptedPOS])
    ScriptedPOS.pages, ScriptedPOS.calls, ScriptedPOS.online = {}, [], True
    rt = get_runtime()
    tenant = build_tenant(rt, connection_type="scripted", locations=())
    with rt.db.session() as s:
        # Other tests' connections share the database: only ours is due.
        s.execute(
            update(Connection)
            .where(Connection.id == tenant.connection_id)
            .values(poll_interval_seconds=60, next_poll_at=None)
        )
    return tenant


def poll_now(rt, connection_id):
    with rt.db.session() as s:
        s.execute(
            update(Connection)
            .where(Connection.id == connection_id)
            .values(next_poll_at=utcnow() - timedelta(seconds=1), claimed_until=None)
        )
    claims = [c for c in claim_due(rt.db, limit=1000) if c[0] == connection_id]
    assert claims, "the connection was not claimed"
    poll_connection(*claims[0])


def purchase_ids(rt, connection_id):
    with rt.db.session() as s:
        return sorted(s.scalars(select(Purchase.external_id).where(Purchase.connection_id == connection_id)))


def test_a_poll_records_purchases_and_moves_the_cursor(scripted):
    rt = get_runtime()
    ScriptedPOS.pages = {None: PurchasePage([purchase(1), purchase(2)], "c2")}
    poll_now(rt, scripted.connection_id)
    assert purchase_ids(rt, scripted.connection_id) == ["ORD-1", "ORD-2"]
    with rt.db.session() as s:
        con = s.get(Connection, scripted.connection_id)
        assert (con.poll_cursor, con.status, con.last_error) == ("c2", "online", None)


def test_an_error_midway_keeps_the_committed_pages_and_resumes_without_gaps_or_duplicates(scripted):
    rt = get_runtime()
    ScriptedPOS.pages = {
        None: PurchasePage([purchase(1), purchase(2)], "c2", has_more=True),
        "c2": ConnectorError(ErrorKind.TRANSIENT, "HTTP 503: upstream down"),
    }
    poll_now(rt, scripted.connection_id)
    with rt.db.session() as s:
        con = s.get(Connection, scripted.connection_id)
        assert con.poll_cursor == "c2"
        assert "503" in con.last_error
    # The POS comes back after the outage; the next poll (a restarted scheduler) resumes at c2.
    ScriptedPOS.pages["c2"] = PurchasePage([purchase(2), purchase(3)], "c3")
    poll_now(rt, scripted.connection_id)
    assert purchase_ids(rt, scripted.connection_id) == ["ORD-1", "ORD-2", "ORD-3"]
    assert ScriptedPOS.calls == [None, "c2", "c2"]
    with rt.db.session() as s:
        events = s.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.hub_id == scripted.hub_id, Event.type == "new_purchase")
        )
    assert events == 3


def test_a_connection_is_claimed_by_one_scheduler_at_a_time(scripted):
    rt = get_runtime()
    first = [c for c in claim_due(rt.db, limit=1000) if c[0] == scripted.connection_id]
    second = [c for c in claim_due(rt.db, limit=1000) if c[0] == scripted.connection_id]
    assert len(first) == 1 and second == []


def test_a_stale_claim_is_ignored_by_its_late_job(scripted):
    ScriptedPOS.pages = {None: PurchasePage([purchase(1)], "c1")}
    poll_connection(scripted.connection_id, "not-the-current-claim")
    assert ScriptedPOS.calls == []


def test_polled_status_creates_locations_with_their_names(scripted):
    rt = get_runtime()
    ScriptedPOS.pages = {None: PurchasePage([], None)}
    poll_now(rt, scripted.connection_id)
    with rt.db.session() as s:
        names = s.scalars(select(Location.name).where(Location.connection_id == scripted.connection_id)).all()
    assert names == ["Main street store"]


def test_a_location_reported_offline_by_a_poll_fires_pos_offline(scripted):
    rt = get_runtime()
    ScriptedPOS.pages = {None: PurchasePage([], None)}
    poll_now(rt, scripted.connection_id)
    ScriptedPOS.online = False
    poll_now(rt, scripted.connection_id)
    with rt.db.session() as s:
        types = s.scalars(select(Event.type).where(Event.hub_id == scripted.hub_id)).all()
    assert types == ["pos_offline"]


def test_rate_limited_poll_waits_the_vendors_delay(scripted):
    rt = get_runtime()
    ScriptedPOS.pages = {None: ConnectorError(ErrorKind.RATE_LIMITED, "HTTP 429", retry_after=120)}
    before = utcnow()
    poll_now(rt, scripted.connection_id)
    with rt.db.session() as s:
        con = s.get(Connection, scripted.connection_id)
    assert timedelta(seconds=120) <= con.next_poll_at - before <= timedelta(seconds=130)


def test_the_scheduler_sweep_enqueues_due_polls(scripted):
    rt = get_runtime()
    ScriptedPOS.pages = {None: PurchasePage([purchase(7)], "c7")}
    assert sweep(rt.db, rt.queue, POLLS) >= 1
    rt.queue.drain()
    assert purchase_ids(rt, scripted.connection_id) == ["ORD-7"]


def test_a_connection_whose_connector_cannot_be_built_records_the_error_and_releases_its_claim(
    scripted, monkeypatch
):
    rt = get_runtime()
    monkeypatch.setattr(
        hub.connectors, "CONNECTORS", [c for c in hub.connectors.CONNECTORS if c is not ScriptedPOS]
    )
    poll_now(rt, scripted.connection_id)
    with rt.db.session() as s:
        con = s.get(Connection, scripted.connection_id)
    assert "unknown connection type" in con.last_error
    assert con.claimed_until is None


def backlog(pages: int, per_page: int = 2) -> dict:
    """`pages` pages of purchases (cursors c1, c2, ...), each saying has_more but the last."""
    answers = {}
    for p in range(pages):
        records = [purchase(p * per_page + i + 1) for i in range(per_page)]
        answers[None if p == 0 else f"c{p}"] = PurchasePage(records, f"c{p + 1}", has_more=p < pages - 1)
    return answers


def connection(rt, connection_id):
    with rt.db.session() as s:
        return s.get(Connection, connection_id)


def test_a_poll_stopped_at_the_page_cap_is_due_now_and_its_next_poll_queued(scripted, monkeypatch):
    rt, queue = get_runtime(), RecordingQueue()
    monkeypatch.setattr(hub.polling, "MAX_PAGES_PER_POLL", 2)
    monkeypatch.setattr(rt, "queue", queue)
    ScriptedPOS.pages = backlog(5)
    before = utcnow()
    poll_now(rt, scripted.connection_id)
    assert ScriptedPOS.calls == [None, "c1"]
    con = connection(rt, scripted.connection_id)
    assert con.poll_cursor == "c2" and before <= con.next_poll_at <= utcnow()
    # Handed to the queued job's claim: never unclaimed, so the scheduler cannot queue a second poll.
    [(job, args, job_id)] = queue.jobs
    assert job == POLLS.job and args == (scripted.connection_id, con.claimed_by)
    assert job_id == f"poll-{scripted.connection_id}-{con.claimed_by}"
    assert queue.queues == ["polls:scripted"]
    assert con.claimed_until > utcnow()
    assert [c for c in claim_due(rt.db, limit=1000) if c[0] == scripted.connection_id] == []


def test_a_drained_backlog_returns_to_the_poll_interval(scripted, monkeypatch):
    rt, queue = get_runtime(), RecordingQueue()
    monkeypatch.setattr(hub.polling, "MAX_PAGES_PER_POLL", 2)
    monkeypatch.setattr(rt, "queue", queue)
    ScriptedPOS.pages = backlog(4)
    poll_now(rt, scripted.connection_id)
    # The queued follow-up runs: the last two pages, has_more false at the end.
    poll_connection(*queue.jobs[0][1])
    assert purchase_ids(rt, scripted.connection_id) == sorted(f"ORD-{n}" for n in range(1, 9))
    con = connection(rt, scripted.connection_id)
    assert len(queue.jobs) == 1 and con.claimed_by is None and con.poll_cursor == "c4"
    assert timedelta(seconds=55) <= con.next_poll_at - utcnow() <= timedelta(seconds=60)


def test_an_error_during_catch_up_keeps_the_failure_policy(scripted, monkeypatch):
    rt, queue = get_runtime(), RecordingQueue()
    monkeypatch.setattr(hub.polling, "MAX_PAGES_PER_POLL", 2)
    monkeypatch.setattr(rt, "queue", queue)
    ScriptedPOS.pages = backlog(6)
    ScriptedPOS.pages["c3"] = ConnectorError(ErrorKind.RATE_LIMITED, "HTTP 429", retry_after=120)
    poll_now(rt, scripted.connection_id)
    before = utcnow()
    poll_connection(*queue.jobs[0][1])
    con = connection(rt, scripted.connection_id)
    assert len(queue.jobs) == 1 and con.claimed_by is None  # no follow-up: retried after the vendor's delay
    assert con.poll_cursor == "c3" and "429" in con.last_error and con.consecutive_failures == 1
    assert timedelta(seconds=120) <= con.next_poll_at - before <= timedelta(seconds=130)


def test_the_in_process_queue_runs_a_catch_up_to_the_end_without_loss_or_duplicates(scripted, monkeypatch):
    rt = get_runtime()
    monkeypatch.setattr(hub.polling, "MAX_PAGES_PER_POLL", 3)
    ScriptedPOS.pages = backlog(20, per_page=5)
    assert sweep(rt.db, rt.queue, POLLS, only=scripted.connection_id) == 1
    rt.queue.drain()
    ids = purchase_ids(rt, scripted.connection_id)
    assert len(ids) == len(set(ids)) == 100 and set(ids) == {f"ORD-{n}" for n in range(1, 101)}
    # Each page read once: 7 polls back to back (3 + 3 + ... + 2 pages), then the interval.
    assert ScriptedPOS.calls == [None, *(f"c{p}" for p in range(1, 20))]
    con = connection(rt, scripted.connection_id)
    assert con.claimed_by is None and con.poll_cursor == "c20" and con.next_poll_at > utcnow()

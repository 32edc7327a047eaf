"""Hook deliveries to a real local HTTP server: signed, retried, dead-lettered, replayed, never redirected."""

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook

from hub import create_app
from hub.hooks.delivery import deliver
from hub.hooks.kind import HOOK_DELIVERIES
from hub.models import HookDelivery, HookSubscription, new_id, utcnow
from hub.runtime import get_runtime
from hub.work.failures import ErrorKind
from hub.work.queueing import sweep
from tests.conftest import build_tenant, make_settings, run_concurrently
from tests.test_triggers_poll import poll, record, sale


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """A local HTTP server that records requests and answers from a script of responses."""

    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                got = Received(self.path, dict(self.headers.items()), body, time.monotonic())
                receiver.received.append(got)
                status, headers = receiver.answers.pop(0) if receiver.answers else (200, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        self.path = f"/hooks/{uuid.uuid4().hex}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{self.path}"

    def mine(self) -> list[Received]:
        return [r for r in self.received if r.path == self.path]

    def wait_for(self, count: int, timeout: float = 1.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.mine()) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.mine()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def subscribe(client, tenant, url, trigger="new_purchase", **filters):
    response = client.post("/v1/hooks", json={"trigger": trigger, "target_url": url, "filters": filters},
                           headers=tenant.auth())
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def deliveries(tenant, hook_id):
    with get_runtime().db.session() as s:
        return s.scalars(select(HookDelivery).where(HookDelivery.subscription_id == hook_id)
                         .order_by(HookDelivery.event_id)).all()


def drain():
    get_runtime().queue.drain()


MAX_ATTEMPTS = HOOK_DELIVERIES.backoff.max_attempts


def sweep_hook_deliveries(now=None):
    rt = get_runtime()
    return sweep(rt.db, rt.queue, HOOK_DELIVERIES, now=now)


def test_an_event_is_delivered_signed_within_a_second(backend_client, backend_tenant, receiver):
    hook = subscribe(backend_client, backend_tenant, receiver.url)
    started = time.monotonic()
    record(backend_tenant, sale("T-1"))
    got = receiver.wait_for(1)
    assert len(got) == 1 and got[0].at - started < 1.0
    item = Webhook(hook["secret"]).verify(got[0].body, got[0].headers)
    assert item == poll(backend_client, backend_tenant, "new_purchase")[0]
    drain()
    assert [d.status for d in deliveries(backend_tenant, hook["id"])] == ["succeeded"]


def test_a_tampered_body_fails_verification(client, tenant, receiver):
    hook = subscribe(client, tenant, receiver.url)
    record(tenant, sale("T-1"))
    got = receiver.wait_for(1)[0]
    with pytest.raises(Exception, match="signature"):
        Webhook(hook["secret"]).verify(got.body.replace(b"T-1", b"T-9"), got.headers)


def test_only_events_matching_the_filters_are_delivered(client, tenant, receiver):
    hook = subscribe(client, tenant, receiver.url, location_id=tenant.location_ids[1])
    record(tenant, sale("T-1", location="fridge-1"), sale("T-2", location="fridge-2"))
    drain()
    assert [r.body.count(b'"T-2"') for r in receiver.mine()] == [1]
    assert len(deliveries(tenant, hook["id"])) == 1


def test_a_sku_filter_on_purchases_matches_any_line(client, tenant, receiver):
    hook = subscribe(client, tenant, receiver.url, sku="DRK-LEMON")
    record(tenant, sale("T-1"), sale("T-2", lines=(("SAL-CAESAR", 1), ("DRK-LEMON", 1))))
    drain()
    assert len(receiver.mine()) == 1 and b'"T-2"' in receiver.mine()[0].body
    assert len(deliveries(tenant, hook["id"])) == 1


def test_other_triggers_and_other_hubs_are_not_delivered(client, tenant, other_tenant, receiver):
    subscribe(client, tenant, receiver.url, trigger="low_stock")
    record(tenant, sale("T-1"))
    record(other_tenant, sale("O-1"))
    drain()
    assert receiver.mine() == []


def test_a_500_is_retried_later_with_the_same_webhook_id(backend_client, backend_tenant, receiver):
    receiver.answers = [(500, {})]
    hook = subscribe(backend_client, backend_tenant, receiver.url)
    record(backend_tenant, sale("T-1"))
    receiver.wait_for(1)
    drain()
    [failed] = deliveries(backend_tenant, hook["id"])
    assert (failed.status, failed.attempts, failed.last_status_code) == ("pending", 1, 500)
    assert timedelta(seconds=3) < failed.next_attempt_at - failed.updated_at < timedelta(seconds=7)
    assert deliver(failed.id) is None  # not due yet
    assert deliver(failed.id, now=utcnow() + timedelta(seconds=10)) == "succeeded"
    first, second = receiver.mine()
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == failed.id
    Webhook(hook["secret"]).verify(second.body, second.headers)


def test_a_retry_that_comes_due_is_sent_by_the_sweep(backend_client, backend_tenant, receiver):
    receiver.answers = [(503, {})]
    hook = subscribe(backend_client, backend_tenant, receiver.url)
    record(backend_tenant, sale("T-1"))
    receiver.wait_for(1)
    drain()
    [row] = deliveries(backend_tenant, hook["id"])
    rt = get_runtime()
    with rt.db.session() as s:
        # As if the 5 seconds had passed: the retry is due now.
        s.execute(update(HookDelivery).where(HookDelivery.id == row.id).values(next_attempt_at=utcnow()))
    sweep_hook_deliveries()
    assert len(receiver.wait_for(2)) == 2
    drain()
    assert deliveries(backend_tenant, hook["id"])[0].status == "succeeded"


def test_a_delivery_whose_job_was_lost_is_re_enqueued_by_the_sweep(backend_client, backend_tenant, receiver):
    hook = subscribe(backend_client, backend_tenant, receiver.url)
    record(backend_tenant, sale("T-1"))
    drain()
    event_id = poll(backend_client, backend_tenant, "new_purchase")[0]["id"]
    rt = get_runtime()
    long_ago = utcnow() - timedelta(minutes=10)
    lost_id = new_id("hdl")
    with rt.db.session() as s:
        # As if Redis was flushed right after the commit: pending, enqueued long ago, no job anywhere.
        s.execute(update(HookDelivery).where(HookDelivery.subscription_id == hook["id"])
                  .values(id=lost_id, status="pending", next_attempt_at=long_ago, enqueued_at=long_ago))
    assert sweep_hook_deliveries() >= 1
    drain()
    assert len(receiver.mine()) == 2
    assert [(d.id, d.event_id, d.status) for d in deliveries(backend_tenant, hook["id"])] == [
        (lost_id, event_id, "succeeded")]


def test_the_sweep_enqueues_a_due_delivery_only_once(client, tenant, receiver):
    receiver.answers = [(500, {})]
    hook = subscribe(client, tenant, receiver.url)
    record(tenant, sale("T-1"))
    drain()
    rt = get_runtime()
    later = utcnow() + timedelta(minutes=1)
    [row] = deliveries(tenant, hook["id"])
    with rt.db.session() as s:
        first = s.scalar(select(HookDelivery.enqueued_at).where(HookDelivery.id == row.id))
    sweep_hook_deliveries(now=later)
    with rt.db.session() as s:
        marked = s.scalar(select(HookDelivery.enqueued_at).where(HookDelivery.id == row.id))
    assert marked == later and first < later
    sweep_hook_deliveries(now=later + timedelta(seconds=5))
    with rt.db.session() as s:
        assert s.scalar(select(HookDelivery.enqueued_at).where(HookDelivery.id == row.id)) == later


def test_a_leased_delivery_is_not_sent_twice(client, tenant, receiver):
    hook = subscribe(client, tenant, receiver.url)
    receiver.answers = [(500, {})]
    record(tenant, sale("T-1"))
    drain()
    [row] = deliveries(tenant, hook["id"])
    rt = get_runtime()
    later = utcnow() + timedelta(minutes=1)
    with rt.db.session() as s:
        s.execute(update(HookDelivery).where(HookDelivery.id == row.id)
                  .values(status="in_progress", leased_until=later + timedelta(seconds=30)))
    assert deliver(row.id, now=later) is None
    assert len(receiver.mine()) == 1
    # Once the lease has run out (the worker died), another job may take it over.
    assert deliver(row.id, now=later + timedelta(seconds=31)) == "succeeded"
    assert len(receiver.mine()) == 2


def test_concurrent_jobs_for_one_delivery_send_it_once(backend_client, backend_tenant, receiver):
    receiver.answers = [(500, {})]
    hook = subscribe(backend_client, backend_tenant, receiver.url)
    record(backend_tenant, sale("T-1"))
    drain()
    [row] = deliveries(backend_tenant, hook["id"])
    later = utcnow() + timedelta(minutes=1)
    results = run_concurrently(5, lambda: deliver(row.id, now=later))
    assert sorted(results, key=str) == [None, None, None, None, "succeeded"]
    assert len(receiver.mine()) == 2


def test_a_410_deletes_the_subscription(backend_client, backend_tenant, receiver):
    receiver.answers = [(410, {})]
    hook = subscribe(backend_client, backend_tenant, receiver.url)
    record(backend_tenant, sale("T-1"))
    receiver.wait_for(1)
    drain()
    assert backend_client.get(f"/v1/hooks/{hook['id']}", headers=backend_tenant.auth()).status_code == 404
    assert deliveries(backend_tenant, hook["id"]) == []
    record(backend_tenant, sale("T-2"))
    drain()
    assert len(receiver.mine()) == 1


def test_a_429_waits_at_least_its_retry_after(client, tenant, receiver):
    receiver.answers = [(429, {"Retry-After": "600"})]
    hook = subscribe(client, tenant, receiver.url)
    record(tenant, sale("T-1"))
    receiver.wait_for(1)
    drain()
    [row] = deliveries(tenant, hook["id"])
    assert row.status == "pending" and row.last_status_code == 429
    assert row.next_attempt_at - row.updated_at >= timedelta(seconds=599)


def test_other_4xx_answers_are_retried(client, tenant, receiver):
    receiver.answers = [(404, {})]
    hook = subscribe(client, tenant, receiver.url)
    record(tenant, sale("T-1"))
    receiver.wait_for(1)
    drain()
    [row] = deliveries(tenant, hook["id"])
    assert (row.status, row.last_status_code) == ("pending", 404)
    assert "404" in row.last_error


def test_a_redirect_is_not_followed(client, tenant, receiver):
    elsewhere = Receiver()
    try:
        receiver.answers = [(302, {"Location": elsewhere.url})]
        hook = subscribe(client, tenant, receiver.url)
        record(tenant, sale("T-1"))
        receiver.wait_for(1)
        drain()
        assert elsewhere.received == []
        [row] = deliveries(tenant, hook["id"])
        assert (row.status, row.last_status_code) == ("pending", 302)
    finally:
        elsewhere.close()


def test_a_target_that_stops_answering_is_retried_as_a_connection_error(client, tenant):
    gone = Receiver()
    url = gone.url
    gone.close()
    hook = subscribe(client, tenant, url)
    record(tenant, sale("T-1"))
    drain()
    [row] = deliveries(tenant, hook["id"])
    assert (row.status, row.last_status_code) == ("pending", None)
    assert "could not reach" in row.last_error


def test_failures_end_in_a_dead_letter_that_can_be_replayed(backend_client, backend_tenant, receiver):
    receiver.answers = [(500, {})] * MAX_ATTEMPTS
    hook = subscribe(backend_client, backend_tenant, receiver.url)
    record(backend_tenant, sale("T-1"))
    receiver.wait_for(1)
    drain()
    [row] = deliveries(backend_tenant, hook["id"])
    when = utcnow()
    for _ in range(MAX_ATTEMPTS - 1):
        when += timedelta(hours=15)
        deliver(row.id, now=when)
    assert len(receiver.mine()) == MAX_ATTEMPTS
    listed = backend_client.get(f"/v1/hooks/{hook['id']}/deliveries?status=dead",
                                headers=backend_tenant.auth()).get_json()
    assert [(d["id"], d["attempts"], d["last_status_code"], d["next_attempt_at"]) for d in listed] == [
        (row.id, MAX_ATTEMPTS, 500, None)]
    replayed = backend_client.post(f"/v1/hooks/{hook['id']}/deliveries/{row.id}/replay",
                                   headers=backend_tenant.auth())
    assert replayed.status_code == 202 and replayed.get_json()["status"] == "pending"
    receiver.wait_for(MAX_ATTEMPTS + 1)
    drain()
    assert deliveries(backend_tenant, hook["id"])[0].status == "succeeded"
    again = backend_client.post(f"/v1/hooks/{hook['id']}/deliveries/{row.id}/replay",
                                headers=backend_tenant.auth())
    assert again.status_code == 409


def test_the_retry_schedule_spans_about_a_day():
    backoff = HOOK_DELIVERIES.backoff
    assert 18 * 3600 < sum(backoff.delays) < 30 * 3600 and MAX_ATTEMPTS == 10
    assert backoff.delay(ErrorKind.TRANSIENT, attempts=MAX_ATTEMPTS) is None
    delays = [backoff.delay(ErrorKind.TRANSIENT, attempts=n) for n in range(1, MAX_ATTEMPTS)]
    assert all(0.8 * base <= d <= 1.2 * base for d, base in zip(delays, backoff.delays, strict=True))
    # A target's Retry-After is honoured, but no longer than 12 hours.
    assert backoff.delay(ErrorKind.RATE_LIMITED, retry_after=10**9, attempts=1) == 43200


def test_a_private_target_is_refused_again_at_send_time(client, tenant, receiver, monkeypatch):
    hook = subscribe(client, tenant, receiver.url)
    rt = get_runtime()
    # The name now resolves somewhere private (DNS rebinding after the subscription was checked).
    rebound = f"http://rebind.example:{receiver.server.server_port}{receiver.path}"
    with rt.db.session() as s:
        s.execute(update(HookSubscription).where(HookSubscription.id == hook["id"])
                  .values(target_url=rebound))
    monkeypatch.setattr("hub.hooks.targets.resolve", lambda host, port: ["127.0.0.1"])
    record(tenant, sale("T-1"))
    drain()
    assert receiver.mine() == []
    [row] = deliveries(tenant, hook["id"])
    assert row.status == "pending" and "private or reserved" in row.last_error


def test_the_connection_goes_to_the_checked_address_with_the_host_name_kept(database_urls, receiver,
                                                                             monkeypatch):
    app = create_app(make_settings(database_urls["sqlite"], hook_allowed_hosts=("hooks.example.test",)))
    calls = []

    def resolve(host, port):
        calls.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr("hub.hooks.targets.resolve", resolve)
    tenant = build_tenant(get_runtime())
    url = f"http://hooks.example.test:{receiver.server.server_port}{receiver.path}"
    subscribe(app.test_client(), tenant, url)
    record(tenant, sale("T-1"))
    got = receiver.wait_for(1)
    get_runtime().queue.drain()
    assert got[0].headers["Host"] == f"hooks.example.test:{receiver.server.server_port}"
    assert calls == ["hooks.example.test", "hooks.example.test"]  # checked at subscription and at send


def test_a_subscription_made_between_two_commits_of_one_session_sees_the_next_event(client, tenant,
                                                                                   receiver):
    rt = get_runtime()
    from hub.models import Connection
    from hub.purchases import record_purchases

    session = rt.db.sessions()
    try:
        connection = session.get(Connection, tenant.connection_id)
        record_purchases(session, connection, [sale("T-1")])
        session.commit()
        subscribe(client, tenant, receiver.url)
        record_purchases(session, connection, [sale("T-2")])
        session.commit()
    finally:
        session.close()
    drain()
    assert [b'"T-2"' in r.body for r in receiver.mine()] == [True]


def test_the_scheduler_runs_the_hook_sweep(client, tenant, receiver):
    from hub.scheduler import run_due

    receiver.answers = [(500, {})]
    hook = subscribe(client, tenant, receiver.url)
    record(tenant, sale("T-1"))
    drain()
    [row] = deliveries(tenant, hook["id"])
    with get_runtime().db.session() as s:
        s.execute(update(HookDelivery).where(HookDelivery.id == row.id).values(next_attempt_at=utcnow()))
    run_due(get_runtime(), {})
    drain()
    assert len(receiver.mine()) == 2 and deliveries(tenant, hook["id"])[0].status == "succeeded"

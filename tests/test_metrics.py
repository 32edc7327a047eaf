"""GET /metrics and what it counts: requests by route template, events, purchases, deliveries, jobs; the
queue and per-connection gauges read at scrape time; the metrics port of the scheduler and workers."""

from __future__ import annotations

import secrets
import socket
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from hub import create_app
from hub.config import Settings
from hub.jobs import RqQueue
from hub.models import Connection, utcnow
from hub.observability.collectors import ConnectionCollector, QueueCollector
from hub.observability.exposition import serve_metrics_port
from hub.runtime import get_runtime
from tests.conftest import REDIS_URL, build_tenant, make_settings
from tests.test_hooks_delivery import Receiver, subscribe
from tests.test_polling import PurchasePage, ScriptedPOS, poll_now, purchase, scripted  # noqa: F401
from tests.test_pos_endpoints import SALE
from tests.test_triggers_poll import record, sale


def value(name: str, **labels: str) -> float:
    """A sample of this process's metrics (0 when the series does not exist yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def samples(families, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of one metric family, by their sorted labels."""
    return {tuple(sorted(s.labels.items())): s.value
            for family in families if family.name == name for s in family.samples}


@pytest.fixture
def metrics_client(app, settings):
    """A client of an app with HUB_METRICS=1 (made after `app`: the process's runtime is the last app's)."""
    app = create_app(make_settings(settings.database_url, metrics_enabled=True))
    yield app.test_client()
    get_runtime().queue.drain()


def scrape(client) -> list:
    response = client.get("/metrics")
    assert response.status_code == 200
    return list(text_string_to_metric_families(response.get_data(as_text=True)))


# ---------- the endpoint ----------


def test_metrics_are_a_404_problem_unless_enabled(client):
    response = client.get("/metrics")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "HUB_METRICS=1" in response.json["detail"]


def test_metrics_are_served_in_the_prometheus_text_format_when_enabled(metrics_client):
    response = metrics_client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    names = {family.name for family in text_string_to_metric_families(response.get_data(as_text=True))}
    assert {"hub_http_requests", "hub_http_request_duration_seconds", "hub_deliveries",
            "hub_connection_consecutive_failures", "hub_dead_letters"} <= names


def test_metrics_need_no_api_key(metrics_client):
    assert metrics_client.get("/metrics", headers={"Authorization": "Bearer nonsense"}).status_code == 200


def test_the_settings_read_hub_metrics_and_hub_metrics_port(monkeypatch):
    monkeypatch.setenv("HUB_METRICS", "1")
    monkeypatch.setenv("HUB_METRICS_PORT", "9109")
    settings = Settings.from_env()
    assert (settings.metrics_enabled, settings.metrics_port) == (True, 9109)


def test_metrics_are_off_and_on_no_port_by_default(monkeypatch):
    monkeypatch.delenv("HUB_METRICS", raising=False)
    monkeypatch.delenv("HUB_METRICS_PORT", raising=False)
    settings = Settings.from_env()
    assert (settings.metrics_enabled, settings.metrics_port) == (False, None)


# ---------- requests ----------


def test_a_request_is_counted_under_its_route_template_not_its_path(metrics_client, tenant):
    hook_id = f"hook_{secrets.token_hex(6)}"
    metrics_client.get(f"/v1/hooks/{hook_id}", headers=tenant.auth())
    families = scrape(metrics_client)
    counted = samples(families, "hub_http_requests")
    key = (("method", "GET"), ("route", "/v1/hooks/<id>"), ("status", "404"))
    assert counted[key] >= 1
    assert not any(hook_id in dict(labels)["route"] for labels in counted)


def test_a_path_no_route_matches_is_counted_as_unmatched(metrics_client):
    before = value("hub_http_requests_total", method="GET", route="unmatched", status="404")
    metrics_client.get(f"/no/such/{secrets.token_hex(4)}")
    assert value("hub_http_requests_total", method="GET", route="unmatched", status="404") == before + 1


def test_request_latency_is_a_histogram_per_route(metrics_client):
    before = value("hub_http_request_duration_seconds_count", method="GET", route="/healthz")
    metrics_client.get("/healthz")
    assert value("hub_http_request_duration_seconds_count", method="GET", route="/healthz") == before + 1
    assert value("hub_http_request_duration_seconds_bucket", method="GET", route="/healthz", le="+Inf") >= 1


# ---------- events, purchases, deliveries, jobs ----------


def test_a_recorded_purchase_counts_the_purchase_and_its_event(metrics_client, tenant):
    purchases = value("hub_purchases_recorded_total", connection_type="push")
    events = value("hub_events_appended_total", type="new_purchase")
    response = metrics_client.post("/v1/pos/purchases", json=SALE, headers=tenant.auth("pos"))
    assert response.status_code in (200, 201), response.get_json()
    assert value("hub_purchases_recorded_total", connection_type="push") == purchases + 1
    assert value("hub_events_appended_total", type="new_purchase") == events + 1


def test_a_purchase_reported_again_is_not_counted_twice(app, tenant):
    record(tenant, sale("T-1"))
    before = value("hub_purchases_recorded_total", connection_type="push")
    record(tenant, sale("T-1"))
    assert value("hub_purchases_recorded_total", connection_type="push") == before


def test_nothing_is_counted_for_a_transaction_rolled_back(app, tenant):
    before = value("hub_purchases_recorded_total", connection_type="push")
    rt = get_runtime()
    with pytest.raises(RuntimeError), rt.db.session() as s:
        from hub.purchases import record_purchases

        record_purchases(s, s.get(Connection, tenant.connection_id), [sale("T-RB")])
        raise RuntimeError("rolled back")
    assert value("hub_purchases_recorded_total", connection_type="push") == before


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def test_a_hook_delivery_that_succeeds_is_counted_with_its_job_duration(client, tenant, receiver):
    subscribe(client, tenant, receiver.url)
    succeeded = value("hub_deliveries_total", kind="hook", outcome="succeeded")
    jobs = value("hub_job_duration_seconds_count", kind="hook")
    record(tenant, sale("T-1"))
    receiver.wait_for(1)
    get_runtime().queue.drain()
    assert value("hub_deliveries_total", kind="hook", outcome="succeeded") == succeeded + 1
    assert value("hub_job_duration_seconds_count", kind="hook") == jobs + 1


def test_a_hook_delivery_that_fails_is_counted_as_retried(client, tenant, receiver):
    receiver.answers = [(500, {})]
    subscribe(client, tenant, receiver.url)
    retried = value("hub_deliveries_total", kind="hook", outcome="retried")
    record(tenant, sale("T-1"))
    receiver.wait_for(1)
    get_runtime().queue.drain()
    assert value("hub_deliveries_total", kind="hook", outcome="retried") == retried + 1


def test_a_hook_target_gone_is_counted_as_refused(client, tenant, receiver):
    receiver.answers = [(410, {})]
    subscribe(client, tenant, receiver.url)
    refused = value("hub_deliveries_total", kind="hook", outcome="refused")
    record(tenant, sale("T-1"))
    receiver.wait_for(1)
    get_runtime().queue.drain()
    assert value("hub_deliveries_total", kind="hook", outcome="refused") == refused + 1


# ---------- polls and the per-connection gauges ----------


def test_a_successful_poll_sets_last_polled_at_and_is_timed(scripted):  # noqa: F811
    rt = get_runtime()
    ScriptedPOS.pages = {None: PurchasePage([purchase(1)], "c1")}
    jobs = value("hub_job_duration_seconds_count", kind="poll")
    started = utcnow()
    poll_now(rt, scripted.connection_id)
    with rt.db.session() as s:
        assert s.get(Connection, scripted.connection_id).last_polled_at >= started
    assert value("hub_job_duration_seconds_count", kind="poll") == jobs + 1


def test_a_failed_poll_leaves_last_polled_at(scripted):  # noqa: F811
    from hub.connectors.base import ConnectorError, ErrorKind

    rt = get_runtime()
    ScriptedPOS.pages = {None: ConnectorError(ErrorKind.TRANSIENT, "HTTP 503")}
    poll_now(rt, scripted.connection_id)
    with rt.db.session() as s:
        assert s.get(Connection, scripted.connection_id).last_polled_at is None


def _set(connection_id: str, **values) -> None:
    with get_runtime().db.session() as s:
        s.execute(update(Connection).where(Connection.id == connection_id).values(**values))


def test_each_polled_connection_reports_its_poll_age_interval_contact_and_failures(app):
    tenant = build_tenant(get_runtime(), connection_type="sandbox", locations=())
    now = utcnow()
    _set(tenant.connection_id, poll_interval_seconds=30, last_polled_at=now - timedelta(seconds=100),
         last_contact_at=now - timedelta(seconds=50), consecutive_failures=2)
    families = list(ConnectionCollector().collect())
    key = (("connection_id", tenant.connection_id), ("type", "sandbox"))
    assert 100 <= samples(families, "hub_connection_last_poll_age_seconds")[key] < 110
    assert samples(families, "hub_connection_poll_interval_seconds")[key] == 30
    assert 50 <= samples(families, "hub_connection_last_contact_age_seconds")[key] < 60
    assert samples(families, "hub_connection_consecutive_failures")[key] == 2
    assert samples(families, "hub_collector_up")[(("collector", "database"),)] == 1


def test_a_connection_never_polled_counts_from_when_it_was_added(app):
    tenant = build_tenant(get_runtime(), connection_type="sandbox", locations=())
    _set(tenant.connection_id, poll_interval_seconds=30, created_at=utcnow() - timedelta(seconds=300))
    families = list(ConnectionCollector().collect())
    key = (("connection_id", tenant.connection_id), ("type", "sandbox"))
    assert samples(families, "hub_connection_last_poll_age_seconds")[key] >= 300


def test_a_connection_that_is_not_polled_has_no_poll_age(app, tenant):
    _set(tenant.connection_id, poll_interval_seconds=0)
    families = list(ConnectionCollector().collect())
    key = (("connection_id", tenant.connection_id), ("type", "push"))
    assert key not in samples(families, "hub_connection_last_poll_age_seconds")
    assert key in samples(families, "hub_connection_consecutive_failures")


def test_dead_letters_are_reported_per_kind(app):
    families = list(ConnectionCollector().collect())
    assert {dict(labels)["kind"] for labels in samples(families, "hub_dead_letters")} == {
        "action", "hook", "order", "callback"}


def test_an_unreadable_database_reports_the_collector_down_instead_of_failing(app):
    broken = SimpleNamespace(db=None)  # any read fails
    families = list(ConnectionCollector(lambda: broken).collect())
    assert samples(families, "hub_collector_up") == {(("collector", "database"),): 0.0}


# ---------- queues, on real Redis ----------


@pytest.fixture
def rq_queue():
    if not REDIS_URL:
        pytest.skip("HUB_TEST_REDIS_URL is not set")
    queue = RqQueue(REDIS_URL, prefix=f"metrics{secrets.token_hex(3)}:")
    yield queue
    for name in ("hook_deliveries", "polls:sandbox"):
        queue.rq_queue(name).delete(delete_jobs=True)


def test_the_queue_collector_reports_depth_and_oldest_job_age_per_queue(rq_queue):
    from rq.job import Job
    from rq.utils import utcformat

    for n in range(3):
        rq_queue.enqueue("hub.jobs.resolve", "x", job_id=f"hook-{n}-{secrets.token_hex(3)}",
                         queue="hook_deliveries")
    rq_queue.enqueue("hub.jobs.resolve", "x", job_id=f"poll-{secrets.token_hex(3)}", queue="polls:sandbox")
    oldest = rq_queue.rq_queue("hook_deliveries").get_job_ids()[0]
    rq_queue.redis.hset(Job.key_for(oldest), "enqueued_at", utcformat(utcnow() - timedelta(seconds=90)))
    families = list(QueueCollector(lambda: SimpleNamespace(queue=rq_queue)).collect())
    depth, age = samples(families, "hub_queue_jobs"), samples(families, "hub_queue_oldest_job_age_seconds")
    assert depth[(("queue", "hook_deliveries"),)] == 3
    assert depth[(("queue", "polls:sandbox"),)] == 1
    assert 90 <= age[(("queue", "hook_deliveries"),)] < 100
    assert 0 <= age[(("queue", "polls:sandbox"),)] < 10


def test_an_emptied_queue_reports_no_age(rq_queue):
    rq_queue.enqueue("hub.jobs.resolve", "x", job_id=f"hook-{secrets.token_hex(3)}", queue="hook_deliveries")
    rq_queue.rq_queue("hook_deliveries").empty()
    families = list(QueueCollector(lambda: SimpleNamespace(queue=rq_queue)).collect())
    assert samples(families, "hub_queue_jobs")[(("queue", "hook_deliveries"),)] == 0
    assert samples(families, "hub_queue_oldest_job_age_seconds")[(("queue", "hook_deliveries"),)] == 0


def test_the_queue_collector_reports_redis_down_instead_of_failing():
    queue = RqQueue("redis://127.0.0.1:1/0")
    families = list(QueueCollector(lambda: SimpleNamespace(queue=queue)).collect())
    assert samples(families, "hub_collector_up") == {(("collector", "queues"),): 0.0}


# ---------- the metrics port of the scheduler, workers and web server ----------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_process_serves_its_metrics_on_its_own_port(app):
    port = _free_port()
    assert serve_metrics_port(port, "worker", state=False)
    body = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert "# TYPE hub_job_duration_seconds histogram" in body


def test_a_taken_metrics_port_is_logged_not_fatal(caplog):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        assert not serve_metrics_port(taken.getsockname()[1], "scheduler", state=False)
    assert "not served" in caplog.text


def test_no_metrics_port_is_served_unless_configured():
    assert not serve_metrics_port(None, "worker")


def test_the_scheduler_and_worker_commands_take_a_metrics_port():
    from hub.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["scheduler", "--metrics-port", "9201"]).metrics_port == 9201
    assert parser.parse_args(["worker", "--metrics-port", "9202"]).metrics_port == 9202
    assert parser.parse_args(["worker"]).metrics_port is None

"""ops/grafana/hub-dashboard.json and ops/prometheus/alerts.yml: well-formed, covering what the issue
asks for, and using only metrics the hub exports (a real scrape of /metrics after exercising the app)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, update

import hub.jobs
from hub import create_app
from hub.hooks.delivery import deliver
from hub.models import Connection, HookDelivery, HookSubscription
from hub.runtime import get_runtime
from tests.conftest import REDIS_URL, build_tenant, make_settings
from tests.test_hooks_delivery import Receiver, subscribe
from tests.test_pos_endpoints import SALE

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = json.loads((ROOT / "ops" / "grafana" / "hub-dashboard.json").read_text(encoding="utf-8"))
RULES = yaml.safe_load((ROOT / "ops" / "prometheus" / "alerts.yml").read_text(encoding="utf-8"))
METRIC = re.compile(r"\bhub_[a-z0-9_]+\b")
DURATION = re.compile(r"^\d+(ms|s|m|h|d|w|y)$")
RULE_KEYS = {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}


def rules() -> list[dict]:
    return [rule for group in RULES["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    return [target["expr"] for panel in DASHBOARD["panels"] for target in panel["targets"]]


def used_metrics() -> set[str]:
    exprs = [*dashboard_exprs(), *(rule["expr"] for rule in rules())]
    return {name for expr in exprs for name in METRIC.findall(expr)}


# ---------- the rule file ----------


def test_the_rule_file_has_named_groups_of_rules():
    assert isinstance(RULES, dict) and set(RULES) == {"groups"}
    names = [group["name"] for group in RULES["groups"]]
    assert names and len(names) == len(set(names))
    for group in RULES["groups"]:
        assert set(group) <= {"name", "interval", "rules", "limit"}
        assert isinstance(group["rules"], list) and group["rules"]


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_each_alerting_rule_is_well_formed(rule):
    assert set(rule) <= RULE_KEYS and {"alert", "expr", "for", "labels", "annotations"} <= set(rule)
    assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["alert"])
    assert isinstance(rule["expr"], str) and METRIC.search(rule["expr"])
    assert rule["expr"].count("(") == rule["expr"].count(")")
    assert DURATION.match(rule["for"])
    assert rule["labels"]["severity"] in ("warning", "critical")
    assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_alert_names_are_unique():
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names))


def _rule_using(metric: str) -> str:
    [expr] = [rule["expr"] for rule in rules() if metric in rule["expr"]]
    return " ".join(expr.split())


def test_a_connection_not_polled_for_3_intervals_alerts_by_its_exported_interval():
    expr = _rule_using("hub_connection_last_poll_age_seconds")
    assert "> 3 * max by (connection_id, type) (hub_connection_poll_interval_seconds)" in expr


def test_growing_dead_letters_alert():
    assert "offset" in _rule_using("hub_dead_letters")


def test_a_queue_age_over_a_minute_alerts():
    assert _rule_using("hub_queue_oldest_job_age_seconds").endswith("> 60")


def test_a_5xx_rate_alerts():
    assert 'status=~"5.."' in _rule_using("hub_http_requests_total")


# ---------- the dashboard ----------


def test_the_dashboard_is_a_grafana_dashboard_on_a_prometheus_datasource_variable():
    assert DASHBOARD["title"] and DASHBOARD["uid"] and DASHBOARD["schemaVersion"] >= 36
    [variable] = DASHBOARD["templating"]["list"]
    assert (variable["type"], variable["query"]) == ("datasource", "prometheus")
    assert variable["name"] == "datasource"
    for panel in DASHBOARD["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_each_panel_has_a_unique_id_a_place_on_the_grid_and_its_queries():
    ids = [panel["id"] for panel in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    for panel in DASHBOARD["panels"]:
        grid = panel["gridPos"]
        assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24
        assert panel["type"] in ("timeseries", "stat", "table") and panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert ref_ids and len(ref_ids) == len(set(ref_ids))
        for target in panel["targets"]:
            assert METRIC.search(target["expr"]) and target["expr"].count("(") == target["expr"].count(")")


def test_the_dashboard_shows_what_the_issue_asks_for():
    exprs = " ".join(" ".join(e.split()) for e in dashboard_exprs())
    assert "rate(hub_http_requests_total[" in exprs  # request rate
    assert 'hub_http_requests_total{status=~"5.."}' in exprs  # 5xx rate
    p99 = "histogram_quantile(0.99, sum by (le, route) (rate(hub_http_request_duration_seconds_bucket"
    assert p99 in exprs
    for metric in ("hub_events_appended_total", "hub_purchases_recorded_total", "hub_deliveries_total",
                   "hub_queue_jobs", "hub_queue_oldest_job_age_seconds"):
        assert metric in exprs
    assert "> 3 * max by (connection_id, type) (hub_connection_poll_interval_seconds)" in exprs


# ---------- every metric used is exported ----------


@pytest.fixture
def exercised_scrape(database_urls, monkeypatch):
    """The names of every sample /metrics answers after a request, a purchase, its event, a hook delivery,
    a polled connection and a queued job (Redis needed for the queue gauges)."""
    if not REDIS_URL:
        pytest.skip("HUB_TEST_REDIS_URL is not set")
    monkeypatch.setattr(hub.jobs, "QUEUE_PREFIX", "opsfiles:")
    app = create_app(make_settings(database_urls["sqlite"], redis_url=REDIS_URL, metrics_enabled=True))
    client, rt = app.test_client(), get_runtime()
    tenant = build_tenant(rt)
    with rt.db.session() as s:
        s.execute(update(Connection).where(Connection.id == tenant.connection_id)
                  .values(poll_interval_seconds=60))
    receiver = Receiver()
    try:
        hook = subscribe(client, tenant, receiver.url)
        purchase = client.post("/v1/pos/purchases", json=SALE, headers=tenant.auth("pos"))
        assert purchase.status_code in (200, 201)
        with rt.db.session() as s:
            [delivery_id] = s.scalars(select(HookDelivery.id).join(HookSubscription)
                                      .where(HookSubscription.id == hook["id"]))
        assert deliver(delivery_id) == "succeeded"  # as a worker would; its job still waits in Redis
        body = client.get("/metrics").get_data(as_text=True)
    finally:
        receiver.close()
        for queue in list(rt.queue._queues.values()):
            queue.delete(delete_jobs=True)
    return {sample.name for family in text_string_to_metric_families(body) for sample in family.samples}


def test_every_metric_the_dashboard_and_the_alerts_use_is_exported(exercised_scrape):
    assert len(used_metrics()) >= 12
    assert used_metrics() - exercised_scrape == set()
    assert {"hub_queue_jobs", "hub_connection_poll_interval_seconds"} <= exercised_scrape

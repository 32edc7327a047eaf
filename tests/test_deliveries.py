"""Delivering action runs to POS systems: only what changed, retried, dead-lettered, never lost.

Each scenario runs with the in-process job runner (SQLite, and PostgreSQL when configured) and,
when HUB_TEST_REDIS_URL is set, with real rq worker subprocesses on Redis.
"""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest
from sqlalchemy import select

from hub import connectors, create_app
from hub.deliveries import ACTION_DELIVERIES
from hub.models import Delivery
from hub.schemas import validate
from tests.conftest import PG_URL, REDIS_URL, build_tenant, make_settings
from tests.doubles import Harness, RecordingConnector, applied, read_calls

MODES = [("sqlite", "inprocess")]
if PG_URL:
    MODES.append(("postgresql", "inprocess"))
if REDIS_URL:
    MODES.append(("postgresql" if PG_URL else "sqlite", "rq"))


@pytest.fixture(params=MODES, ids=[f"{db}-{mode}" for db, mode in MODES])
def harness(request, database_urls, tmp_path, monkeypatch):
    backend, mode = request.param
    monkeypatch.setattr(connectors, "CONNECTORS", [*connectors.CONNECTORS, RecordingConnector])
    settings = make_settings(database_urls[backend], redis_url=REDIS_URL if mode == "rq" else None)
    app = create_app(settings)
    rt = app.extensions["hub_runtime"]
    prefix = None
    if mode == "rq":
        # Queues of this test's own, so no other process's workers take its jobs.
        prefix = f"hub-test-{uuid.uuid4().hex[:8]}-"
        rt.queue.prefix = prefix
    h = Harness(rt, app.test_client(), mode, tmp_path, prefix)
    yield h
    h.close()
    if mode == "rq":
        for name in h.queues():
            rt.queue.rq_queue(name).delete(delete_jobs=True)


def update_menu(h, tenant, body, key=None):
    headers = tenant.auth()
    if key:
        headers["Idempotency-Key"] = key
    response = h.client.post("/v1/actions/update_menu", json=body, headers=headers)
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def run_of(h, tenant, run_id):
    response = h.client.get(f"/v1/actions/{run_id}", headers=tenant.auth())
    assert response.status_code == 200
    body = response.get_json()
    assert validate("common/action_run.json", body) == []
    return body


def by_connection(run):
    return {d["connection_id"]: d for d in run["deliveries"]}


CAESAR = {"sku": "SAL-CAESAR", "name": "Caesar salad", "price": {"amount": "8.90", "currency": "EUR"}}
GREEK = {"sku": "SAL-GREEK", "name": "Greek salad", "price": {"amount": "8.50", "currency": "EUR"}}


def pushed_skus(log):
    return [record["sku"] for call in applied(log) for record in call["records"]]


def test_a_menu_update_reaches_every_targeted_connection(harness):
    tenant = build_tenant(harness.rt)
    berlin, berlin_log = harness.add_pos(tenant.hub_id, "berlin")
    munich, munich_log = harness.add_pos(tenant.hub_id, "munich")
    run = update_menu(harness, tenant, {"items": [CAESAR, GREEK]})
    harness.drain()
    final = run_of(harness, tenant, run["id"])
    deliveries = by_connection(final)
    assert deliveries[berlin]["status"] == deliveries[munich]["status"] == "succeeded"
    assert deliveries[berlin]["changes"] == 2
    assert sorted(pushed_skus(berlin_log)) == sorted(pushed_skus(munich_log)) == ["SAL-CAESAR", "SAL-GREEK"]
    # The tenant's push connection fetches its menu itself: skipped, with the reason shown.
    assert deliveries[tenant.connection_id]["status"] == "skipped"
    assert "GET /v1/pos/menu" in deliveries[tenant.connection_id]["last_error"]
    assert final["status"] == "succeeded"


def test_only_the_targeted_connections_get_the_update(harness):
    tenant = build_tenant(harness.rt)
    berlin, berlin_log = harness.add_pos(tenant.hub_id, "berlin")
    _, munich_log = harness.add_pos(tenant.hub_id, "munich")
    run = update_menu(harness, tenant, {"items": [CAESAR], "connection_ids": [berlin]})
    harness.drain()
    assert [d["connection_id"] for d in run["deliveries"]] == [berlin]
    assert pushed_skus(berlin_log) == ["SAL-CAESAR"]
    assert read_calls(munich_log) == []


def test_a_no_op_update_makes_no_pos_call(harness):
    tenant = build_tenant(harness.rt)
    berlin, log = harness.add_pos(tenant.hub_id, "berlin")
    update_menu(harness, tenant, {"items": [CAESAR, GREEK]})
    harness.drain()
    calls_before = len(read_calls(log))
    again = update_menu(harness, tenant, {"items": [CAESAR, GREEK]})
    harness.drain()
    final = by_connection(run_of(harness, tenant, again["id"]))[berlin]
    assert final["status"] == "succeeded" and final["changes"] == 0
    assert len(read_calls(log)) == calls_before


def test_only_the_changed_item_is_pushed_again(harness):
    tenant = build_tenant(harness.rt)
    _, log = harness.add_pos(tenant.hub_id, "berlin")
    update_menu(harness, tenant, {"items": [CAESAR, GREEK]})
    harness.drain()
    dearer = {"sku": "SAL-CAESAR", "price": {"amount": "9.20", "currency": "EUR"}}
    update_menu(harness, tenant, {"items": [dearer, GREEK]})
    harness.drain()
    last = applied(log)[-1]["records"]
    assert [(r["sku"], r["price"]) for r in last] == [("SAL-CAESAR", "9.20")]


def test_sold_out_and_back_and_removal_all_travel(harness):
    tenant = build_tenant(harness.rt)
    _, log = harness.add_pos(tenant.hub_id, "berlin")
    update_menu(harness, tenant, {"items": [CAESAR, GREEK]})
    harness.drain()
    update_menu(harness, tenant, {"items": [{"sku": "SAL-CAESAR", "available": False}]})
    harness.drain()
    update_menu(harness, tenant, {"items": [{"sku": "SAL-CAESAR", "available": True}]})
    harness.drain()
    update_menu(harness, tenant, {"items": [{"sku": "SAL-CAESAR", "available": True}],
                                  "remove_skus": ["SAL-GREEK"]})
    harness.drain()
    pushes = [call["records"] for call in applied(log)]
    assert [(r["sku"], r["available"]) for r in pushes[1]] == [("SAL-CAESAR", False)]
    assert [(r["sku"], r["available"]) for r in pushes[2]] == [("SAL-CAESAR", True)]
    assert [(r["sku"], r["removed"]) for r in pushes[3]] == [("SAL-GREEK", True)]
    assert len(pushes) == 4


def test_a_pos_failing_three_times_then_recovering_gets_the_change_exactly_once(harness):
    tenant = build_tenant(harness.rt)
    berlin, log = harness.add_pos(tenant.hub_id, "berlin", fail_times=3)
    run = update_menu(harness, tenant, {"items": [CAESAR]})
    harness.drain()
    first = by_connection(run_of(harness, tenant, run["id"]))[berlin]
    assert first["status"] == "pending" and first["attempts"] == 1
    assert first["last_error"].startswith("transient") and "500" in first["last_error"]
    assert first["next_attempt_at"] is not None
    for _ in range(3):
        harness.time_passes(tenant.hub_id, 3 * 3600)
        assert harness.sweep() >= 1
        harness.drain()
    final = by_connection(run_of(harness, tenant, run["id"]))[berlin]
    assert final["status"] == "succeeded" and final["attempts"] == 4
    assert [c["outcome"] for c in read_calls(log)] == ["failed", "failed", "failed", "applied"]
    assert pushed_skus(log) == ["SAL-CAESAR"]


def test_a_pos_answering_401_is_dead_at_once_and_a_retry_after_the_fix_delivers(harness):
    tenant = build_tenant(harness.rt)
    berlin, log = harness.add_pos(tenant.hub_id, "berlin", reject=True)
    run = update_menu(harness, tenant, {"items": [CAESAR]})
    harness.drain()
    dead = run_of(harness, tenant, run["id"])
    delivery = by_connection(dead)[berlin]
    assert delivery["status"] == "dead" and delivery["attempts"] == 1
    assert "401" in delivery["last_error"] and "invalid access token" in delivery["last_error"]
    assert dead["status"] == "failed"
    harness.set_config(berlin, reject=False)
    retried = harness.client.post(f"/v1/actions/{run['id']}/retry", headers=tenant.auth())
    assert retried.status_code == 202
    assert by_connection(retried.get_json())[berlin]["status"] == "pending"
    harness.drain()
    assert by_connection(run_of(harness, tenant, run["id"]))[berlin]["status"] == "succeeded"
    assert pushed_skus(log) == ["SAL-CAESAR"]


def test_lost_jobs_are_re_enqueued_by_the_sweep(harness):
    """With rq, Redis is flushed of every queued job; in-process, the jobs are never run."""
    tenant = build_tenant(harness.rt)
    berlin, log = harness.add_pos(tenant.hub_id, "berlin")
    if harness.mode == "inprocess":
        harness.rt.queue.enqueue = lambda *args, **kwargs: None  # every job is lost
    run = update_menu(harness, tenant, {"items": [CAESAR]})
    if harness.mode == "rq":
        redis = harness.rt.queue.redis
        deliveries = harness.rt.queue.rq_queue(ACTION_DELIVERIES.queue)
        assert deliveries.count == 1
        # Every queued job of this hub's queue vanishes, as in a Redis restart without persistence.
        redis.delete(deliveries.key, *redis.keys("rq:job:delivery-*"))
        assert deliveries.count == 0
    else:
        del harness.rt.queue.enqueue
    harness.drain()
    assert read_calls(log) == []
    assert harness.sweep() == 0  # enqueued a moment ago: not yet presumed lost
    harness.time_passes(tenant.hub_id, 120)
    assert harness.sweep() == 1
    harness.drain()
    assert by_connection(run_of(harness, tenant, run["id"]))[berlin]["status"] == "succeeded"
    assert pushed_skus(log) == ["SAL-CAESAR"]


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def test_a_worker_killed_mid_delivery_loses_nothing(harness):
    tenant = build_tenant(harness.rt)
    gate = harness.tmp / "gate"
    berlin, log = harness.add_pos(tenant.hub_id, "berlin", block_until=str(gate))
    if harness.mode == "inprocess":
        # In-process there is no process to kill: a claim that is never finished is the same state.
        harness.rt.queue.enqueue = lambda *args, **kwargs: None
        run = update_menu(harness, tenant, {"items": [CAESAR]})
        del harness.rt.queue.enqueue
        from hub.deliveries import claim

        with harness.rt.db.session() as session:
            delivery_id = session.scalar(select(Delivery.id).where(Delivery.connection_id == berlin))
            assert claim(session, delivery_id) is not None
    else:
        worker = harness.start_worker()
        run = update_menu(harness, tenant, {"items": [CAESAR]})
        wait_for(lambda: any(c["outcome"] == "blocked" for c in read_calls(log)))
        # rq runs each job in a work horse of its own process group: both are killed, mid POS call.
        horse = next(c["pid"] for c in read_calls(log) if c["outcome"] == "blocked")
        os.kill(horse, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert by_connection(run_of(harness, tenant, run["id"]))[berlin]["status"] == "in_progress"
    gate.touch()
    assert harness.sweep() == 0  # the lease is still running
    harness.time_passes(tenant.hub_id, 600)  # the lease expires
    assert harness.sweep() == 1
    harness.drain()
    final = by_connection(run_of(harness, tenant, run["id"]))[berlin]
    assert final["status"] == "succeeded" and final["attempts"] == 2
    assert pushed_skus(log) == ["SAL-CAESAR"]


def test_a_coupon_is_pushed_once_and_republishing_it_unchanged_makes_no_call(harness):
    tenant = build_tenant(harness.rt)
    berlin, log = harness.add_pos(tenant.hub_id, "berlin")
    coupon = {"code": "LUNCH10", "discount_type": "percent", "percent_off": "10"}
    for _ in range(2):
        response = harness.client.post("/v1/actions/publish_coupon", json=coupon, headers=tenant.auth())
        assert response.status_code == 202
        harness.drain()
    calls = read_calls(log)
    assert [(c["op"], [r["code"] for r in c["records"]]) for c in calls] == [("push_coupons", ["LUNCH10"])]
    assert calls[0]["records"][0]["percent_off"] == "10"


def test_the_pos_idempotency_key_is_stable_for_the_same_content(harness):
    tenant = build_tenant(harness.rt)
    berlin, log = harness.add_pos(tenant.hub_id, "berlin", fail_times=1)
    update_menu(harness, tenant, {"items": [CAESAR]})
    harness.drain()
    harness.time_passes(tenant.hub_id, 60)
    harness.sweep()
    harness.drain()
    first, second = read_calls(log)
    assert first["key"] == second["key"]
    with harness.rt.db.session() as session:
        delivery_id = session.scalar(select(Delivery.id).where(Delivery.connection_id == berlin))
    assert first["key"].startswith(delivery_id)

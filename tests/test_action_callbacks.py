"""Action outcome callbacks: the finished run POSTed once, signed, to the action's callback_url.

A callback waits until every delivery of its run has ended (succeeded, dead or skipped), is sent
once as the run JSON of GET /v1/actions/<id>, retried with backoff, dead after its schedule, sent
again when the run is re-driven, and never twice for an Idempotency-Key replay.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from hub import deliveries as deliveries_module
from hub.action_callbacks.kind import ACTION_CALLBACKS
from hub.action_callbacks.sender import send_callback
from hub.models import ActionCallback, utcnow
from hub.runtime import get_runtime
from hub.scheduler import registered_sweeps
from hub.work.queueing import sweep
from tests import test_deliveries
from tests.conftest import build_tenant
from tests.test_deliveries import CAESAR, run_of
from tests.test_hooks_delivery import Receiver

harness = test_deliveries.harness  # the delivery tests' fixture: in-process and rq workers
CHEESE = {"sku": "SAND-CHEESE", "name": "Cheese sandwich", "price": {"amount": "4.50", "currency": "EUR"}}


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def allow_loopback(monkeypatch):
    """rq worker subprocesses read the address policy's allowed hosts from the environment."""
    monkeypatch.setenv("HUB_HOOK_ALLOWED_HOSTS", "127.0.0.1,localhost")


def act(client, tenant, body, action="update_menu", key=None):
    headers = {**tenant.auth(), **({"Idempotency-Key": key} if key else {})}
    response = client.post(f"/v1/actions/{action}", json=body, headers=headers)
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def get_run(client, tenant, run_id):
    response = client.get(f"/v1/actions/{run_id}", headers=tenant.auth())
    assert response.status_code == 200
    return response.get_json()


def callback_row(run_id):
    with get_runtime().db.session() as s:
        return s.scalar(select(ActionCallback).where(ActionCallback.action_run_id == run_id))


def drain():
    get_runtime().queue.drain()


def without_callback(run):
    return {k: v for k, v in run.items() if k != "callback"}


def test_the_finished_run_is_posted_once_signed_and_equal_to_get(harness, receiver, allow_loopback):
    tenant = build_tenant(harness.rt)
    harness.add_pos(tenant.hub_id, "berlin")
    run = act(harness.client, tenant, {"items": [CAESAR], "callback_url": receiver.url})
    harness.drain()
    got = receiver.wait_for(1, timeout=15)
    assert len(got) == 1
    body = json.loads(got[0].body)
    final = run_of(harness, tenant, run["id"])
    assert final["status"] == "succeeded"
    assert without_callback(body) == without_callback(final)
    assert body["callback"] == {"status": "in_progress", "attempts": 1, "last_error": None}
    assert final["callback"] == {"status": "succeeded", "attempts": 1, "last_error": None}
    hub = harness.client.get("/v1/admin/hub", headers=tenant.auth("admin")).get_json()
    secret = hub["callback_signing_secret"]
    Webhook(secret).verify(got[0].body, {k.lower(): v for k, v in got[0].headers.items()})
    harness.sweep()
    sweep(harness.rt.db, harness.rt.queue, ACTION_CALLBACKS)
    harness.drain()
    assert len(receiver.wait_for(2, timeout=0.3)) == 1


def test_no_callback_while_a_delivery_waits_to_retry(harness, receiver, allow_loopback):
    tenant = build_tenant(harness.rt)
    harness.add_pos(tenant.hub_id, "berlin", fail_times=1)
    run = act(harness.client, tenant, {"items": [CAESAR], "callback_url": receiver.url})
    harness.drain()
    assert run_of(harness, tenant, run["id"])["status"] == "in_progress"
    assert receiver.wait_for(1, timeout=0.3) == []
    assert run_of(harness, tenant, run["id"])["callback"]["status"] == "waiting"
    harness.time_passes(tenant.hub_id, 60)
    harness.sweep()
    harness.drain()
    got = receiver.wait_for(1, timeout=15)
    assert len(got) == 1, run_of(harness, tenant, run["id"])
    assert json.loads(got[0].body)["status"] == "succeeded"


def test_a_run_whose_deliveries_are_all_skipped_calls_back_at_once(client, tenant, receiver):
    run = act(client, tenant, {"items": [CAESAR], "callback_url": receiver.url})
    assert [d["status"] for d in run["deliveries"]] == ["skipped"]
    drain()
    got = receiver.wait_for(1)
    assert len(got) == 1 and json.loads(got[0].body)["id"] == run["id"]


def test_publish_coupon_takes_a_callback_url_too(client, tenant, receiver):
    run = act(client, tenant, {"code": "CB10", "discount_type": "percent", "percent_off": "10",
                               "callback_url": receiver.url}, action="publish_coupon")
    drain()
    assert json.loads(receiver.wait_for(1)[0].body)["id"] == run["id"]


def test_a_run_without_callback_url_has_no_callback(client, tenant):
    run = act(client, tenant, {"items": [CAESAR]})
    assert run["callback"] is None and callback_row(run["id"]) is None


def test_a_callback_answered_500_is_retried_with_backoff(client, tenant, receiver):
    receiver.answers = [(500, {})]
    run = act(client, tenant, {"items": [CAESAR], "callback_url": receiver.url})
    drain()
    assert len(receiver.wait_for(1)) == 1
    row = callback_row(run["id"])
    assert row.status == "pending" and row.attempts == 1 and "HTTP 500" in row.last_error
    assert row.next_attempt_at > utcnow()
    assert send_callback(row.id) is None  # not due yet
    assert send_callback(row.id, now=row.next_attempt_at + timedelta(seconds=1)) == "succeeded"
    assert len(receiver.wait_for(2)) == 2
    assert get_run(client, tenant, run["id"])["callback"] == {"status": "succeeded", "attempts": 2,
                                                              "last_error": None}


def test_a_callback_is_dead_after_its_schedule_and_the_run_says_so(client, tenant, receiver):
    receiver.answers = [(503, {})] * 20
    run = act(client, tenant, {"items": [CAESAR], "callback_url": receiver.url})
    drain()
    now = utcnow()
    for _ in range(ACTION_CALLBACKS.backoff.max_attempts):
        now += timedelta(days=1)
        send_callback(callback_row(run["id"]).id, now=now)
    callback = get_run(client, tenant, run["id"])["callback"]
    assert callback["status"] == "dead" and callback["attempts"] == ACTION_CALLBACKS.backoff.max_attempts
    assert "HTTP 503" in callback["last_error"] and "gave up" in callback["last_error"]
    assert send_callback(callback_row(run["id"]).id, now=now + timedelta(days=30)) is None


def test_a_redriven_run_calls_back_again_when_it_ends(harness, receiver, allow_loopback):
    tenant = build_tenant(harness.rt)
    berlin, _ = harness.add_pos(tenant.hub_id, "berlin", reject=True)
    run = act(harness.client, tenant, {"items": [CAESAR], "callback_url": receiver.url})
    harness.drain()
    first = receiver.wait_for(1, timeout=15)
    assert len(first) == 1 and json.loads(first[0].body)["status"] == "failed"
    harness.set_config(berlin, reject=False)
    retried = harness.client.post(f"/v1/actions/{run['id']}/retry", headers=tenant.auth())
    assert retried.status_code == 202
    assert retried.get_json()["callback"]["status"] == "waiting"
    harness.drain()
    got = receiver.wait_for(2, timeout=15)
    assert len(got) == 2 and json.loads(got[1].body)["status"] == "succeeded"


def test_an_idempotency_key_replay_adds_no_second_callback(client, tenant, receiver):
    body = {"items": [CHEESE], "callback_url": receiver.url}
    first = act(client, tenant, body, key="cb-once")
    drain()
    second = act(client, tenant, body, key="cb-once")
    drain()
    assert second["id"] == first["id"]
    assert len(receiver.wait_for(2, timeout=0.3)) == 1
    with get_runtime().db.session() as s:
        assert len(s.scalars(select(ActionCallback).where(ActionCallback.hub_id == tenant.hub_id)).all()) == 1


def test_a_private_callback_url_is_refused_at_its_field(client, tenant):
    response = client.post("/v1/actions/update_menu", headers=tenant.auth(),
                           json={"items": [CAESAR], "callback_url": "http://10.1.2.3/hook"})
    assert response.status_code == 422
    assert [e["path"] for e in response.get_json()["errors"]] == ["/callback_url"]


def test_the_sweep_sends_a_callback_whose_wake_up_was_lost(client, tenant, receiver, monkeypatch):
    monkeypatch.setattr(deliveries_module, "wake_on_commit", lambda *args: None)
    act(client, tenant, {"items": [CAESAR], "callback_url": receiver.url})
    drain()
    assert receiver.wait_for(1, timeout=0.3) == []
    assert any(s.name == "action_callbacks" for s in registered_sweeps())
    rt = get_runtime()
    assert sweep(rt.db, rt.queue, ACTION_CALLBACKS) >= 1
    drain()
    assert len(receiver.wait_for(1)) == 1

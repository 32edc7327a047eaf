"""Hook delivery through real rq workers on Redis (runs when HUB_TEST_REDIS_URL is set)."""

import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from rq import Worker
from rq.job import Job
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from hub import create_app
from hub.hooks.kind import HOOK_DELIVERIES
from hub.models import HookDelivery, utcnow
from hub.runtime import get_runtime
from hub.work.queueing import sweep
from tests.conftest import PG_URL, REDIS_URL, TEST_SECRET, build_tenant, make_settings
from tests.test_hooks_delivery import Receiver, subscribe
from tests.test_triggers_poll import poll, record, sale

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="HUB_TEST_REDIS_URL is not set")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def rq_app(database_urls):
    """The app on PostgreSQL (or SQLite) with rq on Redis as its queue."""
    url = database_urls.get("postgresql", database_urls["sqlite"]) if PG_URL else database_urls["sqlite"]
    return create_app(make_settings(url, redis_url=REDIS_URL))


@pytest.fixture
def rq_worker(rq_app):
    """A real `rq worker hook_deliveries` process, with the settings a deployed worker gets from its
    environment."""
    settings = rq_app.extensions["hub_runtime"].settings
    env = {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": REDIS_URL,
           "HUB_SECRET_KEYS": TEST_SECRET, "HUB_HOOK_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    name = f"hooks-test-{os.getpid()}-{time.monotonic_ns()}"
    # The job modules, database engine (no connection yet) and vault are made before rq forks a work
    # horse per job; without that, every job re-imports Flask, SQLAlchemy and the driver (over a second).
    preload = ("import hub.jobs, hub.hooks.delivery; from hub.runtime import get_runtime; "
               "rt = get_runtime(); rt.db, rt.vault; from rq.cli import main; main()")
    command = [sys.executable, "-c", preload, "worker", "--url", REDIS_URL, "--name", name,
               HOOK_DELIVERIES.queue]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    redis = rq_app.extensions["hub_runtime"].queue.redis
    deadline = time.monotonic() + 20
    while not any(w.name == name for w in Worker.all(connection=redis)):
        assert process.poll() is None and time.monotonic() < deadline, process.stdout.read().decode()
        time.sleep(0.05)
    yield process
    process.terminate()
    process.wait(timeout=20)


def test_an_rq_worker_delivers_a_signed_event_within_a_second(rq_app, rq_worker):
    receiver = Receiver()
    try:
        client = rq_app.test_client()
        tenant = build_tenant(get_runtime())
        hook = subscribe(client, tenant, receiver.url)
        started = time.monotonic()
        record(tenant, sale("RQ-1"))
        got = receiver.wait_for(1, timeout=5)
        assert len(got) == 1 and got[0].at - started < 1.0
        item = Webhook(hook["secret"]).verify(got[0].body, got[0].headers)
        assert item == poll(client, tenant, "new_purchase")[0]
        deadline = time.monotonic() + 5
        while True:
            with get_runtime().db.session() as s:
                status = s.scalar(select(HookDelivery.status)
                                  .where(HookDelivery.subscription_id == hook["id"]))
            if status == "succeeded" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert status == "succeeded"
    finally:
        receiver.close()


BACKLOG = 200


@pytest.fixture
def backlog(rq_app):
    """BACKLOG pending deliveries whose jobs wait in the rq queue (no worker runs); their job ids."""
    queue = rq_app.extensions["hub_runtime"].queue.rq_queue(HOOK_DELIVERIES.queue)
    tenant = build_tenant(get_runtime())
    hook = subscribe(rq_app.test_client(), tenant, "http://127.0.0.1:9/never-called")
    record(tenant, *[sale(f"B-{i}") for i in range(BACKLOG)])
    with get_runtime().db.session() as s:
        ids = s.scalars(select(HookDelivery.id).where(HookDelivery.subscription_id == hook["id"])).all()
    yield [HOOK_DELIVERIES.job_id(delivery_id) for delivery_id in ids]
    queue.empty()


def queued(rq_app, job_ids):
    """How many times each of these job ids sits in the rq queue."""
    queue = rq_app.extensions["hub_runtime"].queue.rq_queue(HOOK_DELIVERIES.queue)
    entries = Counter(entry.decode() for entry in queue.connection.lrange(queue.key, 0, -1))
    return Counter({job: entries[job] for job in job_ids})


def sweep_at(now):
    """Run the sweep as the scheduler would at `now`, past any other test's due deliveries."""
    rt = get_runtime()
    for _ in range(10):
        sweep(rt.db, rt.queue, HOOK_DELIVERIES, now=now)


def test_sweeping_a_backlog_again_and_again_keeps_one_queue_entry_per_delivery(rq_app, backlog):
    assert set(queued(rq_app, backlog).values()) == {1}
    for minutes in (3, 6, 9, 12, 15):
        sweep_at(utcnow() + timedelta(minutes=minutes))
    assert set(queued(rq_app, backlog).values()) == {1}


def test_a_delivery_whose_job_vanished_from_redis_is_queued_again(rq_app, backlog):
    lost = backlog[0]
    queue = rq_app.extensions["hub_runtime"].queue.rq_queue(HOOK_DELIVERIES.queue)
    # What a Redis flush does to this one job: its hash and its queue entry are gone.
    queue.connection.delete(Job.key_for(lost))
    queue.connection.lrem(queue.key, 0, lost)
    sweep_at(utcnow() + timedelta(minutes=3))
    counts = queued(rq_app, backlog)
    assert counts[lost] == 1 and set(counts.values()) == {1}

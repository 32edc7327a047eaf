"""Scaling out by kind of work: each kind's jobs on rq queues of their own, polls one queue per POS type.

The routing and the sweep's waiting check run with any queue; the worker tests start real
`python -m hub worker` processes on Redis (when HUB_TEST_REDIS_URL is set).
"""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from rq.job import Job
from sqlalchemy import select, update

from hub import create_app
from hub.action_callbacks.kind import ACTION_CALLBACKS
from hub.cli import build_parser, worker_queues
from hub.deliveries import ACTION_DELIVERIES
from hub.hooks.kind import HOOK_DELIVERIES
from hub.jobs import InProcessQueue
from hub.models import Connection, utcnow
from hub.polling import POLLS
from hub.runtime import get_runtime
from hub.work.queueing import sweep
from tests.conftest import PG_URL, REDIS_URL, TEST_SECRET, build_tenant, make_settings
from tests.test_work_engine import RecordingQueue

ROOT = Path(__file__).resolve().parent.parent
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="HUB_TEST_REDIS_URL is not set")


def due_connection(rt, connection_type: str) -> str:
    """A connection of this POS type (with no settings: its polls fail at once) whose poll is due now."""
    tenant = build_tenant(rt, connection_type="sandbox", locations=())
    with rt.db.session() as s:
        s.execute(update(Connection).where(Connection.id == tenant.connection_id)
                  .values(type=connection_type, poll_interval_seconds=60, next_poll_at=None))
    return tenant.connection_id


def test_each_kind_declares_a_queue_of_its_own_and_polls_have_one_per_pos_type():
    assert (ACTION_DELIVERIES.queue_for(), HOOK_DELIVERIES.queue_for(), ACTION_CALLBACKS.queue_for()) == (
        "action_deliveries", "hook_deliveries", "action_callbacks")
    assert POLLS.queue_for("byte_fridge") == "polls:byte_fridge"
    everything = worker_queues()
    assert {"polls:byte_fridge", "polls:square", "polls:shopify", "polls:simphony", "action_deliveries",
            "hook_deliveries", "action_callbacks", "order_deliveries", "hub"} <= set(everything)
    assert len(everything) == len(set(everything))


def test_the_worker_command_takes_queues_space_or_comma_separated():
    args = build_parser().parse_args(["worker", "--queues", "polls:byte_fridge,polls:square", "hub"])
    assert args.queues == ["polls:byte_fridge,polls:square", "hub"] and not args.burst
    assert build_parser().parse_args(["worker"]).queues is None


def test_every_procfile_worker_listens_to_queues_the_hub_sends_to():
    procfile = (ROOT / "Procfile").read_text()
    workers = re.findall(r"^(worker\w*): python -m hub worker(.*)$", procfile, re.MULTILINE)
    assert ("worker", "") in workers and ("worker_fridges", " --queues polls:byte_fridge") in workers
    for _, flags in workers:
        args = build_parser().parse_args(["worker", *flags.split()])
        assert set(args.queues or []) <= set(worker_queues())


def test_the_sweep_sends_each_poll_to_the_queue_of_its_connection_type(backend_app):
    rt, queue = get_runtime(), RecordingQueue()
    fridge, square = due_connection(rt, "byte_fridge"), due_connection(rt, "square")
    assert sweep(rt.db, queue, POLLS, only=fridge) == 1
    assert sweep(rt.db, queue, POLLS, only=square) == 1
    assert queue.queues == ["polls:byte_fridge", "polls:square"]
    assert [job_id for _, _, job_id in queue.jobs] == [f"poll-{fridge}", f"poll-{square}"]


def test_in_process_mode_runs_every_kind_on_one_pool_whatever_the_queue(backend_app):
    rt = get_runtime()
    assert isinstance(rt.queue, InProcessQueue)
    sandbox = due_connection(rt, "sandbox")
    assert sweep(rt.db, rt.queue, POLLS, only=sandbox) == 1
    rt.queue.drain()
    with rt.db.session() as s:
        polled = s.execute(select(Connection.claimed_by, Connection.next_poll_at)
                           .where(Connection.id == sandbox)).one()
    assert polled.claimed_by is None and polled.next_poll_at > utcnow()  # polled and released


@pytest.fixture
def rq_runtime(database_urls):
    """The app on PostgreSQL (or SQLite) with rq on Redis, its poll queues emptied of other tests' jobs."""
    url = database_urls.get("postgresql", database_urls["sqlite"]) if PG_URL else database_urls["sqlite"]
    create_app(make_settings(url, redis_url=REDIS_URL))
    rt = get_runtime()
    names = worker_queues()
    for name in names:
        rt.queue.rq_queue(name).empty()
    yield rt
    for name in names:
        rt.queue.rq_queue(name).empty()


def run_worker(rt, *queues: str) -> None:
    """`python -m hub worker --burst [--queues ...]` until its queues are empty, as deployed."""
    env = {**os.environ, "DATABASE_URL": rt.settings.database_url, "REDIS_URL": REDIS_URL,
           "HUB_SECRET_KEYS": TEST_SECRET}
    flags = ["--queues", *queues] if queues else []
    done = subprocess.run([sys.executable, "-m", "hub", "worker", "--burst", *flags], cwd=ROOT, env=env,
                          timeout=120, capture_output=True)
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()


def status(rt, job_id: str) -> tuple[str | None, str | None]:
    """The rq job's status and the queue it was sent to (None, None when it is gone)."""
    found = rt.queue.redis.hmget(Job.key_for(job_id), "status", "origin")
    return tuple(v.decode() if v is not None else None for v in found)


def claimed_by(rt, connection_id: str) -> str | None:
    with rt.db.session() as s:
        return s.scalar(select(Connection.claimed_by).where(Connection.id == connection_id))


@needs_redis
def test_a_fridge_only_worker_runs_fridge_polls_and_leaves_a_square_poll_waiting(rq_runtime):
    rt = rq_runtime
    fridge, square = due_connection(rt, "byte_fridge"), due_connection(rt, "square")
    assert sweep(rt.db, rt.queue, POLLS, only=fridge) == 1 and sweep(rt.db, rt.queue, POLLS, only=square) == 1
    assert status(rt, f"poll-{fridge}") == ("queued", "polls:byte_fridge")
    assert status(rt, f"poll-{square}") == ("queued", "polls:square")

    run_worker(rt, "polls:byte_fridge")
    assert status(rt, f"poll-{fridge}")[0] == "finished" and claimed_by(rt, fridge) is None
    assert status(rt, f"poll-{square}") == ("queued", "polls:square") and claimed_by(rt, square) is not None
    assert rt.queue.rq_queue("polls:square").job_ids == [f"poll-{square}"]


@needs_redis
def test_one_worker_on_every_queue_runs_every_kind(rq_runtime):
    rt = rq_runtime
    fridge, square, sandbox = (due_connection(rt, t) for t in ("byte_fridge", "square", "sandbox"))
    for connection_id in (fridge, square, sandbox):
        assert sweep(rt.db, rt.queue, POLLS, only=connection_id) == 1
    ran: list[str] = []
    rt.queue.enqueue("tests.test_queues_rq.note", "hub", job_id="note-hub")
    for name in ("action_deliveries", "hook_deliveries", "action_callbacks", "order_deliveries"):
        rt.queue.enqueue("tests.test_queues_rq.note", name, job_id=f"note-{name}", queue=name)
        ran.append(f"note-{name}")

    run_worker(rt)  # no --queues: every queue
    for job_id in (*ran, "note-hub", f"poll-{fridge}", f"poll-{square}", f"poll-{sandbox}"):
        assert status(rt, job_id)[0] == "finished", job_id
    assert [claimed_by(rt, c) for c in (fridge, square, sandbox)] == [None, None, None]
    assert all(rt.queue.rq_queue(name).count == 0 for name in worker_queues())


def note(queue_name: str) -> str:
    """A job that only says which queue sent it."""
    return queue_name


@needs_redis
def test_a_poll_waiting_in_its_type_queue_is_not_queued_again_by_the_sweep(rq_runtime):
    rt = rq_runtime
    fridge = due_connection(rt, "byte_fridge")
    assert sweep(rt.db, rt.queue, POLLS, only=fridge) == 1
    token = claimed_by(rt, fridge)
    later = utcnow() + POLLS.lease + timedelta(seconds=1)  # the claim ran out behind a backlog
    assert sweep(rt.db, rt.queue, POLLS, now=later, only=fridge) == 0
    assert rt.queue.rq_queue("polls:byte_fridge").job_ids == [f"poll-{fridge}"]
    assert claimed_by(rt, fridge) == token  # the waiting job keeps its claim


@needs_redis
def test_a_job_waiting_in_another_queue_counts_as_lost_and_is_sent_to_its_own(rq_runtime):
    """A job queued before the queues were split sits in `hub`, where a kind's workers never look."""
    rt = rq_runtime
    fridge = due_connection(rt, "byte_fridge")
    rt.queue.enqueue(POLLS.job, fridge, "old-token", job_id=POLLS.job_id(fridge), queue="hub")
    job_id = POLLS.job_id(fridge)
    assert rt.queue.waiting({job_id: "hub"}) == {job_id}
    assert rt.queue.waiting({job_id: "polls:byte_fridge"}) == set()
    assert sweep(rt.db, rt.queue, POLLS, only=fridge) == 1
    assert status(rt, job_id) == ("queued", "polls:byte_fridge")
    rt.queue.rq_queue("hub").remove(job_id)


@needs_redis
@pytest.mark.parametrize("kind", [ACTION_DELIVERIES, HOOK_DELIVERIES, ACTION_CALLBACKS], ids=lambda k: k.name)
def test_a_task_waiting_in_its_kind_queue_is_found_by_the_waiting_check(rq_runtime, kind):
    rt = rq_runtime
    job_id = kind.job_id("some-item")
    rt.queue.enqueue(kind.job, "some-item", job_id=job_id, queue=kind.queue_for())
    assert status(rt, job_id) == ("queued", kind.queue)
    assert rt.queue.waiting({job_id: kind.queue_for()}) == {job_id}
    assert rt.queue.waiting({job_id: POLLS.queue_for("square")}) == set()

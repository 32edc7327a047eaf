"""`python -m hub worker --no-fork`: jobs run in the worker process (rq's SimpleWorker), timeouts still hold.

Real `python -m hub worker --burst --no-fork` processes on Redis (when HUB_TEST_REDIS_URL is set).
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq.job import Job

from hub import create_app
from hub.cli import build_parser, worker_queues
from hub.jobs import run_job
from hub.polling import POLLS
from hub.runtime import get_runtime
from hub.work.queueing import sweep
from tests.conftest import PG_URL, REDIS_URL, TEST_SECRET, make_settings
from tests.test_queues_rq import claimed_by, due_connection, status

ROOT = Path(__file__).resolve().parent.parent
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="HUB_TEST_REDIS_URL is not set")


@pytest.fixture
def rq_runtime(database_urls):
    """The app on PostgreSQL (or SQLite) with rq on Redis, its queues emptied of other tests' jobs."""
    url = database_urls.get("postgresql", database_urls["sqlite"]) if PG_URL else database_urls["sqlite"]
    create_app(make_settings(url, redis_url=REDIS_URL))
    rt = get_runtime()
    for name in worker_queues():
        rt.queue.rq_queue(name).empty()
    yield rt
    for name in worker_queues():
        rt.queue.rq_queue(name).empty()


def run_no_fork_worker(rt, *queues: str) -> int:
    """`python -m hub worker --burst --no-fork --queues ...` until its queues are empty; its pid."""
    env = {**os.environ, "DATABASE_URL": rt.settings.database_url, "REDIS_URL": REDIS_URL,
           "HUB_SECRET_KEYS": TEST_SECRET}
    worker = subprocess.Popen([sys.executable, "-m", "hub", "worker", "--burst", "--no-fork",
                               "--queues", *queues], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    out, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, out.decode()
    return worker.pid


def pid() -> int:
    """A job answering the pid of the process that ran it."""
    return os.getpid()


def nap(seconds: float) -> str:
    """A job that outlives a short job timeout."""
    time.sleep(seconds)
    return "woke"


def test_no_fork_is_a_flag_of_the_worker_command():
    assert build_parser().parse_args(["worker", "--no-fork", "--queues", "hook_deliveries"]).no_fork
    assert not build_parser().parse_args(["worker"]).no_fork


def test_the_procfile_runs_hook_and_push_workers_without_forking_and_the_catch_all_worker_forking():
    procfile = (ROOT / "Procfile").read_text()
    workers = dict(re.findall(r"^(worker\w*): python -m hub worker(.*)$", procfile, re.MULTILINE))
    for name in ("worker_hooks", "worker_pushes"):
        assert "--no-fork" in workers[name].split(), name
    assert "--no-fork" not in workers["worker"].split()


@needs_redis
def test_a_no_fork_worker_runs_a_real_poll_in_its_own_process(rq_runtime):
    rt = rq_runtime
    fridge = due_connection(rt, "byte_fridge")
    assert sweep(rt.db, rt.queue, POLLS, only=fridge) == 1
    rt.queue.enqueue("tests.test_worker_no_fork.pid", job_id="no-fork-pid", queue="polls:byte_fridge")

    worker_pid = run_no_fork_worker(rt, "polls:byte_fridge")
    assert status(rt, f"poll-{fridge}")[0] == "finished" and claimed_by(rt, fridge) is None
    job = Job.fetch("no-fork-pid", connection=rt.queue.redis)
    assert job.return_value() == worker_pid  # no work horse: the job ran in the worker itself


@needs_redis
def test_a_no_fork_worker_still_stops_a_job_at_its_timeout_and_goes_on_with_the_next(rq_runtime):
    rt = rq_runtime
    queue = rt.queue.rq_queue("hook_deliveries")
    queue.enqueue(run_job, "tests.test_worker_no_fork.nap", 30, job_id="no-fork-nap", job_timeout=1,
                  result_ttl=60, failure_ttl=60)
    rt.queue.enqueue("tests.test_worker_no_fork.pid", job_id="no-fork-after", queue="hook_deliveries")

    started = time.monotonic()
    run_no_fork_worker(rt, "hook_deliveries")
    assert time.monotonic() - started < 20  # not the 30 s nap
    napped = Job.fetch("no-fork-nap", connection=rt.queue.redis)
    assert napped.get_status() == "failed"
    assert "JobTimeoutException" in (napped.latest_result().exc_string or "")
    assert status(rt, "no-fork-after")[0] == "finished"

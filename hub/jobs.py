"""The job queue: rq on Redis when REDIS_URL is set, an in-process thread pool otherwise.

Jobs are named by import path ("hub.some_module.function") and take JSON-able
arguments, so the same functions run under either queue. The database is the
record of work: a job only carries an id, and losing it (Redis flushed, worker
killed) is repaired by the sweeps that re-enqueue due work from the database.

Each kind of work has rq queues of its own (its kind declares the name), so each can be scaled
on its own: `polls:<connector type>` (e.g. `polls:byte_fridge`), `action_deliveries`,
`hook_deliveries`, `action_callbacks`, and `order_deliveries` (reserved). rq queue names are
free text (a Redis key suffix; only "," separates names in a worker's record), so ":" is safe.
`hub` is the default queue, for a job sent without a kind and for jobs queued before the split.
The in-process pool has one pool for every queue.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, Protocol

from hub.config import Settings
from hub.logs import carried_context, job_context

log = logging.getLogger(__name__)

QUEUE_NAME = "hub"  # the default queue (every worker that is not told otherwise listens to it too)
ACTION_DELIVERIES_QUEUE = "action_deliveries"
HOOK_DELIVERIES_QUEUE = "hook_deliveries"
ACTION_CALLBACKS_QUEUE = "action_callbacks"
ORDER_DELIVERIES_QUEUE = "order_deliveries"  # reserved for order deliveries to come
POLLS_QUEUE = "polls"  # the prefix of the per connector type queues
# Prepended to every rq queue name: lets tests (or two deployments sharing one Redis) keep their queues apart.
QUEUE_PREFIX = ""


def polls_queue(connector_type: str) -> str:
    """The queue of the polls of one connector type, e.g. polls:byte_fridge."""
    return f"{POLLS_QUEUE}:{connector_type}"

# rq job states in which a job has yet to run: enqueueing its id again only adds a duplicate entry.
WAITING_STATES = frozenset({"queued", "deferred", "scheduled"})


def resolve(func_path: str) -> Any:
    """The function named by a dotted import path."""
    module_name, _, attr = func_path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def run_job(func_path: str, *args: Any) -> Any:
    """Run a job by name (the entry point rq workers and the in-process pool both call).

    Under rq, the job's log lines carry its rq job id and the request id (and hub) its enqueuer put in
    the job's meta; the in-process pool sets that context itself."""
    job = _current_rq_job()
    if job is None:
        return resolve(func_path)(*args)
    with job_context(job.id, job.meta.get("log_context")):
        return resolve(func_path)(*args)


def _current_rq_job() -> Any:
    """The rq job running in this thread, if any (rq is not imported where it is not used)."""
    if "rq" not in sys.modules:
        return None
    from rq import get_current_job

    return get_current_job()


class JobQueue(Protocol):
    """Where work is sent."""

    def enqueue(self, func_path: str, *args: Any, job_id: str | None = None, queue: str = QUEUE_NAME) -> None:
        """Run func_path(*args) soon, once per live job_id, by a worker listening to `queue`."""

    def ping(self) -> bool:
        """True when the queue's backend answers."""

    def waiting(self, jobs: Mapping[str, str]) -> set[str]:
        """Those of the jobs (job id: the queue it was sent to) still queued there and not started yet."""


class InProcessQueue:
    """A thread pool in this process: the embedded default, no Redis needed."""

    def __init__(self, workers: int = 4) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hub-job")
        self._lock = threading.Lock()
        self._live: dict[str, Future] = {}
        self._futures: set[Future] = set()

    def enqueue(self, func_path: str, *args: Any, job_id: str | None = None, queue: str = QUEUE_NAME) -> None:
        """Submit the job unless a job with this id is already queued or running (one pool, every queue)."""
        with self._lock:
            if job_id and job_id in self._live and not self._live[job_id].done():
                return
            future = self._executor.submit(self._run, func_path, args, job_id, carried_context())
            self._futures.add(future)
            if job_id:
                self._live[job_id] = future
        future.add_done_callback(lambda f: self._forget(f, job_id))

    def _forget(self, future: Future, job_id: str | None) -> None:
        with self._lock:
            self._futures.discard(future)
            if job_id and self._live.get(job_id) is future:
                del self._live[job_id]

    def waiting(self, jobs: Mapping[str, str]) -> set[str]:
        """Those of the jobs submitted and not yet started."""
        with self._lock:
            live = {job_id: self._live.get(job_id) for job_id in jobs}
        return {job_id for job_id, future in live.items()
                if future is not None and not future.running() and not future.done()}

    @staticmethod
    def _run(func_path: str, args: tuple[Any, ...], job_id: str | None, carried: Mapping[str, str]) -> None:
        with job_context(job_id, carried):  # its log lines carry the enqueuing request's id
            try:
                run_job(func_path, *args)
            except Exception:  # noqa: BLE001 - a failed job is logged; the database keeps its state
                log.exception("job %s%r failed", func_path, args)

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every submitted job (and the jobs they submit) has finished."""
        for _ in range(100):
            with self._lock:
                pending = set(self._futures)
            if not pending:
                return
            wait(pending, timeout=timeout)

    def ping(self) -> bool:
        """Always available."""
        return True

    def shutdown(self) -> None:
        """Stop the pool after the running jobs finish."""
        self._executor.shutdown(wait=True)


class RqQueue:
    """rq on Redis: jobs run in `python -m hub worker` processes, each kind's jobs on its own queue."""

    def __init__(self, redis_url: str, prefix: str | None = None) -> None:
        from redis import Redis

        self.redis = Redis.from_url(redis_url)
        self.prefix = QUEUE_PREFIX if prefix is None else prefix
        self._queues: dict[str, Any] = {}

    def rq_queue(self, name: str = QUEUE_NAME) -> Any:
        """The rq Queue of this name (with this queue's prefix)."""
        from rq import Queue

        full = self.prefix + name
        if full not in self._queues:
            self._queues[full] = Queue(full, connection=self.redis)
        return self._queues[full]

    def enqueue(self, func_path: str, *args: Any, job_id: str | None = None, queue: str = QUEUE_NAME) -> None:
        """Queue the job; a Redis outage is logged, and the database sweep re-enqueues it later."""
        try:
            carried = carried_context()  # the job's log lines carry the enqueuing request's id (run_job)
            self.rq_queue(queue).enqueue(run_job, func_path, *args, job_id=job_id, result_ttl=60,
                                         failure_ttl=86400, job_timeout=300,
                                         meta={"log_context": carried} if carried else None)
        except Exception:  # noqa: BLE001
            log.warning("could not enqueue %s%r; the sweep will retry", func_path, args, exc_info=True)

    def waiting(self, jobs: Mapping[str, str]) -> set[str]:
        """Those of the jobs whose rq job is still to run in the queue it is now sent to, asked in one round
        trip; none when Redis fails. A job waiting in another queue (sent before the queues were split, or
        before its connection changed type) may have no worker there, so it counts as lost."""
        from rq.job import Job

        ids = list(jobs)
        try:
            pipe = self.redis.pipeline(transaction=False)
            for job_id in ids:
                pipe.hmget(Job.key_for(job_id), "status", "origin")
            found = pipe.execute()
        except Exception:  # noqa: BLE001 - then every job counts as lost, and the enqueue logs the outage
            return set()
        return {job_id for job_id, (status, origin) in zip(ids, found, strict=True)
                if status is not None and status.decode() in WAITING_STATES
                and origin is not None and origin.decode() == self.prefix + jobs[job_id]}

    def ping(self) -> bool:
        """True when Redis answers."""
        try:
            return bool(self.redis.ping())
        except Exception:  # noqa: BLE001
            return False


def make_queue(settings: Settings) -> JobQueue:
    """rq when REDIS_URL is set, the in-process pool otherwise."""
    if settings.redis_url:
        return RqQueue(settings.redis_url)
    return InProcessQueue()

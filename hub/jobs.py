"""The job queue: rq on Redis when REDIS_URL is set, an in-process thread pool otherwise.

Jobs are named by import path ("hub.some_module.function") and take JSON-able
arguments, so the same functions run under either queue. The database is the
record of work: a job only carries an id, and losing it (Redis flushed, worker
killed) is repaired by the sweeps that re-enqueue due work from the database.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, Protocol

from hub.config import Settings

log = logging.getLogger(__name__)

QUEUE_NAME = "hub"
# rq job states in which a job has yet to run: enqueueing its id again only adds a duplicate entry.
WAITING_STATES = frozenset({"queued", "deferred", "scheduled"})


def resolve(func_path: str) -> Any:
    """The function named by a dotted import path."""
    module_name, _, attr = func_path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def run_job(func_path: str, *args: Any) -> Any:
    """Run a job by name (the entry point rq workers and the in-process pool both call)."""
    return resolve(func_path)(*args)


class JobQueue(Protocol):
    """Where work is sent."""

    def enqueue(self, func_path: str, *args: Any, job_id: str | None = None) -> None:
        """Run func_path(*args) soon, once per live job_id."""

    def ping(self) -> bool:
        """True when the queue's backend answers."""

    def waiting(self, job_ids: Iterable[str]) -> set[str]:
        """Those of job_ids whose job is queued and has not started yet."""


class InProcessQueue:
    """A thread pool in this process: the embedded default, no Redis needed."""

    def __init__(self, workers: int = 4) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hub-job")
        self._lock = threading.Lock()
        self._live: dict[str, Future] = {}
        self._futures: set[Future] = set()

    def enqueue(self, func_path: str, *args: Any, job_id: str | None = None) -> None:
        """Submit the job unless a job with this id is already queued or running."""
        with self._lock:
            if job_id and job_id in self._live and not self._live[job_id].done():
                return
            future = self._executor.submit(self._run, func_path, args)
            self._futures.add(future)
            if job_id:
                self._live[job_id] = future
        future.add_done_callback(lambda f: self._forget(f, job_id))

    def _forget(self, future: Future, job_id: str | None) -> None:
        with self._lock:
            self._futures.discard(future)
            if job_id and self._live.get(job_id) is future:
                del self._live[job_id]

    def waiting(self, job_ids: Iterable[str]) -> set[str]:
        """Those of job_ids submitted and not yet started."""
        with self._lock:
            live = {job_id: self._live.get(job_id) for job_id in job_ids}
        return {job_id for job_id, future in live.items()
                if future is not None and not future.running() and not future.done()}

    @staticmethod
    def _run(func_path: str, args: tuple[Any, ...]) -> None:
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
    """rq on Redis: jobs run in `rq worker hub` processes."""

    def __init__(self, redis_url: str) -> None:
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url)
        self.queue = Queue(QUEUE_NAME, connection=self.redis)

    def enqueue(self, func_path: str, *args: Any, job_id: str | None = None) -> None:
        """Queue the job; a Redis outage is logged, and the database sweep re-enqueues it later."""
        try:
            self.queue.enqueue(run_job, func_path, *args, job_id=job_id, result_ttl=60,
                               failure_ttl=86400, job_timeout=300)
        except Exception:  # noqa: BLE001
            log.warning("could not enqueue %s%r; the sweep will retry", func_path, args, exc_info=True)

    def waiting(self, job_ids: Iterable[str]) -> set[str]:
        """Those of job_ids whose rq job is still to run, asked in one round trip; none when Redis fails."""
        from rq.job import Job

        ids = list(job_ids)
        try:
            pipe = self.redis.pipeline(transaction=False)
            for job_id in ids:
                pipe.hget(Job.key_for(job_id), "status")
            statuses = pipe.execute()
        except Exception:  # noqa: BLE001 - then every job counts as lost, and the enqueue logs the outage
            return set()
        return {job_id for job_id, status in zip(ids, statuses, strict=True)
                if status is not None and status.decode() in WAITING_STATES}

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

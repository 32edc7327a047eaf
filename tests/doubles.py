"""A recording POS: a test double of the connector interface that logs every push to a file.

The log (one JSON line per call) lets a test count POS calls made by any process, including
rq workers. Its settings script failures: `fail_times` transient 500s first, `reject` answers
401, `block_until` holds each push until that file exists (to kill a worker mid-call). Like a
POS that honours idempotency keys, it applies a repeated key only once.

Run `python -m tests.doubles worker ...` to start an rq worker that knows this connector.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from hub.connectors.base import Capability, Connector, ConnectorError, CouponData, ErrorKind, MenuItemData

ROOT = Path(__file__).resolve().parent.parent


class RecordingConnector(Connector):
    """Accepts menu and coupon pushes and writes each call to the file in config["log"]."""

    type = "recording"
    title = "Recording test POS"
    capabilities = frozenset({Capability.TEST, Capability.PUSH_MENU, Capability.PUSH_COUPONS})
    default_poll_interval_seconds = None
    settings_schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["log"],
        "properties": {
            "log": {"type": "string"},
            "fail_times": {"type": "integer", "minimum": 0},
            "reject": {"type": "boolean"},
            "block_until": {"type": "string"},
        },
    }

    def test_connection(self) -> None:
        """Always reachable."""

    def push_menu(self, items: list[MenuItemData], idempotency_key: str) -> None:
        """Record a menu push."""
        self._call("push_menu", [asdict(item) for item in items], idempotency_key)

    def push_coupons(self, coupons: list[CouponData], idempotency_key: str) -> None:
        """Record a coupon push."""
        self._call("push_coupons", [asdict(c) for c in coupons], idempotency_key)

    def _call(self, op: str, records: list[dict[str, Any]], key: str) -> None:
        log = Path(self.config["log"])
        calls = read_calls(log)
        if self.config.get("reject"):
            _append(log, op, key, records, "rejected")
            raise ConnectorError(ErrorKind.PERMANENT, "HTTP 401: invalid access token", status=401)
        if sum(1 for c in calls if c["outcome"] == "failed") < self.config.get("fail_times", 0):
            _append(log, op, key, records, "failed")
            raise ConnectorError(ErrorKind.TRANSIENT, "HTTP 500: internal server error", status=500)
        gate = self.config.get("block_until")
        if gate and not Path(gate).exists():
            _append(log, op, key, records, "blocked")
            while not Path(gate).exists():
                time.sleep(0.05)
        if any(c["outcome"] == "applied" and c["key"] == key for c in calls):
            _append(log, op, key, records, "replayed")
            return
        _append(log, op, key, records, "applied")


def _append(log: Path, op: str, key: str, records: list[dict[str, Any]], outcome: str) -> None:
    line = json.dumps({"op": op, "key": key, "records": records, "outcome": outcome, "pid": os.getpid()},
                      default=str)
    with log.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def read_calls(log: Path) -> list[dict[str, Any]]:
    """Every call logged so far."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


def applied(log: Path) -> list[dict[str, Any]]:
    """The calls the POS applied (changed its state)."""
    return [c for c in read_calls(log) if c["outcome"] == "applied"]


def register() -> None:
    """Make the recording connector available to build_connector in this process."""
    from hub import connectors

    if RecordingConnector not in connectors.CONNECTORS:
        connectors.CONNECTORS.append(RecordingConnector)


class Harness:
    """An app whose delivery jobs run in-process or in rq worker subprocesses, and its recording POSes."""

    def __init__(self, rt: Any, client: Any, mode: str, tmp: Path, prefix: str | None = None) -> None:
        self.rt, self.client, self.mode, self.tmp, self.prefix = rt, client, mode, tmp, prefix
        self._workers: list[subprocess.Popen] = []

    def add_pos(self, hub_id: str, name: str, **config: Any) -> tuple[str, Path]:
        """A recording connection with one location; returns its id and its call log."""
        from hub.admin import add_connection, add_location

        log = self.tmp / f"{name}.jsonl"
        with self.rt.db.session() as session:
            con = add_connection(session, self.rt.vault, hub_id, "recording", name,
                                 {"log": str(log), **config})
            add_location(session, hub_id, con.id, f"{name}-store", f"{name} store")
            return con.id, log

    def set_config(self, connection_id: str, **config: Any) -> None:
        """Change a connection's settings (e.g. fix its credentials)."""
        from hub.models import Connection

        with self.rt.db.session() as session:
            con = session.get(Connection, connection_id)
            con.config = {**con.config, **config}

    def worker_env(self) -> dict[str, str]:
        """The environment of an rq worker subprocess: same database, Redis and secret."""
        from tests.conftest import TEST_SECRET

        settings = self.rt.settings
        return {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url or "",
                "HUB_SECRET_KEYS": TEST_SECRET, "HUB_TEST_RQ_PREFIX": self.prefix or ""}

    def queues(self) -> list[str]:
        """Every queue a default `python -m hub worker` listens to (before this harness's prefix)."""
        from hub.cli import worker_queues

        return worker_queues()

    def worker_command(self, *flags: str) -> list[str]:
        """`rq worker` on every one of this harness's queues, knowing the recording connector."""
        return [sys.executable, "-m", "tests.doubles", "worker", *flags, "--url", self.rt.settings.redis_url,
                *((self.prefix or "") + name for name in self.queues())]

    def drain(self) -> None:
        """Run every queued job to its end (in-process pool, or an rq burst worker)."""
        if self.mode == "inprocess":
            self.rt.queue.drain()
            return
        subprocess.run(self.worker_command("--burst"), env=self.worker_env(), cwd=ROOT, timeout=120,
                       check=True, capture_output=True)

    def start_worker(self) -> subprocess.Popen:
        """A long-running rq worker in a process group of its own (so it can be killed whole)."""
        worker = subprocess.Popen(self.worker_command(), env=self.worker_env(), cwd=ROOT,
                                  start_new_session=True, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        self._workers.append(worker)
        return worker

    def sweep(self) -> int:
        """One run of the delivery sweep."""
        from hub.deliveries import ACTION_DELIVERIES
        from hub.work.queueing import sweep

        return sweep(self.rt.db, self.rt.queue, ACTION_DELIVERIES)

    def time_passes(self, hub_id: str, seconds: float) -> None:
        """Move the hub's delivery timestamps into the past, as if `seconds` had gone by."""
        from sqlalchemy import select

        from hub.models import Delivery

        shift = timedelta(seconds=seconds)
        with self.rt.db.session() as session:
            for delivery in session.scalars(select(Delivery).where(Delivery.hub_id == hub_id)):
                for column in ("next_attempt_at", "enqueued_at", "leased_until"):
                    if getattr(delivery, column) is not None:
                        setattr(delivery, column, getattr(delivery, column) - shift)

    def close(self) -> None:
        """Stop any worker still running and let in-process jobs finish."""
        for worker in self._workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        if self.mode == "inprocess":
            self.rt.queue.drain()


if __name__ == "__main__":
    register()
    # Jobs a job enqueues (a delivery waking its run's callback) go to the harness's own queues too.
    from hub import jobs

    jobs.QUEUE_PREFIX = os.environ.get("HUB_TEST_RQ_PREFIX", jobs.QUEUE_PREFIX)
    from rq.cli import main

    sys.exit(main(sys.argv[1:]))

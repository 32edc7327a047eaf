"""The scheduler process: runs each periodic sweep when it is due.

Sweeps claim their work in the database, so several scheduler processes may
run at once without doing anything twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hub.action_callbacks.kind import ACTION_CALLBACKS
from hub.deliveries import ACTION_DELIVERIES
from hub.hooks.kind import HOOK_DELIVERIES
from hub.orders.delivery import ORDER_DELIVERIES
from hub.polling import POLLS
from hub.presence import sweep_offline
from hub.retention import run_retention
from hub.runtime import Runtime
from hub.work import queueing
from hub.work.kind import WorkKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    """A periodic task and how often it runs."""

    name: str
    every_seconds: float
    run: Callable[[Runtime], object]


def _queueing(kind: WorkKind) -> Callable[[Runtime], int]:
    """The work engine's sweep of one kind: queue what came due and what was lost."""
    return lambda rt: queueing.sweep(rt.db, rt.queue, kind)


def registered_sweeps() -> list[Sweep]:
    """The explicit list of sweeps the scheduler runs."""
    return [
        Sweep("offline", 10, lambda rt: sweep_offline(rt.db)),
        Sweep("hook_deliveries", 5, _queueing(HOOK_DELIVERIES)),
        Sweep("polls", 2, _queueing(POLLS)),
        Sweep("deliveries", 5, _queueing(ACTION_DELIVERIES)),
        Sweep("action_callbacks", 5, _queueing(ACTION_CALLBACKS)),
        Sweep("order_deliveries", 2, _queueing(ORDER_DELIVERIES)),
        # Old rows of every kind (idempotency records and callback event ids included), in batches
        # within a short time budget per run (hub.retention).
        Sweep("retention", 30, lambda rt: run_retention(rt.db, rt.settings)),
    ]


def run_due(rt: Runtime, last_run: dict[str, float], now: float | None = None) -> None:
    """Run every sweep whose interval has passed; one failing sweep does not stop the others."""
    now = time.monotonic() if now is None else now
    for sweep in registered_sweeps():
        if now - last_run.get(sweep.name, float("-inf")) < sweep.every_seconds:
            continue
        last_run[sweep.name] = now
        try:
            sweep.run(rt)
        except Exception:  # noqa: BLE001 - logged; the next tick retries
            log.exception("sweep %s failed", sweep.name)


def run_forever(rt: Runtime, stop: threading.Event | None = None, tick_seconds: float = 1.0) -> None:
    """Loop until stopped, running due sweeps every tick."""
    stop = stop or threading.Event()
    last_run: dict[str, float] = {}
    log.info("scheduler started")
    while not stop.is_set():
        run_due(rt, last_run)
        stop.wait(tick_seconds)

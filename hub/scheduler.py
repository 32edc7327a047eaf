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

from hub.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    """A periodic task and how often it runs."""

    name: str
    every_seconds: float
    run: Callable[[Runtime], object]


def registered_sweeps() -> list[Sweep]:
    """The explicit list of sweeps the scheduler runs."""
    from hub.callbacks import purge_old_callback_events
    from hub.deliveries import sweep_deliveries
    from hub.hooks.sweep import sweep_hook_deliveries
    from hub.idempotency import purge_expired
    from hub.polling import schedule_due_polls
    from hub.presence import sweep_offline

    return [
        Sweep("offline", 10, lambda rt: sweep_offline(rt.db)),
        Sweep("hook_deliveries", 5, lambda rt: sweep_hook_deliveries(rt.db)),
        Sweep("polls", 2, schedule_due_polls),
        Sweep("deliveries", 5, sweep_deliveries),
        Sweep("idempotency_keys", 3600, lambda rt: purge_expired(rt.db)),
        Sweep("callback_events", 3600, lambda rt: purge_old_callback_events(rt.db)),
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

"""The process's shared services (settings, database, vault, job queue) and the listeners wired to them."""

from __future__ import annotations

import threading
from functools import cached_property

from sqlalchemy.orm import Session

from hub.config import Settings
from hub.crypto import Vault
from hub.db import Database, get_database
from hub.events import listen
from hub.hooks.outbox import record_deliveries
from hub.jobs import JobQueue, make_queue
from hub.models import Event


class Runtime:
    """Everything a request handler, job or scheduler tick needs, built lazily from settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Every process builds a runtime, so in every process new events become hook deliveries.
        listen(_record_hook_deliveries)

    @cached_property
    def db(self) -> Database:
        """The database."""
        return get_database(self.settings.database_url)

    @cached_property
    def vault(self) -> Vault:
        """Encryption of credentials and secrets."""
        return Vault.from_settings(self.settings)

    @cached_property
    def queue(self) -> JobQueue:
        """The job queue: rq when REDIS_URL is set, in-process otherwise."""
        return make_queue(self.settings)

    @cached_property
    def redis(self):  # noqa: ANN201
        """A Redis client when REDIS_URL is set, else None."""
        if not self.settings.redis_url:
            return None
        from redis import Redis

        return Redis.from_url(self.settings.redis_url)


def _record_hook_deliveries(session: Session, event: Event) -> None:
    """The hook outbox, its jobs queued on this process's queue once the event commits."""
    record_deliveries(session, event, get_runtime().queue)


_lock = threading.Lock()
_current: Runtime | None = None


def set_runtime(runtime: Runtime) -> Runtime:
    """Make this the process's runtime (the app factory and workers call it)."""
    global _current
    with _lock:
        _current = runtime
    return runtime


def get_runtime() -> Runtime:
    """The process's runtime; built from the environment on first use (e.g. in an rq worker)."""
    global _current
    with _lock:
        if _current is None:
            _current = Runtime(Settings.from_env())
        return _current

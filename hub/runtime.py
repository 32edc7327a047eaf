"""The process's shared services: settings, database, vault and job queue."""

from __future__ import annotations

import threading
from functools import cached_property

from hub.config import Settings
from hub.crypto import Vault
from hub.db import Database, get_database


class Runtime:
    """Everything a request handler, job or scheduler tick needs, built lazily from settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def db(self) -> Database:
        """The database."""
        return get_database(self.settings.database_url)

    @cached_property
    def vault(self) -> Vault:
        """Encryption of credentials and secrets."""
        return Vault.from_settings(self.settings)

    @cached_property
    def queue(self):  # noqa: ANN201 - JobQueue, imported lazily to avoid a cycle
        """The job queue: rq when REDIS_URL is set, in-process otherwise."""
        from hub.jobs import make_queue

        return make_queue(self.settings)

    @cached_property
    def redis(self):  # noqa: ANN201
        """A Redis client when REDIS_URL is set, else None."""
        if not self.settings.redis_url:
            return None
        from redis import Redis

        return Redis.from_url(self.settings.redis_url)


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

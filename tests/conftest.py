"""Shared fixtures: migrated databases (SQLite always, PostgreSQL when HUB_TEST_DATABASE_URL is set),
an app per test, and a factory of hubs with keys so that every test works in a tenant of its own."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from hub import create_app
from hub.admin import add_connection, add_location, create_hub
from hub.config import Settings
from hub.db import dispose_all, get_database
from hub.keys import issue_key
from hub.migrate import upgrade
from hub.runtime import Runtime, get_runtime

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL")
TEST_SECRET = Fernet.generate_key().decode()
T = TypeVar("T")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _run_schema_url(base_url: str, schema: str) -> str:
    """The PostgreSQL URL with a search_path of this run's own schema."""
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory):
    """One migrated database per backend for the whole run; tests isolate by hub, not by database.

    On PostgreSQL each run gets a schema of its own, so two runs on one server never meet.
    """
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'hub.db'}"}
    schema = f"hubtest_{os.getpid()}_{secrets.token_hex(3)}"
    if PG_URL:
        with get_database(PG_URL).engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        urls["postgresql"] = _run_schema_url(PG_URL, schema)
    for url in urls.values():
        upgrade(url)
    yield urls
    if PG_URL:
        dispose_all()
        with get_database(PG_URL).engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Test settings: a fixed encryption key, loopback hooks allowed, a generous rate limit."""
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_keys": (TEST_SECRET,),
        "hook_allowed_hosts": ("127.0.0.1", "localhost"),
        "rate_limit_per_minute": 100_000,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_urls: dict[str, str]) -> Settings:
    """Settings on the embedded SQLite database."""
    return make_settings(database_urls["sqlite"])


@pytest.fixture(params=BACKENDS)
def backend_settings(request: pytest.FixtureRequest, database_urls: dict[str, str]) -> Settings:
    """Settings on each backend in turn: SQLite, and PostgreSQL when configured."""
    return make_settings(database_urls[request.param])


def _app_for(settings: Settings):
    app = create_app(settings)
    yield app
    queue = app.extensions["hub_runtime"].__dict__.get("queue")
    if queue is not None and hasattr(queue, "drain"):
        queue.drain()


@pytest.fixture
def app(settings: Settings):
    """The web app on SQLite with the in-process job queue."""
    yield from _app_for(settings)


@pytest.fixture
def backend_app(backend_settings: Settings):
    """The web app on each backend."""
    yield from _app_for(backend_settings)


@pytest.fixture
def client(app):
    """A test client of the SQLite app."""
    return app.test_client()


@pytest.fixture
def backend_client(backend_app):
    """A test client of the app on each backend."""
    return backend_app.test_client()


def run_concurrently(count: int, fn: Callable[[], T]) -> list[T]:
    """Run fn in `count` threads released together by a barrier; their results, or the first error."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            barrier.wait()
            results.append(fn())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


@dataclass
class Tenant:
    """A hub made for one test, with a key of each scope and a sandbox connection."""

    hub_id: str
    connection_id: str
    location_ids: list[str]
    automation_key: str
    admin_key: str
    pos_key: str
    keys: dict[str, str] = field(default_factory=dict)

    def auth(self, scope: str = "automation") -> dict[str, str]:
        """Headers for a key of this scope."""
        key = {"automation": self.automation_key, "admin": self.admin_key, "pos": self.pos_key}[scope]
        return {"Authorization": f"Bearer {key}"}


def build_tenant(rt: Runtime, name: str = "Test hub", connection_type: str = "push",
                 config: dict | None = None, credentials: dict | None = None,
                 locations: tuple[tuple[str, str], ...] = (("fridge-1", "Lobby fridge"),
                                                          ("fridge-2", "Gym fridge"))) -> Tenant:
    """Create a hub, one connection with locations, and one key of each scope."""
    with rt.db.session() as s:
        hub = create_hub(s, name)
        con = add_connection(s, rt.vault, hub.id, connection_type, f"{name} POS", config or {},
                             credentials or {})
        locs = [add_location(s, hub.id, con.id, ext, loc_name).id for ext, loc_name in locations]
        return Tenant(
            hub_id=hub.id, connection_id=con.id, location_ids=locs,
            automation_key=issue_key(s, hub.id, "automation").key,
            admin_key=issue_key(s, hub.id, "admin").key,
            pos_key=issue_key(s, hub.id, "pos", con.id).key,
        )


@pytest.fixture
def tenant(app) -> Tenant:
    """A fresh hub on the SQLite app."""
    return build_tenant(get_runtime())


@pytest.fixture
def other_tenant(app) -> Tenant:
    """A second hub, to check isolation."""
    return build_tenant(get_runtime(), name="Other hub")


@pytest.fixture
def backend_tenant(backend_app) -> Tenant:
    """A fresh hub on each backend."""
    return build_tenant(get_runtime())

"""The production shape, end to end over HTTP: gunicorn, two `python -m hub worker` (rq) processes
and a `python -m hub scheduler`, sharing nothing but PostgreSQL and Redis.

Runs when HUB_TEST_DATABASE_URL and HUB_TEST_REDIS_URL are set (as in CI); it uses a schema
of its own so its scheduler never touches the other tests' connections.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from standardwebhooks.webhooks import Webhook

from hub.config import Settings
from hub.db import normalize_url
from hub.migrate import upgrade
from hub.runtime import Runtime, set_runtime
from tests.conftest import PG_URL, REDIS_URL, TEST_SECRET, build_tenant
from tests.test_hooks_delivery import Receiver

pytestmark = pytest.mark.skipif(not (PG_URL and REDIS_URL), reason="needs real PostgreSQL and Redis")
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FLEET = {"locations": [{"external_id": "fridge-lobby", "name": "Lobby fridge"}]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def own_schema():
    """A PostgreSQL schema for this test alone, migrated; dropped afterwards."""
    schema = f"prodshape_{secrets.token_hex(4)}"
    admin = create_engine(normalize_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def processes(own_schema, tmp_path):
    """The Procfile's processes (web with two gunicorn workers, two rq workers, one scheduler)."""
    port = _free_port()
    queue_db = REDIS_URL
    env = {**os.environ, "DATABASE_URL": own_schema, "REDIS_URL": queue_db, "HUB_SECRET_KEYS": TEST_SECRET,
           "HUB_HOOK_ALLOWED_HOSTS": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
    commands = [
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "wsgi:app"],
        [sys.executable, "-m", "hub", "worker"],
        [sys.executable, "-m", "hub", "worker"],
        [sys.executable, "-m", "hub", "scheduler"],
    ]
    logs = [open(tmp_path / f"process-{i}.log", "wb") for i in range(len(commands))]  # noqa: SIM115
    started = [subprocess.Popen(c, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True) for c, log in zip(commands, logs, strict=True)]
    base = f"http://127.0.0.1:{port}"

    def healthy():
        try:
            return requests.get(f"{base}/healthz", timeout=1).status_code == 200
        except requests.RequestException:  # not listening yet, or still booting its workers
            return False

    try:
        _wait(healthy, 30, "gunicorn to answer /healthz")
        yield base
    finally:
        for process in started:
            os.killpg(process.pid, signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for log in logs:
            log.close()


def test_a_sale_at_a_fridge_reaches_the_poll_and_a_signed_hook_through_every_process(own_schema, processes):
    rt = set_runtime(Runtime(Settings(database_url=own_schema, secret_keys=(TEST_SECRET,))))
    tenant = build_tenant(rt, connection_type="sandbox", config=FLEET,
                          locations=(("fridge-lobby", "Lobby fridge"),))
    base, auth, admin = processes, tenant.auth(), tenant.auth("admin")
    receiver = Receiver()
    try:
        hook = requests.post(f"{base}/v1/hooks", headers=auth, timeout=5,
                             json={"trigger": "new_purchase", "target_url": receiver.url}).json()

        run = requests.post(f"{base}/v1/actions/update_menu", headers=auth, timeout=5, json={"items": [
            {"sku": "SAL-CAESAR", "name": "Caesar salad", "price": {"amount": "6.50", "currency": "EUR"}}]})
        assert run.status_code == 202
        done = _wait(lambda: (r := requests.get(f"{base}/v1/actions/{run.json()['id']}", headers=auth,
                                                timeout=5).json())["status"] == "succeeded" and r,
                     15, "the menu delivery")
        assert done["deliveries"][0]["changes"] == 1

        simulate = f"{base}/v1/admin/connections/{tenant.connection_id}/simulate"
        assert requests.post(simulate, headers=admin, timeout=5,
                             json={"action": "sell", "sku": "SAL-CAESAR", "quantity": 2}).status_code == 200

        received = receiver.wait_for(1, timeout=20)
        payload = Webhook(hook["secret"]).verify(received[0].body, received[0].headers)
        polled = requests.get(f"{base}/v1/triggers/new_purchase", headers=auth, timeout=5).json()
        assert [p["id"] for p in polled] == [payload["id"]]
        assert payload["lines"][0]["line_total"] == "13.00"
        assert json.loads(received[0].body)["location"]["name"] == "Lobby fridge"
    finally:
        receiver.server.shutdown()

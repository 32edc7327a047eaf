"""Under the Procfile's gunicorn (several worker processes), /metrics sums every worker's counts, and
HUB_METRICS_PORT serves them from the master (prometheus_client's multiprocess mode, gunicorn.conf.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from hub.migrate import upgrade
from tests.conftest import TEST_SECRET
from tests.test_gunicorn_limits import BIN, ROOT, _free_port, _web_command

WORKERS = 3
REQUESTS = 30


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """The Procfile's web command with several workers, metrics on, a metrics port, a fresh SQLite db."""
    database = f"sqlite:///{tmp_path_factory.mktemp('web') / 'hub.db'}"
    upgrade(database)
    port, metrics_port = _free_port(), _free_port()
    env = {**os.environ, "PORT": str(port), "WEB_CONCURRENCY": str(WORKERS), "DATABASE_URL": database,
           "HUB_SECRET_KEYS": TEST_SECRET, "HUB_METRICS": "1", "HUB_METRICS_PORT": str(metrics_port),
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("REDIS_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen(["bash", "-c", f"exec {_web_command()}"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(f"{base}/healthz"):
            assert process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        yield base, f"http://127.0.0.1:{metrics_port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def _readyz_count(text: str) -> float:
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "hub_http_requests_total" and sample.labels["route"] == "/readyz")


def test_metrics_sum_the_requests_every_worker_served(web):
    base, _ = web
    for _ in range(REQUESTS):
        # A new connection each time, so the requests spread over the workers.
        response = requests.get(f"{base}/readyz", timeout=5, headers={"Connection": "close"})
        assert response.status_code == 200
    # Any worker answers the scrape; each answers with the sum.
    for _ in range(WORKERS):
        scrape = requests.get(f"{base}/metrics", timeout=5, headers={"Connection": "close"})
        assert _readyz_count(scrape.text) == REQUESTS
    assert _readyz_count(requests.get(f"{base}/metrics", timeout=5).text) == REQUESTS


def test_the_metrics_port_serves_the_same_sums_from_the_master(web):
    base, metrics = web
    served = _readyz_count(requests.get(f"{base}/metrics", timeout=5).text)
    assert _readyz_count(requests.get(f"{metrics}/metrics", timeout=5).text) == served >= REQUESTS

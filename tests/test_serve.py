"""`python -m hub run` (what `make run` starts): waitress, no development-server warning, a clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hub import serve
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def running_hub(tmp_path):
    """`python -m hub run` on a free port and a fresh SQLite database; yields (process, base URL)."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
           "HUB_SECRET_KEYS": make_settings("sqlite://").secret_keys[0],
           "HUB_BASE_URL": f"http://127.0.0.1:{port}"}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "-m", "hub", "init-db"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    process = subprocess.Popen([sys.executable, "-m", "hub", "run", "--port", str(port)], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "the hub did not start"
                time.sleep(0.1)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def stop(process: subprocess.Popen) -> tuple[int, str]:
    """SIGTERM, as a service manager stops it; the exit code and everything it wrote to stderr."""
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=15)
    return process.returncode, stderr


def test_the_hub_answers_health_and_the_root(running_hub):
    _, base = running_hub
    assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
    assert requests.get(f"{base}/", timeout=5).json()["links"]["console"]["href"] == f"{base}/console"


def test_it_is_served_by_waitress_without_the_development_server_warning(running_hub):
    process, base = running_hub
    requests.get(f"{base}/healthz", timeout=5)
    _, stderr = stop(process)
    assert "development server" not in stderr.lower()
    assert "Do not use it in a production deployment" not in stderr
    assert "waitress" in stderr


def test_sigterm_stops_it_cleanly(running_hub):
    process, _ = running_hub
    code, stderr = stop(process)
    assert code == 0, stderr
    assert "Traceback" not in stderr


def test_requests_are_served_concurrently(running_hub):
    _, base = running_hub
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(serve.THREADS) as pool:
        codes = list(pool.map(lambda _: requests.get(f"{base}/healthz", timeout=10).status_code,
                              range(serve.THREADS * 2)))
    assert codes == [200] * (serve.THREADS * 2)


def test_the_server_is_waitress_and_not_werkzeug():
    source = Path(serve.__file__).read_text(encoding="utf-8")
    assert "waitress" in source
    assert "run_simple" not in source

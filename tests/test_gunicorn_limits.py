"""The Procfile's web process answers oversized requests in problem JSON where the app can (issue 9).

gunicorn refuses a request line, a header count or a header field past its limits with an HTML page
of its own; gunicorn.conf.py sets those limits above the app's, so the app sees (and answers) every
request that is merely larger than it accepts.
"""

from __future__ import annotations

import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hub.migrate import upgrade
from hub.request_guard import MAX_HEADER_BYTES, MAX_HEADERS, MAX_URL_BYTES
from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _web_command() -> str:
    return re.search(r"^web:\s*(.+)$", (ROOT / "Procfile").read_text(), re.MULTILINE).group(1)


def test_web_process_loads_gunicorn_conf():
    assert "--config gunicorn.conf.py" in _web_command()


def test_gunicorn_limits_sit_above_the_apps():
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    # The request line is "METHOD <url> HTTP/1.1": room for the longest method and the version.
    assert conf["limit_request_line"] >= MAX_URL_BYTES + len("DELETE  HTTP/1.1")
    assert conf["limit_request_line"] <= 8190  # gunicorn silently caps anything larger
    assert conf["limit_request_fields"] > MAX_HEADERS
    assert conf["limit_request_field_size"] > MAX_HEADER_BYTES


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """The Procfile's web command, as written, with one worker on a fresh SQLite database."""
    database = f"sqlite:///{tmp_path_factory.mktemp('web') / 'hub.db'}"
    upgrade(database)
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "WEB_CONCURRENCY": "1", "DATABASE_URL": database,
           "HUB_SECRET_KEYS": TEST_SECRET, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(["bash", "-c", f"exec {_web_command()}"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def _is_problem(response: requests.Response, status: int) -> bool:
    return (response.status_code == status
            and response.headers["Content-Type"].startswith("application/problem+json")
            and response.json()["status"] == status)


def test_url_past_the_apps_limit_gets_problem_json_from_the_app(web):
    response = requests.get(f"{web}/v1/locations?q={'x' * MAX_URL_BYTES}", timeout=5)
    assert _is_problem(response, 414)


def test_url_past_gunicorns_limit_gets_gunicorns_own_414(web):
    # Documented in /openapi.json: the web server's page, not problem JSON.
    response = requests.get(f"{web}/v1/locations?q={'x' * 9000}", timeout=5)
    assert response.status_code == 414 and not _is_problem(response, 414)


def test_too_many_headers_get_problem_json_from_the_app(web):
    headers = {f"X-Filler-{n}": "1" for n in range(MAX_HEADERS + 1)}
    assert _is_problem(requests.get(f"{web}/v1/me", headers=headers, timeout=5), 431)


def test_header_field_past_the_apps_limit_gets_problem_json_from_the_app(web):
    response = requests.get(f"{web}/v1/me", headers={"X-Filler": "x" * MAX_HEADER_BYTES}, timeout=5)
    assert _is_problem(response, 431)

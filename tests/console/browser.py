"""The browser tests' harness: the hub served on a free port by a live server thread, and Debian's Chromium
driven by Playwright (browser downloads are not available, so Playwright is pointed at /usr/bin/chromium).

The app is built as the tests' conftest builds it (SQLite, the in-process job queue), so the jobs a page
starts (a poll after a simulated sale, a hook delivery, a replay) run in this process; `tick()` runs the
scheduler once, as `python -m hub scheduler` would every second.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from hub import create_app
from hub.cli import main as cli_main
from hub.config import Settings
from hub.runtime import get_runtime
from hub.scheduler import run_due

CHROMIUM = Path("/usr/bin/chromium")
SKIP_VARIABLE = "HUB_SKIP_BROWSER_TESTS"
ROOT = Path(__file__).resolve().parents[2]


def chromium_or_fail() -> str:
    """The Chromium binary; without it the browser tests fail (skipped only when asked explicitly)."""
    if CHROMIUM.exists():
        return str(CHROMIUM)
    if os.environ.get(SKIP_VARIABLE) == "1":
        pytest.skip(f"{CHROMIUM} is missing and {SKIP_VARIABLE}=1")
    pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install -y chromium); "
                f"set {SKIP_VARIABLE}=1 to skip the browser tests instead", pytrace=False)


def create_operator(settings: Settings, email: str, password: str) -> None:
    """An operator account, made the way support staff make one: `python -m hub create-operator`."""
    out = io.StringIO()
    stdin, sys.stdin = sys.stdin, io.StringIO(password + "\n")
    try:
        with contextlib.redirect_stdout(out):
            code = cli_main(["--json", "create-operator", email, "--password-stdin"], settings=settings)
    finally:
        sys.stdin = stdin
    assert code == 0, out.getvalue()
    json.loads(out.getvalue())


class LiveServer:
    """The hub app served by werkzeug in a thread on a free port of 127.0.0.1."""

    def __init__(self, settings_for: Callable[[str], Settings]) -> None:
        # Bound first, so the app's base URL (the console shows it in the first-Zap panel) is the real one.
        self._server = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.settings: Settings = settings_for(self.url)
        self.app = create_app(self.settings)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="live-console-server")
        self._thread.start()

    def _dispatch(self, environ, start_response):
        return self.app(environ, start_response)

    def drain(self) -> None:
        """Wait for every job the pages started (and the jobs those started)."""
        get_runtime().queue.drain()

    def tick(self) -> None:
        """One pass of the scheduler with every sweep due (polls due connections), then the jobs finish."""
        self.drain()
        run_due(get_runtime(), {})
        self.drain()

    def close(self) -> None:
        """Stop serving and let the running jobs finish."""
        self._server.shutdown()
        self._server.server_close()
        self.drain()

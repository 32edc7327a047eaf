"""`python -m hub run`: web server, in-process jobs and scheduler in one process."""

from __future__ import annotations

import threading

from werkzeug.serving import run_simple

from hub.app import create_app
from hub.runtime import Runtime
from hub.scheduler import run_forever


def run_all_in_one(rt: Runtime, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API and run the scheduler in a background thread until interrupted."""
    app = create_app(rt.settings)
    stop = threading.Event()
    scheduler = threading.Thread(target=run_forever, args=(app.extensions["hub_runtime"], stop),
                                 name="hub-scheduler", daemon=True)
    scheduler.start()
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        stop.set()

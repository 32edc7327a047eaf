"""`python -m hub run`: web server, in-process jobs and scheduler in one process.

The web server is waitress: production-grade, pure Python, on Linux, macOS and Windows alike (gunicorn,
of the Procfile, forks and is POSIX only). Jobs run in the runtime's own thread pool
(hub.jobs.InProcessQueue), so no request thread waits for one.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from waitress import create_server

from hub.app import create_app
from hub.runtime import Runtime
from hub.scheduler import run_forever

# Request threads: enough for Zapier's and n8n's polls, the console and POS callbacks at once.
THREADS = 8
log = logging.getLogger("hub.serve")


def _stop_on_sigterm() -> None:
    """SIGTERM (a service manager, `kill`) stops the server like Ctrl+C; only the main thread can listen."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def run_all_in_one(rt: Runtime, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API and run the scheduler in a background thread until interrupted."""
    app = create_app(rt.settings)
    runtime = app.extensions["hub_runtime"]
    stop = threading.Event()
    scheduler = threading.Thread(target=run_forever, args=(runtime, stop), name="hub-scheduler", daemon=True)
    server = create_server(app, host=host, port=port, threads=THREADS)
    _stop_on_sigterm()
    scheduler.start()
    log.info("Serving on http://%s:%s (waitress, %d threads; Ctrl+C stops)", host, server.effective_port,
             THREADS)
    try:
        server.run()  # returns on Ctrl+C or SIGTERM, once the request threads are told to stop
    finally:
        log.info("Stopping")
        server.close()
        stop.set()
        scheduler.join(timeout=10)

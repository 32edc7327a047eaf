"""gunicorn settings of the Procfile's web process (gunicorn also finds this file when started here).

The request limits sit above the app's own (hub/request_guard.py), so a request that is merely too
large gets the app's problem JSON; only past these does gunicorn answer with its own text/html page
(documented in /openapi.json).
"""

import os as _os  # underscored: gunicorn reads this module's public names as settings
import sys as _sys
import tempfile as _tempfile

# Prometheus multiprocess mode (hub/observability): each worker keeps its metrics in files of
# PROMETHEUS_MULTIPROC_DIR, and a scrape answered by any worker sums them all. The directory must be
# known before prometheus_client is first imported (importing hub does), so it is chosen here, in the
# master, whose environment the workers inherit: the environment's (a directory of gunicorn's own), or
# a new temporary one. Not when prometheus_client is loaded already (this file read by a test).
if not _os.environ.get("PROMETHEUS_MULTIPROC_DIR") and "prometheus_client" not in _sys.modules:
    _os.environ["PROMETHEUS_MULTIPROC_DIR"] = _tempfile.mkdtemp(prefix="hub-metrics-")

from hub.request_guard import (  # noqa: E402
    SERVER_MAX_HEADER_BYTES,
    SERVER_MAX_HEADERS,
    SERVER_MAX_REQUEST_LINE,
)

limit_request_line = SERVER_MAX_REQUEST_LINE
limit_request_fields = SERVER_MAX_HEADERS
limit_request_field_size = SERVER_MAX_HEADER_BYTES

# Threaded workers: a request spends most of its time waiting on PostgreSQL and Redis, so each worker
# process serves several at once (and keeps client connections alive). The app is thread-safe: a
# session per request (hub/db.py), locked process-wide caches (hub/keys.py, hub/ratelimit.py,
# hub/db.py's engines), the job pool's own lock (hub/jobs.py). Workers still come from --workers /
# WEB_CONCURRENCY; each has `threads` threads, well inside its database pool (hub/db.py: 10 + 20).
worker_class = "gthread"
threads = 4


def on_starting(server):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    """Wipe the metrics files a previous run left, before the first worker starts."""
    directory = _os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        _os.makedirs(directory, exist_ok=True)
        for entry in _os.scandir(directory):
            if entry.is_file() and entry.name.endswith(".db"):
                _os.remove(entry.path)


def when_ready(server):  # noqa: ANN001, ANN201
    """With HUB_METRICS_PORT, the master serves every worker's metrics on that port. Only the processes'
    own: the master opens no database connection its forked workers could inherit, so the queue and
    connection gauges come from the scheduler's port (or /metrics with HUB_METRICS=1)."""
    port = _os.environ.get("HUB_METRICS_PORT")
    if port:
        from hub.observability.exposition import serve_metrics_port

        serve_metrics_port(int(port), "gunicorn", state=False)


def child_exit(server, worker):  # noqa: ANN001, ANN201
    """A worker that exited: its live gauges leave the sums (its counters stay counted)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

"""gunicorn settings of the Procfile's web process (gunicorn also finds this file when started here).

The request limits sit above the app's own (hub/request_guard.py), so a request that is merely too
large gets the app's problem JSON; only past these does gunicorn answer with its own text/html page
(documented in /openapi.json).
"""

from hub.request_guard import SERVER_MAX_HEADER_BYTES, SERVER_MAX_HEADERS, SERVER_MAX_REQUEST_LINE

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

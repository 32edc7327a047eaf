"""Answering a scrape: the registry of this process (or, in multiprocess mode, of every process writing
to PROMETHEUS_MULTIPROC_DIR) plus the state collectors; the request timing of the web app; and the
separate metrics port of the scheduler, the workers and the web server (HUB_METRICS_PORT).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.registry import Collector

from hub.observability.collectors import ConnectionCollector, QueueCollector
from hub.observability.metrics import observe_request

log = logging.getLogger(__name__)


class _ProcessMetrics(Collector):
    """This process's own metrics (the default registry), exposed through another registry."""

    def collect(self) -> Iterable:
        """Everything the default registry holds."""
        return REGISTRY.collect()


def multiprocess_dir() -> str | None:
    """PROMETHEUS_MULTIPROC_DIR when this process's metrics are kept in files there (the directory was set
    before prometheus_client was first imported); None when they live in this process's memory."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
    return directory if directory and values.ValueClass is not values.MutexValue else None


def build_registry(state: bool = True) -> CollectorRegistry:
    """A registry for scrapes: the processes' metrics and, with `state`, the queues, connections and dead
    letters read at scrape time (the web app and the scheduler report those; workers need not)."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    if state:
        registry.register(QueueCollector())
        registry.register(ConnectionCollector())
    return registry


_registry: CollectorRegistry | None = None


def scrape() -> Response:
    """The metrics in the Prometheus text format."""
    global _registry
    if _registry is None:
        _registry = build_registry()
    return Response(generate_latest(_registry), content_type=CONTENT_TYPE_LATEST)


def serve_metrics_port(port: int | None, what: str, state: bool = True) -> bool:
    """Serve /metrics on its own port from this process (a thread); False when not configured or the port
    is taken (logged: a second process on one host must be given a port of its own)."""
    if not port:
        return False
    from prometheus_client import start_http_server

    try:
        start_http_server(port, registry=build_registry(state))
    except OSError as exc:
        log.warning("%s: metrics port %s not served: %s", what, port, exc)
        return False
    log.info("%s: metrics on port %s", what, port)
    return True


def install_request_metrics(app: Flask) -> None:
    """Time every request and count it under its route template (the rule, never the raw path)."""
    @app.before_request
    def _start() -> None:
        g.hub_request_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("hub_request_started", None)
        if started is not None:
            rule = request.url_rule
            observe_request(request.method, rule.rule if rule is not None else None, response.status_code,
                            time.perf_counter() - started)
        return response

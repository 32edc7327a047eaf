"""What the hub's processes count: HTTP requests, events, purchases, deliveries and job durations.

Every name has the hub_ prefix and its unit. Labels are bounded: a request's route is its template
(/v1/hooks/<hook_id>, never the raw path), an event's type, a delivery's kind and outcome, a job's kind.

Under gunicorn (and any process started with PROMETHEUS_MULTIPROC_DIR set) prometheus_client keeps
the values in files of that directory, so a scrape of one worker answers for all (hub.observability.
exposition). The directory must be set before prometheus_client is first imported.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from prometheus_client import Counter, Histogram

F = TypeVar("F", bound=Callable[..., Any])

HTTP_REQUESTS = Counter(
    "hub_http_requests", "HTTP requests answered, by route template and status.",
    ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "hub_http_request_duration_seconds", "Time to answer an HTTP request, by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
EVENTS_APPENDED = Counter("hub_events_appended", "Events appended (committed), by type.", ["type"])
PURCHASES_RECORDED = Counter(
    "hub_purchases_recorded", "Purchases recorded (committed; repeats not counted), by connection type.",
    ["connection_type"])
DELIVERIES = Counter(
    "hub_deliveries", "Delivery attempts ended, by kind (action, hook, order, callback) and outcome "
    "(succeeded, retried, dead, refused, skipped).", ["kind", "outcome"])
JOB_DURATION = Histogram(
    "hub_job_duration_seconds", "Time a job ran, by kind (poll, action, hook, order, callback).", ["kind"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0))

# A job's return value, as the outcome counted; the others (not claimed, lease lost) end no attempt.
OUTCOMES = {
    "succeeded": "succeeded",
    "retrying": "retried",
    "pending": "retried",  # a hook or callback failure with a retry left
    "dead": "dead",
    "refused": "refused",
    "unsubscribed": "refused",  # a hook target answered 410 Gone: its subscription was deleted
    "skipped": "skipped",
}
UNMATCHED_ROUTE = "unmatched"  # a request no route matched (a 404 or 405): one series, whatever the path


def observe_request(method: str, route: str | None, status: int, seconds: float) -> None:
    """Count an answered request under its route template."""
    route = route or UNMATCHED_ROUTE
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)


def count_events(types: Iterable[str]) -> None:
    """Count appended events by type (call once committed)."""
    for type_, n in Tally(types).items():
        EVENTS_APPENDED.labels(type_).inc(n)


def count_purchases(connection_type: str, n: int) -> None:
    """Count recorded purchases (call once committed)."""
    if n:
        PURCHASES_RECORDED.labels(connection_type).inc(n)


def timed_job(kind: str, delivery: bool = False) -> Callable[[F], F]:
    """Time the job under `kind`; for a delivery, also count the outcome it returns (OUTCOMES)."""
    def decorate(job: F) -> F:
        @wraps(job)
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = job(*args, **kwargs)
            finally:
                JOB_DURATION.labels(kind).observe(time.perf_counter() - started)
            if delivery and isinstance(result, str) and result in OUTCOMES:
                DELIVERIES.labels(kind, OUTCOMES[result]).inc()
            return result
        return run  # type: ignore[return-value]
    return decorate

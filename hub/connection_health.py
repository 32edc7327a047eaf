"""The polling failure policy: a connection's health after each poll, its next delay, and its alerts.

Failures are classified on two axes (as Airbyte does): the error kind says what to do (retry, wait
for the vendor's Retry-After, or stop repeating), the fault says whose it is (configuration, vendor,
hub). From them:

- health: ``ok``; ``failing`` (the vendor or the hub failed; it may recover by itself); or
  ``needs_attention`` (a configuration fault: a revoked token, a missing scope, bad settings; only
  support staff can fix it, by changing the settings or credentials).
- backoff: a connection needing attention, or failing with a permanent error, is polled after
  growing delays (ATTENTION_BACKOFF: 1, 2, 4 ... 32 minutes, then hourly; never sooner than its own
  interval), since repeating the same refused call every minute only burns the vendor's rate limit.
  Transient and rate-limited failures keep the poll's own backoff (its interval, or the Retry-After),
  so a POS coming back from an outage is caught up within one interval.
- alerts: ``connection_failing`` once per failing streak, ``connection_recovered`` when a poll succeeds
  after it. A configuration fault alerts at once: it never heals by itself, so waiting only delays
  the fix. A vendor or hub fault alerts once the streak holds VENDOR_ALERT_FAILURES failed polls and has
  lasted VENDOR_ALERT_AFTER (the default offline window): one timeout or a vendor's short deploy is
  ordinary and heals itself, and an alert that cries wolf gets muted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hub.connectors.base import ConnectorError
from hub.models import Connection
from hub.refs import connection_ref, iso
from hub.work.backoff import Backoff
from hub.work.failures import ErrorKind, Fault

OK, FAILING, NEEDS_ATTENTION = "ok", "failing", "needs_attention"

# Growing delays for polls that repeat a refused call: 1, 2, 4, 8, 16, 32 minutes, then every hour.
# The jitter only lengthens a delay, so a poll never comes before the connection's own interval.
ATTENTION_BACKOFF = Backoff(delays=(60, 120, 240, 480, 960, 1920, 3600), jitter=(1.0, 1.1), endless=True)
VENDOR_ALERT_FAILURES = 3
VENDOR_ALERT_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Verdict:
    """What one poll's outcome does to a connection: the columns to write, and the event to emit, if any."""

    values: dict[str, Any]
    event: tuple[str, dict[str, Any]] | None = None


def after_success(connection: Connection, now: datetime) -> Verdict:
    """Healthy again; connection_recovered when the streak had been announced."""
    values = {"health": OK, "failing_since": None, "consecutive_failures": 0, "last_fault": None,
              "failing_announced": False, "last_error": None}
    if not connection.failing_announced:
        return Verdict(values)
    since = connection.failing_since
    return Verdict(values, ("connection_recovered", {
        "type": "connection_recovered", "occurred_at": iso(now), "connection": connection_ref(connection),
        "failing_since": iso(since), "down_for_seconds": int((now - since).total_seconds()) if since else 0,
        "consecutive_failures": connection.consecutive_failures,
    }))


def after_failure(connection: Connection, error: ConnectorError, now: datetime) -> Verdict:
    """One more failure in the streak: health from its fault, connection_failing once the threshold is met."""
    failures = connection.consecutive_failures + 1
    since = connection.failing_since or now
    attention = error.fault is Fault.CONFIGURATION
    message = str(error)[:2000]
    values = {"health": NEEDS_ATTENTION if attention else FAILING, "failing_since": since,
              "consecutive_failures": failures, "last_fault": error.fault.value, "last_error": message}
    alert = attention or (failures >= VENDOR_ALERT_FAILURES and now - since >= VENDOR_ALERT_AFTER)
    if connection.failing_announced or not alert:
        return Verdict(values)
    return Verdict({**values, "failing_announced": True}, ("connection_failing", {
        "type": "connection_failing", "occurred_at": iso(now), "connection": connection_ref(connection),
        "fault": error.fault.value, "error_kind": error.kind.value, "error": error.message[:2000],
        "failing_since": iso(since), "consecutive_failures": failures, "needs_attention": attention,
    }))


def grows(error: ConnectorError) -> bool:
    """Whether this failure's retries back off growingly: repeating it unchanged cannot succeed."""
    return error.fault is Fault.CONFIGURATION or error.kind is ErrorKind.PERMANENT


def failure_delay(connection: Connection, error: ConnectorError, poll_backoff: Backoff) -> float:
    """Seconds until the next poll after this failure (the streak's length counted in)."""
    interval = connection.poll_interval_seconds
    if grows(error):
        return ATTENTION_BACKOFF.delay(error.kind, error.retry_after, connection.consecutive_failures + 1,
                                       at_least=interval)
    return poll_backoff.delay(error.kind, error.retry_after, at_least=interval)


def reset_backoff() -> dict[str, Any]:
    """The values that make a connection due now with a fresh backoff (its settings or credentials changed).

    The streak itself (health, failing_since, the alert) lasts until a poll succeeds: new settings that
    fail the same way are still the same outage, and are not announced twice.
    """
    return {"next_poll_at": None, "consecutive_failures": 0}

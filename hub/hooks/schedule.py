"""When a failed delivery is tried again: growing delays with jitter, about a day in all."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Seconds to wait after the 1st, 2nd, ... failed attempt; after the last one the delivery is dead.
RETRY_DELAYS = (5, 30, 120, 600, 1800, 3600, 10800, 21600, 43200)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
MAX_RETRY_AFTER = 43200


def retry_delay(attempts: int, retry_after: float | None = None) -> float | None:
    """Seconds until the next try after `attempts` failed attempts; None when it is time to give up.

    Jitter spreads retries so that a target coming back is not hit by all of them at once;
    a Retry-After answer is honoured (never retried sooner), up to 12 hours.
    """
    if attempts >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[max(attempts, 1) - 1]
    delay = base * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)

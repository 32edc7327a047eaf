"""How a failed attempt is classified: its error kind, and the delay a server asked for."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


class ErrorKind(enum.StrEnum):
    """What the job engine does with a failure."""

    TRANSIENT = "transient"  # retry with backoff (timeouts, 5xx)
    RATE_LIMITED = "rate_limited"  # retry after the vendor's delay
    PERMANENT = "permanent"  # dead letter at once (bad credentials, rejected data)


class Fault(enum.StrEnum):
    """Whose fault a failure is (the second axis, as Airbyte classifies): it decides who must act."""

    CONFIGURATION = "configuration"  # bad credentials, revoked token, wrong settings: support must act
    VENDOR = "vendor"  # the POS is down, slow, or refused the data: it may recover by itself
    HUB = "hub"  # a bug or an outage on our side


def default_fault(kind: ErrorKind, status: int | None) -> Fault:
    """The fault when the error table names none: 401/403 are configuration, the rest the vendor."""
    if status in (401, 403):
        return Fault.CONFIGURATION
    return Fault.VENDOR


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or an HTTP date); None when absent or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)  # delay-seconds; some vendors send "2.0"
    except ValueError:
        return _seconds_until(value, now or datetime.now(UTC))
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _seconds_until(http_date: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


@dataclass(frozen=True)
class Failure:
    """A failed attempt: its kind, the message support staff read, and the delay the other side asked for."""

    kind: ErrorKind
    message: str
    retry_after: float | None = None

"""A kind's retry schedule: growing jittered delays, the other side's Retry-After honoured, then dead."""

from __future__ import annotations

import random
from dataclasses import dataclass

from hub.work.failures import ErrorKind


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait after the 1st, 2nd, ... failed attempt; the failure after the last delay is final."""

    delays: tuple[float, ...]
    # Spreads the retries of items that failed together, so a target coming back is not hit by all at once.
    jitter: tuple[float, float] = (0.8, 1.2)
    # The longest Retry-After obeyed (None: any), so a misbehaving target cannot park an item for ever.
    max_retry_after: float | None = None
    # Recurring work (polls) is never dead: its last delay repeats, whatever the error.
    endless: bool = False

    @property
    def max_attempts(self) -> int | None:
        """Attempts before an item is dead; None for recurring work."""
        return None if self.endless else len(self.delays) + 1

    def delay(self, kind: ErrorKind, retry_after: float | None = None, attempts: int = 1,
              at_least: float = 0) -> float | None:
        """Seconds until the next attempt after `attempts` failed ones; None when it is time to give up.

        A rate-limited failure waits at least the Retry-After it came with (never retried sooner);
        `at_least` raises the base delay (a poll is never retried sooner than its own interval).
        """
        if not self.endless and (kind is ErrorKind.PERMANENT or attempts >= len(self.delays) + 1):
            return None
        base = max(self.delays[min(max(attempts, 1), len(self.delays)) - 1], at_least)
        delay = base * random.uniform(*self.jitter)
        if kind is ErrorKind.RATE_LIMITED and retry_after is not None:
            cap = self.max_retry_after
            delay = max(delay, retry_after if cap is None else min(retry_after, cap))
        return delay

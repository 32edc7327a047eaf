"""Request limits per key (an API key, a callback's connection or source address): at most N requests in
any 60 seconds, shared by every process through Redis when configured.

The counting is the `limits` library's moving window: each allowed request's time is logged (at most N
per key), and a request is allowed only while fewer than N logged requests are under a minute old. A
burst that straddles a clock minute therefore gets N, not the 2N a fixed per-minute counter allowed.
On Redis one allowed request costs one round trip (one Lua script); a refusal costs a second one
that reads the wait for Retry-After.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from functools import lru_cache

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from hub.errors import ProblemError
from hub.runtime import get_runtime

log = logging.getLogger(__name__)

REDIS_KEY_PREFIX = "hub:rl"
# A limiter must never hold a request up for long: a Redis that does not answer within this is down.
REDIS_TIMEOUT_SECONDS = 0.5
# While Redis is down, ask it again at most this often, so an outage costs one timeout per pause
# per process instead of one per request.
REDIS_RETRY_SECONDS = 5.0


@lru_cache(maxsize=64)
def _per_minute(limit: int) -> RateLimitItem:
    return RateLimitItemPerMinute(limit)


class RateLimiter:
    """A moving-window limiter counting in Redis when given one, and in this process's memory otherwise.

    When Redis fails the limiter falls back to counting in this process's memory: it says so in a
    warning (once per outage), counts it in `redis_failures` and `counted_locally`, and asks Redis
    again after `retry_seconds`. Chosen over failing open because a per-process count still bounds
    a runaway key (at worst the limit times the web processes while the outage lasts), where failing
    open bounds nothing; and over failing closed because a Redis outage must not take the API down.
    """

    def __init__(self, shared: RedisStorage | None, retry_seconds: float = REDIS_RETRY_SECONDS) -> None:
        self._shared = MovingWindowRateLimiter(shared) if shared is not None else None
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._retry_seconds = retry_seconds
        self._redis_down_until = 0.0
        self._lock = threading.Lock()
        self.redis_failures = 0  # outages seen: times Redis failed while it was thought up
        self.counted_locally = 0  # requests counted in this process's memory because Redis failed

    def wait_seconds(self, key: str, limit: int) -> int | None:
        """Count one request for key; None when it is within the limit, else whole seconds to wait."""
        item = _per_minute(limit)
        if self._shared is not None:
            if time.monotonic() >= self._redis_down_until:
                try:
                    wait = _count(self._shared, item, key)
                except RedisError as exc:
                    self._redis_failed(exc)
                else:
                    self._redis_answered()
                    return wait
            with self._lock:  # exact under threaded web workers too
                self.counted_locally += 1
        return _count(self._local, item, key)

    def _redis_failed(self, exc: RedisError) -> None:
        with self._lock:
            if not self._redis_down_until:
                self.redis_failures += 1
                log.warning("Rate limits are counted per process until Redis answers again (at worst the "
                            "limit times the web processes): %s", exc)
            self._redis_down_until = time.monotonic() + self._retry_seconds

    def _redis_answered(self) -> None:
        if self._redis_down_until:
            with self._lock:
                if self._redis_down_until:
                    self._redis_down_until = 0.0
                    log.warning("Redis answers again; rate limits are shared by every process again.")


def _count(limiter: MovingWindowRateLimiter, item: RateLimitItem, key: str) -> int | None:
    if limiter.hit(item, key):
        return None
    # The oldest logged request leaves the window at reset_time; then one more request is allowed.
    reset_time = limiter.get_window_stats(item, key).reset_time
    return max(1, math.ceil(reset_time - time.time()))


def redis_storage(redis_url: str) -> RedisStorage:
    """The limiter's own Redis client: short timeouts, unlike the job queue's, which may wait."""
    # No retries either: a request Redis fails to count is counted in memory instead (RateLimiter).
    return RedisStorage(redis_url, key_prefix=REDIS_KEY_PREFIX, socket_timeout=REDIS_TIMEOUT_SECONDS,
                        socket_connect_timeout=REDIS_TIMEOUT_SECONDS, retry=Retry(NoBackoff(), 0))


_limiters: dict[str | None, RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(redis_url: str | None) -> RateLimiter:
    """This process's limiter for a Redis URL (None: memory only), built on first use."""
    limiter = _limiters.get(redis_url)
    if limiter is None:
        with _limiters_lock:
            limiter = _limiters.get(redis_url)
            if limiter is None:
                limiter = RateLimiter(redis_storage(redis_url) if redis_url else None)
                _limiters[redis_url] = limiter
    return limiter


def check_rate_limit(key_id: str, who: str = "This key") -> None:
    """Count one request for this key; 429 with Retry-After past the per-minute limit.

    `who` names the caller in the answer ("This key", "This connection's callbacks", ...).
    """
    settings = get_runtime().settings
    limit = settings.rate_limit_per_minute
    if limit <= 0:
        return
    wait = limiter_for(settings.redis_url).wait_seconds(key_id, limit)
    if wait is not None:
        raise ProblemError(429, f"{who} made more than {limit} requests in the last minute; "
                           f"retry after {wait} seconds.", headers={"Retry-After": str(wait)})

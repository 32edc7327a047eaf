"""Request limits per key (an API key, a callback's connection or source): a fixed one-minute window,
shared through Redis when configured."""

from __future__ import annotations

import threading
import time

from hub.errors import ProblemError
from hub.runtime import get_runtime

_local_lock = threading.Lock()
_local_counts: dict[tuple[str, int], int] = {}


def _count_locally(key_id: str, window: int) -> int:
    with _local_lock:
        for stale in [k for k in _local_counts if k[1] < window]:
            del _local_counts[stale]
        _local_counts[(key_id, window)] = _local_counts.get((key_id, window), 0) + 1
        return _local_counts[(key_id, window)]


def _count_in_redis(redis, key_id: str, window: int) -> int:  # noqa: ANN001
    name = f"hub:rl:{key_id}:{window}"
    pipe = redis.pipeline()
    pipe.incr(name)
    pipe.expire(name, 120)
    return int(pipe.execute()[0])


def check_rate_limit(key_id: str, who: str = "This key") -> None:
    """Count one request for this key; 429 with Retry-After past the per-minute limit.

    `who` names the caller in the answer ("This key", "This connection's callbacks", ...).
    """
    runtime = get_runtime()
    limit = runtime.settings.rate_limit_per_minute
    if limit <= 0:
        return
    now = time.time()
    window = int(now // 60)
    redis = runtime.redis
    try:
        if redis is not None:
            count = _count_in_redis(redis, key_id, window)
        else:
            count = _count_locally(key_id, window)
    except Exception:  # noqa: BLE001 - a Redis outage must not take the API down with it
        count = _count_locally(key_id, window)
    if count > limit:
        retry_after = max(1, int(60 - (now % 60)) + 1)
        raise ProblemError(429, f"{who} made more than {limit} requests this minute; "
                           f"retry after {retry_after} seconds.",
                           headers={"Retry-After": str(retry_after)})

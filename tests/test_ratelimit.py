"""The request limiter: at most N requests per key in any 60 seconds, one count for every process
through Redis, and a per-process count that is said out loud while Redis is down.

The Redis tests run against the real Redis of HUB_TEST_REDIS_URL and are skipped without it.
"""

from __future__ import annotations

import logging
import math
import random
import secrets
import socket
import time

import limits.storage.memory
import limits.storage.redis
import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

import hub.ratelimit
from hub import create_app
from hub.ratelimit import REDIS_KEY_PREFIX, REDIS_TIMEOUT_SECONDS, RateLimiter, redis_storage
from hub.runtime import get_runtime
from tests.conftest import REDIS_URL, build_tenant, make_settings

LIMIT = 5
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="HUB_TEST_REDIS_URL is not set")


class Clock:
    """Wall and monotonic time that moves only when the test says so."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


class SwitchableRedis(limits.storage.redis.RedisStorage):
    """The limiter's Redis storage, counting the requests it gets, with a switch that fails them all."""

    down = False
    calls = 0

    def acquire_entry(self, *args, **kwargs):
        self.calls += 1
        if self.down:
            raise RedisConnectionError("Error 111 connecting to redis. Connection refused.")
        return super().acquire_entry(*args, **kwargs)


@pytest.fixture
def clock(monkeypatch):
    """Time for the limiter and the `limits` storages, starting half a second before a clock minute."""
    fake = Clock(math.floor(time.time() / 60) * 60 + 59.5)
    for module in (limits.storage.memory, limits.storage.redis, hub.ratelimit):
        monkeypatch.setattr(module, "time", fake)
    return fake


@pytest.fixture(params=["memory", pytest.param("redis", marks=needs_redis)])
def limiter(request):
    """A limiter counting in this process's memory, and one counting in Redis."""
    return RateLimiter(redis_storage(REDIS_URL) if request.param == "redis" else None)


@pytest.fixture
def key():
    """A key of its own, so that no other test or run counts against it."""
    return f"test:{secrets.token_hex(8)}"


def allowed(limiter: RateLimiter, key: str, count: int = 1) -> list[bool]:
    return [limiter.wait_seconds(key, LIMIT) is None for _ in range(count)]


# ---------- the moving window ----------


def test_the_limit_is_allowed_and_the_next_request_is_refused(limiter, key, clock):
    assert allowed(limiter, key, LIMIT + 1) == [True] * LIMIT + [False]


def test_a_burst_straddling_a_minute_boundary_gets_the_limit_not_twice_it(limiter, key, clock):
    before = allowed(limiter, key, LIMIT)
    clock.now += 1.0  # past the clock minute, where a fixed per-minute counter started again
    after = allowed(limiter, key, LIMIT)
    assert before == [True] * LIMIT
    assert after == [False] * LIMIT


def test_no_60_second_span_ever_holds_more_than_the_limit(limiter, key, clock):
    start, rng = clock.now, random.Random(7)
    # Steady traffic over four minutes, plus bursts on both sides of each clock minute.
    moments = [rng.uniform(0, 240) for _ in range(300)]
    moments += [edge + rng.uniform(-1, 1) for edge in (0.5, 60.5, 120.5, 180.5) for _ in range(20)]
    accepted = []
    for moment in sorted(moments):
        clock.now = start + moment
        if allowed(limiter, key) == [True]:
            accepted.append(moment)
    busiest = max(sum(1 for t in accepted if first <= t < first + 60) for first in accepted)
    assert busiest == LIMIT
    assert len(accepted) >= 4 * LIMIT  # the window moves on: each minute gets its allowance


def test_refused_requests_do_not_push_the_next_allowance_back(limiter, key, clock):
    allowed(limiter, key, LIMIT)
    for _ in range(59):
        clock.now += 1.0
        assert allowed(limiter, key) == [False]
    clock.now += 1.01
    assert allowed(limiter, key) == [True]


def test_the_wait_counts_down_to_when_the_oldest_request_leaves_the_window(limiter, key, clock):
    first = clock.now
    for _ in range(LIMIT):
        allowed(limiter, key)
        clock.now += 10.0
    clock.now = first + 45.0
    assert limiter.wait_seconds(key, LIMIT) == 15
    clock.now = first + 59.2
    assert limiter.wait_seconds(key, LIMIT) == 1


def test_each_key_has_an_allowance_of_its_own(limiter, key, clock):
    allowed(limiter, key, LIMIT)
    assert allowed(limiter, f"{key}:other", LIMIT) == [True] * LIMIT
    assert allowed(limiter, key) == [False]


# ---------- one count for every process ----------


@needs_redis
def test_two_workers_share_one_count_in_redis(key):
    one, two = RateLimiter(redis_storage(REDIS_URL)), RateLimiter(redis_storage(REDIS_URL))
    answers = [allowed(worker, key) == [True] for worker in (one, two) * LIMIT]
    assert answers == [True] * LIMIT + [False] * LIMIT


@needs_redis
def test_two_workers_of_the_app_share_one_count_through_redis(database_urls, monkeypatch):
    settings = make_settings(database_urls["sqlite"], redis_url=REDIS_URL, rate_limit_per_minute=2)
    first_worker = create_app(settings)
    tenant = build_tenant(get_runtime())
    first = [first_worker.test_client().get("/v1/me", headers=tenant.auth()).status_code for _ in range(2)]
    monkeypatch.setattr(hub.ratelimit, "_limiters", {})  # what another gunicorn worker starts with
    second_worker = create_app(settings)
    response = second_worker.test_client().get("/v1/me", headers=tenant.auth())
    assert first == [200, 200]
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert 1 <= int(response.headers["Retry-After"]) <= 60


@needs_redis
def test_counts_live_under_the_hubs_own_redis_prefix(key):
    RateLimiter(redis_storage(REDIS_URL)).wait_seconds(key, LIMIT)
    assert list(Redis.from_url(REDIS_URL).scan_iter(f"{REDIS_KEY_PREFIX}:*{key}*")) != []


# ---------- while Redis is down ----------


def test_while_redis_is_down_each_process_still_enforces_the_limit(key):
    limiter = RateLimiter(redis_storage(UNREACHABLE_REDIS))
    assert allowed(limiter, key, LIMIT + 1) == [True] * LIMIT + [False]


def test_a_redis_that_does_not_answer_holds_a_request_up_for_at_most_its_timeout(key):
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never answers
        limiter = RateLimiter(redis_storage(f"redis://127.0.0.1:{silent.getsockname()[1]}/0"))
        started = time.monotonic()
        answer = limiter.wait_seconds(key, LIMIT)
        took = time.monotonic() - started
    assert answer is None
    assert took < REDIS_TIMEOUT_SECONDS + 0.5
    assert limiter.counted_locally == 1


def test_a_redis_outage_is_logged_once_and_counted(key, clock, caplog):
    limiter = RateLimiter(redis_storage(UNREACHABLE_REDIS))
    with caplog.at_level(logging.WARNING, logger="hub.ratelimit"):
        allowed(limiter, key, 3)
        clock.now += 10.0  # past the pause: Redis is asked again, and fails again
        allowed(limiter, key, 3)
    assert len(caplog.records) == 1
    assert "counted per process" in caplog.text
    assert (limiter.redis_failures, limiter.counted_locally) == (1, 6)


def test_while_redis_is_down_it_is_asked_again_only_after_a_pause(key, clock):
    storage = SwitchableRedis(UNREACHABLE_REDIS, key_prefix=REDIS_KEY_PREFIX)
    limiter = RateLimiter(storage, retry_seconds=5.0)
    allowed(limiter, key, 3)
    clock.now += 4.9
    allowed(limiter, key)
    calls_within_the_pause = storage.calls
    clock.now += 0.2
    allowed(limiter, key)
    assert (calls_within_the_pause, storage.calls) == (1, 2)


@needs_redis
def test_when_redis_answers_again_the_count_is_shared_again(key, clock, caplog):
    storage = SwitchableRedis(REDIS_URL, key_prefix=REDIS_KEY_PREFIX)
    limiter = RateLimiter(storage, retry_seconds=5.0)
    storage.down = True
    allowed(limiter, key)
    storage.down = False
    clock.now += 5.0
    with caplog.at_level(logging.WARNING, logger="hub.ratelimit"):
        allowed(limiter, key, LIMIT)
    other_worker = RateLimiter(redis_storage(REDIS_URL))
    assert allowed(other_worker, key) == [False]
    assert "shared by every process again" in caplog.text


def test_an_app_whose_redis_is_down_still_answers_429_problem_json_with_retry_after(database_urls):
    app = create_app(make_settings(database_urls["sqlite"], redis_url=UNREACHABLE_REDIS,
                                   rate_limit_per_minute=2))
    tenant = build_tenant(get_runtime())
    answers = [app.test_client().get("/v1/me", headers=tenant.auth()) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].mimetype == "application/problem+json"
    assert answers[2].json["status"] == 429
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 60


# ---------- switched off ----------


def test_a_limit_of_zero_switches_limiting_off(database_urls):
    app = create_app(make_settings(database_urls["sqlite"], rate_limit_per_minute=0))
    tenant = build_tenant(get_runtime())
    statuses = {app.test_client().get("/v1/me", headers=tenant.auth()).status_code for _ in range(20)}
    assert statuses == {200}

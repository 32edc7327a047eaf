"""The delivery job's rules: leases, backoff, rate limits, dead letters, derived run status."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub import connectors
from hub.connectors.base import ErrorKind
from hub.deliveries import ACTION_DELIVERIES, claim, run_delivery, run_status
from hub.models import Delivery
from hub.runtime import get_runtime
from hub.work.queueing import sweep
from tests.conftest import build_tenant
from tests.doubles import Harness, RecordingConnector

BACKOFF = ACTION_DELIVERIES.backoff
MAX_ATTEMPTS = BACKOFF.max_attempts
CAESAR = {"sku": "SAL-CAESAR", "name": "Caesar salad", "price": {"amount": "8.90", "currency": "EUR"}}


@pytest.fixture
def harness(backend_app, tmp_path, monkeypatch):
    monkeypatch.setattr(connectors, "CONNECTORS", [*connectors.CONNECTORS, RecordingConnector])
    rt = get_runtime()
    # Jobs are run by hand in these tests.
    monkeypatch.setattr(rt.queue, "enqueue", lambda *args, **kwargs: None)
    return Harness(rt, backend_app.test_client(), "inprocess", tmp_path)


def start(harness, **config):
    tenant = build_tenant(harness.rt)
    con, log = harness.add_pos(tenant.hub_id, "berlin", **config)
    harness.client.post("/v1/actions/update_menu", json={"items": [CAESAR], "connection_ids": [con]},
                        headers=tenant.auth())
    with harness.rt.db.session() as s:
        delivery_id = s.scalar(select(Delivery.id).where(Delivery.connection_id == con))
    return tenant, delivery_id


def delivery(harness, delivery_id):
    with harness.rt.db.session() as s:
        return s.get(Delivery, delivery_id)


def test_backoff_grows_with_jitter_and_ends_in_a_dead_letter():
    delays = [BACKOFF.delay(ErrorKind.TRANSIENT, attempts=attempt) for attempt in range(1, MAX_ATTEMPTS)]
    assert MAX_ATTEMPTS == 8
    for delay, base in zip(delays, BACKOFF.delays, strict=True):
        assert 0.8 * base <= delay <= 1.2 * base
    assert BACKOFF.delay(ErrorKind.TRANSIENT, attempts=MAX_ATTEMPTS) is None


def test_a_rate_limited_push_is_retried_after_its_delay():
    assert BACKOFF.delay(ErrorKind.RATE_LIMITED, retry_after=42, attempts=1) == 42


def test_a_vendor_rate_limiting_for_a_while_does_not_use_up_the_attempts_in_seconds():
    # Retrying exactly after each Retry-After: 1 would make a delivery dead within 8 seconds.
    delays = [BACKOFF.delay(ErrorKind.RATE_LIMITED, retry_after=1, attempts=n) for n in range(1, 8)]
    assert sum(delays) >= 0.8 * sum(BACKOFF.delays)


def test_a_permanent_error_is_never_retried():
    assert BACKOFF.delay(ErrorKind.PERMANENT, attempts=1) is None


def test_only_one_of_two_duplicate_jobs_claims_the_delivery(harness):
    _, delivery_id = start(harness)
    with harness.rt.db.session() as s:
        first = claim(s, delivery_id)
    with harness.rt.db.session() as s:
        second = claim(s, delivery_id)
    assert first is not None and second is None
    assert run_delivery(delivery_id) == "not_claimed"


def test_a_second_delivery_to_a_busy_connection_waits(harness):
    tenant, first_id = start(harness)
    con = delivery(harness, first_id).connection_id
    harness.client.post("/v1/actions/update_menu", json={"items": [{**CAESAR, "name": "New"}],
                                                         "connection_ids": [con]}, headers=tenant.auth())
    with harness.rt.db.session() as s:
        second_id = s.scalar(select(Delivery.id).where(Delivery.connection_id == con,
                                                       Delivery.id != first_id))
        assert claim(s, first_id) is not None
    assert run_delivery(second_id) == "not_claimed"
    postponed = delivery(harness, second_id)
    assert postponed.status == "pending" and postponed.next_attempt_at is not None and postponed.attempts == 0


def test_the_last_transient_failure_is_dead_with_the_count_in_the_error(harness):
    tenant, delivery_id = start(harness, fail_times=100)
    for _ in range(MAX_ATTEMPTS):
        harness.time_passes(tenant.hub_id, 86400)
        run_delivery(delivery_id)
    dead = delivery(harness, delivery_id)
    assert dead.status == "dead" and dead.attempts == MAX_ATTEMPTS
    assert f"gave up after {MAX_ATTEMPTS} attempts" in dead.last_error


def test_an_unexpected_exception_is_retried_like_an_outage(harness, monkeypatch):
    _, delivery_id = start(harness)

    def explode(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(RecordingConnector, "push_menu", explode)
    assert run_delivery(delivery_id) == "retrying"
    failed = delivery(harness, delivery_id)
    assert failed.status == "pending" and "RuntimeError: bug" in failed.last_error


def test_a_delivery_whose_worker_dies_on_every_attempt_is_given_up(harness):
    tenant, delivery_id = start(harness)
    for _ in range(MAX_ATTEMPTS):
        with harness.rt.db.session() as s:
            assert claim(s, delivery_id) is not None  # and the worker dies
        harness.time_passes(tenant.hub_id, 3600)
    sweep(harness.rt.db, harness.rt.queue, ACTION_DELIVERIES)
    dead = delivery(harness, delivery_id)
    assert dead.status == "dead" and "worker stopped" in dead.last_error


def make(status, attempts=1):
    return Delivery(status=status, attempts=attempts)


@pytest.mark.parametrize(("statuses", "expected"), [
    ([make("pending", 0), make("pending", 0)], "pending"),
    ([make("succeeded"), make("pending", 0)], "in_progress"),
    ([make("in_progress")], "in_progress"),
    ([make("succeeded"), make("skipped", 0)], "succeeded"),
    ([make("succeeded"), make("dead")], "partially_failed"),
    ([make("dead"), make("skipped", 0)], "failed"),
    ([make("skipped", 0)], "succeeded"),
])
def test_the_run_status_is_derived_from_its_deliveries(statuses, expected):
    assert run_status(statuses) == expected

"""The work engine's shared rules: Retry-After in both forms, the backoffs, a sweep never queueing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select, update

from hub.connectors.base import map_http_error
from hub.deliveries import ACTION_DELIVERIES
from hub.hooks.kind import HOOK_DELIVERIES
from hub.models import Connection, utcnow
from hub.polling import POLLS
from hub.runtime import get_runtime
from hub.work.backoff import Backoff
from hub.work.failures import ErrorKind, parse_retry_after
from hub.work.queueing import sweep
from tests.conftest import build_tenant

NOW = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0), ("2.0", 2.0), (" 7 ", 7.0), ("-5", 0.0),
    ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0), ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),
    (None, None), ("", None), ("soon", None), ("nan", None), ("inf", None),
    ("Wed, 99 Oct 2015 07:28:00 GMT", None),
])
def test_retry_after_is_read_as_seconds_or_as_an_http_date(header, seconds):
    assert parse_retry_after(header, NOW) == seconds


def test_a_vendor_answering_with_an_http_date_is_honoured_by_its_connector():
    response = requests.Response()
    response.status_code, response._content = 429, b"slow down"
    response.headers["Retry-After"] = (utcnow() + timedelta(minutes=10)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    error = map_http_error(response, {429: ErrorKind.RATE_LIMITED})
    assert error.kind is ErrorKind.RATE_LIMITED and 590 <= error.retry_after <= 600


def test_each_kind_declares_its_schedule_once():
    assert (ACTION_DELIVERIES.backoff.max_attempts, HOOK_DELIVERIES.backoff.max_attempts) == (8, 10)
    assert POLLS.backoff.max_attempts is None
    assert {ACTION_DELIVERIES.job_id("x"), HOOK_DELIVERIES.job_id("x"), POLLS.job_id("x")} == {
        "delivery-x", "hook-x", "poll-x"}


def test_recurring_work_is_never_dead_and_never_retried_sooner_than_its_own_period():
    backoff = Backoff(delays=(30,), jitter=(1.0, 1.5), endless=True)
    assert 300 <= backoff.delay(ErrorKind.PERMANENT, attempts=99, at_least=300) <= 450
    assert backoff.delay(ErrorKind.RATE_LIMITED, retry_after=3600, at_least=60) == 3600


def test_a_capped_retry_after_is_honoured_up_to_its_cap():
    backoff = Backoff(delays=(5,), max_retry_after=600)
    assert backoff.delay(ErrorKind.RATE_LIMITED, retry_after=10**6) == 600
    assert backoff.delay(ErrorKind.TRANSIENT, retry_after=10**6) <= 6  # only rate limits carry a delay


class RecordingQueue:
    """A queue that keeps what was enqueued, and says the jobs in `waiting_ids` are still waiting."""

    def __init__(self) -> None:
        self.jobs: list[tuple] = []
        self.queues: list[str] = []
        self.waiting_ids: set[str] = set()

    def enqueue(self, func_path, *args, job_id=None, queue="hub"):
        self.jobs.append((func_path, args, job_id))
        self.queues.append(queue)

    def waiting(self, job_ids):
        return set(job_ids) & self.waiting_ids


def test_a_poll_whose_claim_ran_out_while_its_job_still_waits_keeps_its_job_and_token(backend_app):
    rt, queue = get_runtime(), RecordingQueue()
    tenant = build_tenant(rt, connection_type="sandbox", locations=())
    con = tenant.connection_id
    with rt.db.session() as s:
        s.execute(update(Connection).where(Connection.id == con)
                  .values(poll_interval_seconds=60, next_poll_at=None))
    assert sweep(rt.db, queue, POLLS, only=con) == 1
    [(job, (_, token), job_id)] = queue.jobs
    assert (job, job_id) == ("hub.polling.poll_connection", f"poll-{con}")

    later = utcnow() + POLLS.lease + timedelta(seconds=1)  # the claim ran out behind a backlog
    queue.waiting_ids = {job_id}
    assert sweep(rt.db, queue, POLLS, now=later, only=con) == 0
    with rt.db.session() as s:
        claimed_by, claimed_until = s.execute(
            select(Connection.claimed_by, Connection.claimed_until).where(Connection.id == con)).one()
    assert claimed_by == token and claimed_until == later + POLLS.lease  # the waiting job still owns it

    queue.waiting_ids = set()  # the job was lost: a new claim, a new job
    assert sweep(rt.db, queue, POLLS, now=later + POLLS.lease + timedelta(seconds=1), only=con) == 1
    assert queue.jobs[-1][1][1] != token

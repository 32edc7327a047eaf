"""X-Request-Id: taken from the client when it is a sane token, made otherwise, returned on every answer,
and carried into the log lines of the request and of the jobs it enqueues (in-process and on rq)."""

from __future__ import annotations

import logging
import re
import secrets

import pytest
from rq import SimpleWorker

from hub import create_app
from hub.auth import authorize
from hub.jobs import RqQueue
from hub.logs import log_context
from hub.runtime import get_runtime
from tests.conftest import REDIS_URL, build_tenant, make_settings
from tests.test_hooks_delivery import Receiver, subscribe
from tests.test_pos_endpoints import SALE

GENERATED = re.compile(r"[0-9a-f]{32}")
HOSTILE = {
    "NUL": "abc\x00def",
    "10 KB": "a" * 10_240,
    "newline": "abc\ndef",
    "carriage return and a header": "abc\r\nSet-Cookie: x=1",
    "129 characters": "a" * 129,
    "a space": "abc def",
    "a quote": 'abc"def',
    "not ASCII": "abcé",
    "empty": "",
}


def request_id(response) -> str:
    return response.headers["X-Request-Id"]


def test_a_sane_request_id_is_echoed(client):
    response = client.get("/openapi.json", headers={"X-Request-Id": "zap-42.run_7-A"})
    assert response.status_code == 200 and request_id(response) == "zap-42.run_7-A"


def test_a_request_id_of_128_characters_is_echoed(client):
    sent = "a" * 128
    assert request_id(client.get("/openapi.json", headers={"X-Request-Id": sent})) == sent


def test_a_request_id_is_made_when_none_is_sent(client):
    first, second = client.get("/openapi.json"), client.get("/openapi.json")
    assert GENERATED.fullmatch(request_id(first)) and GENERATED.fullmatch(request_id(second))
    assert request_id(first) != request_id(second)


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_request_id_is_replaced_by_a_new_one(client, value):
    # Through the WSGI environ: the test client itself refuses some of these in a header.
    response = client.get("/openapi.json", environ_overrides={"HTTP_X_REQUEST_ID": value})
    assert GENERATED.fullmatch(request_id(response)), response.status_code


def test_a_404_problem_carries_the_request_id(client):
    response = client.get("/no/such/endpoint", headers={"X-Request-Id": "lost-1"})
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert request_id(response) == "lost-1"


def test_a_401_problem_carries_the_request_id(client):
    response = client.get("/v1/triggers/new_purchase", headers={"X-Request-Id": "nokey-1"})
    assert response.status_code == 401 and request_id(response) == "nokey-1"


def test_an_answer_refused_by_the_request_guard_carries_a_new_request_id(client):
    response = client.get("/openapi.json", environ_overrides={"HTTP_X_REQUEST_ID": "abc\x00def"})
    assert response.status_code == 400 and GENERATED.fullmatch(request_id(response))


def test_an_unexpected_error_answer_carries_the_request_id(app, caplog):
    def explode():
        raise RuntimeError("boom")

    app.add_url_rule("/test-explode", "test_explode", explode)
    response = app.test_client().get("/test-explode", headers={"X-Request-Id": "boom-1"})
    assert response.status_code == 500 and request_id(response) == "boom-1"
    [record] = [r for r in caplog.records if r.getMessage().startswith("unhandled error")]
    assert record.log_context == {"request_id": "boom-1"}


def test_a_requests_log_lines_carry_its_id_and_once_authenticated_its_hub_and_connection(app, tenant, caplog):
    def logs_twice():
        logging.getLogger("hub.test").info("before the key")
        authorize(("pos",))
        logging.getLogger("hub.test").info("after the key")
        return {}

    app.add_url_rule("/test-logs", "test_logs", logs_twice)
    with caplog.at_level(logging.INFO):
        app.test_client().get("/test-logs", headers={"X-Request-Id": "logs-1", **tenant.auth("pos")})
    before, after = (r for r in caplog.records if r.name == "hub.test")
    assert before.log_context == {"request_id": "logs-1"}
    assert after.log_context == {"request_id": "logs-1", "hub_id": tenant.hub_id,
                                 "connection_id": tenant.connection_id}


def test_the_context_is_cleared_when_the_request_ends(client, tenant):
    client.get("/v1/triggers/new_purchase", headers={"X-Request-Id": "done-1", **tenant.auth()})
    assert log_context() == {}


def gone_lines(caplog, hook_id):
    return [r for r in caplog.records if r.getMessage() == f"hook {hook_id} answered 410 Gone; "
            "subscription deleted"]


def test_a_hook_delivery_job_run_in_process_logs_with_the_request_id_of_the_purchase_that_made_it(
        client, tenant, caplog):
    receiver = Receiver(answers=[(410, {})])
    try:
        hook = subscribe(client, tenant, receiver.url)
        with caplog.at_level(logging.INFO):
            response = client.post("/v1/pos/purchases", json=SALE,
                                   headers={"X-Request-Id": "sale-1", **tenant.auth("pos")})
            assert response.status_code == 200 and request_id(response) == "sale-1"
            get_runtime().queue.drain()
    finally:
        receiver.close()
    [record] = gone_lines(caplog, hook["id"])
    assert record.log_context["request_id"] == "sale-1" and record.log_context["hub_id"] == tenant.hub_id
    assert record.log_context["job_id"]  # the delivery's job id
    assert "connection_id" not in record.log_context


@pytest.mark.skipif(not REDIS_URL, reason="HUB_TEST_REDIS_URL is not set")
def test_a_hook_delivery_job_run_by_an_rq_worker_logs_with_the_request_id_of_the_purchase_that_made_it(
        database_urls, caplog):
    app = create_app(make_settings(database_urls["sqlite"], redis_url=REDIS_URL))
    runtime = app.extensions["hub_runtime"]
    queue = RqQueue(REDIS_URL, prefix=f"logtest-{secrets.token_hex(4)}:")  # queues of this test alone
    runtime.__dict__["queue"] = queue
    client, tenant = app.test_client(), build_tenant(runtime)
    receiver = Receiver(answers=[(410, {})])
    try:
        hook = subscribe(client, tenant, receiver.url)
        response = client.post("/v1/pos/purchases", json=SALE,
                               headers={"X-Request-Id": "rq-sale-1", **tenant.auth("pos")})
        assert response.status_code == 200
        rq_queue = queue.rq_queue("hook_deliveries")
        [job] = rq_queue.get_jobs()
        assert job.meta["log_context"] == {"request_id": "rq-sale-1", "hub_id": tenant.hub_id}
        with caplog.at_level(logging.INFO):
            SimpleWorker([rq_queue], connection=queue.redis).work(burst=True)
    finally:
        receiver.close()
        queue.rq_queue("hook_deliveries").delete(delete_jobs=True)
    [record] = gone_lines(caplog, hook["id"])
    assert record.log_context == {"request_id": "rq-sale-1", "hub_id": tenant.hub_id, "job_id": job.id}


@pytest.mark.skipif(not REDIS_URL, reason="HUB_TEST_REDIS_URL is not set")
def test_a_job_enqueued_on_rq_outside_any_request_carries_no_context(database_urls):
    queue = RqQueue(REDIS_URL, prefix=f"logtest-{secrets.token_hex(4)}:")
    try:
        queue.enqueue("tests.test_logs.job_that_logs", "item-1", job_id=f"logtest-{secrets.token_hex(4)}")
        [job] = queue.rq_queue().get_jobs()
        assert "log_context" not in job.meta
    finally:
        queue.rq_queue().delete(delete_jobs=True)

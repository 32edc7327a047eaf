"""POST /v1/webhooks/<connection_id>: vendor callbacks checked with the vendor's signature scheme."""

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from hub import create_app
from hub.callbacks import RETENTION, purge_old_callback_events
from hub.models import CallbackEvent, Connection, utcnow
from hub.runtime import get_runtime
from tests.conftest import build_tenant, run_concurrently

SIGNATURE_KEY = "Ws3nK0-test-signature-key"
EVENT = {"merchant_id": "ML8M1AQ1GQG2K", "type": "order.updated", "event_id": "c2a0d9a6-4ad1-4b3c-9f39",
         "created_at": "2026-11-23T10:00:00Z", "data": {"type": "order_updated", "id": "ORD-77"}}


def square_tenant(rt):
    tenant = build_tenant(rt, connection_type="square", locations=(),
                          credentials={"access_token": "EAAAl-test", "webhook_signature_key": SIGNATURE_KEY})
    with rt.db.session() as s:
        s.execute(update(Connection).where(Connection.id == tenant.connection_id)
                  .values(next_poll_at=None, poll_interval_seconds=3600))
    return tenant


def signed(url: str, body: bytes, key: str = SIGNATURE_KEY) -> str:
    return base64.b64encode(hmac.new(key.encode(), url.encode() + body, hashlib.sha256).digest()).decode()


def test_a_signed_square_webhook_makes_the_connection_due_for_an_early_poll(client):
    rt = get_runtime()
    tenant = square_tenant(rt)
    url = f"http://localhost/v1/webhooks/{tenant.connection_id}"
    body = json.dumps(EVENT).encode()
    before = utcnow()
    response = client.post(url, data=body, content_type="application/json",
                           headers={"x-square-hmacsha256-signature": signed(url, body)})
    assert response.status_code == 200
    assert response.json == {"received": True, "event_id": EVENT["event_id"], "poll_scheduled": True,
                             "duplicate": False}
    with rt.db.session() as s:
        connection = s.get(Connection, tenant.connection_id)
    assert connection.next_poll_at >= before
    assert connection.status == "online"


def test_a_webhook_with_a_bad_signature_is_401_and_changes_nothing(client):
    rt = get_runtime()
    tenant = square_tenant(rt)
    url = f"http://localhost/v1/webhooks/{tenant.connection_id}"
    body = json.dumps(EVENT).encode()
    response = client.post(url, data=body, content_type="application/json",
                           headers={"x-square-hmacsha256-signature": signed(url, body, "wrong-key")})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    with rt.db.session() as s:
        assert s.get(Connection, tenant.connection_id).next_poll_at is None


def test_a_webhook_for_an_unknown_connection_is_404(client):
    response = client.post("/v1/webhooks/con_nothere", data=b"{}", content_type="application/json")
    assert response.status_code == 404


def test_a_connection_that_takes_no_callbacks_answers_404(client, tenant):
    response = client.post(f"/v1/webhooks/{tenant.connection_id}", data=b"{}",
                           content_type="application/json")
    assert response.status_code == 404


def send(client, tenant, event=EVENT, key=SIGNATURE_KEY, **kwargs):
    """POST a Square callback signed with `key`."""
    url = f"http://localhost/v1/webhooks/{tenant.connection_id}"
    body = json.dumps(event).encode()
    return client.post(url, data=body, content_type="application/json",
                       headers={"x-square-hmacsha256-signature": signed(url, body, key)}, **kwargs)


def take_offline(tenant):
    """As if the POS had been silent for an hour: offline, and no poll due."""
    with get_runtime().db.session() as s:
        s.execute(update(Connection).where(Connection.id == tenant.connection_id)
                  .values(status="offline", offline_since=utcnow() - timedelta(hours=1), next_poll_at=None))


def connection(tenant):
    with get_runtime().db.session() as s:
        return s.get(Connection, tenant.connection_id)


def test_a_replayed_callback_answers_200_duplicate_and_does_nothing(backend_client):
    tenant = square_tenant(get_runtime())
    assert send(backend_client, tenant).status_code == 200
    take_offline(tenant)
    replay = send(backend_client, tenant)
    assert replay.status_code == 200
    assert replay.json == {"received": True, "event_id": EVENT["event_id"], "poll_scheduled": False,
                           "duplicate": True}
    after = connection(tenant)
    assert after.status == "offline" and after.next_poll_at is None


def test_another_event_of_the_same_connection_is_processed(client):
    tenant = square_tenant(get_runtime())
    send(client, tenant)
    take_offline(tenant)
    response = send(client, tenant, {**EVENT, "event_id": "another-event"})
    assert response.json["duplicate"] is False and connection(tenant).status == "online"


def test_the_same_event_id_on_two_connections_is_two_events(client):
    first, second = square_tenant(get_runtime()), square_tenant(get_runtime())
    send(client, first)
    assert send(client, second).json["duplicate"] is False


def test_concurrent_deliveries_of_one_event_are_processed_once(backend_app):
    tenant = square_tenant(get_runtime())
    answers = run_concurrently(5, lambda: send(backend_app.test_client(), tenant).json["duplicate"])
    assert sorted(answers) == [False, True, True, True, True]


def test_a_callback_without_an_event_id_is_deduplicated_by_its_signed_body(client):
    tenant = square_tenant(get_runtime())
    event = {key: value for key, value in EVENT.items() if key != "event_id"}
    assert send(client, tenant, event).json["duplicate"] is False
    assert send(client, tenant, event).json["duplicate"] is True


def test_a_bad_signature_is_401_even_for_a_known_event_id(client):
    tenant = square_tenant(get_runtime())
    send(client, tenant)
    assert send(client, tenant, key="wrong-key").status_code == 401


def test_event_ids_are_kept_for_the_retention_period_and_then_forgotten(client):
    tenant = square_tenant(get_runtime())
    send(client, tenant)
    db = get_runtime().db
    purge_old_callback_events(db, now=utcnow() + RETENTION - timedelta(minutes=1))
    kept = select(func.count()).select_from(CallbackEvent).where(
        CallbackEvent.connection_id == tenant.connection_id)
    with db.session() as s:
        assert s.scalar(kept) == 1
    purge_old_callback_events(db, now=utcnow() + RETENTION + timedelta(minutes=1))
    with db.session() as s:
        assert s.scalar(kept) == 0


def test_the_retention_outlasts_the_vendors_redelivery_windows():
    # Square retries for up to 24 hours, Shopify 8 times over 4 hours.
    assert RETENTION >= timedelta(days=2)


def test_the_scheduler_forgets_old_event_ids():
    from hub.config import Settings
    from hub.retention import Policy
    from hub.scheduler import registered_sweeps

    assert "retention" in {sweep.name for sweep in registered_sweeps()}  # callback_events among its kinds
    assert Policy.from_settings(Settings()).callback_events == RETENTION


@pytest.fixture
def limited_app(settings):
    """The app with a limit of two requests a minute."""
    app = create_app(replace(settings, rate_limit_per_minute=2))
    yield app
    app.extensions["hub_runtime"].queue.drain()


def address():
    """A source address of its own, so no other test's requests count against it."""
    return {"REMOTE_ADDR": f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"}


def test_callbacks_past_the_per_minute_limit_of_a_connection_get_429_with_retry_after(limited_app):
    client, tenant = limited_app.test_client(), square_tenant(get_runtime())
    answers = [send(client, tenant, {**EVENT, "event_id": f"e-{i}"}, environ_base=address())
               for i in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].mimetype == "application/problem+json"
    assert int(answers[2].headers["Retry-After"]) >= 1


def test_unknown_connections_are_rate_limited_per_source_address(limited_app):
    client, source = limited_app.test_client(), address()
    statuses = [client.post(f"/v1/webhooks/con_{secrets.token_hex(8)}", data=b"{}",
                            content_type="application/json", environ_base=source).status_code
                for _ in range(3)]
    assert statuses == [404, 404, 429]
    other = client.post("/v1/webhooks/con_nothere", data=b"{}", content_type="application/json",
                        environ_base=address())
    assert other.status_code == 404


def test_an_unknown_id_and_a_connection_without_callbacks_get_the_same_404(client, tenant):
    unknown = client.post("/v1/webhooks/con_nothere", data=b"{}", content_type="application/json")
    push = client.post(f"/v1/webhooks/{tenant.connection_id}", data=b"{}", content_type="application/json")
    assert unknown.status_code == push.status_code == 404
    assert unknown.json["detail"] == push.json["detail"]


def test_credentials_are_not_decrypted_for_a_connection_that_takes_no_callbacks(client, tenant, monkeypatch):
    def refuse(*args):
        raise AssertionError("credentials decrypted")

    monkeypatch.setattr(get_runtime().vault, "decrypt_json", refuse)
    response = client.post(f"/v1/webhooks/{tenant.connection_id}", data=b"{}",
                           content_type="application/json")
    assert response.status_code == 404

"""POST /v1/webhooks/<connection_id>: vendor callbacks checked with the vendor's signature scheme."""

import base64
import hashlib
import hmac
import json

from sqlalchemy import update

from hub.models import Connection, utcnow
from hub.runtime import get_runtime
from tests.conftest import build_tenant

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
    assert response.json == {"received": True, "event_id": EVENT["event_id"], "poll_scheduled": True}
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

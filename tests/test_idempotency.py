"""Idempotency-Key: a retried POST gets the first answer and does nothing more."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from hub.admin import add_connection
from hub.idempotency import purge_expired
from hub.keys import issue_key
from hub.models import ActionRun, Connection, Event, IdempotencyRecord, Purchase, utcnow
from hub.runtime import get_runtime
from tests.conftest import run_concurrently

CAESAR = {"sku": "SAL-CAESAR", "name": "Caesar salad", "price": {"amount": "8.90", "currency": "EUR"}}
SALE = {"external_id": "T-1", "location_external_id": "fridge-1", "occurred_at": "2026-01-05T12:00:00Z",
        "lines": [{"sku": "SAL-CAESAR", "quantity": 1, "unit_price": "8.90"}], "currency": "EUR"}


def runs(hub_id):
    with get_runtime().db.session() as s:
        return s.scalar(select(func.count()).select_from(ActionRun).where(ActionRun.hub_id == hub_id))


def post(client, tenant, body, key, path="/v1/actions/update_menu", scope="automation"):
    return client.post(path, json=body, headers={**tenant.auth(scope), "Idempotency-Key": key})


def test_the_same_key_twice_creates_one_action_run_and_replays_the_answer(backend_client, backend_tenant):
    first = post(backend_client, backend_tenant, {"items": [CAESAR]}, "k-1")
    second = post(backend_client, backend_tenant, {"items": [CAESAR]}, "k-1")
    assert first.status_code == second.status_code == 202
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert runs(backend_tenant.hub_id) == 1


def test_key_order_and_spacing_of_the_body_do_not_matter(client, tenant):
    post(client, tenant, {"items": [CAESAR]}, "k-1")
    reordered = client.post("/v1/actions/update_menu", data='{ "items": [{"price": {"currency": "EUR", '
                            '"amount": "8.90"}, "name": "Caesar salad", "sku": "SAL-CAESAR"}] }',
                            content_type="application/json",
                            headers={**tenant.auth(), "Idempotency-Key": "k-1"})
    assert reordered.status_code == 202 and reordered.headers.get("Idempotent-Replayed") == "true"


def test_the_same_key_with_another_body_is_a_409(backend_client, backend_tenant):
    post(backend_client, backend_tenant, {"items": [CAESAR]}, "k-1")
    other = post(backend_client, backend_tenant, {"items": [{**CAESAR, "name": "Other"}]}, "k-1")
    assert other.status_code == 409
    assert other.headers["Content-Type"] == "application/problem+json"
    assert runs(backend_tenant.hub_id) == 1


def test_keys_belong_to_one_hub(client, tenant, other_tenant):
    post(client, tenant, {"items": [CAESAR]}, "shared")
    answer = post(client, other_tenant, {"items": [CAESAR]}, "shared")
    assert answer.headers.get("Idempotent-Replayed") is None
    assert runs(other_tenant.hub_id) == 1


def test_two_pos_keys_of_one_hub_sending_the_same_key_each_get_their_own_answer(backend_client,
                                                                              backend_tenant):
    rt = get_runtime()
    with rt.db.session() as s:
        second = add_connection(s, rt.vault, backend_tenant.hub_id, "push", "Gym fridge", {}, {})
        second_key = issue_key(s, backend_tenant.hub_id, "pos", second.id).key
    fridges = [(backend_tenant.connection_id, backend_tenant.auth("pos")),
               (second.id, {"Authorization": f"Bearer {second_key}"})]
    for connection_id, auth in fridges:
        answer = backend_client.post("/v1/pos/heartbeat", json={},
                                     headers={**auth, "Idempotency-Key": "hb-1"})
        assert answer.status_code == 200
        assert answer.headers.get("Idempotent-Replayed") is None
        assert answer.get_json()["connection_id"] == connection_id
    with rt.db.session() as s:
        assert s.get(Connection, second.id).last_contact_at is not None


def test_each_api_key_replays_only_its_own_answer(client, tenant):
    post(client, tenant, {"items": [CAESAR]}, "shared", scope="admin")
    post(client, tenant, {"items": [CAESAR]}, "shared")
    again = post(client, tenant, {"items": [CAESAR]}, "shared")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert runs(tenant.hub_id) == 2


def test_a_rejected_request_does_not_burn_its_key(client, tenant):
    assert post(client, tenant, {"items": [{"sku": "NEW"}]}, "k-1").status_code == 422
    assert post(client, tenant, {"items": [CAESAR]}, "k-1").status_code == 202


def test_concurrent_requests_with_one_key_create_one_run(backend_app, backend_tenant):
    def send():
        response = post(backend_app.test_client(), backend_tenant, {"items": [CAESAR]}, "race")
        return response.status_code, response.get_json()["id"]

    answers = run_concurrently(5, send)
    assert {status for status, _ in answers} == {202}
    assert len({run_id for _, run_id in answers}) == 1
    assert runs(backend_tenant.hub_id) == 1


def test_a_purchase_post_with_a_key_is_replayed(client, tenant):
    first = post(client, tenant, SALE, "p-1", path="/v1/pos/purchases", scope="pos")
    second = post(client, tenant, SALE, "p-1", path="/v1/pos/purchases", scope="pos")
    assert first.get_json() == second.get_json() and first.get_json()["created"] == 1
    with get_runtime().db.session() as s:
        purchases = select(func.count()).select_from(Purchase).where(Purchase.hub_id == tenant.hub_id)
        assert s.scalar(purchases) == 1
        assert s.scalar(select(func.count()).select_from(Event).where(Event.hub_id == tenant.hub_id)) == 1


def test_an_empty_or_overlong_key_is_a_400(client, tenant):
    assert post(client, tenant, {"items": [CAESAR]}, " ").status_code == 400
    assert post(client, tenant, {"items": [CAESAR]}, "x" * 256).status_code == 400


def test_keys_are_kept_a_day_and_then_purged(client, tenant):
    post(client, tenant, {"items": [CAESAR]}, "old")
    rt = get_runtime()
    assert purge_expired(rt.db, now=utcnow() + timedelta(hours=23)) == 0
    assert purge_expired(rt.db, now=utcnow() + timedelta(hours=25)) >= 1
    with rt.db.session() as s:
        assert s.scalar(select(IdempotencyRecord).where(IdempotencyRecord.hub_id == tenant.hub_id,
                                                         IdempotencyRecord.key == "old")) is None

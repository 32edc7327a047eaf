"""REST hook subscriptions: create (secret shown once), list, delete, tenant isolation, target checks."""

import json
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from hub import create_app
from hub.models import HookSubscription, IdempotencyRecord
from hub.runtime import get_runtime
from hub.schemas import validate
from tests.conftest import build_tenant, make_settings, run_concurrently

TARGET = "http://127.0.0.1:9/hooks/zap"


def subscribe(client, tenant, **body):
    return client.post("/v1/hooks", json={"trigger": "new_purchase", "target_url": TARGET, **body},
                       headers=tenant.auth())


def error_paths(response):
    return [e["path"] for e in response.get_json()["errors"]]


def test_subscribing_answers_201_with_an_id_and_a_standard_webhooks_secret(backend_client, backend_tenant):
    location_id = backend_tenant.location_ids[0]
    response = subscribe(backend_client, backend_tenant, filters={"location_id": location_id})
    assert response.status_code == 201
    body = response.get_json()
    assert validate("hooks/subscription.output.json", body) == []
    assert body["id"].startswith("hook_") and body["secret"].startswith("whsec_")
    assert body["filters"] == {"location_id": location_id}


def test_the_secret_is_stored_encrypted_and_never_shown_again(client, tenant):
    created = subscribe(client, tenant).get_json()
    rt = get_runtime()
    with rt.db.session() as s:
        stored = s.get(HookSubscription, created["id"]).secret_encrypted
    assert created["secret"] not in stored
    assert rt.vault.decrypt_json(stored) == created["secret"]
    listed = client.get("/v1/hooks", headers=tenant.auth()).get_json()
    assert [h["id"] for h in listed] == [created["id"]] and "secret" not in listed[0]
    assert "secret" not in client.get(f"/v1/hooks/{created['id']}", headers=tenant.auth()).get_json()


def test_deleting_a_subscription_answers_204_and_removes_it(backend_client, backend_tenant):
    hook_id = subscribe(backend_client, backend_tenant).get_json()["id"]
    assert backend_client.delete(f"/v1/hooks/{hook_id}", headers=backend_tenant.auth()).status_code == 204
    assert backend_client.get("/v1/hooks", headers=backend_tenant.auth()).get_json() == []
    assert backend_client.delete(f"/v1/hooks/{hook_id}", headers=backend_tenant.auth()).status_code == 404


def test_another_hubs_subscription_is_404_everywhere(client, tenant, other_tenant):
    hook_id = subscribe(client, other_tenant).get_json()["id"]
    for method, path in [("delete", f"/v1/hooks/{hook_id}"), ("get", f"/v1/hooks/{hook_id}"),
                         ("get", f"/v1/hooks/{hook_id}/deliveries"),
                         ("post", f"/v1/hooks/{hook_id}/deliveries/hdl_x/replay")]:
        assert getattr(client, method)(path, headers=tenant.auth()).status_code == 404, path
    assert client.get("/v1/hooks", headers=tenant.auth()).get_json() == []
    assert client.get(f"/v1/hooks/{hook_id}", headers=other_tenant.auth()).status_code == 200


def test_an_unknown_trigger_is_refused_on_trigger(client, tenant):
    response = subscribe(client, tenant, trigger="new_order")
    assert response.status_code == 422 and error_paths(response) == ["/trigger"]


def test_filters_are_checked_against_the_triggers_filters(client, tenant):
    response = subscribe(client, tenant, trigger="pos_offline", filters={"sku": "SAL-CAESAR"})
    assert response.status_code == 422 and error_paths(response) == ["/filters/sku"]


def test_a_filter_naming_another_hubs_location_is_refused(client, tenant, other_tenant):
    response = subscribe(client, tenant, filters={"location_id": other_tenant.location_ids[0]})
    assert response.status_code == 422 and error_paths(response) == ["/filters/location_id"]


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "127.0.0.1/hook", "javascript:alert(1)"])
def test_only_http_and_https_targets_are_accepted(client, tenant, url):
    response = subscribe(client, tenant, target_url=url)
    assert response.status_code == 422 and "/target_url" in error_paths(response)


def test_a_missing_body_field_is_listed(client, tenant):
    response = client.post("/v1/hooks", json={}, headers=tenant.auth())
    assert response.status_code == 422 and error_paths(response) == ["/target_url", "/trigger"]


@pytest.fixture
def strict_app(database_urls):
    """An app with no allow-listed hook hosts, as in production."""
    app = create_app(make_settings(database_urls["sqlite"], hook_allowed_hosts=()))
    yield app
    app.extensions["hub_runtime"].queue.drain()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/hook",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/hook", "http://0.0.0.0/hook",
    "https://192.168.1.20/hook", "http://[::ffff:127.0.0.1]/hook",
])
def test_private_loopback_and_metadata_targets_are_refused(strict_app, url):
    tenant = build_tenant(get_runtime())
    response = subscribe(strict_app.test_client(), tenant, target_url=url)
    assert response.status_code == 422
    assert error_paths(response) == ["/target_url"]
    assert "private or reserved" in response.get_json()["errors"][0]["message"]


def test_a_host_name_resolving_to_a_private_address_is_refused(strict_app, monkeypatch):
    monkeypatch.setattr("hub.hooks.targets.resolve", lambda host, port: ["203.0.113.9", "10.0.0.7"])
    tenant = build_tenant(get_runtime())
    response = subscribe(strict_app.test_client(), tenant, target_url="https://hooks.example.com/x")
    assert response.status_code == 422 and error_paths(response) == ["/target_url"]


def test_a_host_name_resolving_to_public_addresses_is_accepted(strict_app, monkeypatch):
    monkeypatch.setattr("hub.hooks.targets.resolve", lambda host, port: ["93.184.215.14"])
    tenant = build_tenant(get_runtime())
    response = subscribe(strict_app.test_client(), tenant, target_url="https://hooks.example.com/x")
    assert response.status_code == 201


def test_an_unresolvable_host_is_refused(strict_app, monkeypatch):
    def fail(host, port):
        raise OSError("no such host")

    monkeypatch.setattr("hub.hooks.targets.resolve", fail)
    tenant = build_tenant(get_runtime())
    response = subscribe(strict_app.test_client(), tenant, target_url="https://nowhere.invalid/x")
    assert response.status_code == 422 and "could not be resolved" in response.get_json()["detail"]


def test_subscriptions_of_one_hub_are_listed_newest_first(client, tenant):
    first = subscribe(client, tenant).get_json()["id"]
    second = subscribe(client, tenant, trigger="low_stock").get_json()["id"]
    listed = client.get("/v1/hooks", headers=tenant.auth()).get_json()
    assert [h["id"] for h in listed] == [second, first]
    with get_runtime().db.session() as s:
        stored = s.scalars(select(HookSubscription.id).where(HookSubscription.hub_id == tenant.hub_id))
        assert set(stored) == {first, second}


def test_a_retried_subscribe_with_an_idempotency_key_creates_one_subscription_and_replays_it(backend_client,
                                                                                              backend_tenant):
    headers = {**backend_tenant.auth(), "Idempotency-Key": "zap-42-subscribe"}
    body = {"trigger": "new_purchase", "target_url": TARGET}
    first = backend_client.post("/v1/hooks", json=body, headers=headers)
    again = backend_client.post("/v1/hooks", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = backend_client.get("/v1/hooks", headers=backend_tenant.auth()).get_json()
    assert [h["id"] for h in listed] == [first.get_json()["id"]]


def test_the_replayable_answer_of_a_subscribe_does_not_store_the_secret_in_plain_text(client, tenant):
    secret = client.post("/v1/hooks", json={"trigger": "new_purchase", "target_url": TARGET},
                         headers={**tenant.auth(), "Idempotency-Key": "k-secret"}).get_json()["secret"]
    with get_runtime().db.session() as s:
        stored = s.scalars(select(IdempotencyRecord.response_body)
                           .where(IdempotencyRecord.hub_id == tenant.hub_id)).all()
    assert len(stored) == 1 and secret not in json.dumps(stored)


@pytest.fixture
def capped_app(backend_settings):
    """The app on each backend with room for three hook subscriptions per hub."""
    app = create_app(replace(backend_settings, max_hook_subscriptions=3))
    yield app
    app.extensions["hub_runtime"].queue.drain()


def test_a_hub_at_its_subscription_limit_gets_a_409_naming_the_limit_and_how_to_free_a_place(capped_app):
    client, tenant = capped_app.test_client(), build_tenant(get_runtime())
    for _ in range(3):
        assert subscribe(client, tenant).status_code == 201
    refused = subscribe(client, tenant)
    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert "3" in problem["detail"] and "DELETE /v1/hooks/" in problem["detail"]
    assert len(client.get("/v1/hooks", headers=tenant.auth()).get_json()) == 3


def test_deleting_a_subscription_frees_a_place_under_the_limit(capped_app):
    client, tenant = capped_app.test_client(), build_tenant(get_runtime())
    ids = [subscribe(client, tenant).get_json()["id"] for _ in range(3)]
    assert client.delete(f"/v1/hooks/{ids[0]}", headers=tenant.auth()).status_code == 204
    assert subscribe(client, tenant).status_code == 201


def test_the_limit_counts_each_hub_on_its_own(capped_app):
    client = capped_app.test_client()
    full, other = build_tenant(get_runtime()), build_tenant(get_runtime(), name="Other hub")
    for _ in range(3):
        subscribe(client, full)
    assert subscribe(client, other).status_code == 201


def test_concurrent_subscribes_never_exceed_the_limit(capped_app):
    tenant = build_tenant(get_runtime())
    statuses = run_concurrently(8, lambda: subscribe(capped_app.test_client(), tenant).status_code)
    assert sorted(statuses) == [201] * 3 + [409] * 5
    with get_runtime().db.session() as s:
        assert s.scalar(select(func.count()).select_from(HookSubscription)
                        .where(HookSubscription.hub_id == tenant.hub_id)) == 3

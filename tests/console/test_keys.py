"""The console's keys page: a key is shown once, the database holds only its hash, revoking is confirmed."""

import hashlib
import re

from sqlalchemy import select

from hub.models import ApiKey
from hub.runtime import get_runtime
from tests.console.conftest import post_form

SHOWN_KEY = re.compile(r"hub_[A-Za-z0-9]+_[A-Za-z0-9]+")


def keys_url(tenant) -> str:
    return f"/console/hubs/{tenant.hub_id}/keys"


def create(client, tenant, **form):
    data = {"scope": "automation", "name": "Zapier – marketing", "connection_id": ""}
    data.update(form)
    return post_form(client, keys_url(tenant), data)


def test_the_keys_page_needs_sign_in(client, tenant):
    response = client.get(keys_url(tenant))
    assert response.status_code == 302
    assert "/console/login" in response.headers["Location"]


def test_the_keys_page_lists_keys_by_prefix_never_their_secret(admin_key_client, tenant):
    page = admin_key_client.get(keys_url(tenant)).get_data(as_text=True)
    prefix = tenant.automation_key.split("_")[1]
    assert f"hub_{prefix}_…" in page
    for key in (tenant.automation_key, tenant.admin_key, tenant.pos_key):
        assert key.split("_")[2] not in page
    assert "pos" in page and "Test hub POS" in page  # the pos key's connection


def test_a_created_key_is_shown_once_and_the_database_holds_only_its_hash(operator_client, tenant):
    created = create(operator_client, tenant)
    assert created.status_code == 303
    first = operator_client.get(created.headers["Location"])
    assert first.headers["Cache-Control"] == "no-store"
    [key] = SHOWN_KEY.findall(first.get_data(as_text=True))
    assert 'data-copy="#new-key"' in first.get_data(as_text=True)
    second = operator_client.get(created.headers["Location"]).get_data(as_text=True)
    assert key not in second
    assert "cannot be shown again" in second
    assert key not in operator_client.get(keys_url(tenant)).get_data(as_text=True)
    _, prefix, secret = key.split("_")
    with get_runtime().db.session() as s:
        row = s.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        assert row.hub_id == tenant.hub_id and row.scope == "automation" and row.name == "Zapier – marketing"
        assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in repr([row.prefix, row.secret_hash, row.name])


def test_the_created_key_works_on_the_api(operator_client, client, tenant):
    location = create(operator_client, tenant).headers["Location"]
    [key] = SHOWN_KEY.findall(operator_client.get(location).get_data(as_text=True))
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200
    assert me.get_json()["scope"] == "automation"


def test_a_pos_key_without_its_connection_is_refused_next_to_the_field(operator_client, tenant):
    response = create(operator_client, tenant, scope="pos")
    assert response.status_code == 422
    assert "choose it" in response.get_data(as_text=True)


def test_a_pos_key_is_bound_to_the_chosen_connection(operator_client, tenant):
    created = create(operator_client, tenant, scope="pos", connection_id=tenant.connection_id)
    location = created.headers["Location"]
    operator_client.get(location)
    key_id = location.split("/")[-2]
    with get_runtime().db.session() as s:
        assert s.get(ApiKey, key_id).connection_id == tenant.connection_id


def test_another_hubs_connection_cannot_be_bound_to_a_pos_key(operator_client, tenant, other_tenant):
    response = create(operator_client, tenant, scope="pos", connection_id=other_tenant.connection_id)
    assert response.status_code == 422


def test_revoking_asks_first_and_then_the_key_gets_401(operator_client, client, tenant):
    assert client.get("/v1/me", headers=tenant.auth()).status_code == 200
    with get_runtime().db.session() as s:
        key_id = s.scalar(select(ApiKey.id).where(ApiKey.prefix == tenant.automation_key.split("_")[1]))
    confirm_url = f"{keys_url(tenant)}/{key_id}/revoke"
    confirm = operator_client.get(confirm_url)
    assert confirm.status_code == 200
    assert "stops working at once" in confirm.get_data(as_text=True)
    assert client.get("/v1/me", headers=tenant.auth()).status_code == 200  # asking revoked nothing
    done = post_form(operator_client, confirm_url)
    assert done.status_code == 303
    assert client.get("/v1/me", headers=tenant.auth()).status_code == 401
    listed = operator_client.get(keys_url(tenant)).get_data(as_text=True)
    assert "revoked" in listed


def test_revoking_without_the_csrf_token_is_refused(operator_client, client, tenant):
    with get_runtime().db.session() as s:
        key_id = s.scalar(select(ApiKey.id).where(ApiKey.prefix == tenant.automation_key.split("_")[1]))
    response = operator_client.post(f"{keys_url(tenant)}/{key_id}/revoke")
    assert response.status_code == 400
    assert client.get("/v1/me", headers=tenant.auth()).status_code == 200


def test_an_admin_key_sees_no_other_hubs_keys(admin_key_client, tenant, other_tenant):
    assert admin_key_client.get(keys_url(other_tenant)).status_code == 404
    with get_runtime().db.session() as s:
        other_key = s.scalar(select(ApiKey.id).where(ApiKey.hub_id == other_tenant.hub_id))
    assert admin_key_client.get(f"{keys_url(tenant)}/{other_key}/revoke").status_code == 404
    assert admin_key_client.get(f"{keys_url(tenant)}/{other_key}/created").status_code == 404


def test_without_keys_the_page_says_to_create_an_automation_key(operator_client):
    from hub.admin import create_hub

    with get_runtime().db.session() as s:
        hub_id = create_hub(s, "Empty hub").id
    page = operator_client.get(f"/console/hubs/{hub_id}/keys").get_data(as_text=True)
    assert "no API keys yet" in page
    assert "automation" in page

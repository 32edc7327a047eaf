"""API keys, scopes and tenant isolation."""

import re

import pytest
from sqlalchemy import select

from hub.keys import SCOPES
from hub.models import ApiKey
from hub.openapi import build_openapi
from hub.runtime import get_runtime


def test_me_answers_the_hub_and_scope_for_a_bearer_key(client, tenant):
    response = client.get("/v1/me", headers=tenant.auth())
    assert response.status_code == 200
    assert response.json["hub"] == {"id": tenant.hub_id, "name": "Test hub", "timezone": "UTC",
                                    "currency": "EUR"}
    assert response.json["scope"] == "automation"


def test_me_accepts_the_key_in_x_api_key(client, tenant):
    response = client.get("/v1/me", headers={"X-API-Key": tenant.admin_key})
    assert response.status_code == 200
    assert response.json["scope"] == "admin"


def test_pos_key_reports_its_bound_connection(client, tenant):
    response = client.get("/v1/me", headers=tenant.auth("pos"))
    assert response.json["connection_id"] == tenant.connection_id


def test_request_without_key_is_401_problem_json(client):
    response = client.get("/v1/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 401
    assert "WWW-Authenticate" in response.headers


def test_wrong_secret_for_a_known_prefix_is_401(client, tenant):
    prefix = tenant.automation_key.split("_")[1]
    response = client.get("/v1/me", headers={"Authorization": f"Bearer hub_{prefix}_wrongsecret"})
    assert response.status_code == 401


def test_revoked_key_is_401(client, tenant):
    keys = client.get("/v1/admin/keys", headers=tenant.auth("admin")).json
    automation = next(k for k in keys if k["scope"] == "automation")
    assert (
        client.delete(f"/v1/admin/keys/{automation['id']}", headers=tenant.auth("admin")).status_code == 204
    )
    response = client.get("/v1/me", headers=tenant.auth())
    assert response.status_code == 401
    assert "revoked" in response.json["detail"]


def test_keys_are_stored_as_prefix_and_hash_only(app, tenant):
    with get_runtime().db.session() as s:
        stored = s.scalars(select(ApiKey).where(ApiKey.hub_id == tenant.hub_id)).all()
    secret = tenant.automation_key.split("_")[2]
    for record in stored:
        assert secret not in record.secret_hash
        assert len(record.secret_hash) == 64


def test_automation_key_cannot_use_admin_endpoints(client, tenant):
    response = client.get("/v1/admin/keys", headers=tenant.auth())
    assert response.status_code == 403
    assert "admin" in response.json["detail"]


def test_pos_key_cannot_use_admin_endpoints(client, tenant):
    assert client.get("/v1/admin/keys", headers=tenant.auth("pos")).status_code == 403


def test_another_hubs_connection_is_404(client, tenant, other_tenant):
    response = client.get(f"/v1/admin/connections/{other_tenant.connection_id}", headers=tenant.auth("admin"))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_unknown_connection_and_another_hubs_connection_answer_alike(client, tenant, other_tenant):
    foreign = client.get(f"/v1/admin/connections/{other_tenant.connection_id}", headers=tenant.auth("admin"))
    unknown = client.get("/v1/admin/connections/con_doesnotexist", headers=tenant.auth("admin"))
    assert foreign.json["detail"] == unknown.json["detail"]


def test_another_hubs_key_cannot_be_revoked(client, tenant, other_tenant):
    keys = client.get("/v1/admin/keys", headers=other_tenant.auth("admin")).json
    response = client.delete(f"/v1/admin/keys/{keys[0]['id']}", headers=tenant.auth("admin"))
    assert response.status_code == 404
    assert client.get("/v1/me", headers=other_tenant.auth("admin")).status_code == 200


def test_pos_key_must_be_bound_to_a_connection_of_the_same_hub(client, tenant, other_tenant):
    response = client.post(
        "/v1/admin/keys",
        headers=tenant.auth("admin"),
        json={"scope": "pos", "connection_id": other_tenant.connection_id},
    )
    assert response.status_code == 422


def test_new_key_is_shown_once_and_works(client, tenant):
    created = client.post("/v1/admin/keys", headers=tenant.auth("admin"), json={"scope": "automation"})
    assert created.status_code == 201
    assert client.get("/v1/me", headers={"X-API-Key": created.json["key"]}).status_code == 200
    listed = client.get("/v1/admin/keys", headers=tenant.auth("admin")).json
    assert all("key" not in k for k in listed)


# ---------- the scope an operation advertises is the scope it enforces ----------

DOC = build_openapi()
OPERATIONS = [(method, path, operation) for path, item in DOC["paths"].items()
              for method, operation in item.items()]


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS,
                         ids=[operation["operationId"] for _, _, operation in OPERATIONS])
def test_each_operation_enforces_the_scopes_it_advertises(client, tenant, method, path, operation):
    # No body and made-up ids: the scope check comes first, so no call gets far enough to change anything.
    concrete = re.sub(r"\{[^}]+\}", "abc", path)
    advertised = operation.get("x-scopes", [])
    for scope in SCOPES:
        response = client.open(concrete, method=method.upper(), headers=tenant.auth(scope))
        assert (response.status_code == 403) == (bool(advertised) and scope not in advertised), scope
    without_key = client.open(concrete, method=method.upper())
    assert (without_key.status_code == 401) == bool(advertised)

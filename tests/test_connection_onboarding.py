"""Connecting a POS through the admin API: settings checked, credentials hidden, outbound URLs safe."""

from hub import create_app
from hub.runtime import get_runtime
from tests.conftest import build_tenant, make_settings


def byte_fridge(base_url):
    return {"type": "byte_fridge", "name": "Byte fridges Berlin", "config": {"base_url": base_url},
            "credentials": {"api_key": "byte-secret-key"}}


def test_a_pos_url_on_a_private_network_is_refused(client, tenant):
    response = client.post("/v1/admin/connections", json=byte_fridge("http://169.254.169.254/latest"),
                           headers=tenant.auth("admin"))
    assert response.status_code == 422
    assert "settings/base_url" in response.json["detail"]


def test_a_loopback_pos_url_is_refused(client, tenant):
    response = client.post("/v1/admin/connections", json=byte_fridge("http://127.0.0.1:9000/api"),
                           headers=tenant.auth("admin"))
    assert response.status_code == 422


def test_an_allow_listed_private_pos_host_is_accepted(database_urls):
    app = create_app(make_settings(database_urls["sqlite"], outbound_allowed_hosts=("127.0.0.1",)))
    tenant = build_tenant(get_runtime())
    response = app.test_client().post("/v1/admin/connections", json=byte_fridge("http://127.0.0.1:9000/api"),
                                      headers=tenant.auth("admin"))
    assert response.status_code == 201


def test_credentials_are_never_returned(database_urls):
    app = create_app(make_settings(database_urls["sqlite"], outbound_allowed_hosts=("127.0.0.1",)))
    tenant = build_tenant(get_runtime())
    client = app.test_client()
    created = client.post("/v1/admin/connections", json=byte_fridge("http://127.0.0.1:9000/api"),
                          headers=tenant.auth("admin"))
    shown = client.get(f"/v1/admin/connections/{created.json['id']}", headers=tenant.auth("admin"))
    listed = client.get("/v1/admin/connections", headers=tenant.auth("admin"))
    for response in (created, shown, listed):
        assert "byte-secret-key" not in response.get_data(as_text=True)
    assert shown.json["has_credentials"] is True


def test_settings_that_break_the_connectors_schema_are_listed(client, tenant):
    response = client.post("/v1/admin/connections", headers=tenant.auth("admin"),
                           json={"type": "square", "name": "Square", "config": {"environment": "moon"}})
    assert response.status_code == 422
    assert "settings/environment" in response.json["detail"]
    assert "access_token" in response.json["detail"]

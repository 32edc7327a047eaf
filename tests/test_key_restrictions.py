"""Keys bound to where they are used: source networks, expiry, rotation, and a cheap last-use record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

import hub.keys
from hub.app import create_app
from hub.keys import KeyNetworkError, issue_key, restrict_key, rotate_key
from hub.models import ApiKey, utcnow
from hub.runtime import get_runtime
from tests.conftest import build_tenant, make_settings

V4 = "203.0.113.7"
ELSEWHERE = "198.51.100.7"


def _key(tenant, scope: str = "automation", **restrictions) -> tuple[str, str]:
    """A new key of the tenant's hub with these restrictions: (plaintext, id)."""
    with get_runtime().db.session() as s:
        issued = issue_key(s, tenant.hub_id, scope, **restrictions)
        return issued.key, issued.record.id


def _me(client, key: str, address: str = "127.0.0.1", headers: dict | None = None):
    response = client.get("/v1/me", headers={"Authorization": f"Bearer {key}", **(headers or {})},
                          environ_base={"REMOTE_ADDR": address})
    response.close()  # as a WSGI server does once the response is sent: runs call_on_close
    return response


def _poll(client, tenant):
    response = client.get("/v1/triggers/new_purchase", headers=tenant.auth())
    response.close()
    return response


@pytest.fixture(autouse=True)
def _fresh_caches():
    hub.keys._key_cache.clear()
    hub.keys._usage.clear()
    hub.keys._usage_flushed.clear()
    yield


def test_a_key_works_from_an_allowed_v4_network(client, tenant):
    key, _ = _key(tenant, allowed_networks=["203.0.113.0/24"])
    assert _me(client, key, V4).status_code == 200


def test_a_key_is_refused_from_outside_its_networks_naming_the_rule_not_the_key(client, tenant):
    key, _ = _key(tenant, allowed_networks=["203.0.113.0/24", "2001:db8::/32"])
    response = _me(client, key, ELSEWHERE)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert response.json["detail"] == ("This key only works from 203.0.113.0/24 and 2001:db8::/32; "
                                       "the request came from 198.51.100.7.")
    assert key.split("_")[1] not in response.get_data(as_text=True)


def test_a_key_works_from_an_allowed_v6_network(client, tenant):
    key, _ = _key(tenant, allowed_networks=["2001:db8::1/32"])  # host bits cleared: 2001:db8::/32
    assert _me(client, key, "2001:db8:0:1::5").status_code == 200


def test_behind_one_trusted_proxy_the_forwarded_address_is_the_client(settings, database_urls):
    app = create_app(make_settings(database_urls["sqlite"], trusted_proxies=1))
    tenant = build_tenant(get_runtime())
    key, _ = _key(tenant, allowed_networks=["203.0.113.0/24"])
    client = app.test_client()
    # The proxy (10.0.0.2) appends the client's address; the client is allowed, the proxy is not.
    assert _me(client, key, "10.0.0.2", {"X-Forwarded-For": V4}).status_code == 200
    refused = _me(client, key, "10.0.0.2", {"X-Forwarded-For": ELSEWHERE})
    assert refused.status_code == 403 and ELSEWHERE in refused.json["detail"]


def test_without_a_trusted_proxy_a_spoofed_forwarded_for_is_ignored(client, tenant):
    key, _ = _key(tenant, allowed_networks=["203.0.113.0/24"])
    response = _me(client, key, ELSEWHERE, {"X-Forwarded-For": V4})
    assert response.status_code == 403
    assert "came from 198.51.100.7" in response.json["detail"]


def test_an_expired_key_is_401_saying_it_expired(client, tenant):
    key, _ = _key(tenant, expires_at=utcnow() - timedelta(minutes=1))
    response = _me(client, key)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert "expired at" in response.json["detail"]


def test_the_key_cache_does_not_outlive_the_expiry(client, tenant, monkeypatch):
    expires = utcnow() + timedelta(minutes=5)
    key, _ = _key(tenant, expires_at=expires)
    assert _me(client, key).status_code == 200  # now cached for 2 s
    monkeypatch.setattr(hub.keys, "utcnow", lambda: expires + timedelta(seconds=1))
    monkeypatch.setattr(hub.keys, "_lookup", None)  # a database lookup would fail: the cache answers
    response = _me(client, key)
    assert response.status_code == 401
    assert "expired" in response.json["detail"]


def test_rotation_keeps_both_keys_working_for_the_overlap_then_refuses_the_old(client, tenant, monkeypatch):
    old_key, old_id = _key(tenant, allowed_networks=["203.0.113.0/24"])
    response = client.post(f"/v1/admin/keys/{old_id}/rotate", json={"overlap_seconds": 3600},
                           headers=tenant.auth("admin"))
    assert response.status_code == 201
    new = response.json
    assert new["allowed_networks"] == ["203.0.113.0/24"] and new["replaces"]["id"] == old_id
    assert _me(client, old_key, V4).status_code == 200
    assert _me(client, new["key"], V4).status_code == 200
    later = utcnow() + timedelta(seconds=3601)
    monkeypatch.setattr(hub.keys, "utcnow", lambda: later)
    assert _me(client, old_key, V4).status_code == 401
    assert _me(client, new["key"], V4).status_code == 200


def test_a_poll_makes_no_database_write(client, tenant):
    engine = get_runtime().db.engine
    assert _poll(client, tenant).status_code == 200  # the key's first use here: written after the response
    with get_runtime().db.session() as s:
        first = s.scalar(select(ApiKey).where(ApiKey.prefix == tenant.automation_key.split("_")[1]))
        assert first.last_used_at is not None and first.last_used_address == "127.0.0.1"
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert _poll(client, tenant).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    writes = [s for s in statements if s.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []


def test_a_bad_network_is_422_naming_its_index(client, tenant):
    response = client.post("/v1/admin/keys", json={"scope": "automation",
                                                   "allowed_networks": ["203.0.113.0/24", "not-a-net"]},
                           headers=tenant.auth("admin"))
    assert response.status_code == 422
    assert response.json["errors"][0]["path"] == "/allowed_networks/1"
    assert "allowed_networks[1]" in response.json["detail"]


def test_restrict_key_normalises_and_rejects_with_the_index(app, tenant):
    _, key_id = _key(tenant)
    with get_runtime().db.session() as s:
        key = restrict_key(s, key_id, tenant.hub_id, ["203.0.113.9/24", "2001:DB8::/32"], None)
        assert key.allowed_networks == ["203.0.113.0/24", "2001:db8::/32"]
        with pytest.raises(KeyNetworkError) as raised:
            restrict_key(s, key_id, tenant.hub_id, ["10.0.0.0/8", "10.0.0.0/33"], None)
        assert raised.value.index == 1


def test_rotate_key_with_no_overlap_stops_the_old_key_at_once(client, tenant):
    old_key, old_id = _key(tenant)
    with get_runtime().db.session() as s:
        new = rotate_key(s, old_id, tenant.hub_id, 0)
        new_key = new.key
    assert _me(client, old_key).status_code == 401
    assert _me(client, new_key).status_code == 200


def test_patch_restricts_and_the_list_shows_restrictions_and_last_use(client, tenant):
    key, key_id = _key(tenant)
    assert _me(client, key, V4).status_code == 200
    response = client.patch(f"/v1/admin/keys/{key_id}", json={"allowed_networks": ["203.0.113.0/24"],
                                                              "expires_at": "2099-01-01T00:00:00Z"},
                            headers=tenant.auth("admin"))
    assert response.status_code == 200
    keys = client.get("/v1/admin/keys", headers=tenant.auth("admin")).json
    listed = next(k for k in keys if k["id"] == key_id)
    assert listed["allowed_networks"] == ["203.0.113.0/24"]
    assert listed["expires_at"].startswith("2099-01-01T00:00:00")
    assert listed["last_used_address"] == V4 and listed["last_used_at"]
    assert _me(client, key, ELSEWHERE).status_code == 403


def test_the_cli_creates_restricts_and_rotates_keys(capsys, settings, client):
    from tests.test_cli import run_cli

    _, hub_ = run_cli(capsys, settings, "create-hub", "CLI keys")
    code, key = run_cli(capsys, settings, "create-key", "--hub", hub_["id"], "--scope", "automation",
                        "--allow-network", "203.0.113.0/24", "--allow-network", "2001:db8::/32",
                        "--expires-at", "2099-01-01T00:00:00Z")
    assert code == 0 and key["allowed_networks"] == ["203.0.113.0/24", "2001:db8::/32"]
    assert _me(client, key["key"], V4).status_code == 200
    code, restricted = run_cli(capsys, settings, "restrict-key", key["id"],
                               "--allow-network", "198.51.100.0/24")
    assert code == 0 and restricted["allowed_networks"] == ["198.51.100.0/24"]
    assert restricted["expires_at"].startswith("2099-01-01")
    code, rotated = run_cli(capsys, settings, "rotate-key", key["id"], "--overlap", "0")
    assert code == 0 and rotated["allowed_networks"] == ["198.51.100.0/24"]
    assert _me(client, key["key"], ELSEWHERE).status_code == 401
    assert _me(client, rotated["key"], ELSEWHERE).status_code == 200

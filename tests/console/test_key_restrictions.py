"""The console's key restrictions (issue 17): allowed networks, expiry in the hub's time zone, rotation."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from hub.admin import update_hub
from hub.models import ApiKey
from hub.runtime import get_runtime
from tests.console.conftest import post_form

SHOWN_KEY = re.compile(r"hub_[A-Za-z0-9]+_[A-Za-z0-9]+")


def keys_url(tenant) -> str:
    return f"/console/hubs/{tenant.hub_id}/keys"


def key_id_of(key: str) -> str:
    with get_runtime().db.session() as s:
        return s.scalar(select(ApiKey.id).where(ApiKey.prefix == key.split("_")[1]))


def row_of(page: str, key_id: str) -> str:
    """The table row of one key (from its id to the end of its row)."""
    start = page.index(key_id)
    return page[start:page.index("</tr>", start)]


def field_of(page: str, name: str) -> str:
    """The form field holding the input named `name`, up to the next field."""
    start = page.rindex('<div class="field', 0, page.index(f'name="{name}"'))
    end = page.find('<div class="field', start + 1)
    return page[start:end if end != -1 else None]


def test_allowed_networks_and_expiry_are_saved_and_shown(operator_client, tenant):
    with get_runtime().db.session() as s:
        update_hub(s, tenant.hub_id, timezone="Europe/Berlin")
    form = {"scope": "automation", "name": "n8n self-hosted", "connection_id": "",
            "allowed_networks": "203.0.113.25/32\n2001:db8::/64", "expires_at": "2030-01-15T10:00"}
    created = post_form(operator_client, keys_url(tenant), form)
    assert created.status_code == 303, created.get_data(as_text=True)
    key_id = created.headers["Location"].split("/")[-2]
    with get_runtime().db.session() as s:
        row = s.get(ApiKey, key_id)
        assert row.allowed_networks == ["203.0.113.25/32", "2001:db8::/64"]
        # 10:00 in Berlin in January (UTC+1) is 09:00 UTC.
        assert row.expires_at.astimezone(UTC) == datetime(2030, 1, 15, 9, 0, tzinfo=UTC)
    page = operator_client.get(keys_url(tenant)).get_data(as_text=True)
    row = row_of(page, key_id)
    assert "203.0.113.25/32" in row and "2001:db8::/64" in row
    assert "expires in" in row
    assert "not used yet" in row
    unrestricted = row_of(page, key_id_of(tenant.automation_key))
    assert "anywhere" in unrestricted and "no expiry" in unrestricted


def test_the_create_form_has_the_new_fields_with_help(operator_client, tenant):
    page = operator_client.get(keys_url(tenant)).get_data(as_text=True)
    assert 'name="allowed_networks"' in page and "<textarea" in field_of(page, "allowed_networks")
    assert "n8n" in field_of(page, "allowed_networks")
    assert 'type="datetime-local"' in field_of(page, "expires_at")


def test_restricting_a_key_saves_networks_and_expiry(operator_client, tenant):
    key_id = key_id_of(tenant.automation_key)
    url = f"{keys_url(tenant)}/{key_id}/restrict"
    page = operator_client.get(url)
    assert page.status_code == 200 and 'name="csrf_token"' in page.get_data(as_text=True)
    soon = (datetime.now(UTC) + timedelta(days=3, hours=1)).strftime("%Y-%m-%dT%H:%M")
    done = post_form(operator_client, url, {"allowed_networks": "10.1.0.0/16", "expires_at": soon})
    assert done.status_code == 303, done.get_data(as_text=True)
    with get_runtime().db.session() as s:
        row = s.get(ApiKey, key_id)
        assert row.allowed_networks == ["10.1.0.0/16"]
        assert row.expires_at is not None
    listed = row_of(operator_client.get(keys_url(tenant)).get_data(as_text=True), key_id)
    assert "10.1.0.0/16" in listed and "expires in 3 days" in listed
    # Emptied again: anywhere, no expiry.
    assert post_form(operator_client, url, {"allowed_networks": "", "expires_at": ""}).status_code == 303
    with get_runtime().db.session() as s:
        row = s.get(ApiKey, key_id)
        assert row.allowed_networks is None and row.expires_at is None


def test_a_bad_cidr_is_refused_next_to_the_field(operator_client, tenant):
    key_id = key_id_of(tenant.automation_key)
    url = f"{keys_url(tenant)}/{key_id}/restrict"
    bad = {"allowed_networks": "10.0.0.0/8\n10.0.0.0/33", "expires_at": ""}
    refused = post_form(operator_client, url, bad)
    assert refused.status_code == 422
    field = field_of(refused.get_data(as_text=True), "allowed_networks")
    assert "has-error" in field and "10.0.0.0/33" in field and 'id="err-allowed_networks"' in field
    with get_runtime().db.session() as s:
        assert s.get(ApiKey, key_id).allowed_networks is None
    created = post_form(operator_client, keys_url(tenant), {"scope": "automation", "name": "x",
                                                           "allowed_networks": "not-a-network"})
    assert created.status_code == 422
    assert "not-a-network" in field_of(created.get_data(as_text=True), "allowed_networks")


def test_an_expiry_in_the_past_is_refused_next_to_the_field(operator_client, tenant):
    url = f"{keys_url(tenant)}/{key_id_of(tenant.automation_key)}/restrict"
    refused = post_form(operator_client, url, {"allowed_networks": "", "expires_at": "2001-01-01T00:00"})
    assert refused.status_code == 422
    assert "future" in field_of(refused.get_data(as_text=True), "expires_at")


def test_last_use_is_shown_with_its_address(operator_client, tenant):
    key_id = key_id_of(tenant.automation_key)
    with get_runtime().db.session() as s:
        row = s.get(ApiKey, key_id)
        row.last_used_at = datetime.now(UTC) - timedelta(minutes=5)
        row.last_used_address = "198.51.100.7"
    listed = row_of(operator_client.get(keys_url(tenant)).get_data(as_text=True), key_id)
    assert "5 minutes ago" in listed and "198.51.100.7" in listed


def test_rotating_shows_the_new_key_once_and_the_old_key_its_expiry(operator_client, client, tenant):
    old_id = key_id_of(tenant.automation_key)
    url = f"{keys_url(tenant)}/{old_id}/rotate"
    confirm = operator_client.get(url).get_data(as_text=True)
    for value in ("0", "3600", "86400", "604800"):
        assert f'value="{value}"' in confirm
    assert 'name="csrf_token"' in confirm
    done = post_form(operator_client, url, {"overlap_seconds": "86400"})
    assert done.status_code == 303
    first = operator_client.get(done.headers["Location"])
    assert first.headers["Cache-Control"] == "no-store"
    [new_key] = SHOWN_KEY.findall(first.get_data(as_text=True))
    assert new_key != tenant.automation_key
    assert "replaces" in first.get_data(as_text=True)
    assert new_key not in operator_client.get(done.headers["Location"]).get_data(as_text=True)
    listed = operator_client.get(keys_url(tenant)).get_data(as_text=True)
    assert new_key not in listed
    assert "expires in 23 hours" in row_of(listed, old_id)
    with get_runtime().db.session() as s:
        old = s.get(ApiKey, old_id)
        assert old.revoked_at is None
        left = old.expires_at.astimezone(UTC) - datetime.now(UTC)
        assert timedelta(hours=23) < left <= timedelta(hours=24)
    # Both keys work during the overlap.
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {new_key}"}).status_code == 200
    assert client.get("/v1/me", headers=tenant.auth()).status_code == 200


def test_rotating_needs_a_chosen_overlap_and_the_csrf_token(operator_client, tenant):
    url = f"{keys_url(tenant)}/{key_id_of(tenant.automation_key)}/rotate"
    assert operator_client.post(url, data={"overlap_seconds": "0"}).status_code == 400
    refused = post_form(operator_client, url, {"overlap_seconds": "12"})
    assert refused.status_code == 422
    key_id = key_id_of(tenant.automation_key)
    with get_runtime().db.session() as s:
        assert s.scalar(select(ApiKey.expires_at).where(ApiKey.id == key_id)) is None


def test_another_hubs_key_id_is_404(operator_client, admin_key_client, tenant, other_tenant):
    other_key = key_id_of(other_tenant.automation_key)
    for action in ("restrict", "rotate"):
        url = f"{keys_url(tenant)}/{other_key}/{action}"
        assert operator_client.get(url).status_code == 404
        assert admin_key_client.get(url).status_code == 404
        token_page = f"{keys_url(tenant)}/{key_id_of(tenant.automation_key)}/{action}"
        posted = post_form(operator_client, url, {"allowed_networks": "10.0.0.0/8", "expires_at": "",
                                                  "overlap_seconds": "0"}, token_from=token_page)
        assert posted.status_code == 404
    assert admin_key_client.get(f"{keys_url(other_tenant)}/{other_key}/restrict").status_code == 404
    with get_runtime().db.session() as s:
        row = s.get(ApiKey, other_key)
        assert row.allowed_networks is None and row.expires_at is None

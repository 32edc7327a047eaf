"""The "first Zap / first n8n workflow" panel: the hub's URL, which key to create, the steps, a curl."""

import pytest

from hub import create_app
from hub.runtime import get_runtime
from tests.conftest import build_tenant, make_settings
from tests.console.conftest import make_operator, sign_in_operator


@pytest.fixture
def public_client(database_urls):
    """A client signed in as an operator of an app whose public URL is https://hub.example.com."""
    app = create_app(make_settings(database_urls["sqlite"], base_url="https://hub.example.com"))
    client = app.test_client()
    with app.app_context():
        tenant = build_tenant(get_runtime())
        sign_in_operator(client, make_operator())
    return client, tenant


def first_steps(client, tenant) -> str:
    response = client.get(f"/console/hubs/{tenant.hub_id}/first-steps")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_panel_shows_the_hubs_public_url_and_a_curl_to_v1_me(public_client):
    client, tenant = public_client
    page = first_steps(client, tenant)
    assert "<code id=\"hub-url\">https://hub.example.com</code>" in page
    assert 'curl -H "Authorization: Bearer hub_…" https://hub.example.com/v1/me' in page


def test_the_panel_says_which_key_to_create_and_links_to_the_keys_page(public_client):
    client, tenant = public_client
    page = first_steps(client, tenant)
    assert f'href="/console/hubs/{tenant.hub_id}/keys?scope=automation"' in page
    assert "automation</strong> scope" in page


def test_the_panel_gives_the_zapier_and_n8n_steps(public_client):
    client, tenant = public_client
    page = first_steps(client, tenant)
    for words in ("POS Hub", "Hub URL", "API Key", "n8n-nodes-pos-hub", "Community Nodes", "POS Hub API"):
        assert words in page, words


def test_the_keys_page_opened_from_the_panel_preselects_the_automation_scope(operator_client, tenant):
    page = operator_client.get(f"/console/hubs/{tenant.hub_id}/keys?scope=automation").get_data(as_text=True)
    assert '<option value="automation" selected>' in page


def test_an_admin_key_sees_no_other_hubs_panel(admin_key_client, other_tenant):
    assert admin_key_client.get(f"/console/hubs/{other_tenant.hub_id}/first-steps").status_code == 404

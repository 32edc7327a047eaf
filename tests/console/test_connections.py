"""The console's connection pages: connect a POS with the generated form, see one connection's health,
test it, poll it, simulate at a sandbox, and add locations; credentials are never shown after saving."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from hub.connectors import CONNECTORS
from hub.connectors.base import ConnectorError
from hub.connectors.square import SquareConnector
from hub.models import Connection, Event, Location
from hub.runtime import get_runtime
from hub.scheduler import run_due
from hub.work.failures import ErrorKind, Fault
from tests.console.conftest import post_form

SECRET = "sq-access-token-Zq81xVb4"
FLEET = [{"external_id": "fridge-lobby", "name": "Lobby fridge"}]


class Console:
    """A client signed in with a hub's admin key, sending the CSRF token with every POST."""

    def __init__(self, client, hub_id: str) -> None:  # noqa: ANN001
        self.client, self.home = client, f"/console/hubs/{hub_id}/connections"

    def get(self, path: str, **kwargs):  # noqa: ANN003, ANN201
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, str], **kwargs):  # noqa: ANN003, ANN201
        return post_form(self.client, path, data, token_from=self.home, **kwargs)


@pytest.fixture
def console(admin_key_client, tenant) -> Console:  # noqa: ANN001
    """Signed in with the tenant's admin key (sees this hub only)."""
    return Console(admin_key_client, tenant.hub_id)


def _html(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def _field_html(html: str, path: str) -> str:
    """The markup of one generated field (its div), found by its input's id."""
    field_id = "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", path)
    start = html.rindex('<div class="field', 0, html.index(f'id="{field_id}"'))
    return html[start:html.index("</div>", start)]


def _new_url(tenant, type_name: str = "") -> str:  # noqa: ANN001
    return f"/console/hubs/{tenant.hub_id}/connections/new" + (f"?type={type_name}" if type_name else "")


def _connect_sandbox(console: Console, tenant) -> str:  # noqa: ANN001
    response = console.post(_new_url(tenant, "sandbox"), {
        "type": "sandbox", "name": "Office fridges", "settings/locations": json.dumps(FLEET),
        "settings/fail_pushes": "none", "settings/order_ready_after_seconds": "60",
        "settings/order_completed_after_seconds": "60"})
    assert response.status_code == 302, _html(response)
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_every_page_needs_sign_in(client, tenant):
    for path in (f"/console/hubs/{tenant.hub_id}/connections", _new_url(tenant),
                 f"/console/hubs/{tenant.hub_id}/connections/{tenant.connection_id}",
                 f"/console/hubs/{tenant.hub_id}/connections/{tenant.connection_id}/locations"):
        response = client.get(path)
        assert response.status_code == 302 and "/console/login" in response.headers["Location"], path


def test_a_post_without_the_csrf_token_is_refused(console, tenant):
    response = console.client.post(f"/console/hubs/{tenant.hub_id}/connections/{tenant.connection_id}/poll")
    assert response.status_code == 400


def test_the_list_shows_each_connection_with_its_status_and_health(console, tenant):
    html = _html(console.get(f"/console/hubs/{tenant.hub_id}/connections"))
    assert "Test hub POS" in html and "unknown" in html and "badge" in html
    assert "Last poll" in html and "Next poll" in html and "Last error" in html


def test_the_type_picker_lists_every_connector_with_the_sandbox_labelled_simulated(console, tenant):
    html = _html(console.get(_new_url(tenant)))
    for cls in CONNECTORS:
        assert cls.title in html
    sandbox = html[html.index("Sandbox (simulated"):]
    assert "simulated" in sandbox[:400] and "reports sales" in html


@pytest.mark.parametrize("cls", CONNECTORS, ids=lambda cls: cls.type)
def test_the_form_has_a_labelled_input_for_every_setting(console, tenant, cls):
    html = _html(console.get(_new_url(tenant, cls.type)))
    for name, prop in cls.settings_schema.get("properties", {}).items():
        field_id = f"f-settings-{name}"
        assert f'<label for="{field_id}"' in html, name
        assert re.search(rf'<(input|select|textarea)[^>]*id="{field_id}"', html), name
        if prop.get("description"):
            assert f'aria-describedby="{field_id}-help' in html, name


def test_credentials_are_password_fields(console, tenant):
    html = _html(console.get(_new_url(tenant, "square")))
    field = _field_html(html, "credentials/access_token")
    assert 'type="password"' in field and "value=" not in field


def test_saving_a_sandbox_connection_opens_its_page(console, tenant):
    connection_id = _connect_sandbox(console, tenant)
    page = console.get(f"/console/hubs/{tenant.hub_id}/connections/{connection_id}")
    html = _html(page)
    assert page.status_code == 200 and "Office fridges" in html and "Connected Office fridges" in html
    with get_runtime().db.session() as s:
        con = s.get(Connection, connection_id)
        assert (con.hub_id, con.type, con.config["locations"]) == (tenant.hub_id, "sandbox", FLEET)


def test_a_connection_without_a_name_is_not_saved(console, tenant):
    response = console.post(_new_url(tenant, "sandbox"), {"type": "sandbox", "name": ""})
    assert response.status_code == 422
    assert "Give the connection a name" in _field_html(_html(response), "name")


def test_a_bad_setting_shows_its_error_next_to_the_field(console, tenant):
    response = console.post(_new_url(tenant, "square"), {
        "type": "square", "name": "Shop", "settings/environment": "production",
        "settings/base_url": "http://127.0.0.1:8080/", "credentials/access_token": SECRET})
    assert response.status_code == 422
    field = _field_html(_html(response), "settings/base_url")
    assert 'class="errors"' in field and 'aria-invalid="true"' in field
    assert 'class="errors"' not in _field_html(_html(response), "settings/environment")


def test_a_missing_required_credential_shows_next_to_its_field(console, tenant):
    response = console.post(_new_url(tenant, "square"), {"type": "square", "name": "Shop",
                                                         "settings/environment": "production"})
    assert response.status_code == 422
    assert "required" in _field_html(_html(response), "credentials/access_token").split('class="errors"')[1]


def _square(console: Console, tenant) -> str:  # noqa: ANN001
    response = console.post(_new_url(tenant, "square"), {
        "type": "square", "name": "Corner shop", "settings/environment": "sandbox",
        "credentials/access_token": SECRET, "credentials/webhook_signature_key": SECRET + "-sig"})
    assert response.status_code == 302, _html(response)
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_credentials_never_appear_in_any_page_after_saving(console, tenant, monkeypatch):
    monkeypatch.setattr(SquareConnector, "test_connection", lambda self: None)
    connection_id = _square(console, tenant)
    base = f"/console/hubs/{tenant.hub_id}/connections"
    pages = [console.get(f"{base}/{connection_id}", follow_redirects=False), console.get(base),
             console.get(f"{base}/{connection_id}/locations"),
             console.post(f"{base}/{connection_id}/test", {}),
             # a settings form sent back with an error, and a bad credentials replacement
             console.post(f"{base}/{connection_id}/settings", {"name": "", "settings/environment": "x"}),
             console.post(f"{base}/{connection_id}/credentials", {"credentials/access_token": SECRET + "2"})]
    for page in pages:
        assert SECRET not in _html(page), page.request.path
    assert "Credentials saved, not shown" in _html(pages[0])


def test_a_form_sent_back_with_errors_does_not_fill_in_the_secret(console, tenant):
    response = console.post(_new_url(tenant, "square"), {
        "type": "square", "name": "", "credentials/access_token": SECRET})
    assert response.status_code == 422 and SECRET not in _html(response)


def test_editing_settings_saves_them(console, tenant):
    connection_id = _connect_sandbox(console, tenant)
    response = console.post(f"/console/hubs/{tenant.hub_id}/connections/{connection_id}/settings", {
        "name": "Gym fridges", "settings/locations": json.dumps(FLEET), "settings/fail_pushes": "transient"})
    assert response.status_code == 302
    with get_runtime().db.session() as s:
        con = s.get(Connection, connection_id)
        assert (con.name, con.config["fail_pushes"]) == ("Gym fridges", "transient")


def test_a_bad_edited_setting_shows_its_error_next_to_the_field(console, tenant):
    connection_id = _connect_sandbox(console, tenant)
    response = console.post(f"/console/hubs/{tenant.hub_id}/connections/{connection_id}/settings", {
        "name": "Office fridges", "settings/order_ready_after_seconds": "-5"})
    assert response.status_code == 422
    assert 'class="errors"' in _field_html(_html(response), "settings/order_ready_after_seconds")


def test_replacing_credentials_needs_confirmation(console, tenant):
    connection_id = _square(console, tenant)
    path = f"/console/hubs/{tenant.hub_id}/connections/{connection_id}/credentials"
    refused = console.post(path, {"credentials/access_token": "new-token"})
    assert refused.status_code == 422 and "Tick the box to confirm" in _html(refused)
    assert console.post(path, {"credentials/access_token": "new-token", "confirm": "yes"}).status_code == 302
    with get_runtime().db.session() as s:
        stored = get_runtime().vault.decrypt_json(s.get(Connection, connection_id).credentials_encrypted)
    assert stored == {"access_token": "new-token"}


def test_test_connection_shows_the_answer(console, tenant):
    connection_id = _connect_sandbox(console, tenant)
    html = _html(console.post(f"/console/hubs/{tenant.hub_id}/connections/{connection_id}/test", {}))
    assert "The POS answered" in html and "Sandbox (simulated fridges and kiosks) answered." in html


def test_a_failed_test_says_whose_fault_it_is(console, tenant, monkeypatch):
    def refuse(self):  # noqa: ANN001, ANN202
        raise ConnectorError(ErrorKind.PERMANENT, "HTTP 401: UNAUTHORIZED token revoked", status=401,
                             fault=Fault.CONFIGURATION)

    monkeypatch.setattr(SquareConnector, "test_connection", refuse)
    connection_id = _square(console, tenant)
    html = _html(console.post(f"/console/hubs/{tenant.hub_id}/connections/{connection_id}/test", {}))
    assert "HTTP 401: UNAUTHORIZED token revoked" in html
    assert "Whose fault" in html and "settings or credentials are wrong" in html


def test_poll_now_says_it_started(console, tenant):
    connection_id = _connect_sandbox(console, tenant)
    response = console.post(f"/console/hubs/{tenant.hub_id}/connections/{connection_id}/poll", {},
                            follow_redirects=True)
    assert "Poll now: polling now" in _html(response)


def test_simulating_a_sale_creates_a_new_purchase_event(console, tenant):
    connection_id = _connect_sandbox(console, tenant)
    console.post(f"/console/hubs/{tenant.hub_id}/connections/{connection_id}/locations",
                 {"external_id": "fridge-lobby", "name": "Lobby fridge"})
    page = console.post(f"/console/hubs/{tenant.hub_id}/connections/{connection_id}/simulate",
                        {"action": "sell", "location_external_id": "fridge-lobby", "sku": "SAL-CAESAR",
                         "quantity": "2"}, follow_redirects=True)
    assert "Sold 2 × SAL-CAESAR at Lobby fridge" in _html(page)
    rt = get_runtime()
    rt.queue.drain()
    run_due(rt, {})  # the scheduler polls the sandbox, which the sale made due
    rt.queue.drain()
    with rt.db.session() as s:
        events = s.scalars(select(Event).where(Event.hub_id == tenant.hub_id,
                                               Event.type == "new_purchase")).all()
    assert len(events) == 1


def test_the_simulate_buttons_show_only_for_sandboxes(console, tenant):
    connection_id = _connect_sandbox(console, tenant)
    console.post(f"/console/hubs/{tenant.hub_id}/connections/{connection_id}/locations",
                 {"external_id": "fridge-lobby", "name": "Lobby fridge"})
    sandbox = _html(console.get(f"/console/hubs/{tenant.hub_id}/connections/{connection_id}"))
    push = _html(console.get(f"/console/hubs/{tenant.hub_id}/connections/{tenant.connection_id}"))
    assert "Simulate a sale" in sandbox and "Start an outage" in sandbox
    assert "Simulate a sale" not in push and "Start an outage" not in push


def test_a_failed_simulation_says_why(console, tenant):
    connection_id = _connect_sandbox(console, tenant)
    page = console.post(f"/console/hubs/{tenant.hub_id}/connections/{connection_id}/simulate",
                        {"action": "sell", "sku": "SAL-CAESAR"}, follow_redirects=True)
    assert "Nothing simulated: this sandbox connection has no locations" in _html(page)


def test_adding_a_location_lists_it(console, tenant):
    path = f"/console/hubs/{tenant.hub_id}/connections/{tenant.connection_id}/locations"
    response = console.post(path, {"external_id": "fridge-3", "name": "Roof fridge"}, follow_redirects=True)
    assert "Roof fridge" in _html(response) and "fridge-3" in _html(response)
    with get_runtime().db.session() as s:
        assert s.scalar(select(Location).where(Location.external_id == "fridge-3")).hub_id == tenant.hub_id


def test_a_duplicate_location_shows_its_error_next_to_the_id(console, tenant):
    path = f"/console/hubs/{tenant.hub_id}/connections/{tenant.connection_id}/locations"
    response = console.post(path, {"external_id": "fridge-1", "name": "Lobby fridge again"})
    assert response.status_code == 422
    assert "already has a location" in _field_html(_html(response), "external_id")


def test_another_hubs_connection_is_404(console, tenant, other_tenant):
    own, other = tenant.hub_id, other_tenant.hub_id
    con = other_tenant.connection_id
    for path in (f"/console/hubs/{own}/connections/{con}", f"/console/hubs/{own}/connections/{con}/locations",
                 f"/console/hubs/{other}/connections/{con}", f"/console/hubs/{other}/connections",
                 f"/console/hubs/{other}/connections/new"):
        assert console.get(path).status_code == 404, path
    for action in ("test", "poll", "simulate", "settings", "credentials", "locations"):
        assert console.post(f"/console/hubs/{own}/connections/{con}/{action}", {}).status_code == 404, action

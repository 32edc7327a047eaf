"""The hub list, creating a hub, and a hub's overview."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from hub import create_app
from hub.events import emit
from hub.jobs import RqQueue
from hub.models import ActionRun, Connection, Delivery, Hub, utcnow
from hub.runtime import get_runtime
from tests.conftest import REDIS_URL, build_tenant, make_settings
from tests.console.conftest import make_operator, post_form, sign_in_operator


def _hub_form(name: str = "Fresh Fridges GmbH", timezone: str = "Europe/Berlin", currency: str = "EUR"):
    return {"name": name, "timezone": timezone, "currency": currency}


def _set_connection(connection_id: str, **values: object) -> None:
    with get_runtime().db.session() as session:
        connection = session.get(Connection, connection_id)
        for name, value in values.items():
            setattr(connection, name, value)


def test_hub_list_shows_each_hub_with_its_connection_count_and_health(operator_client, tenant):
    _set_connection(tenant.connection_id, health="needs_attention")
    page = operator_client.get("/console/hubs").get_data(as_text=True)
    row = page[page.index(tenant.hub_id):][:1500]
    assert "<td>1</td>" in row
    assert "needs attention" in row
    assert "badge-bad" in row  # colour as well as words


def test_hub_list_search_finds_by_name_and_by_id(operator_client, tenant, other_tenant):
    with get_runtime().db.session() as session:
        session.get(Hub, tenant.hub_id).name = "Searchable Kiosks Ltd"
    by_name = operator_client.get("/console/hubs?q=searchable kiosks").get_data(as_text=True)
    assert tenant.hub_id in by_name and other_tenant.hub_id not in by_name
    by_id = operator_client.get(f"/console/hubs?q={other_tenant.hub_id}").get_data(as_text=True)
    assert other_tenant.hub_id in by_id and tenant.hub_id not in by_id


def test_hub_list_search_without_match_says_what_to_do(operator_client):
    page = operator_client.get("/console/hubs?q=no-such-hub-anywhere").get_data(as_text=True)
    assert "No hub matches" in page
    assert "show all hubs" in page


def test_create_hub_form_labels_every_field(operator_client):
    page = operator_client.get("/console/hubs/new").get_data(as_text=True)
    for name in ("name", "timezone", "currency"):
        assert f'<label for="f-{name}">' in page
        assert f'name="{name}"' in page


def test_create_hub_goes_to_its_overview(operator_client):
    response = post_form(operator_client, "/console/hubs/new", _hub_form("Created From Console"))
    assert response.status_code == 302
    hub_id = response.headers["Location"].rsplit("/", 1)[-1]
    with get_runtime().db.session() as session:
        hub = session.get(Hub, hub_id)
        assert (hub.name, hub.timezone, hub.currency) == ("Created From Console", "Europe/Berlin", "EUR")
    page = operator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Created From Console" in page
    assert "has no POS connection yet" in page


def test_create_hub_shows_the_hubs_own_errors_next_to_each_field(operator_client):
    response = post_form(operator_client, "/console/hubs/new", _hub_form("Kept", "Mars/Olympus", "euro"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    timezone_field = page[page.index('<label for="f-timezone">'):page.index('<label for="f-currency">')]
    assert "Unknown time zone" in timezone_field
    assert 'aria-invalid="true"' in timezone_field
    currency_field = page[page.index('<label for="f-currency">'):]
    assert "three-letter ISO 4217 code" in currency_field
    assert 'value="Kept"' in page  # what was typed stays


def test_create_hub_without_name_says_so_next_to_the_name(operator_client):
    page = post_form(operator_client, "/console/hubs/new", _hub_form("  ")).get_data(as_text=True)
    name_field = page[page.index('<label for="f-name">'):page.index('<label for="f-timezone">')]
    assert "A hub needs a name." in name_field


def test_a_hub_admin_key_cannot_create_hubs(admin_key_client):
    assert admin_key_client.get("/console/hubs/new").status_code == 403
    response = post_form(admin_key_client, "/console/hubs/new", _hub_form(), token_from="/console/hubs")
    assert response.status_code == 403


def test_unknown_hub_is_a_404_page_not_problem_json(operator_client):
    response = operator_client.get("/console/hubs/hub_doesnotexist")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "belongs to a hub you cannot see" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/console/typo", "/console/hubs/hub_x/typo/deeper"])
def test_a_console_address_that_matches_no_page_is_the_consoles_404_page(client, operator_client, path):
    for visitor in (client, operator_client):  # signed out or in: no route, so no sign-in redirect either
        response = visitor.get(path)
        assert response.status_code == 404
        assert response.mimetype == "text/html"
        assert "This page does not exist" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/v1/typo", "/consoles"])
def test_an_unknown_address_outside_the_console_is_still_problem_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_overview_shows_each_connection_with_status_health_contact_and_error(operator_client, tenant):
    now = utcnow()
    _set_connection(tenant.connection_id, status="online", health="failing",
                    last_error="POS timed out after 10 s", last_contact_at=now - timedelta(minutes=3),
                    failing_since=now - timedelta(minutes=5), poll_interval_seconds=60,
                    next_poll_at=now + timedelta(minutes=2))
    page = operator_client.get(f"/console/hubs/{tenant.hub_id}").get_data(as_text=True)
    assert "Test hub POS" in page
    assert "failing" in page and "badge-warn" in page
    assert "online" in page
    assert "3 minutes ago" in page
    assert "in 2 minutes" in page
    assert "POS timed out after 10 s" in page


def test_overview_shows_the_last_poll_of_a_healthy_polled_connection(operator_client, tenant):
    polled = utcnow() - timedelta(seconds=600)
    _set_connection(tenant.connection_id, health="ok", last_contact_at=polled, poll_interval_seconds=900,
                    next_poll_at=polled + timedelta(seconds=900))
    page = operator_client.get(f"/console/hubs/{tenant.hub_id}").get_data(as_text=True)
    assert page.count("10 minutes ago") == 2  # last contact and last poll
    assert "in 5 minutes" in page


def test_overview_counts_open_dead_letters_per_kind(operator_client, tenant):
    with get_runtime().db.session() as session:
        run = ActionRun(hub_id=tenant.hub_id, action="update_menu", input={})
        session.add(run)
        session.flush()
        for status in ("dead", "dead", "succeeded"):
            session.add(Delivery(hub_id=tenant.hub_id, action_run_id=run.id,
                                 connection_id=tenant.connection_id, payload={}, status=status))
    page = operator_client.get(f"/console/hubs/{tenant.hub_id}").get_data(as_text=True)
    assert "<strong>2</strong> Action deliveries to a POS" in page
    assert "<strong>0</strong> Hook deliveries" in page


def test_overview_without_dead_letters_says_everything_was_delivered(operator_client, tenant):
    page = operator_client.get(f"/console/hubs/{tenant.hub_id}").get_data(as_text=True)
    assert "No dead letters" in page


def test_overview_lists_recent_events_newest_first(operator_client, tenant):
    with get_runtime().db.session() as session:
        emit(session, tenant.hub_id, "location_offline", {"location_id": tenant.location_ids[0]},
             connection_id=tenant.connection_id)
        emit(session, tenant.hub_id, "location_online", {"location_id": tenant.location_ids[0]},
             connection_id=tenant.connection_id)
    page = operator_client.get(f"/console/hubs/{tenant.hub_id}").get_data(as_text=True)
    assert page.index("location online") < page.index("location offline")


def test_overview_recent_events_name_their_connection_with_a_link_to_it(operator_client, tenant):
    with get_runtime().db.session() as session:
        emit(session, tenant.hub_id, "location_offline", {"location_id": tenant.location_ids[0]},
             connection_id=tenant.connection_id)
    page = operator_client.get(f"/console/hubs/{tenant.hub_id}").get_data(as_text=True)
    events = page[page.index("Recent events"):]
    link = f'<a href="/console/hubs/{tenant.hub_id}/connections/{tenant.connection_id}">Test hub POS</a>'
    assert link in events
    assert tenant.connection_id not in events.replace(link, "")


def test_overview_shows_no_queue_lag_without_redis(operator_client, tenant):
    assert "Job queues" not in operator_client.get(f"/console/hubs/{tenant.hub_id}").get_data(as_text=True)


@pytest.mark.skipif(not REDIS_URL, reason="needs HUB_TEST_REDIS_URL")
def test_overview_shows_queue_lag_when_redis_is_configured(database_urls, monkeypatch):
    prefix = f"console-test-{os.getpid()}:"
    monkeypatch.setattr("hub.jobs.QUEUE_PREFIX", prefix)
    app = create_app(make_settings(database_urls["sqlite"], redis_url=REDIS_URL))
    tenant = build_tenant(get_runtime())
    queue = get_runtime().queue
    assert isinstance(queue, RqQueue)
    queue.enqueue("hub.nothing.at_all", "x", queue="hook_deliveries")
    try:
        client = app.test_client()
        sign_in_operator(client, make_operator())
        page = client.get(f"/console/hubs/{tenant.hub_id}").get_data(as_text=True)
        assert "Job queues" in page
        row = page[page.index(">hook_deliveries<"):][:400]
        assert "<td>1</td>" in row and "seconds" in row
    finally:
        queue.rq_queue("hook_deliveries").empty()


def test_hub_nav_links_only_the_sections_that_exist(operator_client, tenant, app):
    page = operator_client.get(f"/console/hubs/{tenant.hub_id}").get_data(as_text=True)
    start = page.index('aria-label="Hub sections"')
    nav = page[start:page.index("</nav>", start)]
    assert 'aria-current="page">Overview' in nav
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert ("Connections" in nav) == ("console.connections" in endpoints)

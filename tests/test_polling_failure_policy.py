"""The polling failure policy (issue 11): needs attention, growing backoff, one alert per failing streak."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hub.connection_health import ATTENTION_BACKOFF, VENDOR_ALERT_AFTER
from hub.keys import issue_key
from hub.models import Connection, Event, utcnow
from hub.polling import claim_due
from hub.runtime import get_runtime
from tests.conftest import build_tenant
from tests.scripted_pos import add_scripted, poll, registered, streak_started


@pytest.fixture
def hub_id(backend_app):
    """A hub of its own, with the scripted POS known."""
    with registered():
        yield build_tenant(get_runtime(), locations=()).hub_id


@pytest.fixture
def admin(backend_client, hub_id):
    """Headers of an admin key of the hub."""
    with get_runtime().db.session() as s:
        return {"Authorization": f"Bearer {issue_key(s, hub_id, 'admin').key}"}


def connection(connection_id: str) -> Connection:
    with get_runtime().db.session() as s:
        row = s.get(Connection, connection_id)
        s.expunge(row)
        return row


def events(hub_id: str) -> list[Event]:
    with get_runtime().db.session() as s:
        kinds = ("connection_failing", "connection_recovered")
        rows = list(s.scalars(select(Event).where(Event.hub_id == hub_id, Event.type.in_(kinds))
                              .order_by(Event.id)))
        s.expunge_all()
        return rows


def delay_after_poll(connection_id: str) -> float:
    start = utcnow()
    poll(get_runtime(), connection_id)
    return (connection(connection_id).next_poll_at - start).total_seconds()


def change_settings(client, admin, connection_id: str, **config: object) -> None:
    response = client.patch(f"/v1/admin/connections/{connection_id}", json={"config": config}, headers=admin)
    assert response.status_code == 200, response.get_json()


def test_a_revoked_token_parks_the_connection_as_needing_attention_with_the_vendors_message(hub_id):
    connection_id = add_scripted(get_runtime(), hub_id, answer="revoked")
    poll(get_runtime(), connection_id)
    row = connection(connection_id)
    assert (row.health, row.last_fault, row.consecutive_failures) == ("needs_attention", "configuration", 1)
    assert "The access token has been revoked." in row.last_error


def test_a_revoked_token_fires_one_connection_failing_for_the_whole_streak(hub_id):
    connection_id = add_scripted(get_runtime(), hub_id, answer="revoked")
    for _ in range(3):
        poll(get_runtime(), connection_id)
    [event] = events(hub_id)
    assert event.type == "connection_failing"
    assert event.connection_id == connection_id
    assert {k: event.payload[k] for k in ("fault", "needs_attention", "consecutive_failures")} == {
        "fault": "configuration", "needs_attention": True, "consecutive_failures": 1}
    assert event.payload["error"] == "HTTP 401: The access token has been revoked."


def test_the_backoff_grows_while_the_token_stays_revoked(hub_id):
    connection_id = add_scripted(get_runtime(), hub_id, answer="revoked")
    delays = [delay_after_poll(connection_id) for _ in range(4)]
    for attempt, delay in enumerate(delays):
        expected = ATTENTION_BACKOFF.delays[attempt]
        assert expected - 1 <= delay <= expected * 1.1 + 1, delays


def test_the_backoff_stops_growing_at_an_hour(hub_id):
    connection_id = add_scripted(get_runtime(), hub_id, answer="revoked")
    with get_runtime().db.session() as s:
        s.execute(update(Connection).where(Connection.id == connection_id).values(consecutive_failures=30))
    assert 3600 - 1 <= delay_after_poll(connection_id) <= 3600 * 1.1 + 1


def test_a_successful_poll_ends_the_streak_with_connection_recovered(backend_client, admin, hub_id):
    connection_id = add_scripted(get_runtime(), hub_id, answer="revoked")
    poll(get_runtime(), connection_id)
    streak_started(get_runtime(), connection_id, timedelta(minutes=42))
    change_settings(backend_client, admin, connection_id, answer="ok")
    poll(get_runtime(), connection_id)
    failing, recovered = events(hub_id)
    assert recovered.type == "connection_recovered"
    assert 42 * 60 <= recovered.payload["down_for_seconds"] < 43 * 60
    row = connection(connection_id)
    assert (row.health, row.failing_since, row.consecutive_failures, row.last_error) == ("ok", None, 0, None)


def test_changing_the_settings_makes_a_parked_connection_due_at_once_with_a_fresh_backoff(
        backend_client, admin, hub_id):
    connection_id = add_scripted(get_runtime(), hub_id, answer="revoked")
    for _ in range(3):
        poll(get_runtime(), connection_id)
    assert connection(connection_id).next_poll_at > utcnow() + timedelta(minutes=3)
    change_settings(backend_client, admin, connection_id, answer="revoked", note="new token, also revoked")
    assert [c for c, _ in claim_due(get_runtime().db, connection_id=connection_id)] == [connection_id]


def test_new_settings_that_still_fail_continue_the_streak_without_a_second_alert(
        backend_client, admin, hub_id):
    connection_id = add_scripted(get_runtime(), hub_id, answer="revoked")
    poll(get_runtime(), connection_id)
    change_settings(backend_client, admin, connection_id, answer="revoked", note="another revoked token")
    assert delay_after_poll(connection_id) <= ATTENTION_BACKOFF.delays[0] * 1.1 + 1
    assert [e.type for e in events(hub_id)] == ["connection_failing"]
    assert connection(connection_id).health == "needs_attention"


def test_a_vendor_outage_does_not_alert_before_three_failed_polls_over_five_minutes(hub_id):
    connection_id = add_scripted(get_runtime(), hub_id, answer="vendor_down")
    poll(get_runtime(), connection_id)
    streak_started(get_runtime(), connection_id, VENDOR_ALERT_AFTER + timedelta(minutes=1))
    poll(get_runtime(), connection_id)  # long enough, but only two failures
    assert events(hub_id) == []
    assert connection(connection_id).health == "failing"


def test_a_vendor_outage_alerts_once_after_three_failed_polls_over_five_minutes(hub_id):
    connection_id = add_scripted(get_runtime(), hub_id, answer="vendor_down")
    for _ in range(2):
        poll(get_runtime(), connection_id)
    streak_started(get_runtime(), connection_id, VENDOR_ALERT_AFTER)
    for _ in range(3):
        poll(get_runtime(), connection_id)
    [event] = events(hub_id)
    shown = ("fault", "needs_attention", "consecutive_failures", "error_kind")
    assert {k: event.payload[k] for k in shown} == {
        "fault": "vendor", "needs_attention": False, "consecutive_failures": 3, "error_kind": "transient"}


def test_a_vendor_outage_is_retried_at_the_poll_interval(hub_id):
    connection_id = add_scripted(get_runtime(), hub_id, answer="vendor_down")
    delays = [delay_after_poll(connection_id) for _ in range(4)]
    assert all(59 <= delay <= 60 * 1.5 + 1 for delay in delays), delays


def test_a_permanent_vendor_error_backs_off_growingly_without_needing_attention(hub_id):
    connection_id = add_scripted(get_runtime(), hub_id, answer="vendor_rejects")
    delays = [delay_after_poll(connection_id) for _ in range(3)]
    assert delays[2] >= ATTENTION_BACKOFF.delays[2] - 1, delays
    assert connection(connection_id).health == "failing"


def test_a_short_vendor_blip_ends_without_any_event(backend_client, admin, hub_id):
    connection_id = add_scripted(get_runtime(), hub_id, answer="vendor_down")
    poll(get_runtime(), connection_id)
    change_settings(backend_client, admin, connection_id, answer="ok")
    poll(get_runtime(), connection_id)
    assert events(hub_id) == []
    assert connection(connection_id).health == "ok"


def test_a_connection_whose_connector_cannot_be_built_needs_attention(hub_id):
    connection_id = add_scripted(get_runtime(), hub_id)
    with get_runtime().db.session() as s:
        s.execute(update(Connection).where(Connection.id == connection_id).values(type="retired_pos"))
    poll(get_runtime(), connection_id)
    assert (connection(connection_id).health, connection(connection_id).last_fault) == (
        "needs_attention", "configuration")


def test_the_admin_view_and_the_lookup_show_the_health(backend_client, admin, hub_id):
    connection_id = add_scripted(get_runtime(), hub_id, answer="revoked")
    poll(get_runtime(), connection_id)
    shown = backend_client.get(f"/v1/admin/connections/{connection_id}", headers=admin).get_json()
    assert (shown["health"], shown["last_fault"], shown["consecutive_failures"]) == (
        "needs_attention", "configuration", 1)
    [choice] = [c for c in backend_client.get("/v1/connections", headers=admin).get_json()
                if c["id"] == connection_id]
    assert choice["health"] == "needs_attention"

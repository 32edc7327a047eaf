"""Quarantine (issue 11, item 5): a record the hub cannot read is kept, shown and replayable; polls go on."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub.models import Connection, Event, Purchase, QuarantinedRecord
from hub.runtime import get_runtime
from tests.conftest import Tenant, build_tenant
from tests.scripted_pos import BAD_ORDER, add_scripted, poll, registered
from tests.test_cli import run_cli


@pytest.fixture
def pos(backend_app):
    """A hub with a scripted connection whose first page holds ORD-1 and the unreadable ORD-BAD."""
    with registered():
        rt = get_runtime()
        tenant = build_tenant(rt, locations=())
        yield tenant, add_scripted(rt, tenant.hub_id, answer="unreadable")


def purchases(connection_id: str) -> list[str]:
    with get_runtime().db.session() as s:
        return sorted(s.scalars(select(Purchase.external_id).where(Purchase.connection_id == connection_id)))


def new_purchase_events(tenant: Tenant) -> int:
    with get_runtime().db.session() as s:
        return s.scalar(select(func.count()).select_from(Event).where(Event.hub_id == tenant.hub_id,
                                                                      Event.type == "new_purchase"))


def quarantined(client, tenant: Tenant, **params: str) -> list[dict]:
    response = client.get("/v1/admin/quarantine", query_string=params, headers=tenant.auth("admin"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def set_config(client, tenant: Tenant, connection_id: str, **config: object) -> None:
    response = client.patch(f"/v1/admin/connections/{connection_id}", json={"config": config},
                            headers=tenant.auth("admin"))
    assert response.status_code == 200, response.get_json()


def replay(client, tenant: Tenant, record_id: str):
    return client.post(f"/v1/admin/quarantine/{record_id}/replay", headers=tenant.auth("admin"))


def test_an_unreadable_record_does_not_stop_the_page_and_the_cursor_moves_past_it(pos):
    tenant, connection_id = pos
    rt = get_runtime()
    poll(rt, connection_id)
    assert purchases(connection_id) == ["ORD-1"]
    with rt.db.session() as s:
        connection = s.get(Connection, connection_id)
        assert (connection.poll_cursor, connection.last_error, connection.health) == ("page-2", None, "ok")


def test_a_quarantined_record_is_listed_with_its_raw_data_and_reason(backend_client, pos):
    tenant, connection_id = pos
    poll(get_runtime(), connection_id)
    [record] = quarantined(backend_client, tenant, connection_id=connection_id)
    assert (record["kind"], record["external_id"], record["status"]) == ("purchase", "ORD-BAD", "open")
    assert record["raw"] == BAD_ORDER
    assert record["reason"] == "order ORD-BAD has no updated_at"


def test_a_record_seen_on_every_poll_is_quarantined_once(backend_client, pos):
    tenant, connection_id = pos
    rt = get_runtime()
    poll(rt, connection_id)
    with rt.db.session() as s:
        s.get(Connection, connection_id).poll_cursor = None  # the POS sends the same page again
    poll(rt, connection_id)
    [record] = quarantined(backend_client, tenant)
    assert record["last_seen_at"] > record["first_seen_at"]


def test_a_replay_after_the_fix_records_the_purchase_once(backend_client, pos):
    tenant, connection_id = pos
    poll(get_runtime(), connection_id)
    [record] = quarantined(backend_client, tenant)
    set_config(backend_client, tenant, connection_id, answer="ok", fixed=True)
    first = replay(backend_client, tenant, record["id"])
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["outcome"] == "recorded"
    assert first.get_json()["record"]["status"] == "replayed"
    assert replay(backend_client, tenant, record["id"]).status_code == 409
    assert purchases(connection_id) == ["ORD-1", "ORD-BAD"]
    assert new_purchase_events(tenant) == 2


def test_a_replay_that_still_fails_keeps_the_record_open_with_the_new_reason(backend_client, pos):
    tenant, connection_id = pos
    poll(get_runtime(), connection_id)
    [record] = quarantined(backend_client, tenant)
    answer = replay(backend_client, tenant, record["id"]).get_json()
    assert answer["outcome"] == "unreadable"
    assert (answer["record"]["status"], answer["record"]["attempts"]) == ("open", 1)
    assert answer["record"]["reason"] == "order has no updated_at (still)"
    assert purchases(connection_id) == ["ORD-1"]


def test_a_replay_of_an_order_not_final_yet_keeps_it_open(backend_client, pos):
    tenant, connection_id = pos
    rt = get_runtime()
    poll(rt, connection_id)
    [record] = quarantined(backend_client, tenant)
    with rt.db.session() as s:
        s.get(QuarantinedRecord, record["id"]).raw = {**BAD_ORDER, "state": "OPEN"}
    answer = replay(backend_client, tenant, record["id"]).get_json()
    assert answer["outcome"] == "not_final"
    assert answer["record"]["status"] == "open"
    assert answer["record"]["reason"].startswith("not final yet")


def test_a_dismissed_record_leaves_the_open_list(backend_client, pos):
    tenant, connection_id = pos
    poll(get_runtime(), connection_id)
    [record] = quarantined(backend_client, tenant)
    url = f"/v1/admin/quarantine/{record['id']}/dismiss"
    response = backend_client.post(url, headers=tenant.auth("admin"))
    assert response.status_code == 200
    assert response.get_json()["status"] == "dismissed"
    assert quarantined(backend_client, tenant, status="open") == []


def test_a_later_poll_that_reads_the_record_resolves_it(backend_client, pos):
    tenant, connection_id = pos
    rt = get_runtime()
    poll(rt, connection_id)
    set_config(backend_client, tenant, connection_id, answer="reads_bad_order")
    poll(rt, connection_id)
    [record] = quarantined(backend_client, tenant)
    assert record["status"] == "replayed"
    assert record["purchase_id"] is not None
    assert purchases(connection_id) == ["ORD-1", "ORD-BAD"]


def test_another_hubs_quarantined_record_is_not_found(backend_client, pos):
    tenant, connection_id = pos
    poll(get_runtime(), connection_id)
    [record] = quarantined(backend_client, tenant)
    stranger = build_tenant(get_runtime(), name="Other hub")
    assert quarantined(backend_client, stranger) == []
    for method, path in (("get", ""), ("post", "/replay"), ("post", "/dismiss")):
        url = f"/v1/admin/quarantine/{record['id']}{path}"
        response = getattr(backend_client, method)(url, headers=stranger.auth("admin"))
        assert response.status_code == 404, (method, path)


def test_support_staff_list_and_replay_a_quarantined_record_from_the_cli(capsys, settings, app):
    with registered():
        rt = get_runtime()
        tenant = build_tenant(rt, locations=())
        connection_id = add_scripted(rt, tenant.hub_id, answer="unreadable", fixed=True)
        poll(rt, connection_id)
        _, listed = run_cli(capsys, settings, "quarantine", "--connection", connection_id)
        [record] = listed["records"]
        code, replayed = run_cli(capsys, settings, "replay-quarantined", record["id"])
    assert (code, replayed["outcome"], replayed["status"]) == (0, "recorded", "replayed")
    assert purchases(connection_id) == ["ORD-1", "ORD-BAD"]

"""The poll answer is spliced from the stored payload text: the same bytes as encoding the decoded items,
for compact rows and for rows stored with spaces before compact storage; and the key cache still stops a
revoked key at once in the process that revoked it."""

from __future__ import annotations

import json

import pytest
from flask import jsonify
from sqlalchemy import select

from hub.keys import revoke_key
from hub.models import ApiKey, Event
from hub.runtime import get_runtime
from triggers import get_trigger
from triggers.base import poll, poll_json


def test_a_page_is_the_bytes_jsonify_gives_for_compact_and_legacy_payloads(backend_app, backend_tenant):
    client = backend_app.test_client()
    sales = [{"external_id": f"É-{n}", "location_external_id": "fridge-1",
              "occurred_at": "2026-01-05T12:00:00Z", "currency": "EUR",
              "lines": [{"sku": "SAL-CAESAR", "quantity": 1, "unit_price": "6.50"}]}
             for n in range(5)]
    assert client.post("/v1/pos/purchases", json={"purchases": sales},
                       headers=backend_tenant.auth("pos")).status_code == 200
    rt = get_runtime()
    spec = get_trigger("new_purchase")
    with rt.db.session() as s:
        oldest = min(i["id"] for i in poll(s, spec, backend_tenant.hub_id, filters={}))
        legacy = poll(s, spec, backend_tenant.hub_id, filters={}, since_id=oldest - 1,
                      before_id=oldest + 1)[0]
        # A row as the default encoder stored it before: ", " and ": " separators.
        legacy_text = json.dumps({k: v for k, v in legacy.items() if k != "id"})
        s.connection().exec_driver_sql(
            "UPDATE events SET payload = %s WHERE id = %s" if rt.db.engine.dialect.name != "sqlite"
            else "UPDATE events SET payload = ? WHERE id = ?", (legacy_text, oldest))
    expected_default = None
    with rt.db.session() as s:
        for params in ({}, {"since_id": 0, "limit": 2}, {"before_id": oldest + 3}):
            items = poll(s, spec, backend_tenant.hub_id, filters={}, **params)
            with backend_app.app_context():
                expected = jsonify(items).get_data(as_text=True)
            assert poll_json(s, spec, backend_tenant.hub_id, filters={}, **params) + "\n" == expected
            expected_default = expected_default or expected
    answer = client.get("/v1/triggers/new_purchase", headers=backend_tenant.auth())
    assert answer.mimetype == "application/json" and answer.get_data(as_text=True) == expected_default


def test_an_event_payload_may_not_carry_its_own_id(backend_app, backend_tenant):
    with pytest.raises(Exception, match="must not hold 'id'"), get_runtime().db.session() as s:
        s.add(Event(hub_id=backend_tenant.hub_id, type="low_stock", payload={"id": 1}))
        s.flush()


def test_a_key_revoked_in_this_process_stops_at_once_though_it_was_cached(client, tenant):
    me = client.get("/v1/me", headers=tenant.auth())
    assert me.status_code == 200
    with get_runtime().db.session() as s:
        key_id = s.scalars(select(ApiKey.id).where(ApiKey.hub_id == tenant.hub_id,
                                                   ApiKey.scope == "automation")).one()
        assert revoke_key(s, key_id)
    assert client.get("/v1/me", headers=tenant.auth()).status_code == 401

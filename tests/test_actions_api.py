"""POST /v1/actions/<name>: contract checks, the catalog change, the run and its deliveries."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from actions import ACTIONS
from hub import connectors
from hub.models import ActionRun, Coupon, Delivery, MenuItem
from hub.runtime import get_runtime
from hub.schemas import validate
from tests.doubles import RecordingConnector

CAESAR = {"sku": "SAL-CAESAR", "name": "Caesar salad", "price": {"amount": "8.90", "currency": "EUR"}}


@pytest.fixture(autouse=True)
def recording_connector(monkeypatch):
    monkeypatch.setattr(connectors, "CONNECTORS", [*connectors.CONNECTORS, RecordingConnector])


def post(client, tenant, name, body, scope="automation"):
    return client.post(f"/v1/actions/{name}", json=body, headers=tenant.auth(scope))


def paths(response):
    return [e["path"] for e in response.get_json()["errors"]]


def test_every_action_declares_schemas_whose_sample_is_valid():
    assert [a.name for a in ACTIONS] == ["update_menu", "publish_coupon", "create_order", "update_order",
                                         "cancel_order", "adjust_stock"]
    for action in ACTIONS:
        assert validate(action.output_schema, action.sample()) == []
        assert action.title and action.description
        assert validate(action.input_schema, {}) != []


def test_update_menu_answers_202_with_a_run_matching_its_output_schema(client, tenant):
    response = post(client, tenant, "update_menu", {"items": [CAESAR]})
    assert response.status_code == 202
    body = response.get_json()
    assert validate("actions/update_menu.output.json", body) == []
    assert body["action"] == "update_menu"
    with get_runtime().db.session() as s:
        item = s.scalar(select(MenuItem).where(MenuItem.hub_id == tenant.hub_id))
    assert (item.sku, item.price_amount, item.currency) == ("SAL-CAESAR", "8.90", "EUR")


def test_a_new_sku_without_name_and_price_is_refused_at_each_field(client, tenant):
    response = post(client, tenant, "update_menu", {"items": [CAESAR, {"sku": "NEW-1", "available": True}]})
    assert response.status_code == 422
    assert paths(response) == ["/items/1/name", "/items/1/price"]
    with get_runtime().db.session() as s:
        items = s.scalar(select(func.count()).select_from(MenuItem).where(MenuItem.hub_id == tenant.hub_id))
    assert items == 0


def test_an_existing_sku_can_change_one_field(client, tenant):
    post(client, tenant, "update_menu", {"items": [CAESAR]})
    response = post(client, tenant, "update_menu", {"items": [{"sku": "SAL-CAESAR", "available": False}]})
    assert response.status_code == 202
    with get_runtime().db.session() as s:
        item = s.scalar(select(MenuItem).where(MenuItem.hub_id == tenant.hub_id))
    assert item.available is False and item.name == "Caesar salad"


def test_schema_violations_list_every_bad_path(client, tenant):
    body = {"items": [{"sku": "A", "name": "", "price": {"amount": "x", "currency": "eur"}}], "extra": 1}
    response = post(client, tenant, "update_menu", body)
    assert response.status_code == 422
    expected = {"/extra", "/items/0/name", "/items/0/price/amount", "/items/0/price/currency"}
    assert expected <= set(paths(response))


def test_unknown_connections_and_locations_are_refused(client, tenant, other_tenant):
    body = {"items": [{**CAESAR, "location_ids": [tenant.location_ids[0], other_tenant.location_ids[0]]}],
            "connection_ids": [tenant.connection_id, other_tenant.connection_id]}
    response = post(client, tenant, "update_menu", body)
    assert response.status_code == 422
    assert paths(response) == ["/items/0/location_ids/1", "/connection_ids/1"]


def test_prices_must_share_the_catalog_currency(client, tenant):
    post(client, tenant, "update_menu", {"items": [CAESAR]})
    greek = {"sku": "SAL-GREEK", "name": "Greek", "price": {"amount": "8.50", "currency": "USD"},
             "modifiers": [{"name": "Extra", "options": [{"name": "Feta",
                                                          "price": {"amount": "1", "currency": "GBP"}}]}]}
    response = post(client, tenant, "update_menu", {"items": [greek]})
    assert response.status_code == 422
    assert paths(response) == ["/items/0/price/currency", "/items/0/modifiers/0/options/0/price/currency"]
    price_error, modifier_error = response.get_json()["errors"]
    assert "EUR" in price_error["message"] and "USD" in modifier_error["message"]


def test_a_sku_cannot_be_both_updated_and_removed(client, tenant):
    response = post(client, tenant, "update_menu", {"items": [CAESAR], "remove_skus": ["SAL-CAESAR"]})
    assert response.status_code == 422
    assert paths(response) == ["/remove_skus/0"]


def test_removing_a_sku_marks_it_deleted(client, tenant):
    post(client, tenant, "update_menu", {"items": [CAESAR]})
    post(client, tenant, "update_menu", {"items": [{**CAESAR, "sku": "B"}], "remove_skus": ["SAL-CAESAR"]})
    with get_runtime().db.session() as s:
        item = s.scalar(select(MenuItem).where(MenuItem.hub_id == tenant.hub_id,
                                               MenuItem.sku == "SAL-CAESAR"))
    assert item.deleted_at is not None


def test_a_connection_that_cannot_receive_pushes_gets_a_skipped_delivery(client, tenant):
    body = post(client, tenant, "update_menu", {"items": [CAESAR]}).get_json()
    [delivery] = body["deliveries"]
    assert delivery["connection_id"] == tenant.connection_id
    assert delivery["status"] == "skipped" and "cannot receive menu changes" in delivery["last_error"]
    assert body["status"] == "succeeded"


def test_deliveries_are_written_with_the_run_in_one_transaction(client, tenant, tmp_path):
    from hub.admin import add_connection

    rt = get_runtime()
    with rt.db.session() as s:
        add_connection(s, rt.vault, tenant.hub_id, "recording", "Berlin", {"log": str(tmp_path / "log")})
    body = post(client, tenant, "update_menu", {"items": [CAESAR]}).get_json()
    with rt.db.session() as s:
        statuses = list(s.scalars(select(Delivery.status).where(Delivery.action_run_id == body["id"])))
    # The pushable delivery's job may already have run (in-process queue), so only its existence is pinned.
    assert len(statuses) == 2 and statuses.count("skipped") == 1
    assert {"pending", "in_progress", "succeeded"} & set(statuses)


def test_publish_coupon_saves_the_coupon(client, tenant):
    post(client, tenant, "update_menu", {"items": [CAESAR]})
    body = {"code": "LUNCH10", "discount_type": "percent", "percent_off": "10", "skus": ["SAL-CAESAR"],
            "valid_from": "2025-04-01T00:00:00Z", "valid_until": "2025-04-30T23:59:59Z"}
    response = post(client, tenant, "publish_coupon", body)
    assert response.status_code == 202
    assert validate("actions/publish_coupon.output.json", response.get_json()) == []
    with get_runtime().db.session() as s:
        coupon = s.scalar(select(Coupon).where(Coupon.hub_id == tenant.hub_id))
    assert (coupon.code, coupon.name, coupon.percent_off, coupon.skus) == ("LUNCH10", "LUNCH10", "10",
                                                                           ["SAL-CAESAR"])


def test_publish_coupon_refuses_contradictions_and_unknown_references(client, tenant):
    post(client, tenant, "update_menu", {"items": [CAESAR]})
    body = {"code": "BAD1", "discount_type": "percent", "percent_off": "10",
            "amount_off": {"amount": "1.00", "currency": "EUR"}, "skus": ["NOPE"],
            "valid_from": "2025-05-01T00:00:00Z", "valid_until": "2025-04-01T00:00:00Z",
            "location_ids": ["loc_nope"]}
    response = post(client, tenant, "publish_coupon", body)
    assert response.status_code == 422
    assert paths(response) == ["/amount_off", "/valid_until", "/skus/0", "/location_ids/0"]


def test_a_fixed_coupon_needs_the_catalog_currency(client, tenant):
    post(client, tenant, "update_menu", {"items": [CAESAR]})
    body = {"code": "TWOOFF", "discount_type": "fixed", "amount_off": {"amount": "2.00", "currency": "USD"}}
    response = post(client, tenant, "publish_coupon", body)
    assert response.status_code == 422
    assert paths(response) == ["/amount_off/currency"]


def test_an_unknown_action_is_405_as_only_get_exists_at_that_path(client, tenant):
    # /v1/actions/{id} offers GET only (as /openapi.json says); POST is for the actions' own paths.
    response = post(client, tenant, "delete_everything", {})
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    assert "POST" not in response.headers["Allow"]


def test_a_pos_key_cannot_run_actions(client, tenant):
    assert post(client, tenant, "update_menu", {"items": [CAESAR]}, scope="pos").status_code == 403


def test_another_hubs_run_is_not_found(client, tenant, other_tenant):
    run_id = post(client, tenant, "update_menu", {"items": [CAESAR]}).get_json()["id"]
    assert client.get(f"/v1/actions/{run_id}", headers=other_tenant.auth()).status_code == 404
    assert client.post(f"/v1/actions/{run_id}/retry", headers=other_tenant.auth()).status_code == 404
    assert client.get(f"/v1/actions/{run_id}", headers=tenant.auth()).status_code == 200


def test_a_rejected_request_creates_no_run(client, tenant):
    post(client, tenant, "update_menu", {"items": [{"sku": "X"}]})
    with get_runtime().db.session() as s:
        runs = s.scalar(select(func.count()).select_from(ActionRun).where(ActionRun.hub_id == tenant.hub_id))
    assert runs == 0

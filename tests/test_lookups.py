"""Lookups for dropdowns: id and a human name, sorted by name, q searches, scoped to the hub."""

from datetime import UTC, datetime

import pytest

from hub.admin import add_connection, add_location
from hub.models import Coupon, MenuItem
from hub.runtime import get_runtime
from hub.schemas import validate


def add_menu_item(hub_id, sku, name, deleted=False):
    rt = get_runtime()
    with rt.db.session() as s:
        s.add(MenuItem(hub_id=hub_id, sku=sku, name=name, price_amount="8.90", currency="EUR",
                       modifiers=[], available=True, description=None, category="Salads",
                       deleted_at=datetime(2026, 1, 1, tzinfo=UTC) if deleted else None))


def add_coupon(hub_id, code, name, **fields):
    rt = get_runtime()
    with rt.db.session() as s:
        s.add(Coupon(hub_id=hub_id, code=code, name=name, **{"discount_type": "percent", "percent_off": "10",
                                                              "active": True, **fields}))


def lookup(client, tenant, path, **params):
    response = client.get(path, query_string=params, headers=tenant.auth())
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_locations_are_listed_by_name_with_their_connection(backend_client, backend_tenant):
    items = lookup(backend_client, backend_tenant, "/v1/locations")
    assert [i["name"] for i in items] == ["Gym fridge", "Lobby fridge"]
    assert {i["connection_id"] for i in items} == {backend_tenant.connection_id}
    assert all(validate("lookups/location.json", i) == [] for i in items)


def test_q_searches_location_names_ignoring_case(client, tenant):
    assert [i["name"] for i in lookup(client, tenant, "/v1/locations", q="LOBBY")] == ["Lobby fridge"]


def test_q_treats_wildcards_literally(client, tenant):
    assert lookup(client, tenant, "/v1/locations", q="%") == []


def test_locations_can_be_narrowed_to_one_connection(client, tenant):
    rt = get_runtime()
    with rt.db.session() as s:
        kiosks = add_connection(s, rt.vault, tenant.hub_id, "push", "Kiosks", {}, {})
        add_location(s, tenant.hub_id, kiosks.id, "k-1", "Station kiosk")
    items = lookup(client, tenant, "/v1/locations", connection_id=kiosks.id)
    assert [i["name"] for i in items] == ["Station kiosk"]


def test_simulated_connections_say_so_in_their_name(backend_client, backend_tenant):
    rt = get_runtime()
    with rt.db.session() as s:
        add_connection(s, rt.vault, backend_tenant.hub_id, "sandbox", "Demo fleet", {}, {})
    items = lookup(backend_client, backend_tenant, "/v1/connections")
    assert [(i["name"], i["simulated"]) for i in items] == [("Demo fleet (simulated)", True),
                                                             ("Test hub POS", False)]
    assert all(validate("lookups/connection.json", i) == [] for i in items)


def test_menu_items_leave_out_deleted_ones(backend_client, backend_tenant):
    add_menu_item(backend_tenant.hub_id, "SAL-CAESAR", "Caesar salad")
    add_menu_item(backend_tenant.hub_id, "SAL-GREEK", "Greek salad")
    add_menu_item(backend_tenant.hub_id, "SAL-OLD", "Old salad", deleted=True)
    items = lookup(backend_client, backend_tenant, "/v1/menu-items")
    assert [i["name"] for i in items] == ["Caesar salad", "Greek salad"]
    assert all(validate("lookups/menu_item.json", i) == [] for i in items)


def test_q_searches_menu_items_by_sku_too(client, tenant):
    add_menu_item(tenant.hub_id, "SAL-CAESAR", "Caesar salad")
    add_menu_item(tenant.hub_id, "DRK-LEMON", "Homemade lemonade")
    assert [i["sku"] for i in lookup(client, tenant, "/v1/menu-items", q="drk-")] == ["DRK-LEMON"]


def test_coupons_are_searchable_by_code_and_match_their_schema(backend_client, backend_tenant):
    add_coupon(backend_tenant.hub_id, "LUNCH10", "10% off lunch")
    add_coupon(backend_tenant.hub_id, "FIVE", "Five off", discount_type="fixed", percent_off=None,
               amount_off="5.00", currency="EUR")
    items = lookup(backend_client, backend_tenant, "/v1/coupons")
    assert [i["code"] for i in items] == ["LUNCH10", "FIVE"]
    assert items[1]["amount_off"] == {"amount": "5.00", "currency": "EUR"}
    assert all(validate("lookups/coupon.json", i) == [] for i in items)
    found = lookup(backend_client, backend_tenant, "/v1/coupons", q="lunch1")
    assert [i["code"] for i in found] == ["LUNCH10"]


def test_a_coupon_without_a_name_is_named_by_its_code(client, tenant):
    add_coupon(tenant.hub_id, "SPRING", "")
    assert lookup(client, tenant, "/v1/coupons")[0]["name"] == "SPRING"


def test_limit_caps_the_number_of_choices(client, tenant):
    assert len(lookup(client, tenant, "/v1/locations", limit=1)) == 1


@pytest.mark.parametrize("path", ["/v1/locations", "/v1/connections", "/v1/menu-items", "/v1/coupons"])
def test_lookups_only_show_the_callers_hub(client, tenant, other_tenant, path):
    add_menu_item(other_tenant.hub_id, "SAL-X", "Secret salad")
    add_coupon(other_tenant.hub_id, "SECRET", "Secret coupon")
    mine = {i["id"] for i in lookup(client, tenant, path)}
    theirs = {i["id"] for i in lookup(client, other_tenant, path)}
    assert theirs and not mine & theirs


@pytest.mark.parametrize("path", ["/v1/locations", "/v1/menu-items"])
def test_lookups_refuse_unknown_parameters_and_bad_limits(client, tenant, path):
    assert client.get(f"{path}?search=x", headers=tenant.auth()).status_code == 422
    response = client.get(f"{path}?limit=0", headers=tenant.auth())
    assert response.status_code == 422 and response.get_json()["errors"][0]["path"] == "/limit"


def test_lookups_need_an_automation_key(client, tenant):
    assert client.get("/v1/locations").status_code == 401
    assert client.get("/v1/locations", headers=tenant.auth("pos")).status_code == 403


def test_a_sandbox_connection_named_simulated_is_not_marked_twice(client, tenant):
    rt = get_runtime()
    with rt.db.session() as s:
        add_connection(s, rt.vault, tenant.hub_id, "sandbox", "Demo fridges and kiosks (simulated)")
        add_connection(s, rt.vault, tenant.hub_id, "sandbox", "Test kiosk")
    names = {c["name"] for c in lookup(client, tenant, "/v1/connections")}
    assert {"Demo fridges and kiosks (simulated)", "Test kiosk (simulated)"} <= names

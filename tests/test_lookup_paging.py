"""Lookups page with an opaque cursor (X-Next-Cursor and Link rel=next), keyset on (lower(name), id)."""

import pytest

from hub.admin import add_connection, add_location
from hub.openapi import build_openapi
from hub.runtime import get_runtime
from tests.test_lookups import add_coupon, add_menu_item

LOOKUPS = ["/v1/locations", "/v1/connections", "/v1/menu-items", "/v1/coupons"]


def page(client, tenant, path, **params):
    response = client.get(path, query_string=params, headers=tenant.auth())
    assert response.status_code == 200, response.get_json()
    return response


def walk(client, tenant, path, limit):
    names, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = page(client, tenant, path, **params)
        names += [item["name"] for item in response.get_json()]
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            return names


def test_menu_items_beyond_the_first_page_are_reached_with_the_cursor(backend_client, backend_tenant):
    for n in range(1, 123):
        add_menu_item(backend_tenant.hub_id, f"SKU-{n:03}", f"Meal {n:03}")
    names = walk(backend_client, backend_tenant, "/v1/menu-items", 100)
    assert names == [f"Meal {n:03}" for n in range(1, 123)]


def test_the_last_page_has_no_next_cursor_nor_link(client, tenant):
    add_menu_item(tenant.hub_id, "A-1", "Apple")
    response = page(client, tenant, "/v1/menu-items", limit=5)
    assert "X-Next-Cursor" not in response.headers and "Link" not in response.headers


def test_the_link_header_points_at_the_next_page(client, tenant):
    for name in ("Apple", "Banana", "Cherry", "Papaya"):
        add_menu_item(tenant.hub_id, name.upper(), name)
    first = page(client, tenant, "/v1/menu-items", limit=2, q="a")
    cursor = first.headers["X-Next-Cursor"]
    link = first.headers["Link"]
    assert link.startswith("<http://localhost/v1/menu-items?") and link.endswith('>; rel="next"')
    url = link[1:link.index(">")]
    assert f"cursor={cursor}" in url and "limit=2" in url and "q=a" in url
    second = client.get(url, headers=tenant.auth())
    assert [i["name"] for i in second.get_json()] == ["Papaya"]


def test_paging_is_stable_when_items_are_added_before_the_cursor(client, tenant):
    for name in ("Bravo", "Charlie", "Delta", "Echo"):
        add_coupon(tenant.hub_id, name.upper(), name)
    first = page(client, tenant, "/v1/coupons", limit=2)
    assert [i["name"] for i in first.get_json()] == ["Bravo", "Charlie"]
    add_coupon(tenant.hub_id, "ALPHA", "Alpha")
    second = page(client, tenant, "/v1/coupons", limit=2, cursor=first.headers["X-Next-Cursor"])
    assert [i["name"] for i in second.get_json()] == ["Delta", "Echo"]


def test_equal_names_are_paged_by_id_without_loss(client, tenant):
    for n in range(5):
        add_coupon(tenant.hub_id, f"SAME{n}", "Same name")
    codes = []
    cursor = None
    while True:
        response = page(client, tenant, "/v1/coupons", limit=2, **({"cursor": cursor} if cursor else {}))
        codes += [i["code"] for i in response.get_json()]
        if (cursor := response.headers.get("X-Next-Cursor")) is None:
            break
    assert sorted(codes) == [f"SAME{n}" for n in range(5)]


def test_locations_and_connections_page_too(client, tenant):
    rt = get_runtime()
    with rt.db.session() as s:
        for n in range(3):
            con = add_connection(s, rt.vault, tenant.hub_id, "push", f"Extra {n}")
            add_location(s, tenant.hub_id, con.id, f"ext-{n}", f"Extra location {n}")
    assert len(walk(client, tenant, "/v1/connections", 2)) == 4
    assert len(walk(client, tenant, "/v1/locations", 2)) == 5


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WyJhIl0", "e30", "!!!"])
def test_a_bad_cursor_is_a_422_at_cursor(client, tenant, cursor):
    response = client.get("/v1/menu-items", query_string={"cursor": cursor}, headers=tenant.auth())
    assert response.status_code == 422
    assert [e["path"] for e in response.get_json()["errors"]] == ["/cursor"]


@pytest.mark.parametrize("path", LOOKUPS)
def test_openapi_documents_the_cursor_and_the_next_page_headers(path):
    operation = build_openapi()["paths"][path]["get"]
    assert {"$ref": "#/components/parameters/cursor"} in operation["parameters"]
    assert set(operation["responses"]["200"]["headers"]) == {"X-Next-Cursor", "Link"}

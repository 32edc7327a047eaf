"""Hostile paths, query strings and headers get 4xx problem JSON, never a 500 (issue 9, section 2)."""

from __future__ import annotations

import re

import pytest

from hub.api.lookups import Q_MAX_LENGTH
from hub.request_guard import MAX_HEADER_BYTES, MAX_HEADERS, MAX_URL_BYTES
from tests.test_errors import assert_problem

# RFC 3986 URI-reference characters: unreserved, reserved and percent-escapes only.
URI_REFERENCE = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})*")
LOOKUPS = ["/v1/locations", "/v1/connections", "/v1/menu-items", "/v1/coupons"]


@pytest.mark.parametrize(("method", "path", "scope"), [
    ("GET", "/v1/hooks/%00", "automation"),
    ("DELETE", "/v1/hooks/hook_1%00", "automation"),
    ("GET", "/v1/hooks/%00/deliveries", "automation"),
    ("GET", "/v1/actions/abc%00def", "automation"),
    ("POST", "/v1/actions/%00/retry", "automation"),
    ("GET", "/v1/triggers/new_purchase%00", "automation"),
    ("GET", "/v1/admin/connections/%00", "admin"),
    ("POST", "/v1/admin/connections/%00/poll", "admin"),
    ("DELETE", "/v1/admin/keys/%00", "admin"),
    ("POST", "/v1/webhooks/%00", None),
    ("GET", "/schemas/%00.json", None),
])
def test_nul_in_a_path_segment_is_404(backend_client, backend_tenant, method, path, scope):
    headers = backend_tenant.auth(scope) if scope else {}
    response = backend_client.open(path, method=method, headers=headers, json={})
    assert_problem(response, 404)


@pytest.mark.parametrize("path", ["/v1/hooks/%ED%A0%80", "/v1/actions/%FF%FE",
                                  "/v1/admin/connections/%C0%80"])
def test_bytes_that_are_no_utf8_in_a_path_are_404(backend_client, backend_tenant, path):
    response = backend_client.get(path, headers=backend_tenant.auth("admin"))
    assert_problem(response, 404)


@pytest.mark.parametrize(("url", "param"), [
    *((f"{path}?q=%00", "q") for path in LOOKUPS),
    ("/v1/locations?connection_id=con%00", "connection_id"),
    ("/v1/triggers/new_purchase?sku=%00", "sku"),
    ("/v1/triggers/low_stock?location_id=loc_1%00", "location_id"),
    ("/v1/triggers/pos_offline?connection_id=%00", "connection_id"),
    ("/v1/triggers/new_purchase?since_id=1%00", "since_id"),
    ("/v1/hooks?limit=%00", "limit"),
])
def test_nul_in_a_query_parameter_is_422_naming_it(backend_client, backend_tenant, url, param):
    response = backend_client.get(url, headers=backend_tenant.auth())
    assert_problem(response, 422)
    assert [e["path"] for e in response.json["errors"]] == [f"/{param}"]


@pytest.mark.parametrize(("param", "value"), [
    ("since_id", "9223372036854775808"),
    ("since_id", str(10**23)),
    ("before_id", "9223372036854775808"),
    ("since_id", "9" * 1000),
    ("limit", "1_0"),
    ("since_id", "\u0661"),
])
def test_event_id_that_is_no_column_value_is_422(backend_client, backend_tenant, param, value):
    response = backend_client.get("/v1/triggers/new_purchase", query_string={param: value},
                                  headers=backend_tenant.auth())
    assert_problem(response, 422)
    assert [e["path"] for e in response.json["errors"]] == [f"/{param}"]


@pytest.mark.parametrize("url", ["/v1/triggers/new_purchase?limit=", "/v1/triggers/low_stock?since_id=%20",
                                 "/v1/triggers/pos_offline?before_id=", "/v1/coupons?limit="])
def test_an_empty_whole_number_parameter_is_422(backend_client, backend_tenant, url):
    # Unlike a text filter ("empty for all"), an empty number is no number: the contract says integer.
    response = backend_client.get(url, headers=backend_tenant.auth())
    assert_problem(response, 422)
    assert [e["path"] for e in response.json["errors"]] == ["/" + url.split("?")[1].split("=")[0]]


def test_the_largest_event_id_is_a_valid_cursor(backend_client, backend_tenant):
    response = backend_client.get("/v1/triggers/new_purchase?since_id=9223372036854775807&before_id=1",
                                  headers=backend_tenant.auth())
    assert response.status_code == 200 and response.json == []


@pytest.mark.parametrize("path", ["/v1/nothing here/\u00fc", "/v1/hooks/a%00b", "/v1/x<y>\"{}|^`"])
def test_problem_instance_is_a_percent_encoded_uri_reference(backend_client, backend_tenant, path):
    response = backend_client.get(path, headers=backend_tenant.auth())
    assert_problem(response, 404)
    instance = response.json["instance"]
    assert URI_REFERENCE.fullmatch(instance), instance


def test_problem_instance_keeps_the_path_readable(client):
    assert client.get("/v1/nothing here/\u00fc").json["instance"] == "/v1/nothing%20here/%C3%BC"


@pytest.mark.parametrize("path", LOOKUPS)
def test_search_text_longer_than_its_max_length_is_422(client, tenant, path):
    response = client.get(path, query_string={"q": "x" * (Q_MAX_LENGTH + 1)}, headers=tenant.auth())
    assert_problem(response, 422)
    assert [e["path"] for e in response.json["errors"]] == ["/q"]


@pytest.mark.parametrize("path", LOOKUPS)
def test_search_text_of_its_max_length_is_accepted(client, tenant, path):
    response = client.get(path, query_string={"q": "x" * Q_MAX_LENGTH}, headers=tenant.auth())
    assert response.status_code == 200 and response.json == []


def test_the_documented_search_max_length_is_the_enforced_one(client):
    q = client.get("/openapi.json").json["components"]["parameters"]["q"]
    assert q["schema"]["maxLength"] == Q_MAX_LENGTH


def test_an_empty_connection_filter_on_locations_means_all(client, tenant):
    response = client.get("/v1/locations?connection_id=", headers=tenant.auth())
    assert response.status_code == 200
    assert sorted(item["id"] for item in response.json) == sorted(tenant.location_ids)


def test_url_longer_than_the_limit_is_414(client, tenant):
    response = client.get("/v1/locations", query_string={"q": "x" * MAX_URL_BYTES}, headers=tenant.auth())
    assert_problem(response, 414)


def test_url_just_under_the_limit_passes_the_guard(client, tenant):
    # 422 from the q length check proves the request got past the URL limit.
    url = "/v1/locations?q=" + "x" * (MAX_URL_BYTES - len("/v1/locations?q="))
    assert client.get(url, headers=tenant.auth()).status_code == 422


def test_too_many_header_fields_are_431(client, tenant):
    headers = {**tenant.auth(), **{f"X-Filler-{n}": "1" for n in range(MAX_HEADERS)}}
    response = client.get("/v1/me", headers=headers)
    assert_problem(response, 431)


def test_a_header_field_larger_than_the_limit_is_431(client, tenant):
    response = client.get("/v1/me", headers={**tenant.auth(), "X-Filler": "x" * MAX_HEADER_BYTES})
    assert_problem(response, 431)


@pytest.mark.parametrize("name", ["Idempotency-Key", "X-API-Key", "X-Anything"])
def test_nul_in_a_header_value_is_400(backend_client, backend_tenant, name):
    headers = {**backend_tenant.auth("pos"), name: "key\x00one"}
    response = backend_client.post("/v1/pos/heartbeat", headers=headers, json={})
    assert_problem(response, 400)
    assert name.lower() in response.json["detail"].lower()

"""Request bodies must be declared as JSON: anything else is a 415 problem naming application/json."""

from __future__ import annotations

import json

import pytest

from tests.test_errors import assert_problem
from tests.test_hostile_bodies import ENDPOINTS


def send(client, tenant, endpoint: str, content_type: str | None):
    scope, method, path, body = ENDPOINTS[endpoint]
    headers = {**tenant.auth(scope), **({"Content-Type": content_type} if content_type else {})}
    return client.open(path, method=method, data=json.dumps(body).encode(), headers=headers)


@pytest.mark.parametrize("content_type", [
    "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "application/xml",
    "multipart/form-data; boundary=x", "application/jsonx", "text/json",
])
@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_body_not_declared_as_json_is_415_naming_application_json(client, tenant, endpoint, content_type):
    response = send(client, tenant, endpoint, content_type)
    assert_problem(response, 415)
    assert "application/json" in response.json["detail"]


@pytest.mark.parametrize("content_type", ["application/json; charset=latin-1",
                                          "application/json;charset=utf-16"])
def test_json_in_another_charset_than_utf8_is_415(client, tenant, content_type):
    assert_problem(send(client, tenant, "purchases", content_type), 415)


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8",
    "application/vnd.pos-hub+json", "application/merge-patch+json",
])
def test_json_media_types_are_read(client, tenant, content_type):
    response = send(client, tenant, "purchases", content_type)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_body_without_content_type_is_read_as_json(client, tenant):
    # Small POS firmwares leave the header out; the hub speaks nothing but JSON, so it reads it.
    response = send(client, tenant, "purchases", None)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_empty_heartbeat_needs_no_content_type(client, tenant):
    response = client.post("/v1/pos/heartbeat", headers={**tenant.auth("pos"), "Content-Type": "text/plain"})
    assert response.status_code == 200


def test_openapi_documents_415_on_every_operation_with_a_body(client):
    document = client.get("/openapi.json").json
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content and not path.startswith("/v1/webhooks/"):
                assert "415" in operation["responses"], f"{method.upper()} {path}"

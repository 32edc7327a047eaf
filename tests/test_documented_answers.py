"""What schemathesis found between the app's answers and /openapi.json, pinned down (issue 9)."""

from __future__ import annotations

import re

import pytest

from hub.openapi import build_openapi

DOC = build_openapi()
PATHS = sorted(DOC["paths"])


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "abc", path)


@pytest.mark.parametrize("path", PATHS)
def test_allow_lists_exactly_the_documented_methods(client, path):
    # OpenAPI matches a concrete path (/v1/actions/update_menu) before a templated one
    # (/v1/actions/{id}); the routes must agree, or Allow advertises methods the document denies.
    response = client.options(_concrete(path))
    allowed = {m.strip().lower() for m in response.headers["Allow"].split(",")} - {"head", "options"}
    assert allowed == set(DOC["paths"][path]), path


@pytest.mark.parametrize("name", ["update_menu", "publish_coupon"])
def test_an_actions_own_path_takes_no_get(client, tenant, name):
    response = client.get(f"/v1/actions/{name}", headers=tenant.auth())
    assert response.status_code == 405 and "GET" not in response.headers["Allow"]


def test_heartbeat_body_is_documented_as_optional(client, tenant):
    assert DOC["paths"]["/v1/pos/heartbeat"]["post"]["requestBody"]["required"] is False
    assert client.post("/v1/pos/heartbeat", headers=tenant.auth("pos")).status_code == 200


def test_every_operation_taking_an_idempotency_key_documents_400():
    for path, item in DOC["paths"].items():
        for method, operation in item.items():
            refs = {p.get("$ref") for p in operation.get("parameters", [])}
            if "#/components/parameters/Idempotency-Key" in refs:
                assert "400" in operation["responses"], f"{method.upper()} {path}"


@pytest.mark.parametrize("key", [" ", "\t"])
def test_blank_idempotency_key_is_outside_the_documented_shape_and_400(client, tenant, key):
    schema = DOC["components"]["parameters"]["Idempotency-Key"]["schema"]
    assert not re.search(schema["pattern"], key)
    response = client.post("/v1/actions/run_x/retry", headers={**tenant.auth(), "Idempotency-Key": key})
    assert response.status_code == 400


def test_every_operation_documents_the_size_limits():
    for item in DOC["paths"].values():
        for operation in item.values():
            assert {"414", "431"} <= set(operation["responses"])

"""Every error is RFC 9457 problem JSON; no input yields a 500."""

import pytest


def assert_problem(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert {"type", "title", "status", "detail", "errors"} <= body.keys()
    assert body["status"] == status
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe\x00garbage", b"", b"[" * 100000, b"null"])
def test_garbage_body_gets_problem_json_not_500(client, tenant, body):
    response = client.post("/v1/admin/connections", data=body, headers=tenant.auth("admin"),
                           content_type="application/json")
    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code)


def test_malformed_json_names_where_it_broke(client, tenant):
    response = client.post("/v1/admin/connections", data=b'{"type": "push",}', headers=tenant.auth("admin"),
                           content_type="application/json")
    assert_problem(response, 400)
    assert "line 1" in response.json["detail"]


def test_oversized_body_is_413_problem(client, tenant, app):
    big = b'{"name": "' + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10) + b'"}'
    response = client.post("/v1/admin/connections", data=big, headers=tenant.auth("admin"),
                           content_type="application/json")
    assert_problem(response, 413)


def test_unknown_path_is_404_problem(client):
    assert_problem(client.get("/v1/nothing-here"), 404)


def test_wrong_method_is_405_problem_with_allow(client):
    response = client.delete("/v1/me")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_unknown_connection_type_is_422_naming_the_known_types(client, tenant):
    response = client.post("/v1/admin/connections", json={"type": "nope", "name": "X"},
                           headers=tenant.auth("admin"))
    assert_problem(response, 422)
    assert "sandbox" in response.json["detail"]


def test_missing_fields_are_each_listed(client, tenant):
    response = client.post("/v1/admin/connections", json={}, headers=tenant.auth("admin"))
    assert_problem(response, 422)
    assert {e["path"] for e in response.json["errors"]} == {"/type", "/name"}


def test_rate_limit_answers_429_with_retry_after(database_urls):
    from hub import create_app
    from hub.runtime import get_runtime
    from tests.conftest import build_tenant, make_settings

    app = create_app(make_settings(database_urls["sqlite"], rate_limit_per_minute=3))
    tenant = build_tenant(get_runtime())
    client = app.test_client()
    statuses = [client.get("/v1/me", headers=tenant.auth()).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/v1/me", headers=tenant.auth())
    assert_problem(response, 429)
    assert int(response.headers["Retry-After"]) >= 1


def test_unexpected_exception_is_500_problem_without_stack_trace(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert_problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)

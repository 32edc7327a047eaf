"""Signing in to the console: operators, hub admin keys, the session, CSRF and limited attempts."""

from __future__ import annotations

import io
import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hub import create_app
from hub.cli import main
from hub.console.auth import ACCOUNT_LIMIT, ADDRESS_LIMIT, disable_operator, find_operator, verify_operator
from hub.demo import ensure_demo
from hub.keys import restrict_key, revoke_key
from hub.migrate import upgrade
from hub.models import ApiKey
from hub.runtime import get_runtime
from tests.conftest import make_settings
from tests.console.conftest import csrf_token, make_operator, post_form, sign_in_key, sign_in_operator


def test_every_page_redirects_to_sign_in_when_signed_out(client, tenant):
    for path in ("/console/", "/console/hubs", "/console/hubs/new", f"/console/hubs/{tenant.hub_id}"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/console/login?next=")


def test_every_console_route_but_sign_in_sends_signed_out_visitors_to_sign_in(app, client):
    public = {"console.login", "console.static"}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/console") or rule.endpoint in public:
            continue
        # Each variable filled in with a value its converter takes: an any(...)'s first choice, else "x".
        path = re.sub(r"<[^>]+>", "x", re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", rule.rule))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method)
            assert response.status_code == 302, (method, rule.rule)
            assert response.headers["Location"].startswith("/console/login"), (method, rule.rule)


def test_operator_signs_in_and_sees_the_hub_list(app, operator):
    client = app.test_client()
    response = sign_in_operator(client, operator)
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/hubs"
    page = client.get("/console/hubs").get_data(as_text=True)
    assert f"Signed in as <strong>{operator.email}</strong>" in page


def test_sign_in_returns_to_the_page_asked_for(app, operator, tenant):
    client = app.test_client()
    target = f"/console/hubs/{tenant.hub_id}"
    response = post_form(client, "/console/login", {"method": "operator", "email": operator.email,
                                                     "password": operator.password, "next": target})
    assert response.headers["Location"] == target


def test_sign_in_never_returns_to_another_site(app, operator):
    client = app.test_client()
    response = post_form(client, "/console/login", {"method": "operator", "email": operator.email,
                                                     "password": operator.password,
                                                     "next": "//evil.example/x"})
    assert response.headers["Location"] == "/console/hubs"


def test_wrong_password_is_refused_with_a_plain_message(app, operator):
    client = app.test_client()
    response = post_form(client, "/console/login", {"method": "operator", "email": operator.email,
                                                     "password": "not the password"})
    assert response.status_code == 401
    assert "The email or password is wrong" in response.get_data(as_text=True)
    assert client.get("/console/hubs").status_code == 302


def test_email_is_matched_case_insensitively(app, operator):
    client = app.test_client()
    response = post_form(client, "/console/login", {"method": "operator", "email": operator.email.upper(),
                                                     "password": operator.password})
    assert response.status_code == 302


def test_sign_out_ends_the_session(operator_client):
    response = post_form(operator_client, "/console/logout", token_from="/console/hubs")
    assert response.status_code == 302
    assert operator_client.get("/console/hubs").status_code == 302


def test_a_post_without_csrf_token_is_refused(operator_client):
    response = operator_client.post("/console/logout")
    assert response.status_code == 400
    assert "without a valid security token" in response.get_data(as_text=True)
    assert operator_client.get("/console/hubs").status_code == 200  # still signed in


def test_a_post_with_a_token_of_another_session_is_refused(app, operator_client):
    stranger = app.test_client()
    token = csrf_token(stranger)
    assert operator_client.post("/console/logout", data={"csrf_token": token}).status_code == 400


def test_sign_in_itself_needs_a_csrf_token(app, operator):
    client = app.test_client()
    response = client.post("/console/login", data={"method": "operator", "email": operator.email,
                                                    "password": operator.password})
    assert response.status_code == 400


def test_failed_sign_ins_are_limited_per_account(app, operator):
    client = app.test_client()
    for _ in range(ACCOUNT_LIMIT):
        bad = {"method": "operator", "email": operator.email, "password": "wrong"}
        assert post_form(client, "/console/login", bad).status_code == 401
    # Even the right password now waits: the account is locked for a while, and the page says how long.
    response = sign_in_operator(client, operator)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Try again in" in response.get_data(as_text=True)


def test_failed_sign_ins_are_limited_per_address(app):
    client = app.test_client()
    for n in range(ADDRESS_LIMIT):
        bad = {"method": "operator", "email": f"nobody{n}@example.com", "password": "wrong"}
        assert post_form(client, "/console/login", bad).status_code == 401
    other = make_operator()
    assert sign_in_operator(client, other).status_code == 429
    elsewhere = app.test_client()
    response = post_form(elsewhere, "/console/login", {"method": "operator", "email": other.email,
                                                        "password": other.password},
                         environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 302


def test_a_session_ends_8_hours_after_sign_in_however_active(operator_client, monkeypatch):
    signed_in = time.time()
    monkeypatch.setattr("hub.console.auth.time.time", lambda: signed_in + 8 * 3600 + 60)
    assert operator_client.get("/console/hubs").status_code == 302


def test_a_disabled_operator_is_signed_out_at_once(app, operator, operator_client):
    with get_runtime().db.session() as session:
        disable_operator(session, operator.email)
    response = operator_client.get("/console/hubs")
    assert response.status_code == 302
    follow = operator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You have been signed out" in follow
    assert sign_in_operator(app.test_client(), operator).status_code == 401


def test_a_new_password_signs_out_older_sessions(operator, operator_client):
    assert main(["set-operator-password", operator.email], settings=get_runtime().settings) == 0
    assert operator_client.get("/console/hubs").status_code == 302


def test_hub_admin_key_signs_in_to_its_own_hub(app, tenant):
    client = app.test_client()
    response = sign_in_key(client, tenant.admin_key)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/console/hubs/{tenant.hub_id}"
    assert client.get(f"/console/hubs/{tenant.hub_id}").status_code == 200


def test_hub_admin_key_gets_404_for_another_hub(admin_key_client, other_tenant):
    assert admin_key_client.get(f"/console/hubs/{other_tenant.hub_id}").status_code == 404


def test_hub_admin_key_lists_only_its_own_hub(admin_key_client, tenant, other_tenant):
    page = admin_key_client.get("/console/hubs").get_data(as_text=True)
    assert tenant.hub_id in page
    assert other_tenant.hub_id not in page


@pytest.mark.parametrize("scope", ["automation", "pos"])
def test_only_admin_keys_sign_in(app, tenant, scope):
    key = tenant.automation_key if scope == "automation" else tenant.pos_key
    response = sign_in_key(app.test_client(), key)
    assert response.status_code == 401
    assert "not a valid admin key" in response.get_data(as_text=True)


def test_a_revoked_key_is_signed_out_at_once(admin_key_client, tenant):
    with get_runtime().db.session() as session:
        admin = select(ApiKey.id).where(ApiKey.hub_id == tenant.hub_id, ApiKey.scope == "admin")
        key_id = session.scalar(admin)
        revoke_key(session, key_id)
    assert admin_key_client.get(f"/console/hubs/{tenant.hub_id}").status_code == 302


def _restrict_admin_key(tenant, networks, expires_at=None) -> None:
    with get_runtime().db.session() as session:
        admin = select(ApiKey.id).where(ApiKey.hub_id == tenant.hub_id, ApiKey.scope == "admin")
        restrict_key(session, session.scalar(admin), tenant.hub_id, networks, expires_at)


def test_an_admin_key_restricted_to_other_networks_cannot_sign_in(app, tenant):
    _restrict_admin_key(tenant, ["203.0.113.0/24"])  # the test client comes from 127.0.0.1
    assert sign_in_key(app.test_client(), tenant.admin_key).status_code == 401


def test_a_key_restricted_after_sign_in_is_signed_out_at_once(admin_key_client, tenant):
    _restrict_admin_key(tenant, ["203.0.113.0/24"])
    assert admin_key_client.get(f"/console/hubs/{tenant.hub_id}").status_code == 302


def test_a_key_expired_after_sign_in_is_signed_out_at_once(admin_key_client, tenant):
    _restrict_admin_key(tenant, None, datetime.now(UTC) - timedelta(seconds=1))
    assert admin_key_client.get(f"/console/hubs/{tenant.hub_id}").status_code == 302


def test_session_cookie_is_httponly_samesite_and_scoped_to_the_console(app, operator):
    client = app.test_client()
    response = sign_in_operator(client, operator)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("hub_console=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/console" in cookie
    assert "Expires=" in cookie  # an 8-hour session, not one for ever


def test_session_cookie_is_secure_when_the_hub_is_served_over_https(database_urls):
    app = create_app(make_settings(database_urls["sqlite"], base_url="https://hub.example.com"))
    client = app.test_client()
    account = make_operator()
    cookie = sign_in_operator(client, account).headers["Set-Cookie"]
    assert "Secure" in cookie


def test_session_cookie_is_not_secure_on_plain_http_localhost(app, operator):
    cookie = sign_in_operator(app.test_client(), operator).headers["Set-Cookie"]
    assert "Secure" not in cookie


def test_the_api_sets_no_cookie(client, tenant):
    response = client.get("/v1/me", headers=tenant.auth())
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_create_operator_prints_a_generated_password_once(app, capsys):
    assert main(["--json", "create-operator", "Anna@Example.com"], settings=get_runtime().settings) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["email"] == "anna@example.com"
    with get_runtime().db.session() as session:
        assert verify_operator(session, "anna@example.com", result["password"]) is not None
        assert find_operator(session, "anna@example.com").password_hash.startswith("$argon2id$")


def test_create_operator_reads_the_password_from_stdin(app, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["--json", "create-operator", "ben@example.com", "--password-stdin"],
                settings=get_runtime().settings) == 0
    assert "password" not in json.loads(capsys.readouterr().out)
    with get_runtime().db.session() as session:
        assert verify_operator(session, "ben@example.com", "a long enough password") is not None


def test_create_operator_refuses_a_taken_email_and_a_short_password(app, operator, capsys, monkeypatch):
    assert main(["create-operator", operator.email], settings=get_runtime().settings) == 2
    assert "already exists" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    settings = get_runtime().settings
    assert main(["create-operator", "cleo@example.com", "--password-stdin"], settings=settings) == 2
    assert "at least 12 characters" in capsys.readouterr().err


def test_set_operator_password_prints_the_new_one(app, operator, capsys):
    assert main(["--json", "set-operator-password", operator.email], settings=get_runtime().settings) == 0
    new = json.loads(capsys.readouterr().out)["password"]
    with get_runtime().db.session() as session:
        assert verify_operator(session, operator.email, new) is not None
        assert verify_operator(session, operator.email, operator.password) is None


def test_demo_creates_the_first_operator_once_and_shows_its_password_once(database_urls, tmp_path):
    settings = make_settings(f"sqlite:///{tmp_path / 'demo.db'}")

    upgrade(settings.database_url)
    create_app(settings)

    first = ensure_demo(get_runtime())
    assert first["console"].endswith("/console")
    assert first["console_operator"] == "support@demo.local"
    password = first["console_password"].split(" ")[0]
    with get_runtime().db.session() as session:
        assert verify_operator(session, "support@demo.local", password) is not None
    again = ensure_demo(get_runtime())
    assert password not in again["console_password"]
    assert "set-operator-password support@demo.local" in again["console_password"]

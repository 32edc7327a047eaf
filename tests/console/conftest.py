"""Fixtures of the console's tests: signed-in clients (an operator, a hub admin key) and CSRF tokens."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from hub.console.auth import create_operator, sign_in_limiter
from hub.runtime import get_runtime

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/console/login") -> str:
    """The CSRF token of the client's session, read from a page's form (the sign-in page by default)."""
    page = client.get(path)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} (status {page.status_code})"
    return match.group(1)


def post_form(client: FlaskClient, path: str, data: dict[str, str] | None = None,
              token_from: str | None = None, **kwargs: object):
    """POST a console form with a valid CSRF token (taken from `token_from`, else the page itself)."""
    form = dict(data or {})
    form["csrf_token"] = csrf_token(client, token_from or path)
    return client.post(path, data=form, **kwargs)


@dataclass(frozen=True)
class OperatorAccount:
    """An operator made for one test."""

    id: str
    email: str
    password: str


def make_operator(email: str | None = None, password: str | None = None) -> OperatorAccount:
    """Create an operator account in the app's database."""
    email = email or f"support-{secrets.token_hex(4)}@example.com"
    password = password or secrets.token_urlsafe(16)
    with get_runtime().db.session() as session:
        operator = create_operator(session, email, password)
        return OperatorAccount(operator.id, operator.email, password)


def sign_in_operator(client: FlaskClient, account: OperatorAccount):
    """Sign the client in as the operator; the response of the sign-in POST."""
    return post_form(client, "/console/login", {"method": "operator", "email": account.email,
                                                 "password": account.password})


def sign_in_key(client: FlaskClient, key: str):
    """Sign the client in with a hub admin key; the response of the sign-in POST."""
    return post_form(client, "/console/login", {"method": "key", "key": key},
                     token_from="/console/login?method=key")


@pytest.fixture(autouse=True)
def _fresh_sign_in_limits():
    """Every test starts with no failed sign-ins counted in this process."""
    sign_in_limiter.reset()
    yield
    sign_in_limiter.reset()


@pytest.fixture
def operator(app) -> OperatorAccount:
    """An operator account on the SQLite app."""
    return make_operator()


@pytest.fixture
def operator_client(app, operator: OperatorAccount) -> FlaskClient:
    """A client signed in as an operator (every hub)."""
    client = app.test_client()
    response = sign_in_operator(client, operator)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def admin_key_client(app, tenant) -> FlaskClient:
    """A client signed in with the admin key of `tenant` (that hub only)."""
    client = app.test_client()
    response = sign_in_key(client, tenant.admin_key)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client

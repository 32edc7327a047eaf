"""schemathesis with every check (`--checks all`) against the app, once per key scope (issue 9).

It generates valid and invalid requests for every operation of the OpenAPI document (its
examples, the edges of each constraint, and random cases) and fails on any server error or any
answer that breaks the documented contract. Derandomized and small, so CI gets the same cases
every run; on PostgreSQL when the suite has one, where most of the 500s showed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis.config import HealthCheck

from hub import create_app
from hub.openapi import build_openapi
from hub.runtime import get_runtime
from tests.conftest import Tenant, build_tenant, make_settings

MAX_EXAMPLES = 10  # random cases per operation, on top of the examples and coverage phases


class _AppSlot:
    """A WSGI app standing in at import time for the one the module's fixture builds."""

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None, "the fuzzed fixture plugs the app in"
        return self.app(environ, start_response)


APP = _AppSlot()
# The document /openapi.json serves (same builder), loaded at import so that pytest can
# parametrize by operation; schemathesis calls the app through the slot.
# The support console's pages (/console) are no part of the API: never fuzzed, even if documented by mistake.
API = schemathesis.openapi.from_dict(build_openapi()).exclude(path_regex=r"^/console(/|$)")
API.app = APP
API.config.update(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
API.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
# A request the schema allows may still break a business rule (a location or SKU the hub does not
# know, a hook target that does not resolve): that is the documented 422, not a rejected valid request.
API.config.checks.positive_data_acceptance.expected_statuses = [
    *API.config.checks.positive_data_acceptance.expected_statuses, "422"]
# An invalid request whose URL is also too long is refused for its length first: the documented 414.
API.config.checks.negative_data_rejection.expected_statuses = [
    *API.config.checks.negative_data_rejection.expected_statuses, "414"]


def _for_scope(scope: str) -> Any:
    """The operations to call with a key of this scope: those it may call, less what an earlier run
    covers (public operations go with the automation key; admin keys get only the admin API)."""

    def serves(ctx: Any) -> bool:
        scopes = ctx.operation.definition.raw.get("x-scopes", [])
        if scope == "admin":
            return scopes == ["admin"]
        return scope in scopes or (not scopes and scope == "automation")

    return API.include(func=serves)


@pytest.fixture(scope="module")
def fuzzed(database_urls: dict[str, str]) -> Iterator[tuple[Flask, Tenant]]:
    """One app and hub for the three runs: PostgreSQL when configured, SQLite otherwise."""
    APP.app = create_app(make_settings(database_urls.get("postgresql", database_urls["sqlite"])))
    yield APP.app, build_tenant(get_runtime(), name="Fuzzed hub")
    APP.app = None


def _call(case: Any, fuzzed: tuple[Flask, Tenant], scope: str) -> None:
    case.call_and_validate(headers=fuzzed[1].auth(scope))


@_for_scope("automation").parametrize()
def test_automation_key_gets_no_server_error_and_only_documented_answers(case, fuzzed):
    _call(case, fuzzed, "automation")


@_for_scope("pos").parametrize()
def test_pos_key_gets_no_server_error_and_only_documented_answers(case, fuzzed):
    _call(case, fuzzed, "pos")


@_for_scope("admin").parametrize()
def test_admin_key_gets_no_server_error_and_only_documented_answers(case, fuzzed):
    _call(case, fuzzed, "admin")

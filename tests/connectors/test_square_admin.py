"""Square answers that are not Square's, seen through the admin endpoints: a classified error, never a 500."""

from __future__ import annotations

import pytest

from hub.runtime import get_runtime
from tests.conftest import build_tenant
from tests.connectors.square_contract import SquareMock
from tests.connectors.square_support import API, TOKEN

NOT_OBJECTS = ["[]", '"ok"', "null", "42"]


@pytest.fixture(autouse=True)
def rsps():
    """Square's API, mocked; every request any test here sends is held to Square's contract."""
    with SquareMock() as mock:
        yield mock


@pytest.fixture
def square(app):
    """A hub whose connection is a Square account."""
    return build_tenant(get_runtime(), connection_type="square", credentials={"access_token": TOKEN},
                        locations=(("L1GRANTPARK", "Grant Park kiosk"),))


@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_testing_a_connection_whose_answer_is_not_a_json_object_says_so(client, square, rsps, body):
    rsps.get(f"{API}/v2/locations", body=body, content_type="application/json")
    response = client.post(f"/v1/admin/connections/{square.connection_id}/test", headers=square.auth("admin"))
    assert response.status_code == 200
    assert response.json["ok"] is False and response.json["error_kind"] == "transient"
    assert "not a JSON object" in response.json["message"]


@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_importing_a_menu_whose_answer_is_not_a_json_object_is_a_503_problem(client, square, rsps, body):
    rsps.get(f"{API}/v2/catalog/list", body=body, content_type="application/json")
    response = client.post(f"/v1/admin/connections/{square.connection_id}/import-menu",
                           headers=square.auth("admin"))
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert "not a JSON object" in response.json["detail"]

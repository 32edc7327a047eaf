"""GET /: a newcomer's browser gets a small page, an API client JSON, both with the same links."""

from __future__ import annotations

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
LINKED = ("/console", "/openapi.json", "/v1/contracts")


def test_a_browser_gets_a_page_linking_the_console_openapi_and_contracts(client):
    response = client.get("/", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for path in LINKED:
        assert f'href="http://localhost{path}"' in page
    assert "POS connector hub" in page


def test_the_page_shows_the_readmes_first_steps(client):
    page = client.get("/", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert "First steps" in page
    assert "make run" in page
    assert "/v1/triggers/new_purchase" in page


def test_an_api_client_gets_json_with_the_same_links(client):
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    hrefs = {link["href"] for link in response.json["links"].values()}
    assert {f"http://localhost{path}" for path in LINKED} <= hrefs
    assert any("make run" in step for step in response.json["first_steps"])


def test_no_accept_header_or_any_type_gets_json(client):
    assert client.get("/").mimetype == "application/json"
    assert client.get("/", headers={"Accept": "*/*"}).mimetype == "application/json"


def test_the_answer_varies_on_accept(client):
    assert "Accept" in client.get("/").headers["Vary"]


def test_no_api_key_is_needed(client):
    assert client.get("/", headers={"Authorization": "Bearer hub_not_a_key"}).status_code == 200


def test_openapi_lists_the_home_operation(client):
    operation = client.get("/openapi.json").json["paths"]["/"]["get"]
    assert operation["operationId"] == "home"
    assert operation["security"] == []


def test_other_methods_on_the_root_are_405(client):
    assert client.post("/", json={}).status_code == 405

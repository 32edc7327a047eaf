"""The contracts endpoints: /v1/contracts, /schemas/<path>, /openapi.json, all from schemas/."""

from openapi_spec_validator import validate

from actions import ACTIONS
from hub.openapi import referenced_schema_paths
from hub.schemas import all_schema_paths
from hub.schemas import validate as validate_instance
from triggers import TRIGGERS


def test_contracts_list_every_registered_trigger_and_action(client, tenant):
    response = client.get("/v1/contracts", headers=tenant.auth())
    assert response.status_code == 200
    assert [t["name"] for t in response.json["triggers"]] == [t.name for t in TRIGGERS]
    assert [a["name"] for a in response.json["actions"]] == [a.name for a in ACTIONS]


def test_contracts_answer_matches_its_own_schema(client, tenant):
    body = client.get("/v1/contracts", headers=tenant.auth()).json
    assert validate_instance("contracts.output.json", body) == []


def test_every_trigger_sample_validates_against_its_output_schema():
    for trigger in TRIGGERS:
        assert validate_instance(trigger.output_schema, trigger.sample()) == [], trigger.name


def test_every_linked_schema_is_served(client, tenant):
    body = client.get("/v1/contracts", headers=tenant.auth()).json
    links = [c[k] for c in body["triggers"] + body["actions"]
             for k in ("output_schema", "filters_schema", "input_schema") if c.get(k)]
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        assert response.mimetype == "application/schema+json"


def test_unknown_schema_is_404_problem(client):
    response = client.get("/schemas/../hub/config.py")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_openapi_document_is_valid_openapi_3_1(client):
    document = client.get("/openapi.json").json
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_schema_file_is_used_by_a_route_trigger_or_action():
    used = referenced_schema_paths()
    used |= {t.output_schema for t in TRIGGERS} | {t.filters_schema for t in TRIGGERS}
    used |= {a.input_schema for a in ACTIONS} | {a.output_schema for a in ACTIONS}
    assert set(all_schema_paths()) - used == set()


def test_every_registered_schema_path_exists():
    paths = set(all_schema_paths())
    for trigger in TRIGGERS:
        assert {trigger.output_schema, trigger.filters_schema} <= paths
    for action in ACTIONS:
        assert {action.input_schema, action.output_schema} <= paths

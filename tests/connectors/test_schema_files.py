"""Every connector's settings and credentials schemas live in schemas/connectors/<type>.json."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from hub import schemas
from hub.admin import schema_errors
from hub.connectors import CONNECTORS
from hub.connectors.base import Connector

FILES = sorted(p for p in schemas.all_schema_paths() if p.startswith("connectors/"))


@pytest.mark.parametrize("cls", CONNECTORS, ids=lambda cls: cls.type)
def test_every_registered_connector_names_its_own_schema_file(cls: type[Connector]) -> None:
    assert cls.schema_file == f"connectors/{cls.type}.json"
    assert cls.schema_file in FILES


def test_every_connector_schema_file_belongs_to_a_registered_connector() -> None:
    assert FILES == sorted(f"connectors/{cls.type}.json" for cls in CONNECTORS)


@pytest.mark.parametrize("cls", CONNECTORS, ids=lambda cls: cls.type)
def test_describe_serves_the_two_parts_of_the_schema_file(cls: type[Connector]) -> None:
    document = schemas.schema(f"connectors/{cls.type}.json")
    described = cls.describe()
    assert described["settings_schema"] == document["properties"]["settings"]
    assert described["credentials_schema"] == document["properties"]["credentials"]
    Draft202012Validator.check_schema(described["settings_schema"])
    Draft202012Validator.check_schema(described["credentials_schema"])


@pytest.mark.parametrize("cls", CONNECTORS, ids=lambda cls: cls.type)
def test_the_examples_pass_the_check_a_new_connection_gets(cls: type[Connector]) -> None:
    for example in schemas.schema(f"connectors/{cls.type}.json")["examples"]:
        assert schema_errors(cls.settings_schema, example["settings"]) == []
        assert schema_errors(cls.credentials_schema, example["credentials"]) == []


def test_the_schema_is_a_copy_that_callers_may_change() -> None:
    cls = CONNECTORS[0]
    cls.settings_schema["properties"].clear()
    assert cls.settings_schema["properties"]


def test_setting_falls_back_to_the_default_its_schema_states() -> None:
    cls = next(c for c in CONNECTORS if c.type == "square")
    assert cls.default("environment") == "production"
    assert cls({}, {}).setting("environment") == "production"
    assert cls({"environment": "sandbox"}, {}).setting("environment") == "sandbox"
    assert cls.default("location_ids") is None


def test_a_connector_without_a_schema_file_takes_no_settings_and_no_credentials() -> None:
    class Bare(Connector):
        type = "bare"
        title = "Bare"

    assert Bare.describe()["settings_schema"] == {"type": "object", "additionalProperties": False}
    assert Bare.describe()["credentials_schema"] == {"type": "object", "additionalProperties": False}

"""Forms generated from a connector's JSON Schema, parsed back, and the hub's errors placed by path."""

from __future__ import annotations

import pytest
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from hub.admin import AdminError, add_connection
from hub.connectors import connector_class
from hub.console.forms import GENERAL, Field, errors_by_path, fields_for, parse_fields
from hub.runtime import get_runtime

SCHEMA = {
    "type": "object",
    "required": ["base_url", "mode"],
    "properties": {
        "base_url": {"type": "string", "format": "uri", "title": "API address",
                     "description": "Where the POS is."},
        "mode": {"type": "string", "enum": ["live", "test"], "title": "Mode"},
        "verbose": {"type": "boolean", "title": "Verbose"},
        "page_size": {"type": "integer", "title": "Page size"},
        "ratio": {"type": "number"},
        "location_ids": {"type": "array", "items": {"type": "string"}, "title": "Location ids"},
        "mapping": {"type": "object", "title": "Mapping"},
        "name": {"type": "string"},
    },
}


def _by_name(fields: list[Field]) -> dict[str, Field]:
    return {f.name: f for f in fields}


def test_each_schema_type_becomes_its_input_kind():
    kinds = {f.name: f.kind for f in fields_for(SCHEMA, "settings")}
    assert kinds == {"base_url": "url", "mode": "select", "verbose": "checkbox", "page_size": "number",
                     "ratio": "number", "location_ids": "lines", "mapping": "json", "name": "text"}


def test_title_is_the_label_description_the_help_and_required_is_marked():
    field = _by_name(fields_for(SCHEMA, "settings"))["base_url"]
    assert (field.label, field.help, field.required, field.path) == ("API address", "Where the POS is.", True,
                                                                     "settings/base_url")
    assert _by_name(fields_for(SCHEMA, "settings"))["name"].label == "Name"  # no title: the property name


def test_an_optional_select_can_be_left_unset():
    schema = {"type": "object", "properties": {"env": {"enum": ["a", "b"]}}}
    assert fields_for(schema, "settings")[0].options[0] == ("", "(not set)")
    assert fields_for(SCHEMA, "settings")[1].options == [("live", "live"), ("test", "test")]


def test_values_are_shown_in_their_inputs():
    fields = _by_name(fields_for(SCHEMA, "settings", {"location_ids": ["L1", "L2"], "mapping": {"a": 1},
                                                      "verbose": True, "page_size": 50}))
    assert fields["location_ids"].value == "L1\nL2"
    assert '"a": 1' in fields["mapping"].value
    assert fields["verbose"].value is True
    assert fields["page_size"].value == "50"


def test_credentials_are_password_inputs_never_prefilled():
    creds = connector_class("square").credentials_schema
    fields = _by_name(fields_for(creds, "credentials", {"access_token": "EAAA-secret"}, secret=True))
    assert fields["access_token"].kind == "password"
    assert fields["access_token"].value == ""
    assert fields["access_token"].required


def test_posted_values_parse_back_to_json():
    form = MultiDict({"settings/base_url": " https://pos.example.com ", "settings/mode": "live",
                      "settings/verbose": "on", "settings/page_size": "25", "settings/ratio": "0.5",
                      "settings/location_ids": "L1\n\n L2 \n", "settings/mapping": '{"a": [1]}',
                      "settings/name": ""})
    value, errors = parse_fields(SCHEMA, "settings", form)
    assert errors == {}
    assert value == {"base_url": "https://pos.example.com", "mode": "live", "verbose": True, "page_size": 25,
                     "ratio": 0.5, "location_ids": ["L1", "L2"], "mapping": {"a": [1]}}


def test_an_unchecked_checkbox_is_false():
    value, _ = parse_fields(SCHEMA, "settings", MultiDict())
    assert value == {"verbose": False}


def test_unreadable_values_are_errors_by_path():
    form = MultiDict({"settings/page_size": "twelve", "settings/mapping": "{not json"})
    _, errors = parse_fields(SCHEMA, "settings", form)
    assert errors["settings/page_size"] == ["Page size must be a whole number"]
    assert errors["settings/mapping"][0].startswith("Mapping is not valid JSON")


def test_the_hubs_problems_go_next_to_their_fields(tenant):
    square = connector_class("square")
    with get_runtime().db.session() as session, pytest.raises(AdminError) as raised:
        add_connection(session, get_runtime().vault, tenant.hub_id, "square", "Shop",
                       {"base_url": "not a url", "environment": "moon"}, {})
    paths = [f.path for f in fields_for(square.settings_schema, "settings")]
    paths += [f.path for f in fields_for(square.credentials_schema, "credentials", secret=True)]
    errors = errors_by_path(str(raised.value), paths)
    assert "settings/environment" in errors
    assert errors["credentials/access_token"] == ["This field is required."]


def test_problems_of_no_field_go_above_the_form():
    errors = errors_by_path("settings/base_url: bad; the POS refused the token", ["settings/base_url"])
    assert errors == {"settings/base_url": ["bad"], GENERAL: ["the POS refused the token"]}


def test_a_problem_inside_a_fields_value_goes_to_that_field():
    errors = errors_by_path(["settings/locations/0/name: '' is too short"], ["settings/locations"])
    assert errors == {"settings/locations": ["0/name: '' is too short"]}


def test_problem_json_errors_are_placed_too():
    problems = [{"path": "/settings/base_url", "message": "must be https"}]
    errors = errors_by_path(problems, ["settings/base_url"])
    assert errors == {"settings/base_url": ["must be https"]}


def test_the_field_macro_labels_describes_and_marks_errors(app):
    field = Field("settings/base_url", "API address", kind="url", required=True, help="Where the POS is.",
                  value="http://x")
    with app.test_request_context():
        html = render_template_string(
            '{% from "console/_macros.html" import field %}{{ field(f, errors) }}', f=field,
            errors={"settings/base_url": ["must be https"]})
    assert '<label for="f-settings-base_url">API address <span class="req">(required)</span></label>' in html
    assert 'type="url"' in html and 'value="http://x"' in html
    assert 'aria-describedby="f-settings-base_url-help err-settings-base_url"' in html
    assert 'aria-invalid="true"' in html
    assert "must be https" in html


def test_the_field_macro_never_renders_a_password_value(app):
    field = Field("credentials/token", "Token", kind="password", value="leaked?")
    with app.test_request_context():
        html = render_template_string('{% from "console/_macros.html" import field %}{{ field(f) }}', f=field)
    assert "leaked?" not in html

"""Every POS type a contract names (in an enum, an example or a sample) is a live connector type."""

from hub.connectors import CONNECTORS
from hub.schemas import all_schema_paths, schema
from triggers import TRIGGERS

LIVE = {cls.type for cls in CONNECTORS}


def _connection_types_in_instances(node):
    """The type of every connection-like object (an id starting con_ beside a type) in example data."""
    if isinstance(node, dict):
        if str(node.get("id", "")).startswith("con_") and isinstance(node.get("type"), str):
            yield node["type"]
        for value in node.values():
            yield from _connection_types_in_instances(value)
    elif isinstance(node, list):
        for value in node:
            yield from _connection_types_in_instances(value)


def _pos_type_properties(node):
    """Every schema property titled "POS type"."""
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            if name == "type" and isinstance(prop, dict) and prop.get("title") == "POS type":
                yield prop
        for value in node.values():
            yield from _pos_type_properties(value)
    elif isinstance(node, list):
        for value in node:
            yield from _pos_type_properties(value)


def test_every_connection_type_in_the_contracts_examples_is_a_live_connector_type():
    named = {(path, t) for path in all_schema_paths() for t in _connection_types_in_instances(schema(path))}
    assert {(path, t) for path, t in named if t not in LIVE} == set()
    assert named, "the examples name connection types"


def test_every_pos_type_enum_and_example_is_a_live_connector_type():
    for path in all_schema_paths():
        for prop in _pos_type_properties(schema(path)):
            assert set(prop.get("enum", [])) <= LIVE, path
            assert set(prop.get("examples", [])) <= LIVE, path


def test_trigger_samples_use_live_connector_types():
    for trigger in TRIGGERS:
        assert set(_connection_types_in_instances(trigger.sample())) <= LIVE, trigger.name
